package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/loupehq/loupe/shared/loupe"
)

// maxValue bounds a subject or extra header value, keeping every header line
// under the RFC 5322 limit of 998 characters (encoded words are folded).
const maxValue = 900

// reserved are the headers Render writes itself; Message.Headers may not set them.
var reserved = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "reply-to": true, "sender": true,
	"subject": true, "date": true, "message-id": true, "mime-version": true,
	"content-type": true, "content-transfer-encoding": true, "content-disposition": true,
	"return-path": true, "received": true,
}

// Render returns m as RFC 5322 bytes with CRLF line endings: Date (now),
// Message-ID, From, To, Reply-To, Subject, MIME-Version, m.Headers in order, and
// a multipart/alternative body (text then HTML, both UTF-8 quoted-printable),
// wrapped in multipart/mixed with base64 parts when there are attachments.
//
// The Message-ID is "<hash(Key)@messageIDDomain>" (the From domain when
// messageIDDomain is ""), and the MIME boundaries also derive from Key, so
// rendering the same Message at the same now gives the same bytes and a retry
// keeps its Message-ID. Non-ASCII subjects and display names are RFC 2047
// encoded, non-ASCII file names RFC 2231 encoded.
//
// Returns an EINVALID *loupe.Error naming the field when From, To or ReplyTo is
// not one well-formed address, Subject, Text, HTML or Key is empty, any header
// value or name holds CR, LF or another control character (no header
// injection), an extra header is one Render writes itself, or an attachment
// has no file name or a malformed content type. Error messages never quote
// addresses.
func Render(m Message, now time.Time, messageIDDomain string) ([]byte, error) {
	from, err := address("from", m.From, true)
	if err != nil {
		return nil, err
	}
	to, err := address("to", m.To, true)
	if err != nil {
		return nil, err
	}
	replyTo, err := address("reply_to", m.ReplyTo, false)
	if err != nil {
		return nil, err
	}
	if m.Key == "" {
		return nil, loupe.Invalidf("key", "idempotency key is required")
	}
	if err := headerText("key", m.Key); err != nil {
		return nil, err
	}
	if strings.TrimSpace(m.Subject) == "" {
		return nil, loupe.Invalidf("subject", "subject is required")
	}
	if err := headerText("subject", m.Subject); err != nil {
		return nil, err
	}
	if len(m.Subject) > maxValue {
		return nil, loupe.Invalidf("subject", "subject is longer than %d bytes", maxValue)
	}
	if m.Text == "" || !utf8.ValidString(m.Text) {
		return nil, loupe.Invalidf("text", "text part is required and must be UTF-8")
	}
	if m.HTML == "" || !utf8.ValidString(m.HTML) {
		return nil, loupe.Invalidf("html", "HTML part is required and must be UTF-8")
	}
	if messageIDDomain == "" {
		messageIDDomain = from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	}
	if !validDomain(messageIDDomain) {
		return nil, loupe.Invalidf("message_id_domain", "message id domain is not a host name")
	}

	var b bytes.Buffer
	b.Grow(len(m.Text) + len(m.HTML)*11/10 + 1024)
	writeLine(&b, "Date", now.Format(time.RFC1123Z))
	writeLine(&b, "Message-ID", MessageID(m.Key, messageIDDomain))
	writeLine(&b, "From", from.String())
	writeLine(&b, "To", to.String())
	if replyTo != nil {
		writeLine(&b, "Reply-To", replyTo.String())
	}
	writeLine(&b, "Subject", fold(mime.QEncoding.Encode("utf-8", m.Subject)))
	writeLine(&b, "MIME-Version", "1.0")
	for i, h := range m.Headers {
		field := fmt.Sprintf("headers[%d]", i)
		if !validHeaderName(h.Name) {
			return nil, loupe.Invalidf(field, "header name %q is not a valid field name", h.Name)
		}
		if reserved[strings.ToLower(h.Name)] {
			return nil, loupe.Invalidf(field, "header %s is set by the renderer", h.Name)
		}
		if err := headerText(field, h.Value); err != nil {
			return nil, err
		}
		if len(h.Value) > maxValue {
			return nil, loupe.Invalidf(field, "header %s is longer than %d bytes", h.Name, maxValue)
		}
		writeLine(&b, h.Name, fold(mime.QEncoding.Encode("utf-8", h.Value)))
	}

	altBoundary := boundary(m.Key, "alt")
	if len(m.Attachments) == 0 {
		writeLine(&b, "Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": altBoundary}))
		b.WriteString("\r\n")
		if err := writeAlternative(&b, altBoundary, m.Text, m.HTML); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}

	mixedBoundary := boundary(m.Key, "mixed")
	writeLine(&b, "Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mixedBoundary}))
	b.WriteString("\r\n")
	mw := multipart.NewWriter(&b)
	if err := mw.SetBoundary(mixedBoundary); err != nil {
		return nil, fmt.Errorf("render mixed boundary: %w", err)
	}
	altHeader := textproto.MIMEHeader{}
	altHeader.Set("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": altBoundary}))
	pw, err := mw.CreatePart(altHeader)
	if err != nil {
		return nil, fmt.Errorf("render alternative part: %w", err)
	}
	var alt bytes.Buffer
	if err := writeAlternative(&alt, altBoundary, m.Text, m.HTML); err != nil {
		return nil, err
	}
	if _, err := pw.Write(alt.Bytes()); err != nil {
		return nil, fmt.Errorf("render alternative part: %w", err)
	}
	for i, a := range m.Attachments {
		field := fmt.Sprintf("attachments[%d]", i)
		if a.Filename == "" || strings.ContainsAny(a.Filename, "\r\n\x00/\\") || !utf8.ValidString(a.Filename) {
			return nil, loupe.Invalidf(field, "attachment needs a plain file name")
		}
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || strings.HasPrefix(mt, "multipart/") {
			return nil, loupe.Invalidf(field, "attachment content type %q is malformed", ct)
		}
		params["name"] = a.Filename
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", mime.FormatMediaType(mt, params))
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename}))
		h.Set("Content-Transfer-Encoding", "base64")
		pw, err := mw.CreatePart(h)
		if err != nil {
			return nil, fmt.Errorf("render attachment %d: %w", i, err)
		}
		if _, err := pw.Write(base64Lines(a.Data)); err != nil {
			return nil, fmt.Errorf("render attachment %d: %w", i, err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("render close mixed: %w", err)
	}
	return b.Bytes(), nil
}

