// Package emailcheck decides whether the email an associate wrote down at a
// repair take-in counts as captured: one well-formed address that is not a
// placeholder typed to get past a required field, not the store's own address,
// and not a likely typo of a common mail provider. A typo is never corrected
// silently: it is reported as not captured, with the suggested correction.
//
// The rules are documented in docs/compliance.md.
package emailcheck

import (
	"strings"

	"github.com/loupehq/loupe/shared/loupe"
)

// Reasons an email does not count as captured.
const (
	ReasonEmpty        = "empty"         // nothing was written down
	ReasonMalformed    = "malformed"     // not one well-formed address
	ReasonPlaceholder  = "placeholder"   // none@none.com, noemail@..., declined@..., n/a
	ReasonStoreAddress = "store_address" // the store's or an associate's own address
	ReasonTypo         = "typo"          // likely misspelling of a common provider
)

// Result is the verdict on one written-down email.
type Result struct {
	Captured   bool   // true when the email counts as captured
	Email      string // the normalised address (loupe.NormalizeEmail), only when Captured
	Reason     string // one of the Reason* constants when not Captured, "" otherwise
	Suggestion string // the corrected address for ReasonTypo (and for "ann@gmail" missing its suffix), "" otherwise
}

// Check judges raw, the customer_email of a repair take-in, as written down.
// storeEmails are the chain's own addresses for that store (from_email,
// manager_email, associates' emails); an email equal to one of them, ignoring
// case, is not the customer's. Check never fails: every input yields a Result.
func Check(raw string, storeEmails ...string) Result {
	return CheckWith(raw, nil, storeEmails...)
}

// CheckWith is Check with a set of lower-case domains accepted as real even
// where Check would judge them placeholders (a chain's test domains, or the
// demo chain's reserved example.com addresses). On such a domain only a
// placeholder local part (none@, n/a@, declined@ ...) is still not captured.
func CheckWith(raw string, allowed map[string]bool, storeEmails ...string) Result {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Result{Reason: ReasonEmpty}
	}
	if !ascii(s) {
		// SES v2 refuses a non-ASCII local part (no SMTPUTF8), and a domain
		// must be written in its ASCII (punycode, xn--) form. Invisible
		// characters and full-width letters have an obvious fix.
		fix := ""
		if c := foldASCII(s); c != s && ascii(c) {
			if r := CheckWith(c, allowed, storeEmails...); r.Captured {
				fix = r.Email
			} else if r.Reason == ReasonTypo || r.Reason == ReasonMalformed {
				fix = r.Suggestion
			}
		}
		return Result{Reason: ReasonMalformed, Suggestion: fix}
	}
	if !loupe.ValidEmail(s) {
		if isPlaceholderWord(s) {
			return Result{Reason: ReasonPlaceholder}
		}
		return Result{Reason: ReasonMalformed, Suggestion: suggestMissingSuffix(s)}
	}
	email := loupe.NormalizeEmail(s)
	lower := strings.ToLower(email)
	for _, own := range storeEmails {
		if own = strings.ToLower(strings.TrimSpace(own)); own != "" && own == lower {
			return Result{Reason: ReasonStoreAddress}
		}
	}
	at := strings.LastIndexByte(lower, '@')
	local, domain := lower[:at], lower[at+1:]
	if allowed[domain] || known(domain) {
		if placeholderLocal(local) {
			return Result{Reason: ReasonPlaceholder}
		}
		return Result{Captured: true, Email: email}
	}
	if isPlaceholder(local, domain) {
		return Result{Reason: ReasonPlaceholder}
	}
	if fix, ok := suggestDomain(domain); ok {
		return Result{Reason: ReasonTypo, Suggestion: email[:at+1] + fix}
	}
	return Result{Captured: true, Email: email}
}

// placeholderLocals are local parts (lower case, with '.', '-', '_' and '/'
// removed) that people type when the customer gave no address.
var placeholderLocals = map[string]bool{
	"none": true, "noemail": true, "nomail": true, "noaddress": true, "noemailaddress": true,
	"na": true, "nil": true, "null": true, "no": true, "nope": true, "non": true,
	"declined": true, "decline": true, "declines": true, "refused": true, "refuse": true, "refuses": true,
	"customerdeclined": true, "customerrefused": true, "optout": true, "optedout": true,
	"test": true, "testing": true, "tester": true, "unknown": true, "unk": true, "notgiven": true,
	"noreply": true, "donotreply": true, "dontreply": true, "donotemail": true, "dontemail": true,
	"noone": true, "nobody": true, "nothing": true, "noname": true, "customer": true, "client": true,
	"email": true, "mail": true, "fake": true, "asdf": true, "asdfg": true, "qwerty": true, "x": true, "xx": true,
	"abc": true, "abc123": true, "123": true, "1234": true, "12345": true, "123456": true,
	"notprovided": true, "notavailable": true, "noneprovided": true, "nonegiven": true,
	"doesnothave": true, "doesnthave": true, "hasnone": true, "noemailprovided": true, "noemailgiven": true,
	"none1": true, "noemail1": true, "na1": true, "xyz": true,
}

