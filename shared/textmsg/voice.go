package textmsg

import (
	"bytes"
	"encoding/xml"
	"strings"
	"unicode/utf8"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/touch"
)

// MaxSSML is the most characters SendVoiceMessage takes in an SSML body
// (tags included).
const MaxSSML = 6000

// Voice is the spoken message of one touchpoint: a service call about a
// client's repair.
type Voice struct {
	// SSML is the message as Amazon Polly reads it: one <speak> element,
	// every text XML-escaped.
	SSML string
	// Template is RepairReady or RepairReminder.
	Template string
}

// spoken is each service template's sentence after the store's name.
var spoken = map[string]string{
	RepairReady:    "Your repair is ready to collect.",
	RepairReminder: "A reminder: your repair is ready and waiting for you.",
}

// Service reports whether a message for the ledger occasion is a service
// message (repair_ready or repair_reminder): the only touchpoints Loupe
// may call about.
func Service(occasion string) bool { return !Promotional(occasion) }

// ComposeVoice returns the spoken message of t, a service touchpoint: the
// store's name first, the repair's short wording, then the store's phone
// number read digit by digit in groups (twice), so the client can call
// back. The client's name is not spoken: a call may be answered by someone
// else, or land on a shared voicemail. English until issue 24 brings
// locales.
//
// Returns an EINVALID *loupe.Error naming "occasion" for a touchpoint that is
// not a service message (Loupe never places a marketing call), "store.name"
// for a store without a name and "store.phone" for a store without an E.164
// phone number to close with, and "template" when the SSML would exceed
// MaxSSML characters.
func ComposeVoice(t touch.Touch) (Voice, error) {
	tmpl := Template(t.Occasion)
	sentence, ok := spoken[tmpl]
	if !ok {
		return Voice{}, loupe.Invalidf("occasion", "no spoken message for touchpoint %q: Loupe calls only about repairs", t.Occasion)
	}
	if t.Customer.PreferredChannel != "voice" {
		// CONTRACT section 4: calls only for clients who chose them.
		return Voice{}, loupe.Invalidf("preferred_channel", "customer %s did not choose calls (preferred_channel voice)", t.Customer.CustomerID)
	}
	store := strings.TrimSpace(t.Store.Name)
	if store == "" {
		return Voice{}, loupe.Invalidf("store.name", "store %s has no name to open its calls with", t.Store.StoreID)
	}
	groups, ok := phoneGroups(t.Store.Phone)
	if !ok {
		return Voice{}, loupe.Invalidf("store.phone", "store %s has no E.164 phone number to close its calls with", t.Store.StoreID)
	}
	var b bytes.Buffer
	b.WriteString("<speak><p><s>")
	escape(&b, strings.TrimRight(store, ".")+".")
	b.WriteString("</s><s>")
	escape(&b, sentence)
	b.WriteString(`</s></p><break time="500ms"/><p><s>To reach us, call `)
	writeNumber(&b, groups)
	b.WriteString(`.</s><break time="700ms"/><s>Again, that number is `)
	writeNumber(&b, groups)
	b.WriteString(".</s><s>Thank you.</s></p></speak>")
	if n := utf8.RuneCount(b.Bytes()); n > MaxSSML {
		return Voice{}, loupe.Invalidf("template", "spoken message %s for store %s takes %d characters, at most %d", tmpl, t.Store.StoreID, n, MaxSSML)
	}
	return Voice{SSML: b.String(), Template: tmpl}, nil
}

// writeNumber writes the groups of a phone number, each read as separate
// digits, with a short pause between groups.
func writeNumber(b *bytes.Buffer, groups []string) {
	for i, g := range groups {
		if g == plus {
			b.WriteString(plus + " ")
			continue
		}
		if i > 0 && groups[i-1] != plus {
			b.WriteString(`<break time="300ms"/>`)
		}
		b.WriteString(`<say-as interpret-as="digits">`)
		escape(b, g)
		b.WriteString("</say-as>")
	}
}

// phoneGroups splits an E.164 number into the digit groups it is read in:
// a North American number (+1 and 10 digits) as the national 3-3-4; any
// other as "plus", then the digits after "+" in threes, the last group
// taking 4 rather than leaving a lone digit. ok is false when phone is not
// E.164.
func phoneGroups(phone string) (groups []string, ok bool) {
	phone = strings.TrimSpace(phone)
	digits, found := strings.CutPrefix(phone, "+")
	if !found || len(digits) < 2 || len(digits) > 15 || digits[0] == '0' {
		return nil, false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return nil, false
		}
	}
	if len(digits) == 11 && digits[0] == '1' {
		return []string{digits[1:4], digits[4:7], digits[7:]}, true
	}
	groups = []string{plus}
	for len(digits) > 0 {
		n := 3
		if len(digits) <= 4 {
			n = len(digits)
		}
		groups = append(groups, digits[:n])
		digits = digits[n:]
	}
	return groups, true
}

// plus is spoken before an international number's digits.
const plus = "plus"

// escape writes s XML-escaped.
func escape(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s)) // a bytes.Buffer does not fail
}
