// Package ledgertest is the contract test suite of touch.Ledger and
// touch.Campaigns, run against every adapter (touch.MemLedger, embedded.Ledger,
// dynamo.Ledger). Its "transition rule" and "lease rule" cases hold every
// adapter's state changes to touch.Transition, touch.Leasable and
// touch.Releasable, the one statement of those rules (dynamo cannot call them
// inside its conditional writes).
package ledgertest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/touch"
)

// Run runs the ledger contract against fresh ledgers made by newLedger.
func Run(t *testing.T, newLedger func(t *testing.T) touch.Ledger) {
	ctx := context.Background()
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	day := func(s string) touch.Day {
		d, err := touch.ParseDay(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	entry := func(cust, occ, store, planned string) touch.Entry {
		return touch.Entry{Key: touch.Key{CustomerID: cust, Occasion: occ, Year: 2026}, StoreID: store, Planned: day(planned), ClaimedAt: t0}
	}

	t.Run("claim once", func(t *testing.T) {
		l := newLedger(t)
		e := entry("c1", touch.Birthday, "s1", "2026-05-01")
		for i, want := range []bool{true, false} {
			got, err := l.Claim(ctx, e)
			if err != nil || got != want {
				t.Fatalf("claim %d = %v, %v; want %v", i, got, err, want)
			}
		}
		got, err := l.Get(ctx, e.Key)
		if err != nil || got.State != touch.StateClaimed || got.Planned != e.Planned || got.StoreID != "s1" {
			t.Fatalf("get = %+v, %v; want claimed entry", got, err)
		}
		if _, err := l.Get(ctx, touch.Key{CustomerID: "c2", Occasion: touch.Birthday, Year: 2026}); !errors.Is(err, loupe.ErrNotFound) {
			t.Errorf("get unknown: got %v, want ErrNotFound", err)
		}
	})

	t.Run("claim skipped", func(t *testing.T) {
		l := newLedger(t)
		e := entry("c1", touch.Valentines, "s1", "2026-02-10")
		e.State, e.Reason = touch.StateSkipped, touch.SkipFatigue
		if ok, err := l.Claim(ctx, e); !ok || err != nil {
			t.Fatalf("claim skipped = %v, %v", ok, err)
		}
		got, err := l.Get(ctx, e.Key)
		if err != nil || got.State != touch.StateSkipped || got.Reason != touch.SkipFatigue {
			t.Errorf("get = %+v, %v; want skipped %s", got, err, touch.SkipFatigue)
		}
		if p, _ := l.Pending(ctx); len(p) != 0 {
			t.Errorf("pending = %v, want none", p)
		}
		if _, ok, _ := l.LastMarketing(ctx, "c1"); ok {
			t.Errorf("a skip counts as marketing")
		}
		counts, _ := l.Counts(ctx, "s1", day("2026-02-10"), day("2026-02-10"))
		if len(counts) != 1 || counts[0].Skipped[touch.SkipFatigue] != 1 {
			t.Errorf("counts = %+v", counts)
		}
		if ok, _ := l.Claim(ctx, entry("c1", touch.Valentines, "s1", "2026-02-11")); ok {
			t.Errorf("claimed a skipped key")
		}
	})

	t.Run("claim batch", func(t *testing.T) {
		l := newLedger(t)
		a, b := entry("c1", touch.Birthday, "s1", "2026-05-01"), entry("c2", touch.Birthday, "s1", "2026-05-01")
		if _, err := l.Claim(ctx, b); err != nil {
			t.Fatal(err)
		}
		got, err := l.ClaimBatch(ctx, []touch.Entry{a, b, a})
		if want := []bool{true, false, false}; err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("claim batch = %v, %v; want %v", got, err, want)
		}
	})

	t.Run("transitions", func(t *testing.T) {
		l := newLedger(t)
		a, b := entry("c1", touch.Christmas, "s1", "2026-12-01"), entry("c2", touch.Christmas, "s1", "2026-12-01")
		for _, e := range []touch.Entry{a, b} {
			if _, err := l.Claim(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.MarkSent(ctx, a.Key, "m1", t0); err != nil {
			t.Fatalf("mark sent: %v", err)
		}
		if err := l.MarkSent(ctx, a.Key, "m1", t0); err != nil {
			t.Errorf("mark sent again: got %v, want nil", err)
		}
		if err := l.MarkSkipped(ctx, a.Key, touch.SkipFatigue, t0); !errors.Is(err, loupe.ErrConflict) {
			t.Errorf("skip sent: got %v, want ErrConflict", err)
		}
		if err := l.MarkSkipped(ctx, b.Key, touch.SkipNoConsent, t0); err != nil {
			t.Fatalf("mark skipped: %v", err)
		}
		if err := l.MarkSent(ctx, b.Key, "m2", t0); !errors.Is(err, loupe.ErrConflict) {
			t.Errorf("send skipped: got %v, want ErrConflict", err)
		}
		if err := l.MarkSent(ctx, touch.Key{CustomerID: "x", Occasion: touch.Christmas, Year: 2026}, "m", t0); !errors.Is(err, loupe.ErrNotFound) {
			t.Errorf("mark sent unclaimed: got %v, want ErrNotFound", err)
		}
		got, _ := l.Get(ctx, a.Key)
		if got.State != touch.StateSent || got.MessageID != "m1" {
			t.Errorf("sent entry = %+v", got)
		}
		got, _ = l.Get(ctx, b.Key)
		if got.State != touch.StateSkipped || got.Reason != touch.SkipNoConsent {
			t.Errorf("skipped entry = %+v", got)
		}
	})

	t.Run("pending", func(t *testing.T) {
		l := newLedger(t)
		a, b, c := entry("c2", touch.Birthday, "s1", "2026-05-01"), entry("c1", touch.Birthday, "s1", "2026-05-01"), entry("c3", touch.Birthday, "s1", "2026-05-01")
		c.ClaimedAt = t0.Add(-time.Hour)
		for _, e := range []touch.Entry{a, b, c} {
			if _, err := l.Claim(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.MarkSent(ctx, a.Key, "m", t0); err != nil {
			t.Fatal(err)
		}
		got, err := l.Pending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range got {
			ids = append(ids, e.CustomerID)
		}
		if want := []string{"c3", "c1"}; !reflect.DeepEqual(ids, want) {
			t.Errorf("pending = %v, want %v", ids, want)
		}
	})

	t.Run("last marketing", func(t *testing.T) {
		l := newLedger(t)
		if _, ok, err := l.LastMarketing(ctx, "c1"); ok || err != nil {
			t.Fatalf("empty: ok=%v err=%v", ok, err)
		}
		steps := []struct {
			e    touch.Entry
			skip bool
			want string
		}{
			{entry("c1", touch.Valentines, "s1", "2026-02-01"), false, "2026-02-01"},
			{entry("c1", touch.MothersDay, "s1", "2026-04-28"), false, "2026-04-28"},
			{entry("c1", touch.Christmas, "s1", "2026-12-20"), true, "2026-04-28"},   // skipped: not marketing
			{entry("c10", touch.Christmas, "s1", "2026-12-21"), false, "2026-04-28"}, // another client
		}
		for _, s := range steps {
			if _, err := l.Claim(ctx, s.e); err != nil {
				t.Fatal(err)
			}
			if s.skip {
				if err := l.MarkSkipped(ctx, s.e.Key, touch.SkipFatigue, t0); err != nil {
					t.Fatal(err)
				}
			}
			got, ok, err := l.LastMarketing(ctx, "c1")
			if err != nil || !ok || got.String() != s.want {
				t.Errorf("after %s: last = %s, %v, %v; want %s", s.e.Key, got, ok, err, s.want)
			}
		}
	})

	t.Run("counts and touches", func(t *testing.T) {
		l := newLedger(t)
		steps := []struct {
			e      touch.Entry
			reason string // "" sent
		}{
			{entry("c1", touch.Valentines, "s1", "2026-02-01"), ""},
			{entry("c2", touch.Valentines, "s1", "2026-02-01"), touch.SkipNoEmail},
			{entry("c3", touch.Valentines, "s1", "2026-02-01"), touch.SkipNoEmail},
			{onChannel(entry("c1", touch.Birthday, "s1", "2026-02-03"), "sms"), ""},
			{entry("c4", touch.Birthday, "s2", "2026-02-03"), ""},
			{entry("c1", touch.Christmas, "s1", "2026-02-10"), ""},
		}
		for _, s := range steps {
			if _, err := l.Claim(ctx, s.e); err != nil {
				t.Fatal(err)
			}
			var err error
			if s.reason == "" {
				err = l.MarkSent(ctx, s.e.Key, "m", t0)
			} else {
				err = l.MarkSkipped(ctx, s.e.Key, s.reason, t0)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		// A claimed-unsent entry counts nowhere yet.
		if _, err := l.Claim(ctx, entry("c9", touch.Birthday, "s1", "2026-02-03")); err != nil {
			t.Fatal(err)
		}
		got, err := l.Counts(ctx, "s1", day("2026-02-01"), day("2026-02-03"))
		if err != nil {
			t.Fatal(err)
		}
		want := []touch.DayCount{
			{StoreID: "s1", Day: day("2026-02-01"), Sent: 1, Skipped: map[string]int{touch.SkipNoEmail: 2},
				ByChannel: map[string]int{"email": 1}},
			{StoreID: "s1", Day: day("2026-02-03"), Sent: 1, ByChannel: map[string]int{"sms": 1}},
		}
		for i := range got {
			if len(got[i].Skipped) == 0 {
				got[i].Skipped = nil
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("counts = %+v, want %+v", got, want)
		}
		// The channel chosen at the claim is kept.
		if e, err := l.Get(ctx, touch.Key{CustomerID: "c1", Occasion: touch.Birthday, Year: 2026}); err != nil || e.Channel != "sms" || e.On() != "sms" {
			t.Errorf("entry channel = %q (%v), want sms", e.Channel, err)
		}
		touches, err := l.Touches(ctx, "s1", day("2026-02-01"), day("2026-02-03"))
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{"c1": 2}; !reflect.DeepEqual(touches, want) {
			t.Errorf("touches = %v, want %v", touches, want)
		}
	})

	t.Run("lease", func(t *testing.T) {
		l := newLedger(t)
		ls := l
		e := entry("c1", touch.Birthday, "s1", "2026-05-01")
		if _, err := l.Claim(ctx, e); err != nil {
			t.Fatal(err)
		}
		until := t0.Add(5 * time.Minute)
		steps := []struct {
			name string
			now  time.Time
			want bool
		}{
			{"first lease wins", t0, true},
			{"live lease blocks", t0.Add(time.Minute), false},
			{"live lease blocks just before it ends", until.Add(-time.Nanosecond), false},
			{"lease that expired at now is taken over", until, true},
		}
		for _, s := range steps {
			got, err := ls.Lease(ctx, e.Key, s.now, until)
			if err != nil || got != s.want {
				t.Fatalf("%s: lease = %v, %v; want %v", s.name, got, err, s.want)
			}
		}
		got, err := l.Get(ctx, e.Key)
		if err != nil || got.State != touch.StateClaimed || !got.LeaseUntil.Equal(until) {
			t.Errorf("get leased = %+v, %v; want claimed with lease_until %s", got, err, until)
		}
		pending, err := l.Pending(ctx)
		if err != nil || len(pending) != 1 || !pending[0].LeaseUntil.Equal(until) {
			t.Errorf("pending = %+v, %v; want the leased entry with its lease", pending, err)
		}
		if ok, err := ls.Lease(ctx, e.Key, t0, until); ok || err != nil {
			t.Errorf("lease while leased = %v, %v; want false, nil", ok, err)
		}
		if err := ls.Release(ctx, e.Key, until.Add(time.Second)); err != nil {
			t.Fatalf("release of another lease: %v", err)
		}
		if got, _ := l.Get(ctx, e.Key); !got.LeaseUntil.Equal(until) {
			t.Errorf("release naming another lease cleared it: %+v", got)
		}
		if err := ls.Release(ctx, e.Key, until); err != nil {
			t.Fatalf("release: %v", err)
		}
		if err := ls.Release(ctx, e.Key, until); err != nil {
			t.Errorf("release without lease: got %v, want nil", err)
		}
		got, _ = l.Get(ctx, e.Key)
		if !got.LeaseUntil.IsZero() || got.State != touch.StateClaimed {
			t.Errorf("released entry = %+v, want claimed without lease", got)
		}
		if ok, err := ls.Lease(ctx, e.Key, t0, until); !ok || err != nil {
			t.Errorf("lease after release = %v, %v; want true, nil", ok, err)
		}
	})

	t.Run("lease states", func(t *testing.T) {
		l := newLedger(t)
		ls := l
		sent, skipped := entry("c1", touch.Christmas, "s1", "2026-12-01"), entry("c2", touch.Christmas, "s1", "2026-12-01")
		planSkipped := entry("c3", touch.Christmas, "s1", "2026-12-01")
		planSkipped.State, planSkipped.Reason = touch.StateSkipped, touch.SkipNoEmail
		for _, e := range []touch.Entry{sent, skipped, planSkipped} {
			if _, err := l.Claim(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if ok, err := ls.Lease(ctx, sent.Key, t0, t0.Add(time.Minute)); !ok || err != nil {
			t.Fatalf("lease = %v, %v", ok, err)
		}
		if err := l.MarkSent(ctx, sent.Key, "m1", t0); err != nil {
			t.Fatalf("mark sent a leased entry: %v", err)
		}
		if err := l.MarkSkipped(ctx, skipped.Key, touch.SkipUnsubscribed, t0); err != nil {
			t.Fatal(err)
		}
		for _, k := range []touch.Key{sent.Key, skipped.Key, planSkipped.Key} {
			if ok, err := ls.Lease(ctx, k, t0.Add(time.Hour), t0.Add(2*time.Hour)); ok || err != nil {
				t.Errorf("lease %s: got %v, %v; want false, nil", k, ok, err)
			}
			if err := ls.Release(ctx, k, t0.Add(2*time.Hour)); err != nil {
				t.Errorf("release %s: got %v, want nil", k, err)
			}
		}
		unknown := touch.Key{CustomerID: "nobody", Occasion: touch.Christmas, Year: 2026}
		if _, err := ls.Lease(ctx, unknown, t0, t0.Add(time.Minute)); !errors.Is(err, loupe.ErrNotFound) {
			t.Errorf("lease unknown: got %v, want ErrNotFound", err)
		}
		if err := ls.Release(ctx, unknown, t0.Add(time.Minute)); err != nil {
			t.Errorf("release unknown: got %v, want nil", err)
		}
		got, err := l.Get(ctx, sent.Key)
		if err != nil || got.State != touch.StateSent || got.MessageID != "m1" {
			t.Errorf("sent entry after lease attempts = %+v, %v", got, err)
		}
	})

	t.Run("transition rule", func(t *testing.T) {
		l := newLedger(t)
		states := []string{"", touch.StateClaimed, touch.StateSent, touch.StateSkipped} // "": not in the ledger
		for _, from := range states {
			for _, to := range []string{touch.StateSent, touch.StateSkipped} {
				name := "from " + cmp.Or(from, "absent") + " to " + to
				e := entry(cmp.Or(from, "absent")+"-"+to, touch.Christmas, "s1", "2026-12-01")
				setState(t, ctx, l, e, from, t0)
				before, _ := l.Get(ctx, e.Key)
				wantMove, wantErr := touch.Transition(from, from != "", to)
				var err error
				if to == touch.StateSent {
					err = l.MarkSent(ctx, e.Key, "again", t0.Add(time.Hour))
				} else {
					err = l.MarkSkipped(ctx, e.Key, touch.SkipRejected, t0.Add(time.Hour))
				}
				sameErr(t, name, err, wantErr)
				if from == "" {
					continue
				}
				got, gerr := l.Get(ctx, e.Key)
				want := before
				if wantMove {
					want.State, want.LeaseUntil = to, time.Time{}
					if to == touch.StateSent {
						want.MessageID, want.SentAt = "again", t0.Add(time.Hour)
					} else {
						want.Reason = touch.SkipRejected
					}
				}
				if gerr != nil || !sameEntry(got, want) {
					t.Errorf("%s: entry = %+v, %v; want %+v", name, got, gerr, want)
				}
			}
		}
	})

	t.Run("lease rule", func(t *testing.T) {
		l := newLedger(t)
		now := t0.Add(time.Hour)
		until := now.Add(5 * time.Minute)
		cases := []struct {
			name   string
			state  string        // "": not in the ledger
			leased bool          // a lease was taken earlier...
			lease  time.Duration // ...ending at now+lease
		}{
			{"absent", "", false, 0},
			{"claimed", touch.StateClaimed, false, 0},
			{"claimed, lease ended", touch.StateClaimed, true, -time.Minute},
			{"claimed, lease ends now", touch.StateClaimed, true, 0},
			{"claimed, live lease", touch.StateClaimed, true, time.Minute},
			{"claimed, lease ending at until", touch.StateClaimed, true, 5 * time.Minute},
			{"sent", touch.StateSent, false, 0},
			{"skipped", touch.StateSkipped, false, 0},
		}
		for i, c := range cases {
			for _, op := range []string{"lease", "release"} {
				name := op + " " + c.name
				e := entry(fmt.Sprintf("%s-%d", op, i), touch.Birthday, "s1", "2026-05-01")
				setState(t, ctx, l, e, c.state, t0)
				if c.leased {
					if ok, err := l.Lease(ctx, e.Key, t0, now.Add(c.lease)); !ok || err != nil {
						t.Fatalf("%s: set up lease = %v, %v", name, ok, err)
					}
				}
				before, gerr := l.Get(ctx, e.Key)
				found := gerr == nil
				want := before
				if op == "lease" {
					wantOK, wantErr := touch.Leasable(before, found, now)
					ok, err := l.Lease(ctx, e.Key, now, until)
					sameErr(t, name, err, wantErr)
					if ok != wantOK {
						t.Errorf("%s: won = %v, want %v (touch.Leasable)", name, ok, wantOK)
					}
					if wantOK {
						want.LeaseUntil = until
					}
				} else {
					if err := l.Release(ctx, e.Key, until); err != nil {
						t.Errorf("%s: got error %v, want nil", name, err)
					}
					if touch.Releasable(before, found, until) {
						want.LeaseUntil = time.Time{}
					}
				}
				if !found {
					continue
				}
				if got, err := l.Get(ctx, e.Key); err != nil || !sameEntry(got, want) {
					t.Errorf("%s: entry = %+v, %v; want %+v", name, got, err, want)
				}
			}
		}
	})

	t.Run("lookup", func(t *testing.T) {
		l := newLedger(t)
		bl, ok := l.(touch.BatchLookup)
		if !ok {
			t.Skip("not a BatchLookup")
		}
		steps := []struct {
			e      touch.Entry
			reason string // "-" claimed, "" sent, else skipped
		}{
			{entry("c1", touch.Birthday, "s1", "2026-05-01"), ""},
			{entry("c2", touch.Birthday, "s1", "2026-05-03"), "-"},
			{entry("c3", touch.Birthday, "s1", "2026-05-04"), touch.SkipOptedOut},
			{entry("c4", touch.Birthday, "s1", "2026-04-20"), ""},
			{entry("c5", touch.Birthday, "s2", "2026-06-01"), "-"}, // planned after the day looked at
		}
		for _, s := range steps {
			if _, err := l.Claim(ctx, s.e); err != nil {
				t.Fatal(err)
			}
			var err error
			switch s.reason {
			case "-":
			case "":
				err = l.MarkSent(ctx, s.e.Key, "m", t0)
			default:
				err = l.MarkSkipped(ctx, s.e.Key, s.reason, t0)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		k := func(cust, occ string) touch.Key { return touch.Key{CustomerID: cust, Occasion: occ, Year: 2026} }
		keys := []touch.Key{
			k("c1", touch.Birthday), k("c1", touch.MothersDay), k("c2", touch.MothersDay), k("c3", touch.MothersDay),
			k("c3", touch.Birthday), k("c4", touch.MothersDay), k("c5", touch.MothersDay), k("c6", touch.MothersDay),
		}
		found, recent, err := bl.Lookup(ctx, keys, day("2026-05-01"))
		if err != nil {
			t.Fatal(err)
		}
		wantFound := []bool{true, false, false, false, true, false, false, false}
		wantRecent := []bool{true, true, true, false, false, false, true, false}
		if !reflect.DeepEqual(found, wantFound) || !reflect.DeepEqual(recent, wantRecent) {
			t.Errorf("lookup = found %v recent %v; want %v %v", found, recent, wantFound, wantRecent)
		}
	})

	t.Run("entry JSON round trip", func(t *testing.T) {
		l := newLedger(t)
		e := entry("c1", touch.EventPrefix+"gala", "s1", "2026-11-20")
		e.ClaimedAt = t0.Add(1234567 * time.Nanosecond)
		if _, err := l.Claim(ctx, e); err != nil {
			t.Fatal(err)
		}
		got, err := l.Get(ctx, e.Key)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var back touch.Entry
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, got) || !back.ClaimedAt.Equal(e.ClaimedAt) {
			t.Errorf("round trip %s = %+v, want %+v", b, back, got)
		}
	})
}

// RunCampaigns runs the campaign store contract.
func RunCampaigns(t *testing.T, newCampaigns func(t *testing.T) touch.Campaigns) {
	ctx := context.Background()
	c := touch.Campaign{CampaignID: "gala", Name: "Gala", EventDate: touch.Day{Year: 2026, Month: 12, Day: 5},
		SendDate: touch.Day{Year: 2026, Month: 11, Day: 20}, StoreIDs: []string{"s1", "s2"}, Subject: "Save the date", BodyHTML: "<p>Join us</p>"}
	s := newCampaigns(t)
	if err := s.PutCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCampaign(ctx, c); err != nil {
		t.Errorf("put equal again: got %v, want nil", err)
	}
	d := c
	d.Subject = "Other"
	if err := s.PutCampaign(ctx, d); !errors.Is(err, loupe.ErrExists) {
		t.Errorf("put different: got %v, want ErrExists", err)
	}
	got, err := s.GetCampaign(ctx, "gala")
	if err != nil || !touch.SameCampaign(got, c) {
		t.Errorf("get = %+v, %v", got, err)
	}
	if _, err := s.GetCampaign(ctx, "nope"); !errors.Is(err, loupe.ErrNotFound) {
		t.Errorf("get unknown: got %v, want ErrNotFound", err)
	}
	a := c
	a.CampaignID = "art"
	if err := s.PutCampaign(ctx, a); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListCampaigns(ctx)
	if err != nil || len(list) != 2 || list[0].CampaignID != "art" || list[1].CampaignID != "gala" {
		t.Errorf("list = %+v, %v", list, err)
	}
}

// setState puts e in the ledger in state ("" leaves it out): claimed, then
// sent or skipped.
func setState(t *testing.T, ctx context.Context, l touch.Ledger, e touch.Entry, state string, at time.Time) {
	t.Helper()
	if state == "" {
		return
	}
	if _, err := l.Claim(ctx, e); err != nil {
		t.Fatal(err)
	}
	var err error
	switch state {
	case touch.StateSent:
		err = l.MarkSent(ctx, e.Key, "m1", at)
	case touch.StateSkipped:
		err = l.MarkSkipped(ctx, e.Key, touch.SkipNoConsent, at)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// sameErr fails t unless err and want are both nil, or both wrap the same
// one of loupe.ErrNotFound and loupe.ErrConflict.
func sameErr(t *testing.T, what string, err, want error) {
	t.Helper()
	for _, target := range []error{loupe.ErrNotFound, loupe.ErrConflict} {
		if errors.Is(err, target) != errors.Is(want, target) {
			t.Errorf("%s: got error %v, want %v", what, err, want)
			return
		}
	}
	if (err == nil) != (want == nil) {
		t.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

// sameEntry reports whether a and b are equal entries, times compared as
// instants.
func sameEntry(a, b touch.Entry) bool {
	return a.Key == b.Key && a.StoreID == b.StoreID && a.Planned == b.Planned && a.State == b.State &&
		a.MessageID == b.MessageID && a.Reason == b.Reason && a.ClaimedAt.Equal(b.ClaimedAt) &&
		a.SentAt.Equal(b.SentAt) && a.LeaseUntil.Equal(b.LeaseUntil)
}

// onChannel returns e to go on channel.
func onChannel(e touch.Entry, channel string) touch.Entry {
	e.Channel = channel
	return e
}