// placeholderLabels are domain names (the label before the public suffix) that
// no customer uses: none.com, na.com, noemail.net, example.org, test.com ...
// email.com and mail.com are real providers and not listed.
var placeholderLabels = map[string]bool{
	"none": true, "na": true, "noemail": true, "nomail": true, "noreply": true, "donotreply": true,
	"example": true, "test": true, "testing": true, "invalid": true, "fake": true, "unknown": true,
	"declined": true, "refused": true, "nope": true, "null": true, "nil": true, "noaddress": true,
	"asdf": true, "xxx": true, "no": true, "nothing": true, "optout": true,
}

// reservedTLDs (RFC 2606 and RFC 6761) never receive mail.
var reservedTLDs = map[string]bool{"test": true, "example": true, "invalid": true, "localhost": true, "local": true}

// isPlaceholderWord reports whether a string that is not an address at all is a
// placeholder word ("n/a", "none", "declined"), so the manager sees why.
func isPlaceholderWord(s string) bool {
	s = strings.ToLower(s)
	if strings.ContainsRune(s, '@') {
		return false
	}
	w := squash(s)
	return placeholderLocals[w] || placeholderLabels[w] || repeated(w) && (len(w) >= 3 || w == "x")
}

// placeholderLocal reports whether a lower-cased local part is one people type
// when the customer gave no address (a "+tag" is ignored).
func placeholderLocal(local string) bool {
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	l := squash(local)
	return l == "" || placeholderLocals[l] || repeated(l) && len(l) >= 3
}

// isPlaceholder judges a well-formed, lower-cased address.
func isPlaceholder(local, domain string) bool {
	if placeholderLocal(local) {
		return true
	}
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	l := squash(local)
	if providerSet[domain] {
		return false
	}
	labels := strings.Split(domain, ".")
	if reservedTLDs[labels[len(labels)-1]] {
		return true
	}
	name := registrableLabel(labels)
	// xxx.com, aaaa.net: a name of three or more of one character. Shorter
	// ones are real (rr.com is Spectrum's, q.com CenturyLink's) and known.
	if n := squash(name); placeholderLabels[n] || repeated(n) && len(n) >= 3 {
		return true
	}
	// none@none.com, a@a.com, xx@xx.net: the local part repeating a short domain name.
	if l == squash(name) && len(l) <= 3 {
		return true
	}
	return false
}

// squash lower-cases s and removes the separators people sprinkle in
// placeholders: "No.Email", "no-email", "n/a", "n_a".
func squash(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' || c == '-' || c == '_' || c == '/' || c == ' ' || c == '\\':
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// repeated reports whether s is one character repeated: "x", "xxx", "0000".
// Callers want three or more ("j" and "rr" are real).
func repeated(s string) bool {
	if s == "" {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] != s[0] {
			return false
		}
	}
	return true
}

// twoLevelSuffixes are second-level public suffixes under which the name is the
// third label from the right (yahoo.co.uk, bigpond.com.au).
var twoLevelSuffixes = map[string]bool{
	"co.uk": true, "org.uk": true, "me.uk": true, "ltd.uk": true, "co.jp": true, "co.nz": true, "co.za": true,
	"co.in": true, "com.au": true, "net.au": true, "org.au": true, "com.br": true, "com.mx": true,
	"com.ar": true, "com.sg": true, "com.hk": true, "com.tr": true, "com.cn": true,
}

// registrableLabel returns the name under the public suffix: "gmail" for
// gmail.com and for mail.gmail.com, "yahoo" for yahoo.co.uk.
func registrableLabel(labels []string) string {
	n := len(labels)
	if n >= 3 && twoLevelSuffixes[labels[n-2]+"."+labels[n-1]] {
		return labels[n-3]
	}
	if n >= 2 {
		return labels[n-2]
	}
	return labels[0]
}

// ascii reports whether s is printable ASCII.
func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// foldASCII removes the invisible characters a copy and paste brings along
// (zero-width space, joiner and non-joiner, word joiner, byte-order mark, soft
// hyphen, no-break spaces) and turns full-width ASCII (an East Asian input
// method's "ａｎｎ＠ｇｍａｉｌ．ｃｏｍ") into ASCII. Other characters are left.
func foldASCII(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff' || r == '\u00ad' ||
			r == '\u00a0' || r == '\u202f' || r == '\u2007':
		case r >= '\uff01' && r <= '\uff5e':
			b.WriteRune(r - 0xff01 + '!')
		case r == '\u3000':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
