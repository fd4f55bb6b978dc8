package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/touch"
	bolt "go.etcd.io/bbolt"
)

// Touchpoint ledger buckets (see Ledger). Keys lead with the occasion, so a
// day's claims (every client of a blast, in client order) are appended to one
// key range instead of being spread over every page of the file:
//
//	tp_entries    occasion NUL year NUL customer                      -> entry (binary, see ledger_codec.go)
//	tp_claimed    claimed_at NUL occasion NUL year NUL customer       -> ""   (state claimed)
//	tp_mkt_day    planned NUL customer NUL occasion NUL year          -> ""   (claimed or sent: the fatigue cap)
//	tp_store_day  store NUL planned                                   -> touch.DayCount JSON
//	tp_store_sent store NUL planned NUL customer NUL occasion NUL year -> ""  (sent)
//	tp_campaigns  campaign_id                                         -> touch.Campaign JSON
//
// Files written before this layout (tp_ledger, tp_pending, tp_marketing,
// customer first, JSON entries) are converted when the ledger is first used.
var (
	bucketEntries   = []byte("tp_entries")
	bucketClaimed   = []byte("tp_claimed")
	bucketMktDay    = []byte("tp_mkt_day")
	bucketStoreDay  = []byte("tp_store_day")
	bucketStoreSent = []byte("tp_store_sent")
	bucketCampaigns = []byte("tp_campaigns")
)

func init() {
	buckets = append(buckets, bucketEntries, bucketClaimed, bucketMktDay, bucketStoreDay, bucketStoreSent, bucketCampaigns)
}

// appendFill is the fill of pages split while claims are appended in key
// order (bbolt's default, 0.5, leaves half of every page empty).
const appendFill = 0.9

// Ledger is the touchpoint ledger and campaign store on the embedded file.
// Every transition is one bbolt transaction that keeps the entry, its indexes
// and the per-store-per-day counters in step, so GET /coverage reads counters
// and a sent-index range instead of every entry. Safe for concurrent use.
type Ledger struct {
	db  *DB
	err error // the conversion of an older file failed: every call returns it
}

var (
	_ touch.Ledger    = (*Ledger)(nil)
	_ touch.Campaigns = (*Ledger)(nil)

	_ touch.BatchLookup = (*Ledger)(nil)
)

// Ledger returns the touchpoint ledger stored in db, converting a ledger
// written in the older layout first. When that conversion fails every method
// of the returned ledger returns the error (nothing is sent twice for it).
func (db *DB) Ledger() *Ledger {
	if err := migrateLedger(db); err != nil {
		err = fmt.Errorf("the touchpoint ledger in %s was written by an older Loupe and could not be converted "+
			"(touchpoints, campaigns and coverage are stopped so nothing is sent twice; restore a backup of the data "+
			"directory or run the older version): %w", db.path, err)
		db.log.Error("convert touchpoint ledger", "err", err)
		return &Ledger{db: db, err: err}
	}
	return &Ledger{db: db}
}

func (l *Ledger) view(fn func(tx *bolt.Tx) error) error {
	if l.err != nil {
		return l.err
	}
	return l.db.view(fn)
}

func (l *Ledger) update(fn func(tx *bolt.Tx) error) error {
	if l.err != nil {
		return l.err
	}
	return l.db.update(fn)
}

func yearText(y int) string { return strconv.Itoa(y) }

func entryKey(k touch.Key) []byte {
	return appendKey(nil, k.Occasion, yearText(k.Year), k.CustomerID)
}

func claimedKey(e touch.Entry) []byte {
	return key(sortKeyTime(e.ClaimedAt), e.Occasion, yearText(e.Year), e.CustomerID)
}

func mktDayKey(e touch.Entry) []byte {
	return key(e.Planned.String(), e.CustomerID, e.Occasion, yearText(e.Year))
}

func storeSentKey(e touch.Entry) []byte {
	return key(e.StoreID, e.Planned.String(), e.CustomerID, e.Occasion, yearText(e.Year))
}

