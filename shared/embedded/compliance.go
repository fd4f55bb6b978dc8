package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/compliance"
	bolt "go.etcd.io/bbolt"
)

// Compliance buckets, both keyed "<YYYY-MM-DD>/<store_id>" so a window of
// days is one cursor range (docs/compliance.md section 3):
//
//	compliance      the aggregate a report reads: counts per associate and the
//	                missing list (bounded by MaxMissingPerDay)
//	compliance_ids  the sets of repair ids behind the counts, read only by Record
//
// Splitting them keeps a report's read cost independent of the number of
// take-ins: it never decodes the sets.
var (
	bucketCompliance    = []byte("compliance")
	bucketComplianceIDs = []byte("compliance_ids")
)

func init() { buckets = append(buckets, bucketCompliance, bucketComplianceIDs) }

// ComplianceStore is compliance.Store on the embedded file. Get it with
// (*DB).Compliance. Safe for concurrent use.
type ComplianceStore struct {
	db *DB
}

var _ compliance.Store = (*ComplianceStore)(nil)

// Compliance returns the compliance aggregates kept in db's file.
func (db *DB) Compliance() *ComplianceStore { return &ComplianceStore{db: db} }

// complianceDay is the stored aggregate of one store-day.
type complianceDay struct {
	StoreID string                       `json:"store_id"`
	Day     string                       `json:"day"`
	Counts  map[string][2]int            `json:"n"` // associate id -> [take-ins, with email]
	Missing map[string]complianceMissing `json:"m"` // repair id -> listed take-in without email
}

// complianceIDs are the sets behind complianceDay's counts, as sorted arrays,
// so a replayed take-in adds nothing.
type complianceIDs struct {
	Taken   map[string][]string `json:"t"` // associate id -> repair ids taken in
	Emailed map[string][]string `json:"e"` // associate id -> the subset with email
}

type complianceMissing struct {
	AssociateID string    `json:"a"`
	CustomerID  string    `json:"c,omitempty"`
	TakenInAt   time.Time `json:"at"`
	Reason      string    `json:"r"`
	Suggestion  string    `json:"s,omitempty"`
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
		b, bIDs := tx.Bucket(bucketCompliance), tx.Bucket(bucketComplianceIDs)
		k := complianceKey(t.Day, t.StoreID)
		d := complianceDay{StoreID: t.StoreID, Day: t.Day}
		var ids complianceIDs
		if _, err := getJSON(b, string(k), &d); err != nil {
			return err
		}
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
		return putJSON(b, string(k), d)
	})
	if err != nil {
		return fmt.Errorf("record take-in %s: %w", t.RepairID, err)
	}
	return nil
}

// Days implements compliance.Store: a cursor range over the window for the
// chain, direct gets for one store. Returns the storage or decoding error.
func (cs *ComplianceStore) Days(ctx context.Context, from, to, storeID string) ([]compliance.Day, error) {
	var out []compliance.Day
	add := func(raw []byte) error {
		var d complianceDay
		if err := json.Unmarshal(raw, &d); err != nil {
			return fmt.Errorf("decode compliance %s/%s: %w", d.Day, d.StoreID, err)
		}
		out = append(out, d.domain())
		return nil
	}
	err := cs.db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCompliance)
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
				if raw := b.Get(complianceKey(day.Format(time.DateOnly), storeID)); raw != nil {
					if err := add(raw); err != nil {
						return err
					}
				}
			}
			return nil
		}
		end := []byte(to + "/\xff")
		c := b.Cursor()
		for k, v := c.Seek([]byte(from + "/")); k != nil && bytes.Compare(k, end) <= 0; k, v = c.Next() {
			if err := add(v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("compliance days %s..%s: %w", from, to, err)
	}
	slices.SortFunc(out, func(a, b compliance.Day) int {
		if a.StoreID != b.StoreID {
			return strings.Compare(a.StoreID, b.StoreID)
		}
		return strings.Compare(a.Date, b.Date)
	})
	return out, nil
}

func (d complianceDay) domain() compliance.Day {
	out := compliance.Day{StoreID: d.StoreID, Date: d.Day, Associates: make(map[string]compliance.Count, len(d.Counts))}
	for a, n := range d.Counts {
		out.Associates[a] = compliance.Count{TakeIns: n[0], WithEmail: n[1]}
	}
	for rid, m := range d.Missing {
		out.Missing = append(out.Missing, compliance.Missing{RepairID: rid, AssociateID: m.AssociateID, CustomerID: m.CustomerID,
			TakenInAt: m.TakenInAt, Reason: m.Reason, Suggestion: m.Suggestion})
	}
	return out
}

// Scrub implements compliance.Store: the listed entry of repairID loses its
// customer id and suggestion; a no-op when not listed. Returns the storage error.
func (cs *ComplianceStore) Scrub(ctx context.Context, storeID, day, repairID string) error {
	err := cs.db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCompliance)
		k := complianceKey(day, storeID)
		raw := b.Get(k)
		if raw == nil {
			return nil
		}
		var d complianceDay
		if err := json.Unmarshal(raw, &d); err != nil {
			return fmt.Errorf("decode %s: %w", k, err)
		}
		m, ok := d.Missing[repairID]
		if !ok || (m.CustomerID == "" && m.Suggestion == "") {
			return nil
		}
		m.CustomerID, m.Suggestion = "", ""
		d.Missing[repairID] = m
		raw, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("encode %s: %w", k, err)
		}
		return b.Put(k, raw)
	})
	if err != nil {
		return fmt.Errorf("scrub take-in %s: %w", repairID, err)
	}
	return nil
}
