package pos_test

// Regression tests of CONTRACT section 2 (v2), "Order" and at-most-once, on
// the embedded store and on DynamoDB (dynalite), the two stores Loupe runs on.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/testkit/dynalite"
	"github.com/loupehq/loupe/shared/testkit/postest"
)

// ruleStores returns a constructor of a fresh store per kind.
func ruleStores() map[string]func(t *testing.T) loupe.DB {
	return map[string]func(t *testing.T) loupe.DB{
		"embedded": func(t *testing.T) loupe.DB {
			db, err := embedded.Open(filepath.Join(t.TempDir(), "loupe.db"))
			if err != nil {
				t.Fatalf("open embedded: %v", err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		"dynalite": func(t *testing.T) loupe.DB {
			client := dynalite.Client(t, dynalite.Shared(t))
			name := dynalite.TableName(t)
			if err := dynamo.CreateTable(context.Background(), client, name); err != nil {
				t.Fatalf("create table: %v", err)
			}
			return dynamo.New(client, name)
		},
	}
}

// forEachStore runs f on a fresh store of each kind.
func forEachStore(t *testing.T, f func(t *testing.T, db loupe.DB)) {
	for name, open := range ruleStores() {
		t.Run(name, func(t *testing.T) { f(t, open(t)) })
	}
}

func stamp(d time.Duration) string { return atTime.Add(d).Format(time.RFC3339Nano) }

func applyErr(t *testing.T, s *pos.Service, body []byte) (pos.Result, error) {
	t.Helper()
	return s.Apply(context.Background(), body)
}

// Item 1: a termination is not undone by an unrelated newer upsert.
func TestRuleTerminationSurvivesNewerUpsertWithoutStatus(t *testing.T) {
	forEachStore(t, func(t *testing.T, db loupe.DB) {
		s := serviceOn(db)
		mustApply(t, s, event("e0", pos.TypeAssociateUpserted, stamp(-time.Hour), `{"associate_id":"x","store_id":"s1","name":"X"}`))
		mustApply(t, s, event("e2", pos.TypeAssociateUpserted, stamp(-10*time.Second), `{"associate_id":"x","store_id":"s1","name":"X Renamed"}`))
		mustApply(t, s, event("e1", pos.TypeAssociateTerminated, stamp(-20*time.Second), `{"associate_id":"x"}`))
		a, err := db.GetAssociate(context.Background(), "x")
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != loupe.StatusTerminated || a.Name != "X Renamed" {
			t.Fatalf("associate = %s %q, want terminated with the newer name", a.Status, a.Name)
		}
	})
}

// Item 2: upserts racing a reassignment never restore the departed owner,
// and a POS associate_id naming the terminated associate is ignored.
func TestRuleUpsertsRacingMovesKeepTheMove(t *testing.T) {
	const clients = 300
	forEachStore(t, func(t *testing.T, db loupe.DB) {
		ctx := context.Background()
		s := serviceOn(db)
		mustApply(t, s, event("a-old", pos.TypeAssociateUpserted, stamp(-3*time.Hour), `{"associate_id":"old","store_id":"s1","name":"Old"}`))
		mustApply(t, s, event("a-new", pos.TypeAssociateUpserted, stamp(-3*time.Hour), `{"associate_id":"new","store_id":"s1","name":"New"}`))
		seed := make([][]byte, clients)
		for i := range clients {
			seed[i] = event(fmt.Sprintf("c-seed-%d", i), pos.TypeCustomerUpserted, stamp(-2*time.Hour),
				fmt.Sprintf(`{"customer_id":"c%03d","home_store_id":"s1","associate_id":"old"}`, i))
		}
		runAll(t, s, seed, 16)
		mustApply(t, s, event("t-old", pos.TypeAssociateTerminated, stamp(-time.Hour), `{"associate_id":"old"}`))

		// Newer POS upserts (half without associate_id, half still naming the
		// departed owner) race the moves, in shuffled order.
		var ups [][]byte
		for i := range clients {
			owner := ""
			if i%2 == 1 {
				owner = `,"associate_id":"old"`
			}
			ups = append(ups, event(fmt.Sprintf("c-up-%d", i), pos.TypeCustomerUpserted, stamp(-time.Minute),
				fmt.Sprintf(`{"customer_id":"c%03d","home_store_id":"s1","first_name":"N%d"%s}`, i, i, owner)))
		}
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(ups), func(i, j int) { ups[i], ups[j] = ups[j], ups[i] })
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		wg.Go(func() { runAll(t, s, ups, 16) })
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < clients; i += 8 {
					if err := loupe.MoveCustomerTo(ctx, db, fmt.Sprintf("c%03d", i), "old", "new", atTime); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("move: %v", err)
		}
		for i := range clients {
			c, err := db.GetCustomer(ctx, fmt.Sprintf("c%03d", i))
			if err != nil {
				t.Fatal(err)
			}
			if c.AssociateID != "new" || c.FirstName != fmt.Sprintf("N%d", i) {
				t.Fatalf("c%03d: owner %q first name %q, want new and N%d (neither the move nor the upsert lost)", i, c.AssociateID, c.FirstName, i)
			}
		}
	})
}

// runAll applies bodies with workers goroutines, failing t on an error.
func runAll(t *testing.T, s *pos.Service, bodies [][]byte, workers int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(bodies))
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(bodies); i += workers {
				if _, err := s.Apply(context.Background(), bodies[i]); err != nil {
					errs <- fmt.Errorf("%s: %w", bodies[i], err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// Item 3: one event id is applied at most once when deliveries race, and a
// claim whose apply was interrupted is completed by the next delivery.
func TestRuleAtMostOnceUnderRaces(t *testing.T) {
	forEachStore(t, func(t *testing.T, db loupe.DB) {
		ctx := context.Background()
		s := serviceOn(db)
		const n = 50
		bodies := make([][]byte, n)
		for i := range n {
			bodies[i] = event("e-race", pos.TypeCustomerUpserted, stamp(-time.Minute), fmt.Sprintf(`{"customer_id":"c1","home_store_id":"s1","first_name":"F%02d"}`, i))
		}
		results := make([]pos.Result, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { results[i], errs[i] = s.Apply(ctx, bodies[i]) })
		}
		wg.Wait()
		winner := -1
		for i := range n {
			switch {
			case errs[i] == nil && results[i].Status == pos.StatusAccepted:
				if winner >= 0 {
					t.Fatalf("deliveries %d and %d both accepted", winner, i)
				}
				winner = i
			case loupe.ErrorCode(errs[i]) == loupe.ECONFLICT:
			default:
				t.Fatalf("delivery %d: %+v, %v; want accepted once, conflict otherwise", i, results[i], errs[i])
			}
		}
		c, err := db.GetCustomer(ctx, "c1")
		if err != nil || winner < 0 || c.FirstName != fmt.Sprintf("F%02d", winner) {
			t.Fatalf("stored %q (%v), want the winner F%02d", c.FirstName, err, winner)
		}

		// 50 deliveries of one body: one accepted, 49 duplicates.
		same := event("e-same", pos.TypeCustomerUpserted, stamp(0), `{"customer_id":"c2","home_store_id":"s1","first_name":"Same"}`)
		for i := range n {
			wg.Go(func() { results[i], errs[i] = s.Apply(ctx, same) })
		}
		wg.Wait()
		accepted := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("delivery %d: %v", i, errs[i])
			}
			if results[i].Status == pos.StatusAccepted {
				accepted++
			} else if results[i].Status != pos.StatusDuplicate {
				t.Fatalf("delivery %d: status %q", i, results[i].Status)
			}
		}
		if accepted != 1 {
			t.Fatalf("accepted %d times, want 1", accepted)
		}

		// A claim made by a delivery that died before applying.
		body := event("e-cut", pos.TypeCustomerUpserted, stamp(0), `{"customer_id":"c3","home_store_id":"s1","first_name":"Cut"}`)
		ev, err := pos.DecodeEnvelope(body)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ClaimEvent(ctx, ev.ID, ev.Hash, atTime); err != nil {
			t.Fatal(err)
		}
		if got := mustApply(t, s, body); got.Status != pos.StatusDuplicate {
			t.Fatalf("retry after an interrupted apply: %+v, want duplicate", got)
		}
		if c, err := db.GetCustomer(ctx, "c3"); err != nil || c.FirstName != "Cut" {
			t.Fatalf("interrupted event not completed: %+v, %v", c, err)
		}
		// Key order and spacing do not make another body.
		respaced := []byte(strings.Replace(string(body), `"customer_id":"c3","home_store_id":"s1"`, `"home_store_id": "s1", "customer_id": "c3"`, 1))
		if got := mustApply(t, s, respaced); got.Status != pos.StatusDuplicate {
			t.Fatalf("same JSON laid out otherwise: %+v, want duplicate", got)
		}
	})
}

// Item 9: any permutation of a set of events, duplicates included, gives
// the state of applying them in (occurred_at, id) order. Events naming an
// associate_id are left out: whether that associate is terminated when the
// event arrives is order-dependent by design (the rule ignores it then).
func TestRulePermutationsGiveTheSameState(t *testing.T) {
	rounds := map[string]int{"embedded": 30, "dynalite": 6}
	for name, open := range ruleStores() {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(len(name))))
			for round := range rounds[name] {
				events := randomEvents(rng, round)
				sorted := slices2(events)
				sort.Slice(sorted, func(i, j int) bool {
					if !sorted[i].at.Equal(sorted[j].at) {
						return sorted[i].at.Before(sorted[j].at)
					}
					return sorted[i].id < sorted[j].id
				})
				shuffled := slices2(events)
				rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				want, got := open(t), open(t)
				for _, e := range sorted {
					applyIgnoringDuplicate(t, serviceOn(want), e.body)
				}
				if round%2 == 0 {
					for _, e := range shuffled {
						applyIgnoringDuplicate(t, serviceOn(got), e.body)
					}
				} else { // concurrently
					bodies := make([][]byte, len(shuffled))
					for i, e := range shuffled {
						bodies[i] = e.body
					}
					runAll(t, serviceOn(got), bodies, 4)
				}
				sameState(t, fmt.Sprintf("round %d", round), want, got)
			}
		})
	}
}

