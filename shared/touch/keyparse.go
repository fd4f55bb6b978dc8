package touch

import (
	"strconv"
	"strings"

	"github.com/loupehq/loupe/shared/loupe"
)

// ContactRef returns the Ref of the contact-history entry a sent
// touchpoint is recorded with, "touchpoint:<MailKey>".
func (k Key) ContactRef() string { return "touchpoint:" + k.MailKey() }

// ParseKey reads a Key back from its MailKey, "tp/<customer>/<occasion>/<year>"
// (what a text carries as its ledger_key, package textin). Ids hold no
// '/', so the customer is the first part and the year the last; the
// occasion ("birthday", "event:c1", "thank_you:p1") is what lies between.
// Returns an EINVALID *loupe.Error naming ledger_key for anything else.
func ParseKey(s string) (Key, error) {
	bad := loupe.Invalidf("ledger_key", "ledger_key must be tp/<customer>/<occasion>/<year>")
	rest, ok := strings.CutPrefix(s, "tp/")
	if !ok {
		return Key{}, bad
	}
	customer, rest, ok := strings.Cut(rest, "/")
	i := strings.LastIndexByte(rest, '/')
	if !ok || i < 0 || !loupe.ValidID(customer) {
		return Key{}, bad
	}
	occasion, yearText := rest[:i], rest[i+1:]
	year, err := strconv.Atoi(yearText)
	if err != nil || year < 0 || strconv.Itoa(year) != yearText || occasion == "" || strings.Contains(occasion, "/") {
		return Key{}, bad
	}
	return Key{CustomerID: customer, Occasion: occasion, Year: year}, nil
}