func getEntry(tx *bolt.Tx, k touch.Key) (touch.Entry, bool, error) {
	raw := tx.Bucket(bucketEntries).Get(entryKey(k))
	if raw == nil {
		return touch.Entry{}, false, nil
	}
	e, err := decodeEntry(k, raw)
	return e, true, err
}

func putEntry(tx *bolt.Tx, e touch.Entry) error {
	return tx.Bucket(bucketEntries).Put(entryKey(e.Key), encodeEntry(nil, e))
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
// this call wrote it; see touch.Ledger. It writes every bucket in key
// order (so a blast appends) whatever the order of entries. Fails only on
// storage errors (then nothing is written).
func (l *Ledger) ClaimBatch(ctx context.Context, entries []touch.Entry) ([]bool, error) {
	won := make([]bool, len(entries))
	keys := make([][]byte, len(entries))
	order := make([]int, len(entries))
	for i, e := range entries {
		keys[i], order[i] = entryKey(e.Key), i
	}
	slices.SortStableFunc(order, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	var claimed, mkt [][]byte
	// A batch shares its claim time and, mostly, its planned day: format
	// them once.
	var lastAt time.Time
	var lastPlanned touch.Day
	atText, plannedText := "", ""
	err := l.update(func(tx *bolt.Tx) error {
		clear(won)
		claimed, mkt = claimed[:0], mkt[:0]
		eb := tx.Bucket(bucketEntries)
		eb.FillPercent = appendFill
		for _, i := range order {
			e := entries[i]
			if eb.Get(keys[i]) != nil {
				continue
			}
			won[i] = true
			e = touch.ClaimEntry(e)
			if e.State == touch.StateSkipped {
				// bbolt keeps the value until commit: one buffer each.
				if err := eb.Put(keys[i], encodeEntry(nil, e)); err != nil {
					return err
				}
				if err := bumpDay(tx, e); err != nil {
					return err
				}
				continue
			}
			if err := eb.Put(keys[i], encodeEntry(nil, e)); err != nil {
				return err
			}
			if atText == "" || !e.ClaimedAt.Equal(lastAt) {
				lastAt, atText = e.ClaimedAt, sortKeyTime(e.ClaimedAt)
			}
			if plannedText == "" || e.Planned != lastPlanned {
				lastPlanned, plannedText = e.Planned, e.Planned.String()
			}
			year := yearText(e.Year)
			claimed = append(claimed, appendKey(nil, atText, e.Occasion, year, e.CustomerID))
			mkt = append(mkt, appendKey(nil, plannedText, e.CustomerID, e.Occasion, year))
		}
		for _, idx := range []struct {
			name []byte
			keys [][]byte
		}{{bucketClaimed, claimed}, {bucketMktDay, mkt}} {
			b := tx.Bucket(idx.name)
			b.FillPercent = appendFill
			slices.SortFunc(idx.keys, bytes.Compare)
			for _, k := range idx.keys {
				if err := b.Put(k, nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim %d touchpoints: %w", len(entries), err)
	}
	return won, nil
}

// Lookup reports, in one read, whether each key is in the ledger and whether
// its client has a claimed or sent entry planned on or after since; see
// touch.BatchLookup. Returns the read error.
func (l *Ledger) Lookup(ctx context.Context, keys []touch.Key, since touch.Day) ([]bool, []bool, error) {
	found := make([]bool, len(keys))
	recent := make([]bool, len(keys))
	err := l.view(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bucketEntries)
		var buf []byte // Get does not keep its key
		for i, k := range keys {
			buf = appendKey(buf[:0], k.Occasion, yearText(k.Year), k.CustomerID)
			found[i] = eb.Get(buf) != nil
		}
		ids := make([]string, 0, len(keys))
		for _, k := range keys {
			ids = append(ids, k.CustomerID)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		hit := recentMarketing(tx.Bucket(bucketMktDay), ids, since)
		for i, k := range keys {
			j, _ := slices.BinarySearch(ids, k.CustomerID)
			recent[i] = hit[j]
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("look up %d touchpoints: %w", len(keys), err)
	}
	return found, recent, nil
}

// Get returns the entry of k, or an error wrapping loupe.ErrNotFound.
func (l *Ledger) Get(ctx context.Context, k touch.Key) (touch.Entry, error) {
	var e touch.Entry
	err := l.view(func(tx *bolt.Tx) error {
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

// finish moves a claimed entry to state as touch.Transition allows; see
// MarkSent and MarkSkipped.
func (l *Ledger) finish(k touch.Key, state string, set func(*touch.Entry)) error {
	return l.update(func(tx *bolt.Tx) error {
		e, found, err := getEntry(tx, k)
		if err != nil {
			return err
		}
		if move, err := touch.Transition(e.State, found, state); err != nil || !move {
			return err
		}
		set(&e)
		e.State, e.LeaseUntil = state, time.Time{}
		if err := putEntry(tx, e); err != nil {
			return err
		}
		if err := tx.Bucket(bucketClaimed).Delete(claimedKey(e)); err != nil {
			return err
		}
		if state == touch.StateSkipped {
			if err := tx.Bucket(bucketMktDay).Delete(mktDayKey(e)); err != nil {
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
		if c.ByChannel == nil {
			c.ByChannel = map[string]int{}
		}
		c.ByChannel[e.On()]++
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

// claimedEntry returns the entry a key of the claimed index points at, nil
// when it is gone.
func claimedEntry(tx *bolt.Tx, k []byte) (*touch.Entry, error) {
	_, ek, _ := bytes.Cut(k, []byte{0})
	parts := bytes.Split(ek, []byte{0})
	if len(parts) != 3 {
		return nil, fmt.Errorf("decode claimed key %q", k)
	}
	year, err := strconv.Atoi(string(parts[1]))
	if err != nil {
		return nil, fmt.Errorf("decode claimed key %q: %w", k, err)
	}
	tk := touch.Key{CustomerID: string(parts[2]), Occasion: string(parts[0]), Year: year}
	raw := tx.Bucket(bucketEntries).Get(ek)
	if raw == nil {
		return nil, nil
	}
	e, err := decodeEntry(tk, raw)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// Pending returns claimed-unsent entries ordered by ClaimedAt then key, or
// the read error.
func (l *Ledger) Pending(ctx context.Context) ([]touch.Entry, error) {
	var out []touch.Entry
	err := l.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketClaimed).ForEach(func(k, _ []byte) error {
			e, err := claimedEntry(tx, k)
			if err == nil && e != nil {
				out = append(out, *e)
			}
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("pending touchpoints: %w", err)
	}
	return out, nil
}

// LastMarketing returns the client's latest planned day of a claimed or sent
// entry, false when there is none, or the read error. It looks the client up
// in each planned day of the marketing index, latest first.
func (l *Ledger) LastMarketing(ctx context.Context, customerID string) (touch.Day, bool, error) {
	var d touch.Day
	found := false
	err := l.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketMktDay).Cursor()
		for k, _ := c.Last(); k != nil; {
			day, _, _ := bytes.Cut(k, []byte{0})
			p := append(append(append([]byte(nil), day...), 0), customerID...)
			p = append(p, 0)
			if got, _ := c.Seek(p); got != nil && bytes.HasPrefix(got, p) {
				found = true
				return d.UnmarshalText(day)
			}
			// The last key of the day before.
			c.Seek(append(append([]byte(nil), day...), 0))
			k, _ = c.Prev()
		}
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
	err := l.view(func(tx *bolt.Tx) error {
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
	err := l.view(func(tx *bolt.Tx) error {
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
	err := l.update(func(tx *bolt.Tx) error {
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
	err := l.view(func(tx *bolt.Tx) error {
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
	err := l.view(func(tx *bolt.Tx) error {
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
