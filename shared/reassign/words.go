package reassign

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/loupehq/loupe/shared/match"
)

// The words staff read instead of the engine's codes: on the printable page,
// in the review mail and as reason_texts in GET /reassignments/{id}.

// categoryWords are the usual categories (CONTRACT section 1) in words.
var categoryWords = map[string]string{
	"bridal":            "bridal",
	"diamonds":          "diamonds",
	"watches":           "watches",
	"colored_gemstones": "colored gemstones",
	"pearls":            "pearls",
	"gold":              "gold",
	"silver":            "silver",
	"estate":            "estate",
	"custom_design":     "custom design",
	"mens":              "men's",
}

// CategoryText returns a merchandise category in words ("colored_gemstones"
// is "colored gemstones", "mens" is "men's"); a category it does not know
// has its underscores read as spaces ("lab_grown" is "lab grown").
func CategoryText(category string) string {
	if w, ok := categoryWords[category]; ok {
		return w
	}
	return strings.TrimSpace(strings.ReplaceAll(category, "_", " "))
}

// reasonWords are the engine's fixed reason codes in words.
var reasonWords = map[string]string{
	match.ReasonSameStore:            "Same store",
	match.ReasonOtherStoreNoCapacity: "Another store: nobody in the home store had room",
	match.ReasonOtherStoreNoActive:   "Another store: the home store has no active associate",
	match.ReasonLoadBalance:          "Has room in their book",
	match.ReasonNoCapacity:           "Not placed: every associate's book is full",
	match.ReasonNoActiveAssociate:    "Not placed: no associate is active",
}

// ReasonText returns one of the engine's reason codes in plain English:
// "preference:colored_gemstones" is "Prefers colored gemstones", "same_store"
// is "Same store", "load_balance" is "Has room in their book". A code it does
// not know is still made readable rather than dropped: "strength:watches" is
// "Strength: watches", "some_code" is "Some code". "" stays "".
func ReasonText(reason string) string {
	if w, ok := reasonWords[reason]; ok {
		return w
	}
	if cat, ok := strings.CutPrefix(reason, match.ReasonPreferencePrefix); ok {
		return "Prefers " + CategoryText(cat)
	}
	head, tail, found := strings.Cut(reason, ":")
	text := sentence(strings.ReplaceAll(head, "_", " "))
	if found {
		text += ": " + CategoryText(tail)
	}
	return text
}

// ReasonTexts returns ReasonText of each reason, in the same order (a slice
// parallel to reasons; empty, not nil, for none).
func ReasonTexts(reasons []string) []string {
	out := make([]string, len(reasons))
	for i, r := range reasons {
		out[i] = ReasonText(r)
	}
	return out
}

// reasonSummary joins reasons for one line of the page or the mail: the
// preferences as one phrase ("Prefers bridal, diamonds and pearls"), then the
// others in the engine's order, separated by sep.
func reasonSummary(reasons []string, sep string) string {
	var cats, rest []string
	for _, r := range reasons {
		if cat, ok := strings.CutPrefix(r, match.ReasonPreferencePrefix); ok {
			cats = append(cats, CategoryText(cat))
		} else if t := ReasonText(r); t != "" {
			rest = append(rest, t)
		}
	}
	var parts []string
	if len(cats) > 0 {
		parts = append(parts, "Prefers "+andList(cats))
	}
	return strings.Join(append(parts, rest...), sep)
}

// andList returns "a", "a and b", "a, b and c".
func andList(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// stateWords are the assignment states in words, as the page shows them.
var stateWords = map[string]string{
	StatePlanned:      "Being placed",
	StateMoved:        "Moved",
	StateOwnerChanged: "Not moved: their associate changed meanwhile",
	StateGone:         "Not moved: the client was erased",
	StateUnassigned:   "Not placed",
}

// StateText returns an assignment state in words ("skipped: owner changed" is
// "Not moved: their associate changed meanwhile"); a state it does not know is
// made readable ("some_state" is "Some state").
func StateText(state string) string {
	if w, ok := stateWords[state]; ok {
		return w
	}
	return sentence(strings.ReplaceAll(state, "_", " "))
}

// statusWords are the batch statuses in words.
var statusWords = map[string]string{
	StatusPlanning:  "being planned",
	StatusPending:   "being applied",
	StatusDone:      "complete",
	StatusAbandoned: "abandoned",
}

// statusText returns a batch status in words.
func statusText(status string) string {
	if w, ok := statusWords[status]; ok {
		return w
	}
	return strings.ReplaceAll(status, "_", " ")
}

// sentence upper-cases the first letter of s and trims it.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return ""
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