// MessageID returns the Message-ID header value ("<...@domain>") Render writes
// for key: 32 hex digits of SHA-256 over key, so every retry of a Key keeps it.
func MessageID(key, domain string) string {
	sum := sha256.Sum256([]byte("loupe-message-id\x00" + key))
	return "<" + hex.EncodeToString(sum[:16]) + "@" + domain + ">"
}

// writeAlternative writes the multipart/alternative body (text, then HTML)
// delimited by bnd into b, closing delimiter included.
func writeAlternative(b *bytes.Buffer, bnd, text, html string) error {
	mw := multipart.NewWriter(b)
	if err := mw.SetBoundary(bnd); err != nil {
		return fmt.Errorf("render alternative boundary: %w", err)
	}
	for _, p := range []struct{ ct, body string }{
		{"text/plain; charset=utf-8", text},
		{"text/html; charset=utf-8", html},
	} {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", p.ct)
		h.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := mw.CreatePart(h)
		if err != nil {
			return fmt.Errorf("render %s part: %w", p.ct, err)
		}
		qw := quotedprintable.NewWriter(pw)
		if _, err := qw.Write([]byte(p.body)); err != nil {
			return fmt.Errorf("render %s part: %w", p.ct, err)
		}
		if err := qw.Close(); err != nil {
			return fmt.Errorf("render %s part: %w", p.ct, err)
		}
	}
	if err := mw.Close(); err != nil {
		return fmt.Errorf("render close alternative: %w", err)
	}
	return nil
}

// boundary derives a MIME boundary from key. It starts with "=_", a sequence
// neither quoted-printable nor base64 output can hold, so no body can contain it.
func boundary(key, kind string) string {
	sum := sha256.Sum256([]byte("loupe-boundary\x00" + kind + "\x00" + key))
	return "=_" + kind + "_" + hex.EncodeToString(sum[:12])
}

// base64Lines returns data base64 encoded in CRLF-terminated lines of 76 characters.
func base64Lines(data []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(data)
	out := make([]byte, 0, len(enc)+len(enc)/76*2+2)
	for len(enc) > 76 {
		out = append(out, enc[:76]...)
		out = append(out, '\r', '\n')
		enc = enc[76:]
	}
	out = append(out, enc...)
	return append(out, '\r', '\n')
}

// address parses one address for field. Returns nil, nil for an optional empty one.
func address(field, s string, required bool) (*netmail.Address, error) {
	if s == "" {
		if required {
			return nil, loupe.Invalidf(field, "address is required")
		}
		return nil, nil
	}
	if err := headerText(field, s); err != nil {
		return nil, err
	}
	a, err := netmail.ParseAddress(s)
	if err != nil || !loupe.ValidEmail(a.Address) || strings.ContainsAny(a.Name, "\r\n") {
		return nil, loupe.Invalidf(field, "not one well-formed address")
	}
	return a, nil
}

// headerText rejects control characters (CR and LF above all) in a header value.
func headerText(field, s string) error {
	if !utf8.ValidString(s) {
		return loupe.Invalidf(field, "value is not UTF-8")
	}
	for _, r := range s {
		if r == '\r' || r == '\n' {
			return loupe.Invalidf(field, "value holds a line break")
		}
		if (r < ' ' && r != '\t') || r == 0x7f {
			return loupe.Invalidf(field, "value holds a control character")
		}
	}
	return nil
}

func validHeaderName(s string) bool {
	if s == "" || len(s) > 76 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}

func validDomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// fold puts each RFC 2047 encoded word after the first on its own continuation
// line; whitespace between encoded words is not part of the decoded text.
func fold(v string) string {
	if !strings.HasPrefix(v, "=?") {
		return v
	}
	return strings.ReplaceAll(v, "?= =?", "?=\r\n =?")
}

func writeLine(b *bytes.Buffer, name, value string) {
	b.WriteString(name)
	b.WriteString(": ")
	b.WriteString(value)
	b.WriteString("\r\n")
}
