// Package contact is the one contact policy every channel shares (issue 15,
// CONTRACT section 4 "Rules a client can count on"): whether a client may be
// reached on a channel for a purpose (consent by channel and country), when a
// text or call may go (quiet hours), and the fatigue cap across channels. The
// touchpoint planner decides email through it today; the text, direct mail and
// Today list issues use the same functions. The rules and their sources are
// in docs/channels.md. It is a domain package: no I/O, every input passed in.
package contact

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// Channels.
const (
	Email    = "email"
	SMS      = "sms"
	Voice    = "voice"
	Mail     = "mail"
	Ads      = "ads"
	Personal = "personal" // the associate's own call or visit: a Today task
)

// Purpose is why a message goes: marketing (occasions, holidays, events,
// follow-ups) or service (repair ready, repair reminder).
type Purpose string

// Purposes.
const (
	Marketing Purpose = "marketing"
	Service   Purpose = "service"
)

// Reasons a client may not be reached on a channel.
const (
	ReasonNoAddress    = "no_email"           // no email address (the planner's no_email)
	ReasonUnsubscribed = "unsubscribed"       // email unsubscribe
	ReasonBounced      = "bounced"            // email hard bounce
	ReasonComplained   = "complained"         // spam complaint
	ReasonOptedOut     = "opted_out"          // the POS's email_opt_out
	ReasonNoConsent    = "no_consent"         // the channel's consent is missing or denied
	ReasonNoPhone      = "no_phone"           // no E.164 phone
	ReasonNoPostal     = "no_mailing_address" // the client has no postal address for direct mail
	// ReasonStoreNoAddress: the store has no postal address, which every
	// marketing message must carry (CONTRACT section 4, CAN-SPAM).
	ReasonStoreNoAddress = "no_postal_address"
	// ReasonNoHours: the zones of the recipient share no allowed hour (a
	// toll-free number spanning every US zone, texted from London).
	ReasonNoHours     = "no_allowed_hours"
	ReasonNoMarketing = "no_marketing_call" // Loupe never places a marketing call
	// ReasonDoNotContact: an associate logged do_not_contact for the
	// client; no personal outreach since (CONTRACT section 3).
	ReasonDoNotContact   = "do_not_contact"
	ReasonUnknownChannel = "unknown_channel"
)

// Client is what the policy needs to know of a client beyond the profile.
type Client struct {
	loupe.Customer
	// Country is the ISO 3166 alpha-2 country whose rules apply: the home
	// store's.
	Country string
	// EmailRule is the country's email consent rule for an address captured
	// at a repair counter (compliance.ConsentOptOut or ConsentOptIn).
	EmailRule string
	// Bought: the client has bought from the chain (the EU/UK soft opt-in for
	// email and texts rests on an earlier sale).
	Bought bool
	// RepairPhone is the phone given for the repair a service message is
	// about, in E.164 ("" for other messages).
	RepairPhone string
}

// bought reports whether the client has bought from the chain: Bought, or
// a purchase counted on the profile.
func (c Client) bought() bool { return c.Bought || c.Purchases > 0 }

// optOut is compliance.ConsentOptOut, repeated to keep this package free of
// compliance (a domain package of its own).
const optOut = "opt_out"

// softOptIn are the countries where a client who bought may get marketing
// email and texts about similar goods until they object (UK PECR reg. 22(3),
// the EU ePrivacy Directive art. 13(2) as each member state applies it).
var softOptIn = map[string]bool{
	"GB": true, "IE": true, "FR": true, "DE": true, "ES": true, "IT": true, "NL": true, "BE": true, "AT": true,
	"PT": true, "SE": true, "DK": true, "FI": true, "PL": true, "CZ": true, "GR": true, "LU": true,
}

