package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// What inbound texts and delivery events need of the store (package
// textin): the clients of a phone number, and a message's status moved
// forward by its delivery events.

// Phone numbers of the cases.
const (
	phoneA = "+12125550101"
	phoneB = "+447400123456"
)

func byPhone(t *testing.T, db loupe.DB, phone string) []string {
	t.Helper()
	cs, err := db.CustomersByPhone(ctx, phone)
	must(t, "customers by phone "+phone, err)
	for _, c := range cs {
		if c.Phone != phone {
			t.Errorf("CustomersByPhone(%s) lists %s with phone %s", phone, c.CustomerID, c.Phone)
		}
	}
	return customerIDs(cs)
}

func withPhone(c loupe.Customer, phone string, at time.Time) loupe.Customer {
	c.Phone, c.UpdatedAt = phone, at
	return c
}

var phoneCases = []testCase{
	{"CustomersByPhone", func(t *testing.T, db loupe.DB) {
		// Several clients may share a number (a couple, a parent): all of
		// them, by id, whatever their store or associate.
		for _, c := range []loupe.Customer{
			withPhone(Customer("c3", "s1", "a1"), phoneA, T0),
			withPhone(Customer("c1", "s2", ""), phoneA, T0),
			withPhone(Customer("c2", "s1", "a1"), phoneB, T0),
			withPhone(Customer("c10", "s1", "a2"), phoneA, T0),
		} {
			must(t, "put "+c.CustomerID, loupe.PutCustomer(ctx, db, c))
		}
		sameIDs(t, "clients of A", byPhone(t, db, phoneA), []string{"c1", "c10", "c3"})
		sameIDs(t, "clients of B", byPhone(t, db, phoneB), []string{"c2"})
		sameIDs(t, "clients of an unknown number", byPhone(t, db, "+12125550199"), []string{})
		sameIDs(t, "clients of no number", byPhone(t, db, ""), []string{})

		// A new phone moves the client; a cleared one takes it out.
		must(t, "c3 changes phone", loupe.PutCustomer(ctx, db, withPhone(Customer("c3", "s1", "a1"), phoneB, At(time.Hour))))
		clear := withPhone(Customer("c10", "s1", "a2"), "", At(time.Hour))
		must(t, "c10 clears phone", loupe.PutCustomer(ctx, db, clear))
		if got := getCustomer(t, db, "c10").Phone; got != "" {
			t.Fatalf("c10 phone after clearing: %q", got)
		}
		sameIDs(t, "clients of A after", byPhone(t, db, phoneA), []string{"c1"})
		sameIDs(t, "clients of B after", byPhone(t, db, phoneB), []string{"c2", "c3"})

		// A write of Loupe's own fields keeps the entry.
		must(t, "list c1", db.UpdateCustomer(ctx, "c1", func(c *loupe.Customer, _ time.Time) (loupe.Customer, bool, error) {
			c.ListedAt = At(2 * time.Hour)
			return *c, true, nil
		}))
		sameIDs(t, "clients of A after a listing", byPhone(t, db, phoneA), []string{"c1"})
	}},
}

// putSent records a sent text of c1 with Ref ref.
func putSent(t *testing.T, db loupe.DB, ref string) {
	t.Helper()
	must(t, "put contact "+ref, db.PutContact(ctx, loupe.Contact{CustomerID: "c1", At: T0, Channel: "sms",
		Touchpoint: "birthday", By: loupe.ContactByLoupe, Status: loupe.ContactSent, Ref: ref}))
}

func contactStatus(t *testing.T, db loupe.DB, ref string) string {
	t.Helper()
	cs, err := db.ContactsByCustomer(ctx, "c1", 0)
	must(t, "contacts", err)
	for _, c := range cs {
		if c.Ref == ref {
			return c.Status
		}
	}
	t.Fatalf("no contact %s", ref)
	return ""
}

