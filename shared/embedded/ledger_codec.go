package embedded

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/loupehq/loupe/shared/touch"
	bolt "go.etcd.io/bbolt"
)

// entryVersion is the first byte of a binary ledger entry: 2 adds the
// channel at the end. An email entry (Channel "") is still written as
// version 1, so a binary from before channels reads it.
const (
	entryVersion   = 2
	entryVersionV1 = 1
)

var errCorrupt = errors.New("corrupt ledger value")

// encodeEntry appends the value of e to buf: a version byte, then store,
// state, reason and message id as length-prefixed strings, the planned day
// and claimed, sent and lease times (the key holds the rest). JSON took a
// quarter of the time of a blast's claims.
func encodeEntry(buf []byte, e touch.Entry) []byte {
	if e.Channel == "" {
		buf = append(buf, entryVersionV1)
	} else {
		buf = append(buf, entryVersion)
	}
	for _, s := range []string{e.StoreID, e.State, e.Reason, e.MessageID} {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	buf = appendDay(buf, e.Planned)
	for _, t := range []time.Time{e.ClaimedAt, e.SentAt, e.LeaseUntil} {
		buf = appendTime(buf, t)
	}
	if e.Channel == "" {
		return buf
	}
	buf = binary.AppendUvarint(buf, uint64(len(e.Channel)))
	return append(buf, e.Channel...)
}

func appendDay(buf []byte, d touch.Day) []byte {
	buf = binary.AppendVarint(buf, int64(d.Year))
	buf = binary.AppendUvarint(buf, uint64(d.Month))
	return binary.AppendUvarint(buf, uint64(d.Day))
}

// appendTime writes 0 for the zero time, else 1 and the Unix nanoseconds.
func appendTime(buf []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(buf, 0)
	}
	buf = append(buf, 1)
	return binary.AppendVarint(buf, t.UnixNano())
}

// appendKey appends parts joined with NUL bytes to buf (key without the
// intermediate string).
func appendKey(buf []byte, parts ...string) []byte {
	n := len(parts) - 1
	for _, p := range parts {
		n += len(p)
	}
	buf = slices.Grow(buf, n)
	for i, p := range parts {
		if i > 0 {
			buf = append(buf, 0)
		}
		buf = append(buf, p...)
	}
	return buf
}

// decoder reads what encodeEntry wrote; the first failure sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil || uint64(len(d.b)) < n {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) day() touch.Day {
	y := d.varint()
	m := d.uvarint()
	day := d.uvarint()
	return touch.Day{Year: int(y), Month: time.Month(m), Day: int(day)}
}

func (d *decoder) time() time.Time {
	if d.err != nil || len(d.b) == 0 {
		d.err = errCorrupt
		return time.Time{}
	}
	set := d.b[0]
	d.b = d.b[1:]
	if set == 0 {
		return time.Time{}
	}
	return time.Unix(0, d.varint()).UTC()
}

// decodeEntry returns the entry of k stored as raw.
func decodeEntry(k touch.Key, raw []byte) (touch.Entry, error) {
	if len(raw) == 0 || raw[0] != entryVersion && raw[0] != entryVersionV1 {
		return touch.Entry{}, fmt.Errorf("decode %s: %w", k, errCorrupt)
	}
	d := decoder{b: raw[1:]}
	e := touch.Entry{Key: k}
	e.StoreID, e.State, e.Reason, e.MessageID = d.string(), d.string(), d.string(), d.string()
	e.Planned = d.day()
	e.ClaimedAt, e.SentAt, e.LeaseUntil = d.time(), d.time(), d.time()
	if raw[0] >= entryVersion {
		e.Channel = d.string()
	}
	if d.err != nil {
		return touch.Entry{}, fmt.Errorf("decode %s: %w", k, d.err)
	}
	return e, nil
}

// recentMarketing reports which of the clients ids (sorted, distinct) have a
// key in the marketing index b planned on or after since (hit[i] for
// ids[i]). It walks each planned day from since on once, stepping through
// dense days and seeking over sparse ones.
func recentMarketing(b *bolt.Bucket, ids []string, since touch.Day) []bool {
	hit := make([]bool, len(ids))
	if len(ids) == 0 {
		return hit
	}
	c := b.Cursor()
	var want []byte
	k, _ := c.Seek([]byte(since.String()))
	for k != nil {
		day, _, _ := bytes.Cut(k, []byte{0})
		day = append([]byte(nil), day...) // k is only valid until the cursor moves
		for i, id := range ids {
			if hit[i] {
				continue
			}
			want = append(appendKey(want[:0], string(day), id), 0)
			// Step a few keys before seeking: consecutive clients sit close.
			for steps := 0; k != nil && bytes.Compare(k, want) < 0 && steps < 16; steps++ {
				k, _ = c.Next()
			}
			if k != nil && bytes.Compare(k, want) < 0 {
				k, _ = c.Seek(want)
			}
			if k != nil && bytes.HasPrefix(k, want) {
				hit[i] = true
			}
			if k == nil || !bytes.HasPrefix(k, day) || len(k) <= len(day) || k[len(day)] != 0 {
				break // past this day: no later id of the list is in it
			}
		}
		// The next planned day.
		k, _ = c.Seek(append(day, 1))
	}
	return hit
}

// Buckets of the older ledger layout (customer-first keys, JSON entries).
var (
	oldLedger    = []byte("tp_ledger")
	oldPending   = []byte("tp_pending")
	oldMarketing = []byte("tp_marketing")
)

// migrateLedger converts a ledger of the older layout, in one transaction,
// and drops its buckets. It does nothing on files without them.
func migrateLedger(db *DB) error {
	old := false
	if err := db.view(func(tx *bolt.Tx) error {
		old = tx.Bucket(oldLedger) != nil
		return nil
	}); err != nil || !old {
		return err
	}
	return db.update(func(tx *bolt.Tx) error {
		ob := tx.Bucket(oldLedger)
		if ob == nil {
			return nil // converted meanwhile
		}
		n := 0
		err := ob.ForEach(func(k, v []byte) error {
			var e touch.Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode %q: %w", k, err)
			}
			e.ClaimedAt, e.SentAt, e.LeaseUntil = e.ClaimedAt.UTC(), e.SentAt.UTC(), e.LeaseUntil.UTC()
			if err := putEntry(tx, e); err != nil {
				return err
			}
			if e.State == touch.StateClaimed {
				if err := tx.Bucket(bucketClaimed).Put(claimedKey(e), nil); err != nil {
					return err
				}
			}
			if e.Marketing() {
				if err := tx.Bucket(bucketMktDay).Put(mktDayKey(e), nil); err != nil {
					return err
				}
			}
			n++
			return nil
		})
		if err != nil {
			return err
		}
		for _, name := range [][]byte{oldLedger, oldPending, oldMarketing} {
			if tx.Bucket(name) == nil {
				continue
			}
			if err := tx.DeleteBucket(name); err != nil {
				return fmt.Errorf("drop %s: %w", name, err)
			}
		}
		db.log.Info("touchpoint ledger converted", "entries", n)
		return nil
	})
}
