package compliance

import "strings"

// Consent rules for marketing mail to an address captured at a repair take-in.
const (
	// ConsentOptOut: the address may receive marketing mail until the client
	// unsubscribes (United States, CAN-SPAM), with an unsubscribe in every mail.
	ConsentOptOut = "opt_out"
	// ConsentOptIn: marketing mail needs the client's prior consent (EU/EEA, UK,
	// Switzerland, Canada, Australia and, by default, everywhere else). A
	// repair-sourced address is still written into the profile, but it serves
	// service mail only (repair ready, receipts) until the client opts in;
	// marketing senders skip it (they check EmailSource and this rule).
	ConsentOptIn = "opt_in"
)

// optOutCountries are the countries whose default rule is ConsentOptOut.
// Everything else, an unknown or empty country included, is ConsentOptIn: the
// safe side.
var optOutCountries = map[string]bool{
	"US": true,                                                 // CAN-SPAM: commercial mail allowed with a working unsubscribe
	"PR": true, "GU": true, "VI": true, "AS": true, "MP": true, // US territories, CAN-SPAM
}

// ConsentRule returns the default consent rule for a store's country (ISO 3166
// alpha-2, any case): ConsentOptOut for the United States and its territories,
// ConsentOptIn for every other or unknown country. It never fails.
// Service.Consent overrides it per country.
func ConsentRule(country string) string {
	if optOutCountries[strings.ToUpper(strings.TrimSpace(country))] {
		return ConsentOptOut
	}
	return ConsentOptIn
}
