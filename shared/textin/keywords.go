package textin

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Intents of an inbound text (Classify).
const (
	IntentNone  = ""      // any other text: recorded by id, nothing changes
	IntentStop  = "stop"  // an opt-out word: sms denied for the number
	IntentHelp  = "help"  // HELP or INFO: the help reply
	IntentStart = "start" // START or UNSTOP: texts again after a STOP
)

// The keywords (CONTRACT section 4, "Inbound texts"), each matched at the
// start of a text in any case, followed by its end or a character that is
// not a letter. Longer words come first, so STOPALL is not read as STOP
// followed by a letter.
var keywords = []struct{ word, intent string }{
	{"UNSUBSCRIBE", IntentStop},
	{"STOPALL", IntentStop},
	{"OPT-OUT", IntentStop},
	{"OPT OUT", IntentStop},
	{"OPTOUT", IntentStop},
	{"CANCEL", IntentStop},
	{"REVOKE", IntentStop},
	{"QUIT", IntentStop},
	{"STOP", IntentStop},
	{"END", IntentStop},
	{"UNSTOP", IntentStart},
	{"START", IntentStart},
	{"HELP", IntentHelp},
	{"INFO", IntentHelp},
}

// Classify returns the intent of an inbound text and the keyword it begins
// with (upper case, as listed: "OPT OUT"), or IntentNone and "". Leading
// white space is passed over; "stop please" and "Stop." are a STOP,
// "STOPPING" and "Endless" are not. Between OPT and OUT any run of white
// space counts as the space.
func Classify(body string) (intent, keyword string) {
	text := strings.ToUpper(strings.TrimLeftFunc(body, unicode.IsSpace))
	if rest, ok := strings.CutPrefix(text, "OPT"); ok {
		if trimmed := strings.TrimLeftFunc(rest, unicode.IsSpace); len(trimmed) < len(rest) {
			text = "OPT " + trimmed
		}
	}
	for _, k := range keywords {
		rest, ok := strings.CutPrefix(text, k.word)
		if !ok {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(rest); rest == "" || !unicode.IsLetter(r) {
			return k.intent, k.word
		}
	}
	return IntentNone, ""
}
