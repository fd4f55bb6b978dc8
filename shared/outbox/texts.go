package outbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/textin"
	"github.com/loupehq/loupe/shared/textmsg"
	"github.com/loupehq/loupe/shared/touch"
)

// The local outboxes of the other channels (CONTRACT section 4): Dir's
// subdirectories, one JSON file a message.
const (
	TextsDir = "sms"
	CallsDir = "voice"
)

// claimsDir, inside TextsDir and CallsDir, holds one file per message id:
// the claim that makes a key written once, whatever its sent_at. It is a
// hard link to the message's file, or empty once Forget removed it.
const claimsDir = ".claims"

// Kinds of a text or call file (the kind field).
const (
	KindTouchpoint = "touchpoint"
	// textin.KindStopConfirmation and textin.KindHelpReply for replies.
)

// Message types of a text or call file, as End User Messaging names them.
const (
	Promotional   = "PROMOTIONAL"
	Transactional = "TRANSACTIONAL"
)

// Record is one file of the text or call outbox: "<sent_at>_<message
// id>.json" (sent_at as 20060102T150405Z, UTC) with CONTRACT section 4's
// fields and, for reading back, the message id and idempotency key.
type Record struct {
	MessageID string `json:"message_id"`
	// Key is the idempotency key: the touchpoint's "tp/<customer>/<occasion>/<year>"
	// or the reply's Key.
	Key  string `json:"key"`
	To   string `json:"to"`
	From string `json:"from"`
	// Body is a text's body; "" in a call's file.
	Body string `json:"body,omitempty"`
	// SSML is a call's spoken message (textmsg.ComposeVoice); "" in a
	// text's file.
	SSML string `json:"ssml,omitempty"`
	// Kind is KindTouchpoint, textin.KindStopConfirmation or
	// textin.KindHelpReply.
	Kind string `json:"kind"`
	// Touchpoint is the ledger occasion ("birthday", "repair_ready:r7", ...)
	// as a mail's X-Loupe-Touchpoint, or the reply's kind.
	Touchpoint string `json:"touchpoint"`
	CustomerID string `json:"customer_id"`
	StoreID    string `json:"store_id,omitempty"`
	// SendDate is the store-local day the touchpoint was planned for
	// ("YYYY-MM-DD"); for a reply, the day of its inbound text's At.
	SendDate string    `json:"send_date"`
	SentAt   time.Time `json:"sent_at"`
	// MessageType is Promotional or Transactional.
	MessageType string `json:"message_type"`

	// File is the file's path (set by List, not stored).
	File string `json:"-"`
}

// Identities are the numbers local texts and calls go from, as the End
// User Messaging senders' Config has them (smsvoice.Config
// OriginationIdentity and StoreIdentities): a store's own, else the
// default, else the store's phone.
type Identities struct {
	// Default is the origination identity of a store StoreIdentities has
	// none for.
	Default string
	// ByStore maps a store id to its own origination identity.
	ByStore map[string]string
}

// of returns the number messages of store go from: its own identity, the
// default, else its phone ("" when none of them is set).
func (ids Identities) of(store loupe.Store) string {
	if id := ids.ByStore[store.StoreID]; id != "" {
		return id
	}
	if ids.Default != "" {
		return ids.Default
	}
	return store.Phone
}

// records is a directory of Record files with its claims, in Outbox o.
type records struct {
	o       *Outbox
	channel string // TextsDir or CallsDir
	ids     Identities
}

func (r *records) dir() string { return filepath.Join(r.o.Dir, r.channel) }

// Texts is the local text message outbox, Dir/sms: a touch.Channel for the
// sms channel and the textin.Replier of `loupe serve`. Safe for concurrent
// use, also by several processes (and Outboxes) sharing the directory.
type Texts struct{ r records }

var (
	_ touch.Channel  = (*Texts)(nil)
	_ textin.Replier = (*Texts)(nil)
)

// Texts returns the text outbox in o.Dir/sms, its texts going from ids. It
// shares o's lock, clock and erasures: o.Forget removes its files too.
func (o *Outbox) Texts(ids Identities) *Texts {
	return &Texts{r: records{o: o, channel: TextsDir, ids: ids}}
}

