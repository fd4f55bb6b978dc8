package emailcheck

import (
	_ "embed"
	"strings"

	"github.com/loupehq/loupe/shared/loupe"
)

// knownText is the list of mail domains known to be real, with its sources
// (domains.txt).
//
//go:embed domains.txt
var knownText string

// knownSet holds domains.txt and Providers.
var knownSet = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(knownText, "\n") {
		if line, _, _ = strings.Cut(line, "#"); strings.TrimSpace(line) != "" {
			m[strings.ToLower(strings.TrimSpace(line))] = true
		}
	}
	for _, p := range Providers {
		m[p] = true
	}
	return m
}()

// known reports whether domain (lower case), or a parent domain of two labels
// or more (nc.rr.com under rr.com), is a mail domain known to be real: such a
// domain is never a typo, and never "corrected" into another.
func known(domain string) bool {
	for d := domain; strings.Count(d, ".") >= 1; {
		if knownSet[d] {
			return true
		}
		_, rest, _ := strings.Cut(d, ".")
		d = rest
	}
	return false
}

// Known reports whether domain is a mail domain known to be real (domains.txt
// or Providers), case aside.
func Known(domain string) bool { return known(strings.ToLower(domain)) }

// Providers is the table of common consumer mail domains, most used first. A
// domain in it is never flagged; a domain a keystroke or two away from one of
// them is a likely typo, and the first closest entry is suggested. Regional
// domains of the big providers are listed so they are recognised as exact.
var Providers = []string{
	"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com",
	"live.com", "msn.com", "comcast.net", "att.net", "verizon.net", "me.com", "mac.com",
	"sbcglobal.net", "bellsouth.net", "cox.net", "charter.net", "earthlink.net", "optonline.net",
	"protonmail.com", "proton.me", "ymail.com", "rocketmail.com", "googlemail.com",
	"gmx.com", "gmx.net", "gmx.de", "web.de", "mail.com", "email.com", "zoho.com", "fastmail.com",
	"btinternet.com", "sky.com", "virginmedia.com", "talktalk.net", "ntlworld.com",
	"yahoo.co.uk", "hotmail.co.uk", "live.co.uk", "outlook.co.uk", "googlemail.co.uk",
	"yahoo.ca", "hotmail.ca", "live.ca", "rogers.com", "shaw.ca", "sympatico.ca", "videotron.ca",
	"yahoo.com.au", "hotmail.com.au", "outlook.com.au", "bigpond.com", "bigpond.net.au", "optusnet.com.au",
	"yahoo.fr", "hotmail.fr", "live.fr", "orange.fr", "free.fr", "wanadoo.fr", "laposte.net", "sfr.fr",
	"yahoo.de", "hotmail.de", "t-online.de", "yahoo.es", "hotmail.es", "yahoo.it", "hotmail.it", "libero.it",
	"hotmail.nl", "live.nl", "ziggo.nl", "yahoo.co.jp", "yahoo.co.in", "yahoo.com.br", "hotmail.com.br",
	"qq.com", "163.com", "naver.com", "mail.ru", "yandex.ru", "aim.com", "juno.com", "netzero.net",
}

var providerSet = func() map[string]bool {
	m := make(map[string]bool, len(Providers))
	for _, p := range Providers {
		m[p] = true
	}
	return m
}()

// maxDomainLen bounds the work on hostile input: no provider is near a longer domain.
const maxDomainLen = 40

// suggestDomain returns the provider domain that domain (lower case) is most
// likely a typo of, or false when domain is a provider itself or near none.
//
// A domain is a typo of provider "name.suffix" when it has as many labels, its
// name is at most labelMax(name) edits from the provider's (0 for names of 4
// letters or fewer, so gmx.com never claims gmc.com; 1 up to 8 letters; 2 from
// 9), its suffix at most 1 edit from the provider's (gmail.con, gmail.co,
// yahoo.co.uj), and the two together at most max(2, labelMax) edits; or when
// the whole domain is 1 edit from a provider whose name has 5 letters or more
// (gmai.lcom, yahoo.couk). Edits are Damerau-Levenshtein (optimal string
// alignment): insert, delete, substitute, swap two neighbours.
func suggestDomain(domain string) (string, bool) {
	if known(domain) || len(domain) > maxDomainLen {
		return "", false
	}
	labels := strings.Split(domain, ".")
	best, bestDist := "", 1<<30
	for _, p := range Providers {
		pLabels := strings.Split(p, ".")
		name := pLabels[0]
		lmax := labelMax(name)
		dist := -1
		if len(labels) == len(pLabels) {
			ld := distance(labels[0], name, lmax)
			ok, shortSlip := ld <= lmax, false
			if !ok && lmax == 0 && slip(labels[0], name, strings.Join(pLabels[1:], ".") != "com") {
				ld, ok, shortSlip = 1, true, true // a short name's slip: liev, gmmx, aoo
			}
			sd := distance(strings.Join(labels[1:], "."), strings.Join(pLabels[1:], "."), 1)
			if ok && sd <= 1 && ld+sd <= max(2, lmax) && (!shortSlip || sd == 0) {
				dist = ld + sd
			}
		}
		if dist < 0 && len(name) >= 5 {
			if d := distance(domain, p, 1); d <= 1 {
				dist = d
			}
		}
		if dist > 0 && dist < bestDist {
			best, bestDist = p, dist
		}
	}
	return best, best != ""
}