// Reach returns "" when c may get a message on channel for purpose, or the
// reason it may not. The rules (docs/channels.md):
//
//   - email: an address; no unsubscribe, bounce or complaint; no POS opt-out;
//     email consent not denied; an address captured at a repair counter needs
//     a granted consent where the country is opt-in, unless the soft opt-in
//     applies (the client bought). Service mail needs only the address and no
//     bounce or complaint.
//   - sms: a phone, and consent not denied. Marketing needs consent granted
//     (US TCPA prior express written consent, with evidence), or in a soft
//     opt-in country a client who bought and never said no. Service texts
//     need only the phone given for that repair.
//   - voice: service calls only, to the phone given for that repair and not
//     denied; never marketing.
//   - mail: a postal address and mail consent not denied.
//   - ads: consent granted.
//   - personal: the associate's own call, allowed unless the client denied
//     voice (calls) or an associate logged do_not_contact. A person dialling
//     by hand is not an autodialer (TCPA), but a client who said "do not
//     call" is not called.
//
// A phone an associate logged wrong_number for counts as no phone
// (Customer.UsablePhone) until the POS sends another.
func Reach(c Client, channel string, purpose Purpose) string {
	consent := c.ConsentOf(channel)
	c.Phone = c.UsablePhone() // a number logged wrong is no phone
	switch channel {
	case Email:
		return emailReason(c, purpose)
	case SMS:
		if c.Phone == "" {
			return ReasonNoPhone
		}
		if consent.Status == loupe.ConsentDenied {
			return ReasonNoConsent
		}
		if purpose == Service {
			if c.RepairPhone == "" || c.RepairPhone != c.Phone && consent.Status != loupe.ConsentGranted {
				return ReasonNoConsent
			}
			return ""
		}
		if consent.Status == loupe.ConsentGranted || softOptIn[upper(c.Country)] && c.bought() {
			return ""
		}
		return ReasonNoConsent
	case Voice:
		if purpose != Service {
			return ReasonNoMarketing
		}
		if c.Phone == "" {
			return ReasonNoPhone
		}
		if consent.Status == loupe.ConsentDenied || c.RepairPhone == "" {
			return ReasonNoConsent
		}
		return ""
	case Mail:
		if c.PostalAddress.Line1 == "" {
			return ReasonNoPostal
		}
		if consent.Status == loupe.ConsentDenied {
			return ReasonNoConsent
		}
		return ""
	case Ads:
		if consent.Status != loupe.ConsentGranted {
			return ReasonNoConsent
		}
		return ""
	case Personal:
		if !c.DoNotContactAt.IsZero() {
			return ReasonDoNotContact
		}
		if c.ConsentOf(Voice).Status == loupe.ConsentDenied {
			return ReasonNoConsent
		}
		return ""
	}
	return ReasonUnknownChannel
}

// emailReason is Reach for email. An unsubscribe, bounce or complaint is
// lifted by an email consent granted after it (the client asked again, with
// evidence); a bounce or complaint also put the address on the suppression
// list, which senders still check.
func emailReason(c Client, purpose Purpose) string {
	if k := c.ConsentOf(Email); k.Status == loupe.ConsentGranted && c.EmailStatus != loupe.EmailOK && c.EmailStatus != "" &&
		!c.EmailStatusAt.IsZero() && k.At.After(c.EmailStatusAt) {
		c.EmailStatus = loupe.EmailOK
	}
	switch {
	case c.Email == "":
		return ReasonNoAddress
	case c.EmailStatus == loupe.EmailBounced:
		return ReasonBounced
	case c.EmailStatus == loupe.EmailComplained:
		return ReasonComplained
	case purpose == Service:
		return ""
	case c.EmailStatus == loupe.EmailUnsubscribed:
		return ReasonUnsubscribed
	case c.EmailStatus != loupe.EmailOK && c.EmailStatus != "":
		return ReasonUnsubscribed // an unknown status: the safe side
	case c.EmailOptOut:
		return ReasonOptedOut
	case c.ConsentOf(Email).Status == loupe.ConsentDenied:
		return ReasonNoConsent
	case c.EmailSource == loupe.EmailSourceRepair && c.EmailRule != optOut &&
		c.ConsentOf(Email).Status != loupe.ConsentGranted && !(softOptIn[upper(c.Country)] && c.bought()):
		return ReasonNoConsent
	}
	return ""
}

