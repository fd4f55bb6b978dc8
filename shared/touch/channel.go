package touch

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/loupe"
)

// SkipNoSender: the entry's channel has no sender in this deployment any
// more (a channel taken out of the configuration after the claim).
const SkipNoSender = "no_sender"

// SkipNumberOptedOut: the client's number said no to texts (a STOP texted
// from it, or AWS answering opted out or blocked), recorded by number
// (Planner.Numbers).
const SkipNumberOptedOut = "number_opted_out"

// Channel sends touchpoints on one channel other than email: text messages
// (contact.SMS), direct mail pieces (contact.Mail) or Today tasks
// (contact.Personal). The planner decides whether and when (consent, quiet
// hours, the cap, once per touchpoint); a Channel only delivers.
type Channel interface {
	// Send delivers t and returns the provider's id of it. It is called at
	// most once per touchpoint at a time (the send lease), but again after a
	// crash: it must not deliver t.Key twice when it can tell (an
	// idempotency key or a file named by the key). An error wrapping
	// mail.ErrRejected refuses t for good (recorded skipped, rejected); any
	// other error leaves it claimed for a retry.
	Send(ctx context.Context, t Touch) (string, error)
}

// Touch is one touchpoint to deliver on a Channel, with what rendering needs.
type Touch struct {
	Entry
	Customer loupe.Customer
	Store    loupe.Store
	// Date is the occasion's date (the birthday this year, the holiday, the
	// event).
	Date Day
	// Associate is the client's associate (nil: none active; signed by the
	// store).
	Associate *loupe.Associate
	// Campaign is the event's campaign (nil for other occasions).
	Campaign *Campaign
	// Until, for a text or a call, is when the recipient's allowed hours
	// end (contact.QuietEnd); zero for the other channels. A sender that
	// cannot deliver before it returns an error wrapping ErrNotNow, and the
	// touchpoint waits for the next allowed hours.
	Until time.Time
}

// ErrNotNow is wrapped by a Channel's error when the allowed hours of the
// recipient (Touch.Until) end before it could deliver: nothing was sent,
// and the planner holds the touchpoint until the hours come again.
var ErrNotNow = errors.New("the recipient's allowed hours end before it could go")

// ErrMaybeSent is wrapped by a Channel's error when the provider may have
// taken the message although the call failed (a server fault, no answer:
// a text API without an idempotency token).
// Deliver marks the touchpoint sent without a provider id (Unconfirmed)
// rather than send it again: never the same touchpoint twice, at the risk
// of one lost when the provider had in fact refused it.
var ErrMaybeSent = errors.New("the provider may have sent it")

// client returns what the contact policy needs of c, a client of store.
func (p *Planner) client(store loupe.Store, c loupe.Customer) contact.Client {
	return contact.Client{Customer: c, Country: store.Country, EmailRule: p.consent(store.Country)}
}

// open reports whether this deployment can send on channel: email always
// (the mail.Sender given to Deliver), another channel when Channels has a
// sender for it.
func (p *Planner) open(channel string) bool {
	return channel == contact.Email || p.Channels[channel] != nil
}

// Open reports whether this deployment can send on channel (POST /campaigns
// refuses a list with none).
func (p *Planner) Open(channel string) bool { return p.open(channel) }

// choose returns the channel the touchpoint of window w goes on for c, or
// "" and the reason it cannot go (contact.Lists.Choose). A store without a
// postal address sends no marketing message (CONTRACT section 4). The
// personal channel (a Today task) is passed over for a client without an
// active associate (dp.active): nobody's list to put it on, so the next
// channel of the list is used.
func (p *Planner) choose(dp *dayPlan, store loupe.Store, c loupe.Customer, w Window) (string, string) {
	if strings.TrimSpace(store.PostalAddress) == "" {
		return "", contact.ReasonStoreNoAddress
	}
	open := p.open
	if dp.active != nil {
		open = func(ch string) bool {
			if ch == contact.Personal {
				return dp.active[c.AssociateID]
			}
			return p.open(ch)
		}
	}
	return p.Lists.Choose(p.client(store, c), w.Occasion, w.Channels, open)
}

// entryChannel is the Entry.Channel of channel: "" for email (as entries
// written before channels, so an older binary still reads them).
func entryChannel(channel string) string {
	if channel == contact.Email {
		return ""
	}
	return channel
}

// Places says where a phone number or postal address is, for quiet hours.
// phone.Places is the implementation (libphonenumber).
type Places interface {
	// PhoneZones returns the IANA zones of an E.164 number (nil: none known).
	PhoneZones(e164 string) []string
	// PhoneRegion returns the number's country and, where it changes the
	// hours, its state ("FL").
	PhoneRegion(e164 string) (country, region string)
	// AddressZones returns the IANA zones of a postal address's country
	// and region (nil: none known).
	AddressZones(country, region string) []string
}

// hoursOf returns the hours a text or call to c of store may go in, and
// the zones they are kept in (contact.NextQuiet, contact.QuietEnd). The
// hours are the strictest of the store's country and phone's state, the
// client's postal address and the client's phone (contact.HoursFor); the
// time must be inside them in every zone of the store, the phone and the
// postal address (Places; without Places, the store's zone only).
func (p *Planner) hoursOf(store loupe.Store, c loupe.Customer) (contact.Hours, []*time.Location) {
	h := contact.HoursFor(store.Country, "")
	stricter := func(country, region string) {
		if country != "" {
			o := contact.HoursFor(country, region)
			h = contact.Hours{From: max(h.From, o.From), To: min(h.To, o.To)}
		}
	}
	var zones []*time.Location
	if loc, err := store.Location(); err == nil {
		zones = append(zones, loc)
	}
	add := func(names []string) {
		for _, name := range names {
			if loc, err := time.LoadLocation(name); err == nil {
				zones = append(zones, loc)
			}
		}
	}
	a := c.PostalAddress
	stricter(a.Country, a.Region)
	if p.Places != nil {
		if store.Phone != "" {
			stricter(p.Places.PhoneRegion(store.Phone))
		}
		if c.Phone != "" {
			stricter(p.Places.PhoneRegion(c.Phone))
			add(p.Places.PhoneZones(c.Phone))
		}
		if a.Country != "" {
			add(p.Places.AddressZones(a.Country, a.Region))
		}
	}
	return h, zones
}
