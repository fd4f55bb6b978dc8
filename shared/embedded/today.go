package embedded

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/today"
	bolt "go.etcd.io/bbolt"
)

// Buckets of today.Store (the Today list, CONTRACT section 3):
//
//	today_lists    associate_id NUL day -> the list's JSON (tasks and outcomes)
//	today_due      associate_id NUL ref -> the due item's JSON
//	idx_today_due  associate_id NUL until NUL ref -> nil
//
// Lists and due items hold ids and codes only (customer ids, reasons,
// refs, outcomes, associate ids), no personal data, like the touchpoint
// ledger: an erasure leaves them, and the list shows nothing of an erased
// client because GetCustomers leaves it out. Every write is one
// transaction: of racing writers, the first decides and the others find
// its record. The list an associate's day makes sweeps, in its
// transaction, that associate's lists of days listKeep before and due
// items whose window ended dueKeep before (DynamoDB's TTL does the same):
// until then a due item stays after its window, so putting its Ref again
// changes nothing.
var (
	bucketTodayLists = []byte("today_lists")
	bucketTodayDue   = []byte("today_due")
	idxTodayDue      = []byte("idx_today_due")
)

func init() { buckets = append(buckets, bucketTodayLists, bucketTodayDue, idxTodayDue) }

// listKeep is how long after its day a list is kept, and dueKeep how long
// after its last day a due item is (as dynamo.ListTTL and dynamo.DueTTL).
const (
	listKeep = 400 * 24 * time.Hour
	dueKeep  = 30 * 24 * time.Hour
)

var _ today.Store = (*DB)(nil)

// getListTx reads associate's list of day; found is false when none was
// made.
func getListTx(tx *bolt.Tx, associateID, day string) (l today.List, found bool, err error) {
	found, err = getJSON(tx.Bucket(bucketTodayLists), string(key(associateID, day)), &l)
	return l, found, err
}

// GetList implements today.Store. Returns an error wrapping
// loupe.ErrNotFound when associateID has no list of day, or the read error.
func (db *DB) GetList(ctx context.Context, associateID, day string) (today.List, error) {
	var l today.List
	err := db.view(func(tx *bolt.Tx) error {
		var found bool
		var err error
		l, found, err = getListTx(tx, associateID, day)
		if err == nil && !found {
			return loupe.ErrNotFound
		}
		return err
	})
	if err != nil {
		return today.List{}, fmt.Errorf("get list of %s on %s: %w", associateID, day, err)
	}
	return l, nil
}

// GetLists implements today.Store in one read transaction. Returns the
// read error.
func (db *DB) GetLists(ctx context.Context, associateID string, days []string) ([]today.List, error) {
	var out []today.List
	err := db.view(func(tx *bolt.Tx) error {
		out = nil
		for _, day := range days {
			l, found, err := getListTx(tx, associateID, day)
			if err != nil {
				return err
			}
			if found {
				out = append(out, l)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get lists of %s: %w", associateID, err)
	}
	return out, nil
}

// CreateList implements today.Store: in one transaction, l is stored when
// no list of its associate and day is (times in UTC). Returns an EINVALID
// *loupe.Error for an empty associate id or day, or the storage error.
func (db *DB) CreateList(ctx context.Context, l today.List) (bool, error) {
	if l.AssociateID == "" || l.Day == "" {
		return false, loupe.Invalidf("associate_id", "a list needs an associate and a day")
	}
	l.CreatedAt = l.CreatedAt.UTC()
	l.Tasks = slices.Clone(l.Tasks)
	for i := range l.Tasks {
		l.Tasks[i].OutcomeAt = l.Tasks[i].OutcomeAt.UTC()
	}
	created := false
	err := db.update(func(tx *bolt.Tx) error {
		created = false
		b := tx.Bucket(bucketTodayLists)
		k := key(l.AssociateID, l.Day)
		if b.Get(k) != nil {
			return nil
		}
		created = true
		if err := putJSON(b, string(k), l); err != nil {
			return err
		}
		return sweepTodayTx(tx, l.AssociateID, l.Day)
	})
	if err != nil {
		return false, fmt.Errorf("create list of %s on %s: %w", l.AssociateID, l.Day, err)
	}
	return created, nil
}

// MarkList implements today.Store in one transaction that writes only
// when the list exists and is not marked. Returns the storage error.
func (db *DB) MarkList(ctx context.Context, associateID, day string) error {
	err := db.update(func(tx *bolt.Tx) error {
		l, found, err := getListTx(tx, associateID, day)
		if err != nil || !found || l.Marked {
			return err
		}
		l.Marked = true
		return putJSON(tx.Bucket(bucketTodayLists), string(key(associateID, day)), l)
	})
	if err != nil {
		return fmt.Errorf("mark list of %s on %s: %w", associateID, day, err)
	}
	return nil
}

// MarkApplied implements today.Store in one transaction.
func (db *DB) MarkApplied(ctx context.Context, associateID, day, taskID string) error {
	err := db.update(func(tx *bolt.Tx) error {
		l, found, err := getListTx(tx, associateID, day)
		if err != nil || !found {
			return err
		}
		i := slices.IndexFunc(l.Tasks, func(k today.Task) bool { return k.TaskID == taskID })
		if i < 0 || l.Tasks[i].Applied {
			return nil
		}
		l.Tasks[i].Applied = true
		return putJSON(tx.Bucket(bucketTodayLists), string(key(associateID, day)), l)
	})
	if err != nil {
		return fmt.Errorf("mark task %s applied on the list of %s on %s: %w", taskID, associateID, day, err)
	}
	return nil
}

// SetOutcome implements today.Store in one transaction: the task's
// outcome is written only when it has none. Returns an error wrapping
// loupe.ErrNotFound for no such list or task, or the storage error.
func (db *DB) SetOutcome(ctx context.Context, associateID, day, taskID, outcome, by string, at time.Time) (today.Task, bool, error) {
	var task today.Task
	set := false
	err := db.update(func(tx *bolt.Tx) error {
		set = false
		l, found, err := getListTx(tx, associateID, day)
		if err != nil {
			return err
		}
		if !found {
			return loupe.ErrNotFound
		}
		i := slices.IndexFunc(l.Tasks, func(k today.Task) bool { return k.TaskID == taskID })
		if i < 0 {
			return loupe.ErrNotFound
		}
		if l.Tasks[i].Outcome != "" {
			task = l.Tasks[i]
			return nil
		}
		l.Tasks[i].Outcome, l.Tasks[i].OutcomeAt, l.Tasks[i].OutcomeBy = outcome, at.UTC(), by
		task, set = l.Tasks[i], true
		return putJSON(tx.Bucket(bucketTodayLists), string(key(associateID, day)), l)
	})
	if err != nil {
		return today.Task{}, false, fmt.Errorf("set outcome of task %s on the list of %s on %s: %w", taskID, associateID, day, err)
	}
	return task, set, nil
}

// PutDue implements today.Store in one transaction: d is stored under
// (associate, Ref) and indexed by its last day unless that key holds an
// item already. Returns an EINVALID *loupe.Error for an empty associate
// id or Ref, or the storage error.
func (db *DB) PutDue(ctx context.Context, d today.Due) error {
	if d.AssociateID == "" || d.Ref == "" {
		return loupe.Invalidf("ref", "a due item needs an associate and a ref")
	}
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTodayDue)
		k := key(d.AssociateID, d.Ref)
		if b.Get(k) != nil {
			return nil
		}
		if err := putJSON(b, string(k), d); err != nil {
			return err
		}
		return tx.Bucket(idxTodayDue).Put(key(d.AssociateID, d.Until, d.Ref), nil)
	})
	if err != nil {
		return fmt.Errorf("put due %s of %s: %w", d.Ref, d.AssociateID, err)
	}
	return nil
}