func upper(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// Hours are the local hours texts and calls may go in: [From, To).
type Hours struct{ From, To int }

// DefaultHours is 08:00 to 21:00 (TCPA's calling hours).
var DefaultHours = Hours{8, 21}

// strictRegions have shorter hours than DefaultHours (docs/channels.md,
// "Quiet hours by state", with sources): Florida (Fla. Stat. 501.059(8)),
// Oklahoma (15 O.S. 775C.4), Maryland (Stop the Spam Calls Act of 2023)
// and Washington (RCW 80.36.390) 08:00 to 20:00; Connecticut (Conn. Gen.
// Stat. 42-288a) 09:00 to 20:00; Texas (Tex. Bus. & Com. Code 301.051)
// 09:00 to 21:00. Florida, Oklahoma and Maryland also allow at most 3
// solicitations in 24 hours, which the fatigue cap (at least a day) keeps.
var strictRegions = map[string]Hours{
	"US-FL": {8, 20}, "US-OK": {8, 20}, "US-MD": {8, 20}, "US-WA": {8, 20},
	"US-CT": {9, 20}, "US-TX": {9, 21},
}

// HoursFor returns the hours of a recipient in country and region (the
// postal address's, ISO 3166-2 subdivision code without the country, "FL").
func HoursFor(country, region string) Hours {
	if h, ok := strictRegions[upper(country)+"-"+upper(region)]; ok {
		return h
	}
	return DefaultHours
}

// NextQuiet returns the earliest time at or after at when a text or call may
// go: inside h in every one of zones (the strictest of the phone number's
// zones, the postal address's and the store's). With no zone it is UTC. A
// time already inside the hours is returned as it is. ok is false when the
// zones share no allowed quarter hour in the next three days: the message
// can never go at a lawful hour (ReasonNoHours).
func NextQuiet(at time.Time, h Hours, zones ...*time.Location) (next time.Time, ok bool) {
	if len(zones) == 0 {
		zones = []*time.Location{time.UTC}
	}
	t := at
	for range 4 * 24 * 3 { // at most three days, in quarter hours
		ok := true
		for _, z := range zones {
			if hr := t.In(z).Hour(); hr < h.From || hr >= h.To {
				ok = false
				break
			}
		}
		if ok {
			return t, true
		}
		t = t.Add(15 * time.Minute).Truncate(15 * time.Minute)
	}
	return time.Time{}, false
}

// QuietEnd returns when the allowed hours h that at is inside end: the
// first instant after at at which the local time in one of zones reaches
// h.To (with no zone, in UTC). A text sent at at must reach the phone
// before it.
func QuietEnd(at time.Time, h Hours, zones ...*time.Location) time.Time {
	if len(zones) == 0 {
		zones = []*time.Location{time.UTC}
	}
	var end time.Time
	for _, z := range zones {
		l := at.In(z)
		e := time.Date(l.Year(), l.Month(), l.Day(), h.To, 0, 0, 0, z)
		if !e.After(at) {
			e = time.Date(l.Year(), l.Month(), l.Day()+1, h.To, 0, 0, 0, z)
		}
		if end.IsZero() || e.Before(end) {
			end = e
		}
	}
	return end
}

// DefaultCapDays is the fatigue cap: one marketing contact in any 7 days,
// across every channel, personal contacts included.
const DefaultCapDays = 7

// CapOpen returns when the next marketing contact may go after the last one
// (any channel, personal included; zero: none): last plus capDays. Service
// messages do not count and are not held (callers do not ask).
func CapOpen(last time.Time, capDays int) time.Time {
	if last.IsZero() {
		return time.Time{}
	}
	if capDays <= 0 {
		capDays = DefaultCapDays
	}
	return last.AddDate(0, 0, capDays)
}

// ReasonNoChannel: no channel of the touchpoint's list can be used in this
// deployment (none of its senders is configured).
const ReasonNoChannel = "no_channel"

// Marketing channel lists (Lists): the channels a touchpoint may go on.
var listChannels = map[string]bool{Email: true, SMS: true, Mail: true, Personal: true}

// Occasions a channel list is set for besides each occasion's own name.
const (
	// AnyHoliday is the list of every holiday without one of its own.
	AnyHoliday = "holiday"
	// christmas is touch.Christmas, repeated to keep this package free of
	// touch: the occasion whose mail entry has the purchase threshold.
	christmas = "christmas"
)

// DefaultMailOverCents is the default Christmas direct-mail threshold: the
// card goes on paper to clients whose lifetime purchases exceed 1,000.00 in
// the chain's currency.
const DefaultMailOverCents = 100_000

// Lists is the per-chain channel choice (LOUPE_CHANNELS, docs/channels.md):
// an ordered channel list per occasion. A touchpoint goes out once, on the
// first channel of its list the client can be reached on. The zero value is
// the defaults: birthday and anniversary email then sms; every holiday
// email; Christmas mail for clients whose lifetime purchases exceed
// MailOverCents, else email. A campaign carries its own list.
type Lists struct {
	// By maps an occasion (birthday, anniversary, valentines, mothers_day,
	// christmas) or AnyHoliday to its list; an occasion missing here takes
	// its default.
	By map[string][]string
	// MailOverCents: the christmas list's "mail" entry applies only to
	// clients whose lifetime purchases exceed it (0: DefaultMailOverCents).
	MailOverCents int64
}

var defaultLists = map[string][]string{
	"birthday":    {Email, SMS},
	"anniversary": {Email, SMS},
	christmas:     {Mail, Email},
	AnyHoliday:    {Email},
}

// listOccasions are the occasions LOUPE_CHANNELS may set (touch's occasion
// names, repeated to keep this package free of touch) and AnyHoliday;
// holidays are the ones AnyHoliday covers.
var (
	listOccasions = map[string]bool{"birthday": true, "anniversary": true, "valentines": true, "mothers_day": true,
		christmas: true, AnyHoliday: true}
	holidays = map[string]bool{"valentines": true, "mothers_day": true, christmas: true}
)

// For returns the list of occasion: its own, else for a holiday the
// AnyHoliday list when one is set, else the default; any other occasion
// (a follow-up, an event without a list) is email only.
func (l Lists) For(occasion string) []string {
	if list, ok := l.By[occasion]; ok {
		return list
	}
	if list, ok := l.By[AnyHoliday]; ok && holidays[occasion] && occasion != christmas {
		return list
	}
	if list, ok := defaultLists[occasion]; ok {
		return list
	}
	return defaultLists[AnyHoliday]
}

func (l Lists) mailOver() int64 {
	if l.MailOverCents > 0 {
		return l.MailOverCents
	}
	return DefaultMailOverCents
}

// Choose returns the channel a marketing touchpoint of occasion goes on for
// c: the first channel of list (nil: l.For(occasion)) that open allows (a
// channel this deployment can send on) and c can be reached on (Reach).
// Christmas "mail" is passed over for clients whose lifetime purchases do
// not exceed MailOverCents. When there is none it returns "" and the reason
// the first open channel gave (ReasonNoChannel when no channel is open), the
// reason the touchpoint is skipped with.
func (l Lists) Choose(c Client, occasion string, list []string, open func(string) bool) (channel, reason string) {
	if list == nil {
		list = l.For(occasion)
	}
	for _, ch := range list {
		if !open(ch) || ch == Mail && occasion == christmas && c.PurchaseCents <= l.mailOver() {
			continue
		}
		r := Reach(c, ch, Marketing)
		if r == "" {
			return ch, ""
		}
		if reason == "" {
			reason = r
		}
	}
	if reason == "" {
		reason = ReasonNoChannel
	}
	return "", reason
}

// ParseLists reads LOUPE_CHANNELS: "occasion=channel,channel;..." (for
// example "birthday=email,sms;christmas=mail,email;holiday=email"). Blank is
// the defaults. Returns an error naming the occasion or channel that is
// wrong: an empty list, a channel other than email, sms, mail and personal
// (Loupe never places a marketing call; an ad audience is not a contact), a
// channel twice, or an occasion given twice.
func ParseLists(s string) (map[string][]string, error) {
	out := map[string][]string{}
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		occ, chans, ok := strings.Cut(part, "=")
		occ = strings.ToLower(strings.TrimSpace(occ))
		if !ok || occ == "" {
			return nil, fmt.Errorf("%q: want occasion=channel,channel", part)
		}
		if !listOccasions[occ] {
			return nil, fmt.Errorf("occasion %q is not one of birthday, anniversary, valentines, mothers_day, christmas, holiday", occ)
		}
		if _, dup := out[occ]; dup {
			return nil, fmt.Errorf("occasion %s is given twice", occ)
		}
		var list []string
		for ch := range strings.SplitSeq(chans, ",") {
			ch = strings.ToLower(strings.TrimSpace(ch))
			if !listChannels[ch] {
				return nil, fmt.Errorf("occasion %s: channel %q is not one of email, sms, mail, personal", occ, ch)
			}
			if slices.Contains(list, ch) {
				return nil, fmt.Errorf("occasion %s: channel %s is listed twice", occ, ch)
			}
			list = append(list, ch)
		}
		out[occ] = list
	}
	return out, nil
}

// CheckList returns an error naming the first channel of a campaign's list
// that a marketing touchpoint may not go on (as ParseLists).
func CheckList(list []string) error {
	for i, ch := range list {
		if !listChannels[ch] {
			return fmt.Errorf("channel %q is not one of email, sms, mail, personal", ch)
		}
		if slices.Contains(list[:i], ch) {
			return fmt.Errorf("channel %s is listed twice", ch)
		}
	}
	return nil
}

// Timed reports whether channel has quiet hours (texts and calls).
func Timed(channel string) bool { return channel == SMS || channel == Voice }
