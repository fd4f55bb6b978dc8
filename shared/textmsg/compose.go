package textmsg

import (
	"fmt"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/touch"
)

// MaxSegments is the most parts a Loupe text may take.
const MaxSegments = 2

// OptOutLine ends every promotional text to a client whose language has no
// line of its own in optOutLines (CONTRACT section 4's English line).
const OptOutLine = "Reply STOP to opt out"

// optOutLines are the opt-out lines in the languages of CONTRACT section 4's
// locales (the rest of the text is English until issue 24). Each keeps the
// keyword STOP, which the inbound keywords read in every language.
var optOutLines = map[string]string{
	"en": OptOutLine,
	"fr": "Répondez STOP pour vous désabonner",
	"de": "Antworten Sie STOP zum Abbestellen",
	"es": "Responde STOP para darte de baja",
	"it": "Rispondi STOP per annullare l'iscrizione",
}

// OptOutLineFor returns the opt-out line in the language of locale (a BCP
// 47 tag such as "fr-FR"; the language part counts), else OptOutLine.
func OptOutLineFor(locale string) string {
	lang, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(locale)), "-")
	lang, _, _ = strings.Cut(lang, "_")
	if line, ok := optOutLines[lang]; ok {
		return line
	}
	return OptOutLine
}

// Touchpoints of the service messages: texts about a client's repair, sent
// as TRANSACTIONAL and without the opt-out line.
const (
	RepairReady    = "repair_ready"
	RepairReminder = "repair_reminder"
)

// Message is the text of one touchpoint.
type Message struct {
	Body string
	// Template is the touchpoint's template: "birthday", ..., "event",
	// "repair_ready", "repair_reminder".
	Template string
	// Promotional: a marketing text (PROMOTIONAL, ends with OptOutLine);
	// false for a service text (TRANSACTIONAL).
	Promotional bool
	Count       Count
}

// Template returns the template name of a ledger occasion: "event" for
// "event:<campaign_id>", the touchpoint of "<touchpoint>:<id>" (a repair's
// or purchase's key), else the occasion itself.
func Template(occasion string) string {
	if strings.HasPrefix(occasion, touch.EventPrefix) {
		return "event"
	}
	name, _, _ := strings.Cut(occasion, ":")
	return name
}

// Promotional reports whether a text for the ledger occasion is marketing:
// every touchpoint but repair_ready and repair_reminder.
func Promotional(occasion string) bool {
	switch Template(occasion) {
	case RepairReady, RepairReminder:
		return false
	}
	return true
}

// wording is each template's text after "<store>: ". %[1]s is the greeting
// name (", Ana" or ""), %[2]s the occasion's date, %[3]s the campaign's
// name.
var wording = map[string]string{
	touch.Birthday:    "Happy birthday%[1]s! Wishing you a wonderful year. Come and celebrate with us.",
	touch.Anniversary: "Happy anniversary%[1]s! Wishing you both many happy returns.",
	touch.Valentines:  "Valentine's Day is %[2]s. Come and find something for someone you love.",
	touch.MothersDay:  "Mother's Day is %[2]s. Come and find something for her.",
	touch.Christmas:   "Season's greetings%[1]s, and thank you for a wonderful year.",
	"event":           "You're invited%[1]s: %[3]s, %[2]s.",
	RepairReady:       "Your repair is ready to collect%[1]s.",
	RepairReminder:    "A reminder%[1]s: your repair is ready and waiting for you.",
}

// Compose returns the text of t: the store's name first, the occasion's
// short wording, the client's first name where the body still fits without
// it, and for a promotional text the opt-out line in the client's language
// (the client's locale, else the store's: OptOutLineFor) on the last line.
//
// Returns an EINVALID *loupe.Error naming "occasion" for a touchpoint with no
// text template, "campaign" for an event without its campaign, "store.name"
// for a store without a name, and "template" (the message naming the
// template) when the body needs more than MaxSegments segments even without
// the client's name.
func Compose(t touch.Touch) (Message, error) {
	tmpl := Template(t.Occasion)
	f, ok := wording[tmpl]
	if !ok {
		return Message{}, loupe.Invalidf("occasion", "no text template for touchpoint %q", t.Occasion)
	}
	store := strings.TrimSpace(t.Store.Name)
	if store == "" {
		return Message{}, loupe.Invalidf("store.name", "store %s has no name to open its texts with", t.Store.StoreID)
	}
	campaign := ""
	if tmpl == "event" {
		if t.Campaign == nil || t.Campaign.Occasion() != t.Occasion {
			return Message{}, loupe.Invalidf("campaign", "touchpoint %s needs its campaign", t.Occasion)
		}
		campaign = strings.TrimSpace(t.Campaign.Name)
	}
	m := Message{Template: tmpl, Promotional: Promotional(t.Occasion)}
	date := t.Date.Time(time.UTC).Format("Monday, January 2")
	locale := t.Customer.Locale
	if strings.TrimSpace(locale) == "" {
		locale = t.Store.Locale
	}
	optOut := OptOutLineFor(locale)
	var count Count
	for _, name := range greetings(t.Customer.FirstName) {
		body := store + ": " + fmt.Sprintf(f, name, date, campaign)
		if m.Promotional {
			body += "\n" + optOut
		}
		m.Body, count = body, Measure(body)
		if count.Segments <= MaxSegments {
			m.Count = count
			return m, nil
		}
	}
	return Message{}, loupe.Invalidf("template", "text template %s for store %s needs %d %s segments (%d units), at most %d",
		tmpl, t.Store.StoreID, count.Segments, count.Encoding, count.Units, MaxSegments)
}

// greetings returns the name parts to try, in order: ", <first name>" when
// there is one, then none.
func greetings(first string) []string {
	if first = strings.TrimSpace(first); first != "" {
		return []string{", " + first, ""}
	}
	return []string{""}
}
