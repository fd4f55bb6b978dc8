package phone

import (
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Places says where a phone number or a postal address is, for the quiet
// hours of texts and calls (touch.Planner.Places): libphonenumber's time
// zones of a number, the zones of a US state, and the US states whose hours
// are shorter (Florida, Oklahoma) for their area codes. The zero value is
// ready to use.
type Places struct{}

// PhoneZones returns Zones(e164).
func (Places) PhoneZones(e164 string) []string { return Zones(e164) }

// PhoneRegion returns the ISO 3166 country of an E.164 number and, for a
// North American number whose area code belongs to a state with shorter
// calling hours (strictAreaCodes: FL, OK, MD, WA, CT, TX), that state ("FL"); "" otherwise (no
// other state is looked up: only those change the hours).
func (Places) PhoneRegion(e164 string) (country, region string) {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return "", ""
	}
	country = phonenumbers.GetRegionCodeForNumber(n)
	if n.GetCountryCode() == 1 {
		national := strconv.FormatUint(n.GetNationalNumber(), 10)
		if len(national) == 10 {
			region = strictAreaCodes[national[:3]]
		}
	}
	return country, region
}

// AddressZones returns the zones of a postal address: every zone of its US
// state (a state that spans two gives both), else every zone libphonenumber
// gives the country's calling code (one for most countries; for Canada and
// the other North American countries all of the +1 zones, the safe side).
// nil when the country is unknown.
func (Places) AddressZones(country, region string) []string {
	country, region = strings.ToUpper(strings.TrimSpace(country)), strings.ToUpper(strings.TrimSpace(region))
	if country == "US" {
		if z, ok := stateZones[region]; ok {
			return z
		}
	}
	code := phonenumbers.GetCountryCodeForRegion(country)
	if code == 0 {
		return nil
	}
	zones, err := phonenumbers.GetTimezonesForPrefix("+" + strconv.Itoa(code))
	if err != nil {
		return nil
	}
	return known(zones)
}

// known drops libphonenumber's "Etc/Unknown"; nil when nothing is left.
func known(zones []string) []string {
	var out []string
	for _, z := range zones {
		if z != "" && z != phonenumbers.UNKNOWN_TIMEZONE {
			out = append(out, z)
		}
	}
	return out
}

// strictAreaCodes are the area codes (NANPA, 2026) of the states whose
// hours are shorter than the federal ones (contact.HoursFor: Florida,
// Oklahoma, Maryland, Washington, Connecticut, Texas; docs/channels.md).
var strictAreaCodes = map[string]string{
	"239": "FL", "305": "FL", "321": "FL", "324": "FL", "352": "FL", "386": "FL", "407": "FL", "448": "FL",
	"561": "FL", "645": "FL", "656": "FL", "689": "FL", "727": "FL", "728": "FL", "754": "FL", "772": "FL",
	"786": "FL", "813": "FL", "850": "FL", "863": "FL", "904": "FL", "941": "FL", "954": "FL",
	"405": "OK", "539": "OK", "572": "OK", "580": "OK", "918": "OK",
	"227": "MD", "240": "MD", "301": "MD", "410": "MD", "443": "MD", "667": "MD",
	"206": "WA", "253": "WA", "360": "WA", "425": "WA", "509": "WA", "564": "WA",
	"203": "CT", "475": "CT", "860": "CT", "959": "CT",
	"210": "TX", "214": "TX", "254": "TX", "281": "TX", "325": "TX", "346": "TX", "361": "TX", "409": "TX",
	"430": "TX", "432": "TX", "469": "TX", "512": "TX", "682": "TX", "713": "TX", "726": "TX", "737": "TX",
	"806": "TX", "817": "TX", "830": "TX", "832": "TX", "903": "TX", "915": "TX", "936": "TX", "940": "TX",
	"945": "TX", "956": "TX", "972": "TX", "979": "TX",
}

// stateZones are the IANA zones of each US state, district and territory:
// every zone a part of it keeps (tz database zone1970.tab and its comments).
var stateZones = map[string][]string{
	"AL": {"America/Chicago"}, "AK": {"America/Anchorage", "America/Adak"}, "AZ": {"America/Phoenix", "America/Denver"},
	"AR": {"America/Chicago"}, "CA": {"America/Los_Angeles"}, "CO": {"America/Denver"}, "CT": {"America/New_York"},
	"DE": {"America/New_York"}, "DC": {"America/New_York"}, "FL": {"America/New_York", "America/Chicago"},
	"GA": {"America/New_York"}, "HI": {"Pacific/Honolulu"}, "ID": {"America/Boise", "America/Los_Angeles"},
	"IL": {"America/Chicago"}, "IN": {"America/Indiana/Indianapolis", "America/Chicago"}, "IA": {"America/Chicago"},
	"KS": {"America/Chicago", "America/Denver"}, "KY": {"America/New_York", "America/Chicago"}, "LA": {"America/Chicago"},
	"ME": {"America/New_York"}, "MD": {"America/New_York"}, "MA": {"America/New_York"}, "MI": {"America/Detroit", "America/Chicago"},
	"MN": {"America/Chicago"}, "MS": {"America/Chicago"}, "MO": {"America/Chicago"}, "MT": {"America/Denver"},
	"NE": {"America/Chicago", "America/Denver"}, "NV": {"America/Los_Angeles", "America/Denver"}, "NH": {"America/New_York"},
	"NJ": {"America/New_York"}, "NM": {"America/Denver"}, "NY": {"America/New_York"}, "NC": {"America/New_York"},
	"ND": {"America/Chicago", "America/Denver"}, "OH": {"America/New_York"}, "OK": {"America/Chicago"},
	"OR": {"America/Los_Angeles", "America/Boise"}, "PA": {"America/New_York"}, "RI": {"America/New_York"},
	"SC": {"America/New_York"}, "SD": {"America/Chicago", "America/Denver"}, "TN": {"America/Chicago", "America/New_York"},
	"TX": {"America/Chicago", "America/Denver"}, "UT": {"America/Denver"}, "VT": {"America/New_York"}, "VA": {"America/New_York"},
	"WA": {"America/Los_Angeles"}, "WV": {"America/New_York"}, "WI": {"America/Chicago"}, "WY": {"America/Denver"},
	"PR": {"America/Puerto_Rico"}, "VI": {"America/St_Thomas"}, "GU": {"Pacific/Guam"}, "AS": {"Pacific/Pago_Pago"},
	"MP": {"Pacific/Saipan"},
}