type genEvent struct {
	id   string
	at   time.Time
	body []byte
}

func slices2(es []genEvent) []genEvent { return append([]genEvent(nil), es...) }

// randomEvents returns about 14 events over 2 customers, 2 associates and a
// store, on 3 instants (so ties on occurred_at happen), with 2 exact
// duplicates.
func randomEvents(rng *rand.Rand, round int) []genEvent {
	times := []time.Time{atTime.Add(-3 * time.Hour), atTime.Add(-2 * time.Hour), atTime.Add(-2 * time.Hour).Add(time.Nanosecond)}
	pick := func(opts ...string) string { return opts[rng.IntN(len(opts))] }
	var out []genEvent
	for i := range 12 {
		at := times[rng.IntN(len(times))]
		id := fmt.Sprintf("r%d-e%02d", round, rng.IntN(100)*100+i)
		var typ, data string
		switch rng.IntN(4) {
		case 0, 1:
			typ = pos.TypeCustomerUpserted
			fields := []string{`"customer_id":"` + pick("c1", "c2") + `"`, `"home_store_id":"` + pick("s1", "s2") + `"`}
			for _, f := range []string{
				`"first_name":` + pick(`"Ann"`, `"Bea"`, `null`),
				`"last_name":` + pick(`"Lee"`, `"Roe"`),
				`"email":` + pick(`"a@example.com"`, `"b@example.com"`, `null`, `""`),
				`"phone":` + pick(`"+12125550100"`, `null`),
				`"birthday":` + pick(`"--06-14"`, `"1980-01-02"`, `null`),
				`"preferences":` + pick(`["pearls"]`, `["gold","bridal"]`, `[]`, `null`),
				`"email_opt_out":` + pick(`true`, `false`),
			} {
				if rng.IntN(2) == 0 {
					fields = append(fields, f)
				}
			}
			data = "{" + strings.Join(fields, ",") + "}"
		case 2:
			typ = pos.TypeAssociateUpserted
			data = `{"associate_id":"` + pick("a1", "a2") + `","store_id":"s1","name":"` + pick("Ann", "Cy") + `"` +
				pick(``, `,"status":"active"`, `,"status":"terminated"`) + pick(``, `,"strengths":["pearls"]`, `,"capacity":5`) + `}`
		default:
			if rng.IntN(2) == 0 {
				typ = pos.TypeAssociateTerminated
				data = `{"associate_id":"` + pick("a1", "a2") + `"` + pick(``, `,"terminated_at":"`+times[0].Format(time.RFC3339Nano)+`"`) + `}`
			} else {
				typ = pos.TypeStoreUpserted
				data = `{"store_id":"s1","name":"` + pick("Fifth", "Union") + `","timezone":"` + pick("America/New_York", "Europe/London") + `","country":"US"` +
					pick(``, `,"postal_address":"1 Main St"`, `,"postal_address":null`) + `}`
			}
		}
		out = append(out, genEvent{id: id, at: at, body: event(id, typ, at.Format(time.RFC3339Nano), data)})
	}
	out = append(out, out[rng.IntN(len(out))], out[rng.IntN(len(out))])
	return out
}

