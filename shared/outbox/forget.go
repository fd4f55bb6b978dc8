package outbox

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"

	"github.com/loupehq/loupe/shared/loupe"
)

// erasedSuffix names the empty file that stands for a message removed by
// Forget: it keeps the message's key hash (so the same Key is still never
// delivered twice) and nothing else.
const erasedSuffix = ".erased"

// Forget is the outbox's part of a customer's erasure (a loupe.Forgetter):
// every message that names the client is removed, the client's own mail and
// the staff mail listing it alike (a reassignment review and its CSV, an
// inspection's missing list). A message names the client when its headers or
// any decoded part (quoted-printable, base64 and HTML entities undone, so an
// attachment is searched too) hold the customer id as a whole token or, case
// aside, one of e.Terms() (the full name, addresses, phones). A removed
// message leaves an empty "<send date>_<key hash>.erased" file so its Key is
// still never sent twice. Cost: one read of every message in the outbox.
// Idempotent. Returns the first error reading or removing a file.
func (o *Outbox) Forget(ctx context.Context, e loupe.Erasure) error {
	des, err := os.ReadDir(o.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("outbox forget: %w", err)
	}
	terms := e.Terms()
	for _, de := range des {
		name := de.Name()
		if de.IsDir() || !strings.HasSuffix(name, ".eml") || strings.HasPrefix(name, ".") {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("outbox forget: %w", err)
		}
		p := filepath.Join(o.Dir, name)
		raw, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("outbox forget: %w", err)
		}
		if !names(Text(raw), e.CustomerID, terms) {
			continue
		}
		if err := o.tombstone(p); err != nil {
			return fmt.Errorf("outbox forget %s: %w", name, err)
		}
	}
	return nil
}

// tombstone replaces message file p by its empty .erased marker.
func (o *Outbox) tombstone(p string) error {
	marker := strings.TrimSuffix(p, ".eml") + erasedSuffix
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.index != nil {
		_, h, _ := strings.Cut(filepath.Base(strings.TrimSuffix(p, ".eml")), "_")
		o.index[h] = marker
	}
	return nil
}

// names reports whether text holds id as a whole token or any term, case
// insensitively.
func names(text []byte, id string, terms []string) bool {
	lower := bytes.ToLower(text)
	for _, t := range terms {
		if bytes.Contains(lower, []byte(strings.ToLower(t))) {
			return true
		}
	}
	for rest, off := text, 0; ; {
		i := bytes.Index(rest, []byte(id))
		if i < 0 {
			return false
		}
		start, end := off+i, off+i+len(id)
		if (start == 0 || !tokenByte(text[start-1])) && (end == len(text) || !tokenByte(text[end])) {
			return true
		}
		rest, off = text[end:], end
	}
}

// tokenByte reports whether c continues an id-like token.
func tokenByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// Text returns the searchable text of an RFC 5322 message: its headers
// (encoded words decoded) and every part's body with its transfer encoding
// undone and, for HTML, entities unescaped. A part that cannot be decoded is
// searched as it is.
func Text(raw []byte) []byte {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return raw
	}
	var out bytes.Buffer
	dec := new(mime.WordDecoder)
	for k, vs := range msg.Header {
		for _, v := range vs {
			if d, err := dec.DecodeHeader(v); err == nil {
				v = d
			}
			fmt.Fprintf(&out, "%s: %s\n", k, v)
		}
	}
	body, _ := io.ReadAll(msg.Body)
	decodePart(&out, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), body, 0)
	return out.Bytes()
}

// decodePart appends the decoded text of one MIME entity to out, recursing
// into multiparts (at most 8 levels).
func decodePart(out *bytes.Buffer, contentType, encoding string, body []byte, depth int) {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "base64":
		if d, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(body))); err == nil {
			body = d
		}
	case "quoted-printable":
		if d, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body))); err == nil {
			body = d
		}
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err == nil && strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" && depth < 8 {
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			if fn := p.FileName(); fn != "" {
				fmt.Fprintf(out, "\n%s\n", fn)
			}
			decodePart(out, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), b, depth+1)
		}
		return
	}
	if mt == "text/html" {
		body = []byte(html.UnescapeString(string(body)))
	}
	out.WriteByte('\n')
	out.Write(body)
}
