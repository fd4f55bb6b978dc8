package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/compliance"
	bolt "go.etcd.io/bbolt"
)

// Compliance buckets, all keyed "<YYYY-MM-DD>/<store_id>" so a window of
// days is one cursor range (docs/compliance.md section 3):
//
//	compliance          the counts a report reads: per associate take-ins and
//	                    with email (encodeDay without missing entries)
//	compliance_missing  the day's missing list, bounded by MaxMissingPerDay
//	                    (encodeDay without counts); a report reads only each
//	                    store's newest ones
//	compliance_ids      the sets of repair ids behind the counts, read only by Record
//
// Splitting them keeps a report's read cost independent of the number of
// take-ins: it never decodes the sets, and at most MaxMissingPerStore +
// MaxMissingPerDay missing entries a store. Files written before the split
// hold the missing list inside the counts value; it is still read, and moved
// out by the next Record of that store-day.
var (
	bucketCompliance        = []byte("compliance")
	bucketComplianceMissing = []byte("compliance_missing")
	bucketComplianceIDs     = []byte("compliance_ids")
)

func init() {
	buckets = append(buckets, bucketCompliance, bucketComplianceMissing, bucketComplianceIDs)
}

// ComplianceStore is compliance.Store on the embedded file. Get it with
// (*DB).Compliance. Safe for concurrent use.
type ComplianceStore struct {
	db *DB
}

var _ compliance.Store = (*ComplianceStore)(nil)

// Compliance returns the compliance aggregates kept in db's file.
func (db *DB) Compliance() *ComplianceStore { return &ComplianceStore{db: db} }

// complianceDay is the stored aggregate of one store-day, encoded with
// encodeDay (a report decodes thousands of them: binary, not JSON).
type complianceDay struct {
	StoreID string
	Day     string
	Counts  map[string][2]int            // associate id -> [take-ins, with email]
	Missing map[string]complianceMissing // repair id -> listed take-in without email
}

// complianceIDs are the sets behind complianceDay's counts, as sorted arrays,
// so a replayed take-in adds nothing.
type complianceIDs struct {
	Taken   map[string][]string `json:"t"` // associate id -> repair ids taken in
	Emailed map[string][]string `json:"e"` // associate id -> the subset with email
}

type complianceMissing struct {
	AssociateID string
	CustomerID  string
	TakenInAt   time.Time
	Reason      string
	Suggestion  string
}

// dayFormat is the first byte of an encoded complianceDay.
const dayFormat = 1

// encodeDay encodes d as: format byte, store id, day, associate count, then
// per associate (id, take-ins, with email), missing count, then per entry
// (repair id, associate, customer, taken-in unix nanoseconds, reason,
// suggestion). Strings are uvarint length then bytes.
func encodeDay(d complianceDay) []byte {
	b := []byte{dayFormat}
	str := func(v string) { b = binary.AppendUvarint(b, uint64(len(v))); b = append(b, v...) }
	str(d.StoreID)
	str(d.Day)
	b = binary.AppendUvarint(b, uint64(len(d.Counts)))
	for a, n := range d.Counts {
		str(a)
		b = binary.AppendUvarint(b, uint64(n[0]))
		b = binary.AppendUvarint(b, uint64(n[1]))
	}
	b = binary.AppendUvarint(b, uint64(len(d.Missing)))
	for rid, m := range d.Missing {
		str(rid)
		str(m.AssociateID)
		str(m.CustomerID)
		b = binary.AppendVarint(b, m.TakenInAt.UnixNano())
		str(m.Reason)
		str(m.Suggestion)
	}
	return b
}

// dayDecoder decodes encodeDay's output, sharing repeated strings (associate
// ids, reasons) across the aggregates of one read.
type dayDecoder struct {
	b      []byte
	err    error
	intern map[string]string
}

func (dd *dayDecoder) uint() int {
	v, n := binary.Uvarint(dd.b)
	if n <= 0 {
		dd.err, dd.b = errBadDay, nil
		return 0
	}
	dd.b = dd.b[n:]
	return int(v)
}

func (dd *dayDecoder) str(shared bool) string {
	n := dd.uint()
	if n > len(dd.b) {
		dd.err, dd.b = errBadDay, nil
		return ""
	}
	raw := dd.b[:n]
	dd.b = dd.b[n:]
	if !shared {
		return string(raw)
	}
	if v, ok := dd.intern[string(raw)]; ok {
		return v
	}
	v := string(raw)
	dd.intern[v] = v
	return v
}

var errBadDay = errors.New("malformed compliance aggregate")