// Send writes t's text (textmsg.Compose) to the client's phone as one file
// and returns its message id, derived from the key. A key already written
// (by any process, at any sent_at) writes nothing and returns the same id;
// so does a key Forget removed, and a touchpoint of a client Forget erased
// in this process.
//
// Returns an error wrapping mail.ErrRejected and an EINVALID *loupe.Error for
// a client without a phone or a text textmsg.Compose refuses, and an error
// wrapping mail.ErrTemporary when a file cannot be read or written.
func (x *Texts) Send(ctx context.Context, t touch.Touch) (string, error) {
	key := t.Key.MailKey()
	if t.Customer.Phone == "" {
		return "", fmt.Errorf("outbox sms %s: %w: %w", key, mail.ErrRejected,
			loupe.Invalidf("phone", "customer %s has no phone", t.Customer.CustomerID))
	}
	m, err := textmsg.Compose(t)
	if err != nil {
		return "", fmt.Errorf("outbox sms %s: %w: %w", key, mail.ErrRejected, err)
	}
	typ := Transactional
	if m.Promotional {
		typ = Promotional
	}
	return x.r.put(ctx, Record{
		Key: key, To: t.Customer.Phone, From: x.r.ids.of(t.Store), Body: m.Body,
		Kind: KindTouchpoint, Touchpoint: t.Occasion, CustomerID: t.CustomerID, StoreID: t.StoreID,
		SendDate: planned(t.Planned), MessageType: typ,
	})
}

// Reply writes r as one TRANSACTIONAL text file from r.From to r.To and
// returns its message id, derived from r.Key: a Key already written writes
// nothing and returns the same id.
//
// Returns an error wrapping mail.ErrRejected and an EINVALID *loupe.Error
// naming the field when r has no Key, To, From or Body or an unknown Kind,
// and an error wrapping mail.ErrTemporary when a file cannot be written.
func (x *Texts) Reply(ctx context.Context, r textin.Reply) (string, error) {
	if err := r.Check(); err != nil {
		return "", fmt.Errorf("outbox sms reply %s: %w: %w", r.Key, mail.ErrRejected, err)
	}
	day := ""
	if !r.At.IsZero() {
		day = r.At.Format(time.DateOnly)
	}
	return x.r.put(ctx, Record{
		Key: r.Key, To: r.To, From: r.From, Body: r.Body,
		Kind: r.Kind, Touchpoint: r.Kind, CustomerID: r.CustomerID, StoreID: r.StoreID,
		SendDate: day, MessageType: Transactional,
	})
}

// List returns the texts in the outbox ordered by file name (sent_at, then
// message id). A missing directory is an empty outbox. Returns an error when
// the directory or a file cannot be read or parsed.
func (x *Texts) List() ([]Record, error) { return x.r.list() }

// Calls is the local voice outbox, Dir/voice: a touch.Channel for the
// voice channel, service messages only (see smsvoice.Voice: Loupe never
// places a marketing call). Safe for concurrent use, also by several
// processes sharing the directory.
type Calls struct{ r records }

var _ touch.Channel = (*Calls)(nil)

// Calls returns the call outbox in o.Dir/voice, its calls going from ids.
// It shares o's lock, clock and erasures: o.Forget removes its files too.
func (o *Outbox) Calls(ids Identities) *Calls {
	return &Calls{r: records{o: o, channel: CallsDir, ids: ids}}
}

// Send writes t's spoken message (textmsg.ComposeVoice, SSML) to the
// client's phone as one file and returns its message id, derived from the
// key; a key already written writes nothing and returns the same id.
//
// Returns an error wrapping mail.ErrRejected and an EINVALID *loupe.Error for
// a touchpoint that is not a service message (repair_ready,
// repair_reminder), a client without a phone or a message
// textmsg.ComposeVoice refuses (a store without a name or phone), and an
// error wrapping mail.ErrTemporary when a file cannot be written.
func (x *Calls) Send(ctx context.Context, t touch.Touch) (string, error) {
	key := t.Key.MailKey()
	if !textmsg.Service(t.Occasion) {
		return "", fmt.Errorf("outbox voice %s: %w: %w", key, mail.ErrRejected,
			loupe.Invalidf("occasion", "touchpoint %s is marketing: Loupe never places a marketing call", t.Occasion))
	}
	if t.Customer.Phone == "" {
		return "", fmt.Errorf("outbox voice %s: %w: %w", key, mail.ErrRejected,
			loupe.Invalidf("phone", "customer %s has no phone", t.Customer.CustomerID))
	}
	v, err := textmsg.ComposeVoice(t)
	if err != nil {
		return "", fmt.Errorf("outbox voice %s: %w: %w", key, mail.ErrRejected, err)
	}
	return x.r.put(ctx, Record{
		Key: key, To: t.Customer.Phone, From: x.r.ids.of(t.Store), SSML: v.SSML,
		Kind: KindTouchpoint, Touchpoint: t.Occasion, CustomerID: t.CustomerID, StoreID: t.StoreID,
		SendDate: planned(t.Planned), MessageType: Transactional,
	})
}

// List returns the calls in the outbox ordered by file name, as Texts.List.
func (x *Calls) List() ([]Record, error) { return x.r.list() }

// planned returns the send date of a touchpoint planned for d, "" for the
// zero day.
func planned(d touch.Day) string {
	if d == (touch.Day{}) {
		return ""
	}
	return d.String()
}