var contactStatusCases = []testCase{
	{"Forward", func(t *testing.T, db loupe.DB) {
		// Each row is a sequence of delivery statuses applied to a sent
		// text, with what each call reports and the status left.
		cases := []struct {
			name    string
			steps   []string
			changed []bool
			want    string
		}{
			{"in order", []string{"queued", "handed_off", "delivered"}, []bool{true, true, true}, "delivered"},
			{"duplicate", []string{"delivered", "delivered"}, []bool{true, false}, "delivered"},
			{"late intermediate", []string{"delivered", "handed_off", "queued", "sent"}, []bool{true, false, false, false}, "delivered"},
			{"first final stands", []string{"blocked", "delivered", "failed"}, []bool{true, false, false}, "blocked"},
			{"intermediates of one rank", []string{"unreachable", "handed_off", "expired"}, []bool{true, false, true}, "expired"},
			{"queued after handed off", []string{"handed_off", "queued"}, []bool{true, false}, "handed_off"},
		}
		must(t, "put customer", loupe.PutCustomer(ctx, db, Customer("c1", "s1", "a1")))
		for i, tc := range cases {
			ref := fmt.Sprintf("touchpoint:tp/c1/birthday/%d", 2020+i)
			putSent(t, db, ref)
			for j, st := range tc.steps {
				changed, err := db.SetContactStatus(ctx, "c1", ref, st)
				must(t, tc.name+": set "+st, err)
				if changed != tc.changed[j] {
					t.Errorf("%s: step %d (%s) reported changed %v, want %v", tc.name, j, st, changed, tc.changed[j])
				}
			}
			if got := contactStatus(t, db, ref); got != tc.want {
				t.Errorf("%s: status %q, want %q", tc.name, got, tc.want)
			}
		}
	}},
	{"KeepsTheEntry", func(t *testing.T, db loupe.DB) {
		must(t, "put customer", loupe.PutCustomer(ctx, db, Customer("c1", "s1", "a1")))
		ref := "touchpoint:tp/c1/event:c9/2026"
		putSent(t, db, ref)
		if _, err := db.SetContactStatus(ctx, "c1", ref, loupe.ContactDelivered); err != nil {
			t.Fatal(err)
		}
		cs, err := db.ContactsByCustomer(ctx, "c1", 0)
		must(t, "contacts", err)
		if len(cs) != 1 {
			t.Fatalf("contacts: got %+v, want one", cs)
		}
		want := loupe.Contact{CustomerID: "c1", At: T0, Channel: "sms", Touchpoint: "birthday", By: loupe.ContactByLoupe,
			Status: loupe.ContactDelivered, Ref: ref}
		if got := cs[0]; !got.At.Equal(want.At) || got.Channel != want.Channel || got.Touchpoint != want.Touchpoint ||
			got.By != want.By || got.Status != want.Status || got.Ref != want.Ref || got.CustomerID != want.CustomerID {
			t.Errorf("entry after the status: got %+v, want %+v", got, want)
		}
	}},
	{"Refusals", func(t *testing.T, db loupe.DB) {
		must(t, "put customer", loupe.PutCustomer(ctx, db, Customer("c1", "s1", "a1")))
		_, err := db.SetContactStatus(ctx, "c1", "touchpoint:tp/c1/birthday/2026", loupe.ContactDelivered)
		wantErr(t, "status of a missing entry", err, loupe.ErrNotFound)
		_, err = db.SetContactStatus(ctx, "nobody", "touchpoint:tp/nobody/birthday/2026", loupe.ContactBlocked)
		wantErr(t, "status of an unknown client", err, loupe.ErrNotFound)
		if none, _ := db.ContactsByCustomer(ctx, "c1", 0); len(none) != 0 {
			t.Errorf("a status update created an entry: %+v", none)
		}
		putSent(t, db, "r1")
		_, err = db.SetContactStatus(ctx, "c1", "r1", "TEXT_DELIVERED")
		if loupe.ErrorCode(err) != loupe.EINVALID {
			t.Errorf("a status without a rank: got %v, want EINVALID", err)
		}
		// A logged personal contact is never given a delivery status.
		must(t, "log", db.PutContact(ctx, loupe.Contact{CustomerID: "c1", At: T0, Channel: loupe.ChannelPersonal,
			Outcome: loupe.OutcomeReached, By: "a1", Status: "logged", Ref: "call1"}))
		if changed, err := db.SetContactStatus(ctx, "c1", "call1", loupe.ContactDelivered); err != nil || changed {
			t.Errorf("status of a logged contact: got %v, %v; want false, nil", changed, err)
		}
		if got := contactStatus(t, db, "call1"); got != "logged" {
			t.Errorf("logged contact: status %q", got)
		}
	}},
	{"Racing", func(t *testing.T, db loupe.DB) {
		// Racing deliveries of final and intermediate statuses: exactly
		// one final status wins, whichever came first, and stays.
		must(t, "put customer", loupe.PutCustomer(ctx, db, Customer("c1", "s1", "a1")))
		statuses := []string{loupe.ContactDelivered, loupe.ContactBlocked, loupe.ContactHandedOff, loupe.ContactQueued}
		for round := range 3 {
			ref := fmt.Sprintf("touchpoint:tp/c1/christmas/%d", 2024+round)
			putSent(t, db, ref)
			var wg sync.WaitGroup
			changed := make([]bool, racers)
			errs := make([]error, racers)
			for i := range racers {
				wg.Go(func() { changed[i], errs[i] = db.SetContactStatus(ctx, "c1", ref, statuses[i%len(statuses)]) })
			}
			wg.Wait()
			finals, winner := 0, ""
			for i := range racers {
				must(t, "racing status", errs[i])
				if st := statuses[i%len(statuses)]; changed[i] && (st == loupe.ContactDelivered || st == loupe.ContactBlocked) {
					finals++
					winner = st
				}
			}
			if finals != 1 {
				t.Fatalf("round %d: %d final statuses reported a change, want exactly 1", round, finals)
			}
			if got := contactStatus(t, db, ref); got != winner {
				t.Errorf("round %d: status %q, want the winner %q", round, got, winner)
			}
		}
	}},
}
