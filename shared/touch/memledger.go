package touch

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// MemLedger is an in-memory Ledger for tests. The zero value is ready to use.
type MemLedger struct {
	mu      sync.Mutex
	entries map[Key]Entry
	last    map[string]Day // customer -> latest planned day of a marketing entry
}

var _ Ledger = (*MemLedger)(nil)

// Claim records ClaimEntry(e) unless its key exists; see Ledger. It never
// fails.
func (l *MemLedger) Claim(ctx context.Context, e Entry) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.entries == nil {
		l.entries, l.last = map[Key]Entry{}, map[string]Day{}
	}
	if _, ok := l.entries[e.Key]; ok {
		return false, nil
	}
	e = ClaimEntry(e)
	l.entries[e.Key] = e
	if e.State == StateSkipped {
		return true, nil
	}
	if d, ok := l.last[e.CustomerID]; !ok || d.Before(e.Planned) {
		l.last[e.CustomerID] = e.Planned
	}
	return true, nil
}

// ClaimBatch claims each entry in turn; see Ledger. It never fails.
func (l *MemLedger) ClaimBatch(ctx context.Context, entries []Entry) ([]bool, error) {
	out := make([]bool, len(entries))
	for i, e := range entries {
		ok, err := l.Claim(ctx, e)
		if err != nil {
			return nil, err
		}
		out[i] = ok
	}
	return out, nil
}

// Get returns the entry of k or an error wrapping loupe.ErrNotFound.
func (l *MemLedger) Get(ctx context.Context, k Key) (Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[k]
	if !ok {
		return Entry{}, fmt.Errorf("ledger %s: %w", k, loupe.ErrNotFound)
	}
	return e, nil
}

// MarkSent moves a claimed entry to sent as Transition allows; see Ledger.
// Returns errors wrapping loupe.ErrNotFound (unclaimed) or loupe.ErrConflict
// (skipped).
func (l *MemLedger) MarkSent(ctx context.Context, k Key, messageID string, at time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[k]
	if move, err := Transition(e.State, ok, StateSent); err != nil {
		return fmt.Errorf("mark sent %s: %w", k, err)
	} else if !move {
		return nil
	}
	e.State, e.MessageID, e.SentAt, e.LeaseUntil = StateSent, messageID, at.UTC(), time.Time{}
	l.entries[k] = e
	return nil
}

// MarkSkipped moves a claimed entry to skipped as Transition allows; see
// Ledger. Returns errors wrapping loupe.ErrNotFound (unclaimed) or
// loupe.ErrConflict (sent).
func (l *MemLedger) MarkSkipped(ctx context.Context, k Key, reason string, at time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[k]
	if move, err := Transition(e.State, ok, StateSkipped); err != nil {
		return fmt.Errorf("mark skipped %s: %w", k, err)
	} else if !move {
		return nil
	}
	e.State, e.Reason, e.LeaseUntil = StateSkipped, reason, time.Time{}
	l.entries[k] = e
	// Recompute the client's last marketing day without this entry.
	delete(l.last, k.CustomerID)
	for _, o := range l.entries {
		if o.CustomerID == k.CustomerID && o.Marketing() {
			if d, ok := l.last[o.CustomerID]; !ok || d.Before(o.Planned) {
				l.last[o.CustomerID] = o.Planned
			}
		}
	}
	return nil
}

// Lease takes the send lease of a claimed entry until until when Leasable;
// see Ledger. Returns an error wrapping loupe.ErrNotFound for an unknown key.
func (l *MemLedger) Lease(ctx context.Context, k Key, now, until time.Time) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[k]
	if take, err := Leasable(e, ok, now); err != nil {
		return false, fmt.Errorf("lease %s: %w", k, err)
	} else if !take {
		return false, nil
	}
	e.LeaseUntil = until.UTC()
	l.entries[k] = e
	return true, nil
}

// Release clears the lease of k when Releasable; see Ledger. It never fails.
func (l *MemLedger) Release(ctx context.Context, k Key, until time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.entries[k]; Releasable(e, ok, until) {
		e.LeaseUntil = time.Time{}
		l.entries[k] = e
	}
	return nil
}

// Pending returns claimed entries ordered by ClaimedAt then key.
func (l *MemLedger) Pending(ctx context.Context) ([]Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Entry
	for _, e := range l.entries {
		if e.State == StateClaimed {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].ClaimedAt.Equal(out[j].ClaimedAt) {
			return out[i].ClaimedAt.Before(out[j].ClaimedAt)
		}
		return out[i].MailKey() < out[j].MailKey()
	})
	return out, nil
}

// LastMarketing returns the client's latest claimed or sent planned day.
func (l *MemLedger) LastMarketing(ctx context.Context, customerID string) (Day, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.last[customerID]
	return d, ok, nil
}

// Counts returns the store's per-day counters from..to.
func (l *MemLedger) Counts(ctx context.Context, storeID string, from, to Day) ([]DayCount, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	byDay := map[Day]*DayCount{}
	for _, e := range l.entries {
		if e.StoreID != storeID || e.Planned.Before(from) || to.Before(e.Planned) || e.State == StateClaimed {
			continue
		}
		c := byDay[e.Planned]
		if c == nil {
			c = &DayCount{StoreID: storeID, Day: e.Planned}
			byDay[e.Planned] = c
		}
		if e.State == StateSent {
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
	}
	out := make([]DayCount, 0, len(byDay))
	for _, c := range byDay {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day.Before(out[j].Day) })
	return out, nil
}

// Touches counts sent mails per client of the store planned from..to.
func (l *MemLedger) Touches(ctx context.Context, storeID string, from, to Day) (map[string]int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, e := range l.entries {
		if e.StoreID == storeID && e.State == StateSent && !e.Planned.Before(from) && !to.Before(e.Planned) {
			out[e.CustomerID]++
		}
	}
	return out, nil
}

// MemCampaigns is an in-memory Campaigns for tests. The zero value is ready.
type MemCampaigns struct {
	mu sync.Mutex
	m  map[string]Campaign
}

var _ Campaigns = (*MemCampaigns)(nil)

// PutCampaign stores c; a different campaign under the same id returns an
// error wrapping loupe.ErrExists.
func (m *MemCampaigns) PutCampaign(ctx context.Context, c Campaign) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.m[c.CampaignID]; ok {
		if SameCampaign(old, c) {
			return nil
		}
		return fmt.Errorf("put campaign %s: %w", c.CampaignID, loupe.ErrExists)
	}
	if m.m == nil {
		m.m = map[string]Campaign{}
	}
	c.StoreIDs = append([]string(nil), c.StoreIDs...)
	m.m[c.CampaignID] = c
	return nil
}

// GetCampaign returns a campaign or an error wrapping loupe.ErrNotFound.
func (m *MemCampaigns) GetCampaign(ctx context.Context, id string) (Campaign, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.m[id]
	if !ok {
		return Campaign{}, fmt.Errorf("get campaign %s: %w", id, loupe.ErrNotFound)
	}
	return c, nil
}

// ListCampaigns returns every campaign ordered by CampaignID.
func (m *MemCampaigns) ListCampaigns(ctx context.Context) ([]Campaign, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Campaign, 0, len(m.m))
	for _, c := range m.m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CampaignID < out[j].CampaignID })
	return out, nil
}
