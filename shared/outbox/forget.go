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
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

// erasedSuffix names the empty file that stands for a message removed by
// Forget: it keeps the message's key hash (so the same Key is still never
// delivered twice) and nothing else.
const erasedSuffix = ".erased"

// HeaderCustomers is the header the outbox adds to its copy of a staff mail:
// the ids of mail.Message.Customers, space separated (folded). It is in the
// file only, never in mail sent through SES.
const HeaderCustomers = "X-Loupe-Outbox-Customers"

// Forget is the outbox's part of a customer's erasure (a loupe.Forgetter):
// every message that names the client is removed, the client's own mail and
// the staff mail listing it alike (a reassignment review and its CSV, an
// inspection's missing list), and its texts and calls (Texts, Calls: the
// files of Dir/sms and Dir/voice whose customer_id is the id, or whose to,
// from, body or SSML hold a term, case aside; the claim of each is emptied
// to a tombstone, so its key is never written again, and so is a claim
// naming the client whose visible file is missing). A message names the
// client when its X-Loupe-Customer-Id or X-Loupe-Outbox-Customers header
// holds the customer id (compared whole), or when its headers or any
// decoded part (quoted-printable, base64 and HTML entities undone, so an
// attachment is searched too) hold, case aside, one of e.Terms() (the full
// name, addresses, phones). A removed message leaves an empty "<send
// date>_<key hash>.erased" file so its Key is still never sent twice; and a
// message naming the id sent later by this Outbox (one built before the
// erasure) is not written either.
//
// Temporary files (".tmp-*" in Dir, Dir/sms, Dir/voice and their claims)
// are what a crash between writing and linking leaves; Forget removes those
// naming the client whatever their age, and every one older than
// staleTemp, naming the client or not (sweepTemps). While Forget holds the
// lock this Outbox writes none, so a younger one is another process's (or
// Outbox's) write in flight: removing it makes that write fail with an
// error wrapping mail.ErrTemporary before it claims anything, and the
// caller sends again later; nothing is sent twice or lost.
//
// It holds the outbox's lock for the scan. Cost: one read of every message
// and claim. Idempotent. Returns the first error reading or removing a
// file.
func (o *Outbox) Forget(ctx context.Context, e loupe.Erasure) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.erased == nil {
		o.erased = map[string]bool{}
	}
	o.erased[e.CustomerID] = true
	terms := e.Terms()
	if err := o.forgetMail(ctx, e.CustomerID, terms); err != nil {
		return err
	}
	for _, channel := range []string{TextsDir, CallsDir} {
		r := records{o: o, channel: channel}
		if err := r.forget(ctx, e.CustomerID, terms); err != nil {
			return err
		}
	}
	return nil
}

// forgetMail is Forget's part for the .eml files. Call with o.mu held.
func (o *Outbox) forgetMail(ctx context.Context, customerID string, terms []string) error {
	des, err := os.ReadDir(o.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("outbox forget: %w", err)
	}
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
		if !names(raw, customerID, terms) {
			continue
		}
		if err := o.tombstone(p); err != nil {
			return fmt.Errorf("outbox forget %s: %w", name, err)
		}
	}
	holds := func(raw []byte) bool { return len(raw) > 0 && names(raw, customerID, terms) }
	if err := sweepTemps(ctx, o.Dir, holds); err != nil {
		return fmt.Errorf("outbox forget: %w", err)
	}
	return nil
}

// staleTemp is the age past which Forget removes a temporary file whatever
// it holds: a write keeps its temporary file for the few milliseconds
// between creating and linking it, so one this old was left by a crash.
const staleTemp = time.Minute

// sweepTemps removes the temporary files (".tmp-*") of dir whose content
// holds reports naming the client, and every one last modified more than
// staleTemp ago (by the file system's clock, the one that stamped it, not
// Outbox.Now). A missing dir has none. Returns the first error reading or
// removing one (one removed meanwhile is fine).
func sweepTemps(ctx context.Context, dir string, holds func([]byte) bool) error {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, de := range des {
		name := de.Name()
		if de.IsDir() || !strings.HasPrefix(name, ".tmp-") {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		p := filepath.Join(dir, name)
		info, err := de.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if time.Since(info.ModTime()) <= staleTemp {
			data, err := os.ReadFile(p)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			if !holds(data) {
				continue
			}
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// tombstone replaces message file p by its empty .erased marker. Call with
// o.mu held.
func (o *Outbox) tombstone(p string) error {
	marker := strings.TrimSuffix(p, ".eml") + erasedSuffix
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if o.index != nil {
		_, h, _ := strings.Cut(filepath.Base(strings.TrimSuffix(p, ".eml")), "_")
		o.index[h] = marker
	}
	return nil
}

// names reports whether raw message names id in its customer headers, or
// holds a term, case aside, in its decoded text.
func names(raw []byte, id string, terms []string) bool {
	if msg, err := netmail.ReadMessage(bytes.NewReader(raw)); err == nil {
		for _, h := range []string{mail.HeaderCustomerID, HeaderCustomers} {
			for _, v := range msg.Header[textproto.CanonicalMIMEHeaderKey(h)] {
				if slices.Contains(strings.Fields(v), id) {
					return true
				}
			}
		}
	}
	if len(terms) == 0 {
		return false
	}
	lower := bytes.ToLower(Text(raw))
	for _, t := range terms {
		if bytes.Contains(lower, []byte(strings.ToLower(t))) {
			return true
		}
	}
	return false
}

// customersHeader returns the HeaderCustomers line of ids, folded below 998
// characters a line, or nil without ids.
func customersHeader(ids []string) []byte {
	if len(ids) == 0 {
		return nil
	}
	var b bytes.Buffer
	b.WriteString(HeaderCustomers + ":")
	line := len(HeaderCustomers) + 1
	for _, id := range ids {
		if line+1+len(id) > 900 {
			b.WriteString("\r\n")
			line = 0
		}
		b.WriteString(" " + id)
		line += 1 + len(id)
	}
	b.WriteString("\r\n")
	return b.Bytes()
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
