// Package webpage builds Loupe's self-contained pages (the compliance
// dashboard, the staff app): index.html with its one style sheet and one
// script inlined, so a page is one response under any stage path, and the
// Content-Security-Policy allowing exactly those two inline blocks by hash.
// It is a domain package: the files are handed in (embedded by the caller).
package webpage

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
)

// Inline returns fsys's index.html with `<link rel="stylesheet"
// href="<css>">` and `<script src="<js>"></script>` replaced by the files'
// contents, and the page's Content-Security-Policy (script and style by
// their sha256 only; images from the page's origin or data:; fetches to its
// origin). It panics when a file is missing or index.html does not name
// them: the files are embedded at build time, so that is a build mistake.
func Inline(fsys fs.FS, css, js string) (page []byte, csp string) {
	read := func(name string) []byte {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			panic("webpage: embedded file missing: " + err.Error())
		}
		return b
	}
	style, script := read(css), read(js)
	page = read("index.html")
	for _, r := range []struct {
		tag, open, close string
		body             []byte
	}{
		{`<link rel="stylesheet" href="` + css + `">`, "<style>", "</style>", style},
		{`<script src="` + js + `"></script>`, "<script>", "</script>", script},
	} {
		if !bytes.Contains(page, []byte(r.tag)) {
			panic(fmt.Sprintf("webpage: index.html does not hold %s", r.tag))
		}
		page = bytes.Replace(page, []byte(r.tag), append(append([]byte(r.open), r.body...), r.close...), 1)
	}
	hash := func(b []byte) string {
		sum := sha256.Sum256(b)
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	csp = "default-src 'none'; script-src " + hash(script) + "; style-src " + hash(style) +
		"; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	return page, csp
}
