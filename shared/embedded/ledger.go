package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/touch"
	bolt "go.etcd.io/bbolt"
)

// Touchpoint ledger buckets (see Ledger):
//
//	tp_ledger     customer NUL occasion NUL year                      -> touch.Entry JSON
//	tp_pending    claimed_at NUL customer NUL occasion NUL year       -> ""   (state claimed)
//	tp_marketing  customer NUL planned NUL occasion NUL year          -> ""   (claimed or sent)
//	tp_store_day  store NUL planned                                   -> touch.DayCount JSON
//	tp_store_sent store NUL planned NUL customer NUL occasion NUL year -> ""  (sent)
//	tp_campaigns  campaign_id                                         -> touch.Campaign JSON
var (
	bucketLedger    = []byte("tp_ledger")
	bucketPending   = []byte("tp_pending")
	bucketMarketing = []byte("tp_marketing")
	bucketStoreDay  = []byte("tp_store_day")
	bucketStoreSent = []byte("tp_store_sent")
	bucketCampaigns = []byte("tp_campaigns")
)

func init() {
	buckets = append(buckets, bucketLedger, bucketPending, bucketMarketing, bucketStoreDay, bucketStoreSent, bucketCampaigns)
}

// Ledger is the touchpoint ledger and campaign store on the embedded file.
// Every transition is one bbolt transaction that keeps the entry, its indexes
// and the per-store-per-day counters in step, so GET /coverage reads counters
// and a sent-index range instead of every entry. Safe for concurrent use.
type Ledger struct {
	db *DB
}

var (
	_ touch.Ledger    = (*Ledger)(nil)
	_ touch.Campaigns = (*Ledger)(nil)

	_ touch.BatchClaimer = (*Ledger)(nil)
)

// Ledger returns the touchpoint ledger stored in db.
func (db *DB) Ledger() *Ledger { return &Ledger{db: db} }

func ledgerKey(k touch.Key) []byte {
	return key(k.CustomerID, k.Occasion, strconv.Itoa(k.Year))
}

func pendingKey(e touch.Entry) []byte {
	return key(sortKeyTime(e.ClaimedAt), e.CustomerID, e.Occasion, strconv.Itoa(e.Year))
}

func marketingKey(e touch.Entry) []byte {
	return key(e.CustomerID, e.Planned.String(), e.Occasion, strconv.Itoa(e.Year))
}

func storeSentKey(e touch.Entry) []byte {
	return key(e.StoreID, e.Planned.String(), e.CustomerID, e.Occasion, strconv.Itoa(e.Year))
}

func getEntry(tx *bolt.Tx, k touch.Key) (touch.Entry, bool, error) {
	var e touch.Entry
	found, err := getJSON(tx.Bucket(bucketLedger), string(ledgerKey(k)), &e)
	return e, found, err
}

func putEntry(tx *bolt.Tx, e touch.Entry) error {
	return putJSON(tx.Bucket(bucketLedger), string(ledgerKey(e.Key)), e)
}

// Claim records e as claimed (or skipped, when e.State is skipped) unless
// its key is already in the ledger (the conditional write); see touch.Ledger.
// Fails only on storage errors.
func (l *Ledger) Claim(ctx context.Context, e touch.Entry) (bool, error) {
	won, err := l.ClaimBatch(ctx, []touch.Entry{e})
	if err != nil {
		return false, err
	}
	return won[0], nil
}