func applyIgnoringDuplicate(t *testing.T, s *pos.Service, body []byte) {
	t.Helper()
	if _, err := s.Apply(context.Background(), body); err != nil {
		t.Fatalf("apply %s: %v", body, err)
	}
}

// sameState compares every record the generated events can touch.
func sameState(t *testing.T, what string, want, got loupe.DB) {
	t.Helper()
	ctx := context.Background()
	cmp := func(kind, id string, w, g any, we, ge error) {
		if (we == nil) != (ge == nil) || !reflect.DeepEqual(w, g) {
			t.Fatalf("%s: %s %s differs:\nin order  %+v (%v)\nshuffled  %+v (%v)", what, kind, id, w, we, g, ge)
		}
	}
	ws, we := want.GetStore(ctx, "s1")
	gs, ge := got.GetStore(ctx, "s1")
	cmp("store", "s1", normS(ws), normS(gs), we, ge)
	for _, id := range []string{"a1", "a2"} {
		w, we := want.GetAssociate(ctx, id)
		g, ge := got.GetAssociate(ctx, id)
		cmp("associate", id, normA(w), normA(g), we, ge)
	}
	for _, id := range []string{"c1", "c2"} {
		w, we := want.GetCustomer(ctx, id)
		g, ge := got.GetCustomer(ctx, id)
		cmp("customer", id, normC(w), normC(g), we, ge)
	}
}