// slip reports whether typed is name with one of the slips a finger makes on
// a short name (4 letters or fewer), those that seldom make another real name:
//
//   - two neighbours swapped: liev for live;
//   - a letter doubled (gmmx, coox), or struck again in place of the next (aoo
//     for aol);
//   - a key beside one of the name's letters struck too, inserted next to it:
//     aoil, cdox, mailp;
//   - in a name of 4 letters, or of 3 under a suffix other than .com (wide:
//     att.net, gmx.de), a letter replaced by a key beside it, unless both are
//     vowels (livr, mzil, aty.net; love is not a typo of live).
//
// A letter dropped (ao, liv) or replaced in a 3-letter .com name (gmc, fox,
// sol) is not one: every 2- and 3-letter .com is someone's.
func slip(typed, name string, wide bool) bool {
	switch len(typed) - len(name) {
	case 0:
		for i := 0; i+1 < len(name); i++ {
			if typed[i] == name[i+1] && typed[i+1] == name[i] && typed[i] != typed[i+1] && typed[:i]+typed[i+2:] == name[:i]+name[i+2:] {
				return true
			}
		}
		for i := range len(name) {
			if typed[:i] != name[:i] || typed[i+1:] != name[i+1:] || typed[i] == name[i] {
				continue
			}
			if i > 0 && typed[i] == typed[i-1] {
				return true
			}
			return (len(name) == 4 || wide) && beside(name[i], typed[i]) && !(vowel(name[i]) && vowel(typed[i]))
		}
	case 1:
		for i := range len(typed) {
			if typed[:i]+typed[i+1:] != name {
				continue
			}
			c := typed[i]
			if i > 0 && (c == typed[i-1] || beside(typed[i-1], c)) || i+1 < len(typed) && beside(typed[i+1], c) {
				return true
			}
		}
	}
	return false
}

// keys are the letters around each letter on a QWERTY keyboard.
var keys = map[byte]string{
	'q': "wa", 'w': "qeas", 'e': "wrsd", 'r': "etdf", 't': "ryfg", 'y': "tugh", 'u': "yihj", 'i': "uojk", 'o': "ipkl", 'p': "ol",
	'a': "qwsz", 's': "weadzx", 'd': "ersfxc", 'f': "rtdgcv", 'g': "tyfhvb", 'h': "yugjbn", 'j': "uihknm", 'k': "iojlm", 'l': "opk",
	'z': "asx", 'x': "zsdc", 'c': "xdfv", 'v': "cfgb", 'b': "vghn", 'n': "bhjm", 'm': "njk",
}

// beside reports whether keys a and b are neighbours on a QWERTY keyboard.
func beside(a, b byte) bool { return strings.IndexByte(keys[a], b) >= 0 }

func vowel(c byte) bool { return strings.IndexByte("aeiouy", c) >= 0 }

// labelMax is how many edits a provider's name tolerates.
func labelMax(name string) int {
	switch {
	case len(name) <= 4:
		return 0
	case len(name) <= 8:
		return 1
	default:
		return 2
	}
}

// distance returns the optimal-string-alignment distance between a and b, or
// limit+1 as soon as it is known to exceed limit.
func distance(a, b string, limit int) int {
	if a == b {
		return 0
	}
	if diff := len(a) - len(b); diff > limit || -diff > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], limit+1)
}

// suggestMissingSuffix proposes an address for a malformed one that is a
// provider's address with a slip of punctuation: "ann@gmail" (no suffix),
// "ann@gmailcom" (no dot), "ann@gmail.com." (trailing dot), "ann@gmail,com"
// (comma for dot). It returns
// "" when no such repair gives a well-formed provider address.
func suggestMissingSuffix(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 {
		return ""
	}
	local, domain := s[:at], strings.ToLower(s[at+1:])
	domain = strings.TrimRight(strings.ReplaceAll(domain, ",", "."), ".")
	var candidates []string
	if strings.Contains(domain, ".") {
		candidates = append(candidates, domain)
	} else {
		for _, p := range Providers {
			if strings.HasPrefix(p, domain+".") || strings.ReplaceAll(p, ".", "") == domain {
				candidates = append(candidates, p) // gmail, gmailcom
				break
			}
		}
		if len(candidates) == 0 {
			for _, p := range Providers { // gmailcm, hotmailcom with a slip
				if q := strings.ReplaceAll(p, ".", ""); len(p) >= 9 && distance(domain, q, 1) <= 1 {
					candidates = append(candidates, p)
					break
				}
			}
		}
	}
	for _, c := range candidates {
		if !loupe.ValidEmail(local + "@" + c) {
			continue // Check would come back here
		}
		r := Check(local + "@" + c)
		switch {
		case r.Captured && providerSet[c]:
			return r.Email
		case r.Reason == ReasonTypo:
			return r.Suggestion
		}
	}
	return ""
}
