// Package outbox is the local mail adapter: it implements mail.Sender by
// writing one RFC 5322 .eml file a message into a directory (by default
// <data dir>/outbox), so a run of `loupe tick` can be read back with any mail
// client or with List.
//
// File names are "<send date>_<hash of Key>.eml": the send date is the
// X-Loupe-Send-Date header (else the day of Now in UTC) and the hash is 16 hex
// digits of SHA-256 over the idempotency Key. Sending a Key that already has a
// file writes nothing and returns the earlier id. A message removed by Forget
// (a customer's erasure) leaves an empty "<send date>_<key hash>.erased" file
// in its place, so its Key is still never sent again.
//
// Texts and Calls are the local outboxes of the sms and voice channels
// (CONTRACT section 4), in Dir/sms and Dir/voice: one JSON file a message,
// "<sent_at>_<message id>.json" (sent_at as 20060102T150405Z in UTC), the
// message id derived from the idempotency key. Each key is claimed once, by
// a hard link to Dir/<channel>/.claims/<message id>, so a key is written
// once across processes sharing the directory (`loupe serve` and `loupe
// tick`) although each attempt has its own sent_at.
package outbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

// Outbox writes messages as .eml files into Dir. Safe for concurrent use, also
// by several processes sharing the directory.
type Outbox struct {
	// Dir is the directory; created with mode 0700 on the first Send.
	Dir string
	// Now stamps the Date header and names files without X-Loupe-Send-Date;
	// time.Now when nil.
	Now loupe.Clock
	// MessageIDDomain is the Message-ID domain; the From domain when "".
	MessageIDDomain string

	mu     sync.Mutex        // serialises the check-then-link of one process, and Forget
	index  map[string]string // key hash -> file path, loaded on the first Send
	erased map[string]bool   // customer ids erased by Forget in this process
}

var _ mail.Sender = (*Outbox)(nil)

// New returns an Outbox writing into dir.
func New(dir string) *Outbox {
	return &Outbox{Dir: dir}
}

// Send renders m and writes it to Dir atomically (temporary file, then a hard
// link to the final name, which fails rather than overwrites). It returns the
// Message-ID without angle brackets. A Key already written returns the id read
// from the existing file and writes nothing.
//
// Returns Render's EINVALID *loupe.Error for an invalid Message, and an error
// wrapping mail.ErrTemporary when the directory or file cannot be written.
func (o *Outbox) Send(ctx context.Context, m mail.Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("outbox send %s: %w", hash(m.Key), err)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	t := now()
	raw, err := mail.Render(m, t, o.MessageIDDomain)
	if err != nil {
		return "", err
	}
	h := hash(m.Key)
	day := m.Header(mail.HeaderSendDate)
	if _, err := loupe.ParseDay(day); err != nil {
		day = t.UTC().Format(time.DateOnly)
	}

	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.load(); err != nil {
		return "", fmt.Errorf("outbox send %s: %w: %w", h, mail.ErrTemporary, err)
	}
	if o.namesErased(m) { // built before its client's erasure: keep the key only
		final := filepath.Join(o.Dir, day+"_"+h+erasedSuffix)
		if err := os.WriteFile(final, nil, 0o600); err != nil {
			return "", fmt.Errorf("outbox send %s: %w: %w", h, mail.ErrTemporary, err)
		}
		o.index[h] = final
		return strings.Trim(mail.MessageID(m.Key, idDomain(o.MessageIDDomain, m.From)), "<>"), nil
	}
	if existing, ok := o.index[h]; ok {
		if strings.HasSuffix(existing, erasedSuffix) { // removed by Forget
			return strings.Trim(mail.MessageID(m.Key, idDomain(o.MessageIDDomain, m.From)), "<>"), nil
		}
		return readID(existing)
	}
	tmp, err := os.CreateTemp(o.Dir, ".tmp-*.eml")
	if err != nil {
		return "", fmt.Errorf("outbox send %s: %w: %w", h, mail.ErrTemporary, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(customersHeader(m.Customers), raw...)); err != nil {
		tmp.Close()
		return "", fmt.Errorf("outbox write %s: %w: %w", h, mail.ErrTemporary, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("outbox sync %s: %w: %w", h, mail.ErrTemporary, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("outbox close %s: %w: %w", h, mail.ErrTemporary, err)
	}
	final := filepath.Join(o.Dir, day+"_"+h+".eml")
	if err := os.Link(tmp.Name(), final); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process won the race
			return readID(final)
		}
		return "", fmt.Errorf("outbox link %s: %w: %w", h, mail.ErrTemporary, err)
	}
	o.index[h] = final
	return strings.Trim(mail.MessageID(m.Key, idDomain(o.MessageIDDomain, m.From)), "<>"), nil
}

// namesErased reports whether m names a customer Forget erased in this
// process (its X-Loupe-Customer-Id or Customers). Call with o.mu held.
func (o *Outbox) namesErased(m mail.Message) bool {
	if len(o.erased) == 0 {
		return false
	}
	if id := m.Header(mail.HeaderCustomerID); id != "" && o.erased[id] {
		return true
	}
	for _, id := range m.Customers {
		if o.erased[id] {
			return true
		}
	}
	return false
}

// load creates Dir and indexes the files already in it by key hash, once.
// Another process writing the same Key on the same send date is caught by the
// hard link; on another date only by this index, read at the first Send.
func (o *Outbox) load() error {
	if o.index != nil {
		return nil
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return err
	}
	des, err := os.ReadDir(o.Dir)
	if err != nil {
		return err
	}
	idx := make(map[string]string, len(des))
	for _, de := range des {
		name := de.Name()
		base := strings.TrimSuffix(strings.TrimSuffix(name, ".eml"), erasedSuffix)
		if _, h, ok := strings.Cut(base, "_"); ok && base != name && !strings.HasPrefix(name, ".") {
			idx[h] = filepath.Join(o.Dir, name)
		}
	}
	o.index = idx
	return nil
}

// Entry is one message in the outbox.
type Entry struct {
	Name     string         // file name, "<send date>_<key hash>.eml"
	Path     string         // Dir joined with Name
	SendDate string         // "YYYY-MM-DD" from the file name
	Header   netmail.Header // the message's headers
}

// List returns the outbox's messages ordered by file name (send date, then key
// hash), headers parsed. A missing directory is an empty outbox. Returns an
// error when the directory or a file cannot be read or parsed.
func (o *Outbox) List() ([]Entry, error) {
	des, err := os.ReadDir(o.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	var out []Entry
	for _, de := range des {
		name := de.Name()
		if de.IsDir() || !strings.HasSuffix(name, ".eml") || strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(o.Dir, name)
		hdr, err := readHeader(p)
		if err != nil {
			return nil, err
		}
		day, _, _ := strings.Cut(name, "_")
		out = append(out, Entry{Name: name, Path: p, SendDate: day, Header: hdr})
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func readHeader(path string) (netmail.Header, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read outbox file %s: %w", filepath.Base(path), err)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("parse outbox file %s: %w", filepath.Base(path), err)
	}
	return msg.Header, nil
}

func readID(path string) (string, error) {
	hdr, err := readHeader(path)
	if err != nil {
		return "", fmt.Errorf("outbox existing: %w: %w", mail.ErrTemporary, err)
	}
	return strings.Trim(hdr.Get("Message-ID"), "<>"), nil
}

func idDomain(configured, from string) string {
	if configured != "" {
		return configured
	}
	if a, err := netmail.ParseAddress(from); err == nil {
		return a.Address[strings.LastIndexByte(a.Address, '@')+1:]
	}
	return ""
}

func hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}
