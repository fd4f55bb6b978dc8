package loupe_test

import (
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

var t0 = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

func st(d time.Duration, id string) loupe.Stamp { return loupe.StampOf(t0.Add(d), id) }

func TestStampOrder(t *testing.T) {
	if !(st(0, "b") > st(0, "a")) || !(st(time.Nanosecond, "a") > st(0, "z")) || !(st(0, "a") > "") {
		t.Fatal("stamps do not sort by (time, id), with the empty stamp first")
	}
	if got := st(time.Second, "evt_9"); !got.Time().Equal(t0.Add(time.Second)) || got.ID() != "evt_9" {
		t.Fatalf("stamp %q: time %v id %q", got, got.Time(), got.ID())
	}
	if !loupe.StampOf(time.Time{}, "x").Time().IsZero() || loupe.StampOf(time.Time{}, "x") != "" {
		t.Fatal("zero time must give the empty stamp")
	}
}

func TestMergeCustomerPerField(t *testing.T) {
	upd := func(d time.Duration, id string, fields ...string) loupe.Update {
		return loupe.Update{Fields: fields, Stamp: st(d, id)}
	}
	c, _ := loupe.MergeCustomer(nil, loupe.Customer{CustomerID: "c1", HomeStoreID: "s1", FirstName: "Ann", Phone: "+12125550100",
		Preferences: []string{"pearls"}, AssociateID: "a1"},
		upd(0, "e1", "home_store_id", "first_name", "phone", "preferences", "associate_id"))
	if c.EmailStatus != loupe.EmailOK || c.FirstName != "Ann" {
		t.Fatalf("new customer: %+v", c)
	}
	// A newer event carrying only last_name leaves the rest.
	c, changed := loupe.MergeCustomer(&c, loupe.Customer{CustomerID: "c1", LastName: "Lee"}, upd(time.Minute, "e2", "last_name"))
	if !changed || c.FirstName != "Ann" || c.LastName != "Lee" || c.Phone == "" || c.AssociateID != "a1" {
		t.Fatalf("absent fields must stay: %+v", c)
	}
	// An older event still sets the fields no newer event carried, and not the others.
	c, changed = loupe.MergeCustomer(&c, loupe.Customer{CustomerID: "c1", FirstName: "Old", LastName: "Old", Anniversary: loupe.Date{Month: 6, Day: 1}},
		upd(-time.Minute, "e0", "first_name", "last_name", "anniversary"))
	if !changed || c.FirstName != "Ann" || c.LastName != "Lee" || c.Anniversary.MonthDay() != "06-01" {
		t.Fatalf("older event: %+v", c)
	}
	// A null (carried with the zero value) clears; a list is one field.
	c, _ = loupe.MergeCustomer(&c, loupe.Customer{CustomerID: "c1"}, upd(2*time.Minute, "e3", "phone", "preferences"))
	if c.Phone != "" || len(c.Preferences) != 0 {
		t.Fatalf("null must clear: %+v", c)
	}
	// A replay changes nothing.
	if _, changed := loupe.MergeCustomer(&c, loupe.Customer{CustomerID: "c1"}, upd(2*time.Minute, "e3", "phone", "preferences")); changed {
		t.Fatal("a replay changed the record")
	}
	// Email: source and capture follow it.
	c, _ = loupe.MergeCustomer(&c, loupe.Customer{CustomerID: "c1", Email: "ann@example.com"}, upd(3*time.Minute, "e4", "email"))
	if c.EmailSource != loupe.EmailSourcePOS || !c.EmailCapturedAt.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("email source: %+v", c)
	}
	// A capture older than the POS email is not taken; a newer one is.
	if _, changed := loupe.CaptureEmail(c, "r@example.com", loupe.EmailSourceRepair, t0.Add(time.Minute)); changed {
		t.Fatal("older capture replaced a newer POS email")
	}
	c, changed = loupe.CaptureEmail(c, "r@example.com", loupe.EmailSourceRepair, t0.Add(4*time.Minute))
	if !changed || c.Email != "r@example.com" || c.EmailSource != loupe.EmailSourceRepair {
		t.Fatalf("newer capture: %+v", c)
	}
	// An older POS email does not undo the capture.
	c, _ = loupe.MergeCustomer(&c, loupe.Customer{CustomerID: "c1", Email: "old@example.com"}, upd(3*time.Minute+time.Second, "e5", "email"))
	if c.Email != "r@example.com" {
		t.Fatalf("older POS email replaced a newer capture: %+v", c)
	}
}