// day decodes one aggregate straight into a compliance.Day.
func (dd *dayDecoder) day(raw []byte) (compliance.Day, error) {
	if len(raw) == 0 || raw[0] != dayFormat {
		return compliance.Day{}, errBadDay
	}
	dd.b, dd.err = raw[1:], nil
	d := compliance.Day{StoreID: dd.str(true), Date: dd.str(true)}
	n := dd.uint()
	if n > 0 { // a missing-list value has none: no map
		d.Associates = make(map[string]compliance.Count, min(n, 1024))
	}
	for range n {
		a := dd.str(true)
		d.Associates[a] = compliance.Count{TakeIns: dd.uint(), WithEmail: dd.uint()}
	}
	n = dd.uint()
	if n > 0 {
		d.Missing = make([]compliance.Missing, 0, min(n, compliance.MaxMissingPerDay))
	}
	for range n {
		m := compliance.Missing{RepairID: dd.str(false), AssociateID: dd.str(true), CustomerID: dd.str(false)}
		v, k := binary.Varint(dd.b)
		if k <= 0 {
			return compliance.Day{}, errBadDay
		}
		dd.b = dd.b[k:]
		m.TakenInAt = time.Unix(0, v).UTC()
		m.Reason, m.Suggestion = dd.str(true), dd.str(false)
		d.Missing = append(d.Missing, m)
	}
	if dd.err != nil {
		return compliance.Day{}, dd.err
	}
	return d, nil
}

// getDay reads the aggregate under k (counts, and the missing list from bm or,
// in a file written before the split, from the counts value) into a
// complianceDay; false when absent.
func getDay(b, bm *bolt.Bucket, k []byte) (complianceDay, bool, error) {
	raw := b.Get(k)
	if raw == nil {
		return complianceDay{}, false, nil
	}
	dd := dayDecoder{intern: map[string]string{}}
	d, err := dd.day(raw)
	if err != nil {
		return complianceDay{}, true, fmt.Errorf("decode %s: %w", k, err)
	}
	if rawm := bm.Get(k); rawm != nil {
		md, err := dd.day(rawm)
		if err != nil {
			return complianceDay{}, true, fmt.Errorf("decode missing %s: %w", k, err)
		}
		d.Missing = append(d.Missing, md.Missing...)
	}
	out := complianceDay{StoreID: d.StoreID, Day: d.Date, Counts: map[string][2]int{}, Missing: map[string]complianceMissing{}}
	for a, c := range d.Associates {
		out.Counts[a] = [2]int{c.TakeIns, c.WithEmail}
	}
	for _, m := range d.Missing {
		out.Missing[m.RepairID] = complianceMissing{AssociateID: m.AssociateID, CustomerID: m.CustomerID,
			TakenInAt: m.TakenInAt, Reason: m.Reason, Suggestion: m.Suggestion}
	}
	return out, true, nil
}

// putDay writes d split into its counts value (in b) and its missing list (in bm).
func putDay(b, bm *bolt.Bucket, k []byte, d complianceDay) error {
	if err := b.Put(k, encodeDay(complianceDay{StoreID: d.StoreID, Day: d.Day, Counts: d.Counts})); err != nil {
		return err
	}
	if len(d.Missing) == 0 {
		return bm.Delete(k)
	}
	return bm.Put(k, encodeDay(complianceDay{StoreID: d.StoreID, Day: d.Day, Missing: d.Missing}))
}

func complianceKey(day, storeID string) []byte { return []byte(day + "/" + storeID) }

// addSorted inserts id into the sorted set ids, returning it unchanged when present.
func addSorted(ids []string, id string) []string {
	i, found := slices.BinarySearch(ids, id)
	if found {
		return ids
	}
	return slices.Insert(ids, i, id)
}

// Record implements compliance.Store: one read-modify-write of the (day,
// store) aggregate and its id sets in one transaction. Idempotent on t.RepairID. Returns an
// EINVALID *loupe.Error for an invalid t, or the storage error.
func (cs *ComplianceStore) Record(ctx context.Context, t compliance.TakeIn) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("record take-in %s: %w", t.RepairID, err)
	}
	err := cs.db.update(func(tx *bolt.Tx) error {
		b, bm, bIDs := tx.Bucket(bucketCompliance), tx.Bucket(bucketComplianceMissing), tx.Bucket(bucketComplianceIDs)
		k := complianceKey(t.Day, t.StoreID)
		d, found, err := getDay(b, bm, k)
		if err != nil {
			return err
		}
		if !found {
			d = complianceDay{StoreID: t.StoreID, Day: t.Day}
		}
		var ids complianceIDs
		if _, err := getJSON(bIDs, string(k), &ids); err != nil {
			return err
		}
		if d.Counts == nil {
			d.Counts = map[string][2]int{}
		}
		if d.Missing == nil {
			d.Missing = map[string]complianceMissing{}
		}
		if ids.Taken == nil {
			ids.Taken = map[string][]string{}
		}
		if ids.Emailed == nil {
			ids.Emailed = map[string][]string{}
		}
		ids.Taken[t.AssociateID] = addSorted(ids.Taken[t.AssociateID], t.RepairID)
		if t.Captured {
			ids.Emailed[t.AssociateID] = addSorted(ids.Emailed[t.AssociateID], t.RepairID)
		} else if _, listed := d.Missing[t.RepairID]; !listed && len(d.Missing) < compliance.MaxMissingPerDay {
			d.Missing[t.RepairID] = complianceMissing{AssociateID: t.AssociateID, CustomerID: t.CustomerID,
				TakenInAt: t.TakenInAt.UTC(), Reason: t.Reason, Suggestion: t.Suggestion}
		}
		d.Counts[t.AssociateID] = [2]int{len(ids.Taken[t.AssociateID]), len(ids.Emailed[t.AssociateID])}
		if err := putJSON(bIDs, string(k), ids); err != nil {
			return err
		}
		return putDay(b, bm, k, d)
	})
	if err != nil {
		return fmt.Errorf("record take-in %s: %w", t.RepairID, err)
	}
	return nil
}