// DueOn implements today.Store with one scan of idx_today_due: the
// associate's items whose last day is day or later (those ended before
// are not read), of which those begun by day are kept, sorted by From
// then Ref. Returns the read error.
func (db *DB) DueOn(ctx context.Context, associateID, day string) ([]today.Due, error) {
	var out []today.Due
	err := db.view(func(tx *bolt.Tx) error {
		out = nil
		p := prefix(associateID)
		b := tx.Bucket(bucketTodayDue)
		c := tx.Bucket(idxTodayDue).Cursor()
		for k, _ := c.Seek(key(associateID, day)); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			_, ref, ok := strings.Cut(string(k[len(p):]), "\x00")
			if !ok {
				continue
			}
			var d today.Due
			found, err := getJSON(b, string(key(associateID, ref)), &d)
			if err != nil {
				return err
			}
			if found && d.From <= day && day <= d.Until {
				out = append(out, d)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("due of %s on %s: %w", associateID, day, err)
	}
	slices.SortFunc(out, func(a, b today.Due) int {
		if c := strings.Compare(a.From, b.From); c != 0 {
			return c
		}
		return strings.Compare(a.Ref, b.Ref)
	})
	return out, nil
}

// sweepTodayTx deletes associateID's lists of days listKeep before day and
// its due items whose last day is dueKeep before day or earlier (a day
// that is not YYYY-MM-DD sweeps nothing).
func sweepTodayTx(tx *bolt.Tx, associateID, day string) error {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return nil
	}
	p := prefix(associateID)
	lists := tx.Bucket(bucketTodayLists)
	for _, k := range keysBefore(lists, p, d.Add(-listKeep).Format(time.DateOnly)) {
		if err := lists.Delete(k); err != nil {
			return err
		}
	}
	idx, items := tx.Bucket(idxTodayDue), tx.Bucket(bucketTodayDue)
	for _, k := range keysBefore(idx, p, d.Add(-dueKeep).Format(time.DateOnly)) {
		_, ref, _ := strings.Cut(string(k[len(p):]), "\x00")
		if err := items.Delete(key(associateID, ref)); err != nil {
			return err
		}
		if err := idx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// keysBefore returns the keys of b under p whose next part (a day) is
// before day, in key order.
func keysBefore(b *bolt.Bucket, p []byte, day string) [][]byte {
	var out [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		part, _, _ := strings.Cut(string(k[len(p):]), "\x00")
		if part >= day {
			break
		}
		out = append(out, append([]byte(nil), k...))
	}
	return out
}