func normS(s loupe.Store) loupe.Store { s.UpdatedAt = s.UpdatedAt.UTC(); return s }
func normA(a loupe.Associate) loupe.Associate {
	a.UpdatedAt, a.TerminatedAt = a.UpdatedAt.UTC(), a.TerminatedAt.UTC()
	if len(a.Strengths) == 0 {
		a.Strengths = nil
	}
	return a
}
func normC(c loupe.Customer) loupe.Customer {
	c.UpdatedAt, c.EmailCapturedAt = c.UpdatedAt.UTC(), c.EmailCapturedAt.UTC()
	if len(c.Preferences) == 0 {
		c.Preferences = nil
	}
	return c
}

// Item 7: an erased customer's events dated before the erasure are ignored;
// a later one starts a new record.
func TestRuleErasedCustomerEvents(t *testing.T) {
	forEachStore(t, func(t *testing.T, db loupe.DB) {
		ctx := context.Background()
		s := serviceOn(db)
		mustApply(t, s, event("c-1", pos.TypeCustomerUpserted, stamp(-3*time.Hour), `{"customer_id":"erz1","home_store_id":"s1","first_name":"Ann","email":"ann@example.com"}`))
		mustApply(t, s, event("r-1", pos.TypeRepairCreated, stamp(-3*time.Hour), `{"repair_id":"r1","store_id":"s1","associate_id":"a1","customer_id":"erz1"}`))
		priv, ok := db.(loupe.Privacy)
		if !ok {
			t.Fatalf("%T has no erasure", db)
		}
		if err := priv.EraseCustomer(ctx, "erz1", atTime.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, body := range [][]byte{
			event("c-2", pos.TypeCustomerUpserted, stamp(-2*time.Hour), `{"customer_id":"erz1","home_store_id":"s1","first_name":"Late"}`),
			event("r-2", pos.TypeRepairCreated, stamp(-2*time.Hour), `{"repair_id":"r2","store_id":"s1","associate_id":"a1","customer_id":"erz1","customer_email":"ann@example.com"}`),
			event("p-2", pos.TypePurchaseCreated, stamp(-2*time.Hour), `{"purchase_id":"p2","store_id":"s1","associate_id":"a1","customer_id":"erz1","total_cents":100}`),
		} {
			if got := mustApply(t, s, body); got.Status != pos.StatusIgnored {
				t.Fatalf("event before the erasure: %+v, want ignored", got)
			}
		}
		if _, err := db.GetCustomer(ctx, "erz1"); !errors.Is(err, loupe.ErrNotFound) {
			t.Fatalf("customer after an older event: %v, want not found", err)
		}
		if _, err := db.GetRepair(ctx, "r2"); !errors.Is(err, loupe.ErrNotFound) {
			t.Fatalf("repair after the erasure: %v, want not stored", err)
		}
		if ps, _ := db.PurchasesByCustomer(ctx, "erz1"); len(ps) != 0 {
			t.Fatalf("purchases after the erasure: %d, want 0", len(ps))
		}
		mustApply(t, s, event("c-3", pos.TypeCustomerUpserted, stamp(0), `{"customer_id":"erz1","home_store_id":"s1","last_name":"New"}`))
		c, err := db.GetCustomer(ctx, "erz1")
		if err != nil || c.LastName != "New" || c.FirstName != "" || c.Email != "" {
			t.Fatalf("record after the erasure: %+v, %v; want only what the new event carries", c, err)
		}
		// An older event is still ignored against the new record.
		mustApply(t, s, event("c-4", pos.TypeCustomerUpserted, stamp(-90*time.Minute), `{"customer_id":"erz1","home_store_id":"s1","first_name":"Older"}`))
		if c, _ = db.GetCustomer(ctx, "erz1"); c.FirstName != "" {
			t.Fatalf("an event dated before the erasure filled the new record: %+v", c)
		}
	})
}

// Item 5: control characters in any text field are a 400 naming the field,
// and nothing is written.
func TestRuleControlCharactersRefused(t *testing.T) {
	bad := []string{`a\r\nBcc: x@example.com`, `a\u0000b`, `tab\there`}
	cases := []struct{ typ, field, data string }{
		{pos.TypeStoreUpserted, "name", `{"store_id":"s1","name":%s,"timezone":"America/New_York","country":"US"}`},
		{pos.TypeAssociateUpserted, "name", `{"associate_id":"a1","store_id":"s1","name":%s}`},
		{pos.TypeCustomerUpserted, "first_name", `{"customer_id":"c1","home_store_id":"s1","first_name":%s}`},
		{pos.TypeCustomerUpserted, "last_name", `{"customer_id":"c1","home_store_id":"s1","last_name":%s}`},
		{pos.TypeCustomerUpserted, "phone", `{"customer_id":"c1","home_store_id":"s1","phone":%s}`},
		{pos.TypeRepairCreated, "item", `{"repair_id":"r1","store_id":"s1","associate_id":"a1","customer_id":"c1","item":%s}`},
		{pos.TypeRepairCreated, "customer_email", `{"repair_id":"r1","store_id":"s1","associate_id":"a1","customer_id":"c1","customer_email":%s}`},
	}
	for _, c := range cases {
		for _, v := range bad {
			db := postest.NewMemDB()
			s := &pos.Service{DB: db, Now: func() time.Time { return atTime }, Phones: phone.Normalize}
			_, err := s.Apply(context.Background(), event("e1", c.typ, at, fmt.Sprintf(c.data, `"`+v+`"`)))
			var le *loupe.Error
			if !errors.As(err, &le) || le.Code != loupe.EINVALID || le.Field != "data."+c.field {
				t.Errorf("%s %s=%q: err %v, want invalid data.%s", c.typ, c.field, v, err, c.field)
			}
			if db.Writes() != 0 {
				t.Errorf("%s %s: %d writes after a rejection", c.typ, c.field, db.Writes())
			}
		}
	}
	// Emails with control characters are malformed addresses, also named.
	_, err := serviceOn(postest.NewMemDB()).Apply(context.Background(),
		event("e1", pos.TypeCustomerUpserted, at, `{"customer_id":"c1","home_store_id":"s1","email":"a@b.com\r\nBcc: x@y.com"}`))
	if loupe.ErrorField(err) != "data.email" {
		t.Errorf("email with a line break: %v, want invalid data.email", err)
	}
	// A store's postal address may span lines.
	mustApply(t, serviceOn(postest.NewMemDB()), event("e1", pos.TypeStoreUpserted, at,
		`{"store_id":"s1","name":"S","timezone":"America/New_York","country":"US","postal_address":"700 Fifth Avenue\nNew York, NY 10019"}`))
}

// Item 4: occurred_at more than an hour ahead is a 400; a future
// terminated_at is notice, applied on its date by SettleTerminations.
func TestRuleFutureTimes(t *testing.T) {
	forEachStore(t, func(t *testing.T, db loupe.DB) {
		ctx := context.Background()
		s := serviceOn(db)
		_, err := applyErr(t, s, event("e-far", pos.TypeCustomerUpserted, stamp(61*time.Minute), `{"customer_id":"c1","home_store_id":"s1"}`))
		if loupe.ErrorField(err) != "occurred_at" {
			t.Fatalf("61 minutes ahead: %v, want invalid occurred_at", err)
		}
		leave := atTime.Add(72 * time.Hour)
		mustApply(t, s, event("a-1", pos.TypeAssociateUpserted, stamp(-time.Hour), `{"associate_id":"a1","store_id":"s1","name":"Ann","status":"active"}`))
		mustApply(t, s, event("t-1", pos.TypeAssociateTerminated, stamp(0), `{"associate_id":"a1","terminated_at":"`+leave.Format(time.RFC3339)+`"}`))
		// A sync during the notice does not cancel it.
		mustApply(t, s, event("a-2", pos.TypeAssociateUpserted, stamp(time.Minute), `{"associate_id":"a1","store_id":"s1","name":"Ann","status":"active"}`))
		a, _ := db.GetAssociate(ctx, "a1")
		if !a.Active() || !a.TerminatedAt.Equal(leave) {
			t.Fatalf("during notice: %s until %v, want active until %v", a.Status, a.TerminatedAt, leave)
		}
		if n, err := s.SettleTerminations(ctx); n != 0 || err != nil {
			t.Fatalf("settle before the date: %d, %v; want 0", n, err)
		}
		later := &pos.Service{DB: db, Now: func() time.Time { return leave.Add(time.Minute) }, Phones: phone.Normalize}
		if n, err := later.SettleTerminations(ctx); n != 1 || err != nil {
			t.Fatalf("settle on the date: %d, %v; want 1", n, err)
		}
		if a, _ = db.GetAssociate(ctx, "a1"); a.Status != loupe.StatusTerminated {
			t.Fatalf("after the date: %s, want terminated", a.Status)
		}
		if n, _ := later.SettleTerminations(ctx); n != 0 {
			t.Fatalf("settle again: %d, want 0", n)
		}
		// A termination whose occurred_at runs a little ahead of our clock
		// (no terminated_at) takes effect at once.
		mustApply(t, s, event("a-3", pos.TypeAssociateUpserted, stamp(-time.Hour), `{"associate_id":"a2","store_id":"s1","name":"Cy"}`))
		mustApply(t, s, event("t-3", pos.TypeAssociateTerminated, stamp(5*time.Second), `{"associate_id":"a2"}`))
		if a, _ = db.GetAssociate(ctx, "a2"); a.Status != loupe.StatusTerminated {
			t.Fatalf("termination slightly ahead: %s, want terminated at once", a.Status)
		}
	})
}