// Days implements compliance.Store: a cursor range over the window for the
// chain, direct gets for one store, each day with its whole missing list.
// Returns the storage or decoding error.
func (cs *ComplianceStore) Days(ctx context.Context, from, to, storeID string) ([]compliance.Day, error) {
	return cs.days(from, to, storeID, -1)
}

// ReportDays implements compliance.Store: the counts of every store-day of
// the window, then per store the missing lists of its newest days until
// missingPerStore entries are listed. Returns the storage or decoding error.
func (cs *ComplianceStore) ReportDays(ctx context.Context, from, to, storeID string, missingPerStore int) ([]compliance.Day, error) {
	return cs.days(from, to, storeID, max(missingPerStore, 0))
}

// days reads the counts of the window and the missing lists: all of them when
// perStore < 0, else each store's newest until perStore entries.
func (cs *ComplianceStore) days(from, to, storeID string, perStore int) ([]compliance.Day, error) {
	var out []compliance.Day
	dd := dayDecoder{intern: map[string]string{}}
	add := func(k, raw []byte) error {
		d, err := dd.day(raw)
		if err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		out = append(out, d)
		return nil
	}
	err := cs.db.view(func(tx *bolt.Tx) error {
		b, bm := tx.Bucket(bucketCompliance), tx.Bucket(bucketComplianceMissing)
		if storeID != "" {
			f, err := time.Parse(time.DateOnly, from)
			if err != nil {
				return fmt.Errorf("from %q: %w", from, err)
			}
			l, err := time.Parse(time.DateOnly, to)
			if err != nil {
				return fmt.Errorf("to %q: %w", to, err)
			}
			for day := f; !day.After(l); day = day.AddDate(0, 0, 1) {
				k := complianceKey(day.Format(time.DateOnly), storeID)
				if raw := b.Get(k); raw != nil {
					if err := add(k, raw); err != nil {
						return err
					}
				}
			}
		} else {
			end := []byte(to + "/\xff")
			c := b.Cursor()
			for k, v := c.Seek([]byte(from + "/")); k != nil && bytes.Compare(k, end) <= 0; k, v = c.Next() {
				if err := add(k, v); err != nil {
					return err
				}
			}
		}
		slices.SortFunc(out, func(a, b compliance.Day) int {
			if a.StoreID != b.StoreID {
				return strings.Compare(a.StoreID, b.StoreID)
			}
			return strings.Compare(a.Date, b.Date)
		})
		// Missing lists, newest day first per store (days are sorted by store then date).
		listed := map[string]int{}
		for i := len(out) - 1; i >= 0; i-- {
			d := &out[i]
			if perStore >= 0 && listed[d.StoreID] >= perStore {
				d.Missing = nil // a legacy value's inline list, not needed
				continue
			}
			k := complianceKey(d.Date, d.StoreID)
			if raw := bm.Get(k); raw != nil {
				md, err := dd.day(raw)
				if err != nil {
					return fmt.Errorf("decode missing %s: %w", k, err)
				}
				if d.Missing == nil {
					d.Missing = md.Missing
				} else {
					d.Missing = append(d.Missing, md.Missing...) // a legacy value's inline list
				}
			}
			listed[d.StoreID] += len(d.Missing)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("compliance days %s..%s: %w", from, to, err)
	}
	return out, nil
}

// Scrub implements compliance.Store: the listed entry of repairID loses its
// customer id and suggestion; a no-op when not listed. Returns the storage error.
func (cs *ComplianceStore) Scrub(ctx context.Context, storeID, day, repairID string) error {
	err := cs.db.update(func(tx *bolt.Tx) error {
		b, bm := tx.Bucket(bucketCompliance), tx.Bucket(bucketComplianceMissing)
		k := complianceKey(day, storeID)
		d, found, err := getDay(b, bm, k)
		if err != nil || !found {
			return err
		}
		m, ok := d.Missing[repairID]
		if !ok || (m.CustomerID == "" && m.Suggestion == "") {
			return nil
		}
		m.CustomerID, m.Suggestion = "", ""
		d.Missing[repairID] = m
		return putDay(b, bm, k, d)
	})
	if err != nil {
		return fmt.Errorf("scrub take-in %s: %w", repairID, err)
	}
	return nil
}
