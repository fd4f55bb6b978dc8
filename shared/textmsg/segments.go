// Package textmsg composes the text message of a touchpoint and counts its
// segments as carriers bill them (3GPP TS 23.038 GSM-7, else UCS-2).
//
// A body is GSM-7 when every character is in the GSM 03.38 default alphabet
// or its extension table; an extension character ({ } [ ] ~ \ | ^ € and
// form feed) takes two septets (the escape and the character). One segment
// holds 160 septets, or 153 each when the message is split (the user data
// header takes the rest); an escape pair is never split across segments.
// Any other character makes the whole body UCS-2: 70 UTF-16 code units in
// one segment, 67 each when split, a character outside the Basic
// Multilingual Plane (most emoji) counting 2 and never split.
package textmsg

import "unicode/utf16"

// Encodings of a body.
const (
	GSM7 = "GSM-7"
	UCS2 = "UCS-2"
)

// Per-segment capacities: single and split, in septets (GSM-7) or UTF-16
// code units (UCS-2).
const (
	GSMSingle  = 160
	GSMSplit   = 153
	UCS2Single = 70
	UCS2Split  = 67
)

// gsmBasic is the GSM 03.38 default alphabet (the escape 0x1B excluded).
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension is the GSM 03.38 extension table: two septets each.
const gsmExtension = "\f^{}\\[~]|€"

var gsmWidth = func() map[rune]int {
	m := map[rune]int{}
	for _, r := range gsmBasic {
		m[r] = 1
	}
	for _, r := range gsmExtension {
		m[r] = 2
	}
	return m
}()

// Count is how a body travels.
type Count struct {
	Encoding string // GSM7 or UCS2
	// Units is the length in septets (GSM-7) or UTF-16 code units (UCS-2).
	Units int
	// Segments is the number of message parts carriers bill (0 for "").
	Segments int
}

// Measure returns the encoding, length and segment count of body. It never
// fails.
func Measure(body string) Count {
	widths := make([]int, 0, len(body))
	enc := GSM7
	for _, r := range body {
		w, ok := gsmWidth[r]
		if !ok {
			enc = UCS2
			break
		}
		widths = append(widths, w)
	}
	single, split := GSMSingle, GSMSplit
	if enc == UCS2 {
		widths = widths[:0]
		for _, r := range body {
			widths = append(widths, utf16.RuneLen(r))
		}
		single, split = UCS2Single, UCS2Split
	}
	c := Count{Encoding: enc}
	for _, w := range widths {
		c.Units += w
	}
	switch {
	case c.Units == 0:
	case c.Units <= single:
		c.Segments = 1
	default:
		// Greedy packing: a two-unit character (escape pair, surrogate
		// pair) that does not fit in a segment starts the next one.
		used := 0
		c.Segments = 1
		for _, w := range widths {
			if used+w > split {
				c.Segments++
				used = 0
			}
			used += w
		}
	}
	return c
}

// IsGSM7 reports whether every character of s is in the GSM-7 default
// alphabet or its extension table.
func IsGSM7(s string) bool {
	for _, r := range s {
		if _, ok := gsmWidth[r]; !ok {
			return false
		}
	}
	return true
}