// ClaimBatch claims entries in one transaction, reporting for each whether
// this call wrote it; see touch.BatchClaimer. Fails only on storage errors
// (then nothing is written).
func (l *Ledger) ClaimBatch(ctx context.Context, entries []touch.Entry) ([]bool, error) {
	won := make([]bool, len(entries))
	err := l.db.update(func(tx *bolt.Tx) error {
		clear(won)
		for i, e := range entries {
			if tx.Bucket(bucketLedger).Get(ledgerKey(e.Key)) != nil {
				continue
			}
			won[i] = true
			e.MessageID, e.SentAt, e.LeaseUntil = "", time.Time{}, time.Time{}
			e.ClaimedAt = e.ClaimedAt.UTC()
			if e.State == touch.StateSkipped {
				if err := putJSON(tx.Bucket(bucketLedger), string(ledgerKey(e.Key)), e); err != nil {
					return err
				}
				if err := bumpDay(tx, e); err != nil {
					return err
				}
				continue
			}
			e.State, e.Reason = touch.StateClaimed, ""
			if err := putJSON(tx.Bucket(bucketLedger), string(ledgerKey(e.Key)), e); err != nil {
				return err
			}
			if err := tx.Bucket(bucketPending).Put(pendingKey(e), nil); err != nil {
				return err
			}
			if err := tx.Bucket(bucketMarketing).Put(marketingKey(e), nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim %d touchpoints: %w", len(entries), err)
	}
	return won, nil
}

// Get returns the entry of k, or an error wrapping loupe.ErrNotFound.
func (l *Ledger) Get(ctx context.Context, k touch.Key) (touch.Entry, error) {
	var e touch.Entry
	err := l.db.view(func(tx *bolt.Tx) error {
		got, found, err := getEntry(tx, k)
		if err == nil && !found {
			return loupe.ErrNotFound
		}
		e = got
		return err
	})
	if err != nil {
		return touch.Entry{}, fmt.Errorf("ledger %s: %w", k, err)
	}
	return e, nil
}

// finish moves a claimed entry to state; see MarkSent and MarkSkipped.
func (l *Ledger) finish(k touch.Key, state string, set func(*touch.Entry)) error {
	return l.db.update(func(tx *bolt.Tx) error {
		e, found, err := getEntry(tx, k)
		switch {
		case err != nil:
			return err
		case !found:
			return loupe.ErrNotFound
		case e.State == state:
			return nil
		case e.State != touch.StateClaimed:
			return loupe.ErrConflict
		}
		set(&e)
		e.State, e.LeaseUntil = state, time.Time{}
		if err := putJSON(tx.Bucket(bucketLedger), string(ledgerKey(k)), e); err != nil {
			return err
		}
		if err := tx.Bucket(bucketPending).Delete(pendingKey(e)); err != nil {
			return err
		}
		if state == touch.StateSkipped {
			if err := tx.Bucket(bucketMarketing).Delete(marketingKey(e)); err != nil {
				return err
			}
		} else if err := tx.Bucket(bucketStoreSent).Put(storeSentKey(e), nil); err != nil {
			return err
		}
		return bumpDay(tx, e)
	})
}

// bumpDay adds e (sent or skipped) to its store's counter of its planned day.
func bumpDay(tx *bolt.Tx, e touch.Entry) error {
	b := tx.Bucket(bucketStoreDay)
	id := string(key(e.StoreID, e.Planned.String()))
	c := touch.DayCount{StoreID: e.StoreID, Day: e.Planned}
	if _, err := getJSON(b, id, &c); err != nil {
		return err
	}
	if e.State == touch.StateSent {
		c.Sent++
	} else {
		if c.Skipped == nil {
			c.Skipped = map[string]int{}
		}
		c.Skipped[e.Reason]++
	}
	return putJSON(b, id, c)
}

// MarkSent moves a claimed entry to sent; see touch.Ledger. Returns errors
// wrapping loupe.ErrNotFound (unclaimed) or loupe.ErrConflict (skipped).
func (l *Ledger) MarkSent(ctx context.Context, k touch.Key, messageID string, at time.Time) error {
	err := l.finish(k, touch.StateSent, func(e *touch.Entry) { e.MessageID, e.SentAt = messageID, at.UTC() })
	if err != nil {
		return fmt.Errorf("mark sent %s: %w", k, err)
	}
	return nil
}

// MarkSkipped moves a claimed entry to skipped; see touch.Ledger. Returns
// errors wrapping loupe.ErrNotFound (unclaimed) or loupe.ErrConflict (sent).
func (l *Ledger) MarkSkipped(ctx context.Context, k touch.Key, reason string, at time.Time) error {
	err := l.finish(k, touch.StateSkipped, func(e *touch.Entry) { e.Reason = reason })
	if err != nil {
		return fmt.Errorf("mark skipped %s: %w", k, err)
	}
	return nil
}

// Pending returns claimed-unsent entries ordered by ClaimedAt then key, or
// the read error.
func (l *Ledger) Pending(ctx context.Context) ([]touch.Entry, error) {
	var out []touch.Entry
	err := l.db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPending).ForEach(func(k, _ []byte) error {
			parts := bytes.SplitN(k, []byte{0}, 2)
			var e touch.Entry
			found, err := getJSON(tx.Bucket(bucketLedger), string(parts[1]), &e)
			if err != nil || !found {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("pending touchpoints: %w", err)
	}
	return out, nil
}

// LastMarketing returns the client's latest planned day of a claimed or sent
// entry, false when there is none, or the read error.
func (l *Ledger) LastMarketing(ctx context.Context, customerID string) (touch.Day, bool, error) {
	var d touch.Day
	found := false
	err := l.db.view(func(tx *bolt.Tx) error {
		p := prefix(customerID)
		c := tx.Bucket(bucketMarketing).Cursor()
		k, _ := c.Seek(append(append([]byte(nil), p...), 0xFF))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		if k == nil || !bytes.HasPrefix(k, p) {
			return nil
		}
		rest := k[len(p):]
		day, _, _ := bytes.Cut(rest, []byte{0})
		if err := d.UnmarshalText(day); err != nil {
			return fmt.Errorf("decode %q: %w", k, err)
		}
		found = true
		return nil
	})
	if err != nil {
		return touch.Day{}, false, fmt.Errorf("last marketing %s: %w", customerID, err)
	}
	return d, found, nil
}

// Counts returns the store's per-day counters from..to in day order, or the
// read error.
func (l *Ledger) Counts(ctx context.Context, storeID string, from, to touch.Day) ([]touch.DayCount, error) {
	var out []touch.DayCount
	err := l.db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketStoreDay).Cursor()
		end := key(storeID, to.String())
		for k, v := c.Seek(key(storeID, from.String())); k != nil && bytes.Compare(k, end) <= 0; k, v = c.Next() {
			var dc touch.DayCount
			if err := json.Unmarshal(v, &dc); err != nil {
				return fmt.Errorf("decode %q: %w", k, err)
			}
			out = append(out, dc)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("touchpoint counts %s: %w", storeID, err)
	}
	return out, nil
}

// Touches counts sent mails per client of the store planned from..to by
// reading one range of the store's sent index, or returns the read error.
func (l *Ledger) Touches(ctx context.Context, storeID string, from, to touch.Day) (map[string]int, error) {
	out := map[string]int{}
	err := l.db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketStoreSent).Cursor()
		end := prefix(storeID, to.AddDays(1).String()) // exclusive
		for k, _ := c.Seek(prefix(storeID, from.String())); k != nil && bytes.Compare(k, end) < 0; k, _ = c.Next() {
			parts := bytes.Split(k, []byte{0})
			if len(parts) < 3 {
				continue
			}
			out[string(parts[2])]++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("touches %s: %w", storeID, err)
	}
	return out, nil
}

// PutCampaign stores c; an equal campaign again is a no-op and a different
// one under the same id returns an error wrapping loupe.ErrExists.
func (l *Ledger) PutCampaign(ctx context.Context, c touch.Campaign) error {
	err := l.db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCampaigns)
		var old touch.Campaign
		found, err := getJSON(b, c.CampaignID, &old)
		if err != nil {
			return err
		}
		if found {
			if touch.SameCampaign(old, c) {
				return nil
			}
			return loupe.ErrExists
		}
		return putJSON(b, c.CampaignID, c)
	})
	if err != nil {
		return fmt.Errorf("put campaign %s: %w", c.CampaignID, err)
	}
	return nil
}

// GetCampaign returns a campaign or an error wrapping loupe.ErrNotFound.
func (l *Ledger) GetCampaign(ctx context.Context, id string) (touch.Campaign, error) {
	var c touch.Campaign
	err := l.db.view(func(tx *bolt.Tx) error {
		found, err := getJSON(tx.Bucket(bucketCampaigns), id, &c)
		if err == nil && !found {
			return loupe.ErrNotFound
		}
		return err
	})
	if err != nil {
		return touch.Campaign{}, fmt.Errorf("get campaign %s: %w", id, err)
	}
	return c, nil
}

// ListCampaigns returns every campaign ordered by CampaignID, or the read error.
func (l *Ledger) ListCampaigns(ctx context.Context) ([]touch.Campaign, error) {
	var out []touch.Campaign
	err := l.db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCampaigns).ForEach(func(k, v []byte) error {
			var c touch.Campaign
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CampaignID < out[j].CampaignID })
	return out, nil
}
