package touch_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/touch"
)

// yearChain returns about 200 clients over the test stores, with random
// birthdays and anniversaries (some unknown, some on February 29), a few
// who may not be mailed, and the day some others unsubscribe or bounce.
func yearChain(rng *rand.Rand) (*fakeDB, map[string]touch.Day, map[string]string) {
	db := chainDB()
	stop := map[string]touch.Day{} // customer -> first day they may not be mailed
	stopStatus := map[string]string{}
	randDate := func(knownYear bool) loupe.Date {
		d := touch.Day{Year: 2024, Month: time.January, Day: 1}.AddDays(rng.IntN(366)) // 2024 is a leap year
		y := 0
		if knownYear {
			y = 1960 + 4*rng.IntN(10)
		}
		return loupe.Date{Year: y, Month: d.Month, Day: d.Day}
	}
	for i := range 200 {
		id := fmt.Sprintf("c%03d", i)
		c := customer(id, testStores[i%len(testStores)].StoreID, loupe.Date{}, loupe.Date{})
		if rng.IntN(20) != 0 {
			c.Birthday = randDate(rng.IntN(2) == 0)
		}
		if rng.IntN(5) != 0 {
			c.Anniversary = randDate(false)
		}
		if i < 3 {
			c.Birthday = loupe.Date{Month: time.February, Day: 29}
		}
		switch {
		case i >= 10 && i < 14:
			c.Email = ""
		case i >= 14 && i < 18:
			c.EmailOptOut = true
		case i >= 18 && i < 22:
			c.EmailSource = loupe.EmailSourceRepair // no consent in GB and MX, fine in the US
		case i >= 22 && i < 25:
			c.EmailStatus = loupe.EmailBounced
		case i >= 25 && i < 40:
			// They unsubscribe, bounce or complain on a random day.
			stop[id] = touch.Day{Year: 2026, Month: time.January, Day: 1}.AddDays(rng.IntN(365))
			stopStatus[id] = []string{loupe.EmailUnsubscribed, loupe.EmailBounced, loupe.EmailComplained}[i%3]
		}
		db.put(c)
	}
	return db, stop, stopStatus
}

