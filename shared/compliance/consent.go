package compliance

import "strings"

// Consent rules for marketing mail to an address captured at a repair take-in.
const (
	// ConsentOptOut: the address may receive marketing mail until the client
	// unsubscribes (United States, CAN-SPAM). The profile is filled at once.
	ConsentOptOut = "opt_out"
	// ConsentOptIn: marketing mail needs the client's prior consent (EU/EEA, UK,
	// Switzerland, Canada, Australia and, by default, everywhere else). Until
	// Loupe stores consent, such an address is not written into the profile.
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