func TestMoveWinsOverOlderOwner(t *testing.T) {
	c, _ := loupe.MergeCustomer(nil, loupe.Customer{CustomerID: "c1", HomeStoreID: "s1", AssociateID: "gone"},
		loupe.Update{Fields: loupe.CustomerFields, Stamp: st(0, "e1")})
	c, changed, err := loupe.MoveCustomer(c, "gone", "a2", t0.Add(time.Hour))
	if err != nil || !changed || c.AssociateID != "a2" {
		t.Fatalf("move: %+v %v %v", c, changed, err)
	}
	// A POS upsert dated before the move, naming the old owner, leaves the client where Loupe placed it.
	c, _ = loupe.MergeCustomer(&c, loupe.Customer{CustomerID: "c1", HomeStoreID: "s1", AssociateID: "gone"},
		loupe.Update{Fields: []string{"home_store_id", "associate_id"}, Stamp: st(30*time.Minute, "e2")})
	if c.AssociateID != "a2" {
		t.Fatalf("older POS owner undid a move: %+v", c)
	}
	if _, _, err := loupe.MoveCustomer(c, "gone", "a3", t0.Add(2*time.Hour)); err != loupe.ErrConflict {
		t.Fatalf("move from a former owner: err %v, want ErrConflict", err)
	}
}

func TestTerminationOrder(t *testing.T) {
	now := t0.Add(time.Hour)
	a, _ := loupe.MergeAssociate(nil, loupe.Associate{AssociateID: "x", StoreID: "s1", Name: "X"},
		loupe.Update{Fields: []string{"store_id", "name"}, Stamp: st(-time.Hour, "e0")})
	if a.Status != loupe.StatusActive {
		t.Fatalf("new associate status %q, want active", a.Status)
	}
	// The case: an upsert without status at now-10s, then a termination at now-20s.
	a, _ = loupe.MergeAssociate(&a, loupe.Associate{AssociateID: "x", StoreID: "s1", Name: "X2"},
		loupe.Update{Fields: []string{"store_id", "name"}, Stamp: loupe.StampOf(now.Add(-10*time.Second), "e2")})
	a, _ = loupe.Terminate(&a, "x", now.Add(-20*time.Second), loupe.StampOf(now.Add(-20*time.Second), "e1"), now)
	if a.Status != loupe.StatusTerminated || a.Name != "X2" {
		t.Fatalf("termination undone by an unrelated newer upsert: %+v", a)
	}

	// Notice: a termination for next week is not applied now, nor undone by
	// an active upsert sent during the notice; Settle applies it on the day.
	b, _ := loupe.MergeAssociate(nil, loupe.Associate{AssociateID: "y", StoreID: "s1", Name: "Y", Status: loupe.StatusActive},
		loupe.Update{Fields: []string{"store_id", "name", "status"}, Stamp: st(-time.Hour, "e0")})
	leave := now.Add(7 * 24 * time.Hour)
	b, _ = loupe.Terminate(&b, "y", leave, loupe.StampOf(now, "e1"), now)
	if !b.Active() || !b.TerminatedAt.Equal(leave) || b.DueTermination(now) {
		t.Fatalf("notice applied early: %+v", b)
	}
	b, _ = loupe.MergeAssociate(&b, loupe.Associate{AssociateID: "y", Status: loupe.StatusActive},
		loupe.Update{Fields: []string{"status"}, Stamp: loupe.StampOf(now.Add(24*time.Hour), "e2")})
	if !b.DueTermination(leave) {
		t.Fatal("termination not due on its date")
	}
	b, changed := loupe.Settle(b, leave)
	if !changed || b.Status != loupe.StatusTerminated {
		t.Fatalf("settle: %+v", b)
	}
	if _, again := loupe.Settle(b, leave.Add(time.Hour)); again {
		t.Fatal("settle is not idempotent")
	}
	// A rehire dated after the leave date wins over the settled termination.
	b, _ = loupe.MergeAssociate(&b, loupe.Associate{AssociateID: "y", Status: loupe.StatusActive},
		loupe.Update{Fields: []string{"status"}, Stamp: loupe.StampOf(leave.Add(time.Hour), "e3")})
	if !b.Active() || b.DueTermination(leave.Add(2*time.Hour)) {
		t.Fatalf("rehire: %+v", b)
	}
}