// MessageID returns the message id of a text (channel TextsDir) or call
// (CallsDir) with idempotency key key: a UUID-shaped hash of both, the same
// in every process.
func MessageID(channel, key string) string {
	sum := sha256.Sum256([]byte("loupe-outbox/" + channel + "/" + key))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80 // version 8: a custom, name-based UUID
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// fileStamp is the sent_at of a file name.
const fileStamp = "20060102T150405Z"

// put writes rec (its MessageID and SentAt filled in here) once per key and
// returns the message id. The claim is a hard link, made from a complete
// temporary file, to <dir>/.claims/<id>: it fails when the id is claimed,
// by this process or another, whatever that one's sent_at, and then the
// earlier file stands. The claim is then linked to its visible name. A
// claim without its visible file (a crash between the links) is linked
// again on the next put of the key.
func (r *records) put(ctx context.Context, rec Record) (string, error) {
	rec.MessageID = MessageID(r.channel, rec.Key)
	op := "outbox " + r.channel
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %w", op, rec.Key, mail.ErrTemporary, err)
	}
	now := time.Now
	if r.o.Now != nil {
		now = r.o.Now
	}
	rec.SentAt = now().UTC().Truncate(time.Second)
	if rec.SendDate == "" {
		rec.SendDate = rec.SentAt.Format(time.DateOnly)
	}

	r.o.mu.Lock()
	defer r.o.mu.Unlock()
	claims := filepath.Join(r.dir(), claimsDir)
	if err := os.MkdirAll(claims, 0o700); err != nil {
		return "", fmt.Errorf("%s %s: %w: %w", op, rec.Key, mail.ErrTemporary, err)
	}
	claim := filepath.Join(claims, rec.MessageID)
	if rec.CustomerID != "" && r.o.erased[rec.CustomerID] { // built before its client's erasure
		f, err := os.OpenFile(claim, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			err = f.Close()
		}
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("%s %s: %w: %w", op, rec.Key, mail.ErrTemporary, err)
		}
		return rec.MessageID, nil
	}
	if done, err := r.existing(claim); done || err != nil {
		if err != nil {
			return "", fmt.Errorf("%s %s: %w: %w", op, rec.Key, mail.ErrTemporary, err)
		}
		return rec.MessageID, nil
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", op, rec.Key, err)
	}
	tmp, err := os.CreateTemp(claims, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %w", op, rec.Key, mail.ErrTemporary, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %w", op, rec.Key, mail.ErrTemporary, err)
	}
	if err := os.Link(tmp.Name(), claim); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process claimed it first
			if _, err := r.existing(claim); err != nil {
				return "", fmt.Errorf("%s %s: %w: %w", op, rec.Key, mail.ErrTemporary, err)
			}
			return rec.MessageID, nil
		}
		return "", fmt.Errorf("%s %s: %w: %w", op, rec.Key, mail.ErrTemporary, err)
	}
	if err := os.Link(claim, filepath.Join(r.dir(), fileName(rec))); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("%s %s: %w: %w", op, rec.Key, mail.ErrTemporary, err)
	}
	return rec.MessageID, nil
}

// fileName returns the visible name of rec's file.
func fileName(rec Record) string {
	return rec.SentAt.UTC().Format(fileStamp) + "_" + rec.MessageID + ".json"
}

// existing reports whether claim is taken: false when there is none; true
// when it is a tombstone (empty: removed by Forget) or a message, whose
// visible file it links again if that is missing. Call with o.mu held.
func (r *records) existing(claim string) (bool, error) {
	data, err := os.ReadFile(claim)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil || len(data) == 0 {
		return err == nil, err
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return true, fmt.Errorf("read claim %s: %w", filepath.Base(claim), err)
	}
	final := filepath.Join(r.dir(), fileName(rec))
	if _, err := os.Stat(final); errors.Is(err, fs.ErrNotExist) {
		if err := os.Link(claim, final); err != nil && !errors.Is(err, fs.ErrExist) {
			return true, err
		}
	}
	return true, nil
}

// list returns the records of the directory, by file name.
func (r *records) list() ([]Record, error) {
	dir := r.dir()
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list outbox %s: %w", r.channel, err)
	}
	var out []Record
	for _, de := range des {
		name := de.Name()
		if de.IsDir() || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(dir, name)
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) { // removed meanwhile
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read outbox file %s: %w", name, err)
		}
		var rec Record
		if err := json.Unmarshal(data, &rec); err != nil {
			return nil, fmt.Errorf("parse outbox file %s: %w", name, err)
		}
		rec.File = p
		out = append(out, rec)
	}
	slices.SortFunc(out, func(a, b Record) int { return strings.Compare(filepath.Base(a.File), filepath.Base(b.File)) })
	return out, nil
}