// TestSimulatedYear runs the daily job for every day of 2026, each day twice,
// and checks the client-facing rules over everything sent.
func TestSimulatedYear(t *testing.T) {
	t.Run("mem", func(t *testing.T) { simulateYear(t, &touch.MemLedger{}, &touch.MemCampaigns{}) })
	t.Run("embedded", func(t *testing.T) {
		if testing.Short() {
			t.Skip("fsyncs every ledger write")
		}
		db, err := embedded.Open(filepath.Join(t.TempDir(), "loupe.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		simulateYear(t, db.Ledger(), db.Ledger())
	})
}

func simulateYear(t *testing.T, ledger touch.Ledger, campaigns touch.Campaigns) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 2026))
	db, stop, stopStatus := yearChain(rng)
	for _, c := range []touch.Campaign{
		{CampaignID: "spring", Name: "Spring Trunk Show", EventDate: day("2026-04-18"), SendDate: day("2026-04-01"), StoreIDs: []string{"nyc", "lon"}, Subject: "Save the date", BodyHTML: "<p>Join us</p>"},
		{CampaignID: "autumn", Name: "Autumn Gala", EventDate: day("2026-10-10"), SendDate: day("2026-09-24"), StoreIDs: []string{"mex"}, Subject: "Save the date", BodyHTML: "<p>Join us</p>"},
	} {
		if err := campaigns.PutCampaign(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	p := newPlanner(db, ledger, campaigns)
	var now time.Time
	p.Now = func() time.Time { return now }
	sender := &countingSender{next: &mail.Fake{}}

	first, last := day("2026-01-01"), day("2026-12-31")
	for d := first; !last.Before(d); d = d.AddDays(1) {
		for id, at := range stop {
			if at == d {
				c, _ := db.GetCustomer(ctx, id)
				c.EmailStatus = stopStatus[id]
				db.put(c)
			}
		}
		now = d.Time(time.UTC).Add(12 * time.Hour)
		if _, err := p.RunDay(ctx, d, sender); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		again, err := p.RunDay(ctx, d, sender)
		if err != nil || again.Planned != 0 || again.Sent != 0 {
			t.Fatalf("%s run again: %+v, %v; want nothing", d, again, err)
		}
	}

	type sent struct {
		occasion string
		day      touch.Day
	}
	byClient := map[string][]sent{}
	keys := map[string]bool{}
	for _, m := range sender.calls {
		if keys[m.Key] {
			t.Errorf("%s sent twice", m.Key)
		}
		keys[m.Key] = true
		id := m.Header(mail.HeaderCustomerID)
		byClient[id] = append(byClient[id], sent{m.Header(mail.HeaderTouchpoint), day(m.Header(mail.HeaderSendDate))})
	}
	personal := func(occ string) bool { return occ == touch.Birthday || occ == touch.Anniversary }
	overrides := 0
	for id, ms := range byClient {
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].day.Before(ms[j].day) })
		for i := 1; i < len(ms); i++ {
			a, b := ms[i-1], ms[i]
			if b.day.Sub(a.day) >= touch.DefaultCap {
				continue
			}
			switch {
			case !personal(b.occasion) && !personal(a.occasion):
				t.Errorf("%s: %s on %s and %s on %s inside the cap", id, a.occasion, a.day, b.occasion, b.day)
			case !personal(b.occasion):
				t.Errorf("%s: deferrable %s on %s only %d days after %s", id, b.occasion, b.day, b.day.Sub(a.day), a.occasion)
			default:
				overrides++
			}
		}
		if at, ok := stop[id]; ok {
			for _, m := range ms {
				if !m.day.Before(at) {
					t.Errorf("%s: %s mailed on %s after %s on %s", id, m.occasion, m.day, stopStatus[id], at)
				}
			}
		}
	}

	// Every client who may be mailed all year gets each occasion, or it is
	// recorded as skipped for fatigue.
	fatigue, expected := 0, 0
	for _, c := range db.customers {
		store := db.stores[c.HomeStoreID]
		if _, ok := stop[c.CustomerID]; ok {
			continue // checked above
		}
		if p.Reason(store, c) != "" {
			if n := len(byClient[c.CustomerID]); n != 0 {
				t.Errorf("%s (%s) was mailed %d times", c.CustomerID, p.Reason(store, c), n)
			}
			continue
		}
		occs := []string{touch.Valentines, touch.MothersDay, touch.Christmas}
		if !c.Birthday.IsZero() {
			occs = append(occs, touch.Birthday)
		}
		if !c.Anniversary.IsZero() {
			occs = append(occs, touch.Anniversary)
		}
		for _, cp := range []string{"spring", "autumn"} {
			cpn, _ := campaigns.GetCampaign(ctx, cp)
			if cpn.HasStore(c.HomeStoreID) {
				occs = append(occs, cpn.Occasion())
			}
		}
		for _, occ := range occs {
			expected++
			n := 0
			for _, m := range byClient[c.CustomerID] {
				if m.occasion == occ {
					n++
				}
			}
			if n == 1 {
				continue
			}
			if n > 1 || personal(occ) {
				t.Errorf("%s: %s sent %d times, want 1", c.CustomerID, occ, n)
				continue
			}
			year := 2026
			e, err := ledger.Get(ctx, touch.Key{CustomerID: c.CustomerID, Occasion: occ, Year: year})
			if err != nil || e.Reason != touch.SkipFatigue {
				t.Errorf("%s: %s neither sent nor skipped for fatigue: %+v, %v", c.CustomerID, occ, e, err)
				continue
			}
			fatigue++
		}
	}
	t.Logf("simulated year: %d mails, %d expected touchpoints, %d skipped for fatigue, %d personal overrides of the cap", len(sender.calls), expected, fatigue, overrides)
	if fatigue*20 > expected {
		t.Errorf("%d of %d touchpoints skipped for fatigue, want under 5%%", fatigue, expected)
	}

	// Coverage agrees with what was sent.
	cov, err := p.Coverage(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range cov {
		want := 0
		for id, ms := range byClient {
			c := db.customers[id]
			if c.HomeStoreID == sc.StoreID && p.Reason(db.stores[sc.StoreID], c) == "" && len(ms) >= 5 {
				want++
			}
		}
		if sc.TouchedFiveOrMore != want || sc.Emailable == 0 || sc.Sent == 0 {
			t.Errorf("coverage %s = %+v, want touched_5_plus %d", sc.StoreID, sc, want)
		}
		t.Logf("coverage %s: emailable %d, touched 5+ %d, sent 30d %d, skipped 30d %v", sc.StoreID, sc.Emailable, sc.TouchedFiveOrMore, sc.Sent, sc.Skipped)
	}
	if !strings.HasPrefix(sender.calls[0].Key, "tp/") {
		t.Errorf("key %q", sender.calls[0].Key)
	}
}
