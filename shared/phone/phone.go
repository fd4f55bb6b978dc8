// Package phone reads phone numbers into E.164 with libphonenumber's
// metadata (github.com/nyaruka/phonenumbers). It is an adapter the POS
// service is handed (pos.Service.Phones) by the processes that apply POS
// events (pos-webhook and loupe), so the other functions do not
// link its metadata (about 5 MB and 7 MB of memory; docs/benchmarks.md).
package phone

import (
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/loupehq/loupe/shared/loupe"
)

// Normalize returns raw as an E.164 number ("+12125550123"): a number
// written with its country code ("+1 212-555-0123", "00 33 4 78 00 00 00"
// is not: write "+33") is read as it is, a national one as a number of
// country (ISO 3166 alpha-2). country "" reads only numbers with a country
// code. Returns an EINVALID *Error naming field when raw is not a valid
// phone number (of country, for a national one), or when it is national
// and country is "". The message never repeats the number.
func Normalize(field, raw, country string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	region := strings.ToUpper(country)
	if strings.HasPrefix(raw, "+") {
		region = ""
	} else if region == "" {
		// A national number without a country cannot be read.
		return "", loupe.Invalidf(field, "%s needs its country code (E.164, such as +12125550123)", field)
	}
	n, err := phonenumbers.Parse(raw, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		if region != "" {
			return "", loupe.Invalidf(field, "%s is not a valid phone number of %s (or give it in E.164, such as +12125550123)", field, region)
		}
		return "", loupe.Invalidf(field, "%s is not a valid phone number (E.164, such as +12125550123)", field)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// Zones returns the IANA time zones libphonenumber gives an E.164 number (a
// country's or an area code's), nil when it knows none: quiet hours are
// taken in every one of them (touch.Planner.PhoneZones).
func Zones(e164 string) []string {
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return nil
	}
	zones, err := phonenumbers.GetTimezonesForNumber(n)
	if err != nil {
		return nil
	}
	return known(zones)
}