// forget removes every record of the directory naming the erased client
// (its customer_id, or one of terms, case aside, in to, from, body or
// ssml), leaving its claim as an empty tombstone so its key is never
// written again: first the visible files, then the claims left holding a
// message (one whose visible file was never linked, a crash between the
// two links of put, or was removed by hand), then the temporary files
// (sweepTemps: those a crash left, in the directory and its claims). Call
// with o.mu held. Returns the first error reading or removing a file.
func (r *records) forget(ctx context.Context, customerID string, terms []string) error {
	dir := r.dir()
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("outbox forget %s: %w", r.channel, err)
	}
	for _, de := range des {
		name := de.Name()
		if de.IsDir() || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("outbox forget %s: %w", r.channel, err)
		}
		p := filepath.Join(dir, name)
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("outbox forget %s: %w", r.channel, err)
		}
		var rec Record
		if err := json.Unmarshal(data, &rec); err != nil {
			return fmt.Errorf("outbox forget %s: parse %s: %w", r.channel, name, err)
		}
		if !recordNames(rec, customerID, terms) {
			continue
		}
		if err := r.tombstone(p); err != nil {
			return fmt.Errorf("outbox forget %s %s: %w", r.channel, name, err)
		}
	}
	if err := r.forgetClaims(ctx, customerID, terms); err != nil {
		return err
	}
	holds := func(data []byte) bool { return recordHolds(data, customerID, terms) }
	for _, d := range []string{dir, filepath.Join(dir, claimsDir)} {
		if err := sweepTemps(ctx, d, holds); err != nil {
			return fmt.Errorf("outbox forget %s: %w", r.channel, err)
		}
	}
	return nil
}

// forgetClaims empties, as tombstones, the claims that still hold a message
// naming the client, and removes the visible file such a claim names if
// there is one. Empty claims (tombstones already) and temporary files are
// left. Call with o.mu held. Returns the first error reading, parsing or
// replacing a claim.
func (r *records) forgetClaims(ctx context.Context, customerID string, terms []string) error {
	claims := filepath.Join(r.dir(), claimsDir)
	des, err := os.ReadDir(claims)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("outbox forget %s claims: %w", r.channel, err)
	}
	for _, de := range des {
		id := de.Name()
		if de.IsDir() || strings.HasPrefix(id, ".") {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("outbox forget %s claims: %w", r.channel, err)
		}
		data, err := os.ReadFile(filepath.Join(claims, id))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("outbox forget %s claims: %w", r.channel, err)
		}
		if len(data) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(data, &rec); err != nil {
			return fmt.Errorf("outbox forget %s: parse claim %s: %w", r.channel, id, err)
		}
		if !recordNames(rec, customerID, terms) {
			continue
		}
		if err := r.bury(id, filepath.Join(r.dir(), fileName(rec))); err != nil {
			return fmt.Errorf("outbox forget %s claim %s: %w", r.channel, id, err)
		}
	}
	return nil
}

// recordHolds reports whether data, a temporary file's content, names the
// client: as recordNames when it parses as a Record, else (cut short by a
// crash) when it holds the quoted customer id or, case aside, a term.
func recordHolds(data []byte, customerID string, terms []string) bool {
	if len(data) == 0 {
		return false
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err == nil {
		return recordNames(rec, customerID, terms)
	}
	if customerID != "" && bytes.Contains(data, []byte(`"`+customerID+`"`)) {
		return true
	}
	lower := bytes.ToLower(data)
	for _, t := range terms {
		if t != "" && bytes.Contains(lower, []byte(strings.ToLower(t))) {
			return true
		}
	}
	return false
}

// recordNames reports whether rec names the client: by its customer id,
// or by a term in its text.
func recordNames(rec Record, customerID string, terms []string) bool {
	if rec.CustomerID != "" && rec.CustomerID == customerID {
		return true
	}
	text := bytes.ToLower([]byte(strings.Join([]string{rec.To, rec.From, rec.Body, rec.SSML}, "\n")))
	for _, t := range terms {
		if t != "" && bytes.Contains(text, []byte(strings.ToLower(t))) {
			return true
		}
	}
	return false
}

// tombstone replaces the claim of the message file p by an empty file,
// then removes p (bury). Call with o.mu held.
func (r *records) tombstone(p string) error {
	base := strings.TrimSuffix(filepath.Base(p), ".json")
	_, id, ok := strings.Cut(base, "_")
	if !ok || id == "" {
		return fmt.Errorf("not an outbox file name")
	}
	return r.bury(id, p)
}

// bury replaces the claim of message id by an empty file, then removes its
// visible file p (missing is fine): in that order, so a put recovering the
// visible file from its claim finds the tombstone instead. Call with o.mu
// held.
func (r *records) bury(id, p string) error {
	claims := filepath.Join(r.dir(), claimsDir)
	if err := os.MkdirAll(claims, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(claims, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(claims, id)); err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
