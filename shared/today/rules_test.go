package today_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/today"
	"github.com/loupehq/loupe/shared/touch"
)

// rules is a small chain on the real embedded store for the list's rules:
// store s1 in New York, associates a1 (the one under test), a2 and a3.
type rules struct {
	t   *testing.T
	ctx context.Context
	db  *embedded.DB
	svc *today.Service
	now time.Time
}

func newRules(t *testing.T) *rules {
	t.Helper()
	db, err := embedded.Open(filepath.Join(t.TempDir(), "loupe.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := &rules{t: t, ctx: context.Background(), db: db, now: time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)}
	r.svc = &today.Service{Records: db, Book: db, Store: db, Campaigns: db.Ledger(), PerDay: 10, Cap: 7,
		Now: func() time.Time { return r.now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r.ok("store", loupe.PutStore(r.ctx, db, loupe.Store{StoreID: "s1", Name: "S1", Timezone: "America/New_York", Country: "US",
		PostalAddress: "1 Main St"}))
	for _, a := range []string{"a1", "a2", "a3"} {
		r.ok("associate", loupe.PutAssociate(r.ctx, db, loupe.Associate{AssociateID: a, StoreID: "s1", Name: "Name " + a,
			Status: loupe.StatusActive}))
	}
	return r
}

func (r *rules) ok(what string, err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatalf("%s: %v", what, err)
	}
}

// client puts customer id in associate's book, with options.
func (r *rules) client(id, associate string, opts ...func(*loupe.Customer)) {
	r.t.Helper()
	c := loupe.Customer{CustomerID: id, HomeStoreID: "s1", FirstName: "F" + id, AssociateID: associate,
		Email: id + "@client.example.com", Phone: "+12125550100", UpdatedAt: r.now.Add(-time.Hour)}
	for _, o := range opts {
		o(&c)
	}
	r.ok("customer "+id, loupe.PutCustomer(r.ctx, r.db, c))
}

// mailed records an email to customer id at at (PutCustomer leaves
// Loupe's own fields, such as the contact times, as they were).
func (r *rules) mailed(id string, at time.Time) {
	r.t.Helper()
	r.ok("contact", loupe.RecordContact(r.ctx, r.db, loupe.Contact{CustomerID: id, At: at, Channel: "email",
		By: loupe.ContactByLoupe, Status: "sent", Ref: "mail:" + id + at.String()}))
}

func (r *rules) list(associate string) today.View {
	r.t.Helper()
	v, err := r.svc.Today(r.ctx, associate, "")
	r.ok("today", err)
	return v
}

func (r *rules) task(v today.View, customer string) *today.TaskView {
	for i := range v.Tasks {
		if v.Tasks[i].CustomerID == customer {
			return &v.Tasks[i]
		}
	}
	return nil
}

func (r *rules) reasons(v today.View) string {
	var out []string
	for _, t := range v.Tasks {
		out = append(out, t.CustomerID+":"+t.Reason)
	}
	return strings.Join(out, " ")
}

func (r *rules) log(v today.View, customer, outcome string) today.TaskView {
	r.t.Helper()
	t := r.task(v, customer)
	if t == nil {
		r.t.Fatalf("%s is not on the list: %s", customer, r.reasons(v))
	}
	got, err := r.svc.LogOutcome(r.ctx, t.TaskID, outcome, "", v.AssociateID)
	r.ok("outcome", err)
	return got
}

func (r *rules) nextDay() { r.now = r.now.Add(24 * time.Hour) }

// TestOutcomeEffects: no_answer is history only (still new_client the next
// day); wrong_number hides the phone and stops suggesting a call;
// do_not_contact takes the client off every list; the first outcome
// stands; a bad outcome or note is EINVALID naming it; an unknown task is
// ENOTFOUND.
func TestOutcomeEffects(t *testing.T) {
	r := newRules(t)
	for _, id := range []string{"c1", "c2", "c3"} {
		r.client(id, "a2")
		r.ok("move", loupe.MoveCustomerTo(r.ctx, r.db, id, "a2", "a1", r.now.Add(-time.Hour)))
	}
	v := r.list("a1")
	if got := r.reasons(v); got != "c1:new_client c2:new_client c3:new_client" {
		t.Fatalf("list: %s", got)
	}
	if got := r.log(v, "c1", loupe.OutcomeNoAnswer); *got.Outcome != loupe.OutcomeNoAnswer {
		t.Errorf("no_answer: %+v", got)
	}
	if got := r.log(v, "c1", loupe.OutcomeReached); *got.Outcome != loupe.OutcomeNoAnswer {
		t.Errorf("a second outcome replaced the first: %+v", got)
	}
	r.log(v, "c2", loupe.OutcomeWrongNumber)
	r.log(v, "c3", loupe.OutcomeDoNotContact)
	hist, err := r.db.ContactsByCustomer(r.ctx, "c1", 0)
	r.ok("history", err)
	if len(hist) != 1 || hist[0].Outcome != loupe.OutcomeNoAnswer || hist[0].Channel != loupe.ChannelPersonal || hist[0].By != "a1" {
		t.Errorf("history of c1: %+v", hist)
	}
	c1, _ := r.db.GetCustomer(r.ctx, "c1")
	if !c1.LastContactAt.IsZero() || !c1.IsNewTo("a1") {
		t.Errorf("no_answer moved the contact times: %+v", c1)
	}
	for _, bad := range []struct{ outcome, note, field string }{{"waved", "", "outcome"}, {"reached", strings.Repeat("n", 2001), "note"}} {
		_, err := r.svc.LogOutcome(r.ctx, v.Tasks[0].TaskID, bad.outcome, bad.note, "a1")
		var le *loupe.Error
		if !errors.As(err, &le) || le.Code != loupe.EINVALID || le.Field != bad.field {
			t.Errorf("outcome %q: %v, want EINVALID naming %s", bad.outcome, err, bad.field)
		}
	}
	for _, id := range []string{"junk", today.TaskID("2026-12-01", "a1", "c9"), today.TaskID("2026-11-30", "a1", "c1"), today.TaskID("2026-12-01", "ghost", "c1")} {
		if _, err := r.svc.LogOutcome(r.ctx, id, "reached", "", "a1"); loupe.ErrorCode(err) != loupe.ENOTFOUND {
			t.Errorf("task %s: %v, want ENOTFOUND", id, err)
		}
	}

	r.nextDay()
	v = r.list("a1")
	if c := r.task(v, "c1"); c == nil || c.Reason != today.ReasonNewClient {
		t.Errorf("after no_answer c1 is %+v, want still new_client: %s", c, r.reasons(v))
	}
	if c := r.task(v, "c2"); c == nil || c.Phone != nil || c.SuggestedChannel == "call" {
		t.Errorf("after wrong_number c2 is %+v, want listed without the phone", c)
	}
	if r.task(v, "c3") != nil {
		t.Errorf("c3 is listed after do_not_contact: %s", r.reasons(v))
	}
	// A new phone from the POS is used again.
	c2, _ := r.db.GetCustomer(r.ctx, "c2")
	c2.Phone, c2.UpdatedAt = "+12125550199", r.now
	r.ok("new phone", loupe.PutCustomer(r.ctx, r.db, c2))
	r.nextDay()
	if c := r.task(r.list("a1"), "c2"); c == nil || c.Phone == nil || *c.Phone != "+12125550199" {
		t.Errorf("after a new phone c2 is %+v", c)
	}
}

// TestListQuotaAndCap: new clients get half the list when time-bound tasks
// are due, and the rest of it when they are not; a marketing task waits for
// the fatigue cap, new_client does not; an occasion is listed in the
// coming week only; a client elsewhere is not listed; the list is fixed
// for the day and identical for racing first reads.
func TestListQuotaAndCap(t *testing.T) {
	r := newRules(t)
	for i := range 20 {
		id := fmt.Sprintf("n%02d", i)
		r.client(id, "a2")
		r.mailed(id, r.now.Add(-48*time.Hour)) // new clients are listed inside the cap
		r.ok("move", loupe.MoveCustomerTo(r.ctx, r.db, id, "a2", "a1", r.now.Add(-time.Hour)))
	}
	soon := r.now.In(mustZone(t)).AddDate(0, 0, 3)
	for i := range 8 {
		id := fmt.Sprintf("b%02d", i)
		r.client(id, "a1", func(c *loupe.Customer) { c.Birthday = loupe.Date{Year: 1970, Month: soon.Month(), Day: soon.Day()} })
	}
	r.client("a-capped", "a1", func(c *loupe.Customer) { c.Birthday = loupe.Date{Month: soon.Month(), Day: soon.Day()} })
	r.mailed("a-capped", r.now.Add(-5*24*time.Hour))
	r.client("later", "a1", func(c *loupe.Customer) {
		d := soon.AddDate(0, 0, 10)
		c.Birthday = loupe.Date{Month: d.Month(), Day: d.Day()}
	})
	r.client("elsewhere", "a3", func(c *loupe.Customer) { c.Birthday = loupe.Date{Month: soon.Month(), Day: soon.Day()} })

	var wg sync.WaitGroup
	views := make([]today.View, 8)
	for i := range views {
		wg.Go(func() {
			v, err := r.svc.Today(r.ctx, "a1", "")
			if err != nil {
				t.Error(err)
			}
			views[i] = v
		})
	}
	wg.Wait()
	for _, v := range views[1:] {
		if r.reasons(v) != r.reasons(views[0]) {
			t.Fatalf("racing first reads differ:\n%s\n%s", r.reasons(v), r.reasons(views[0]))
		}
	}
	got := r.reasons(views[0])
	if want := "n00:new_client n01:new_client n02:new_client n03:new_client n04:new_client " +
		"b00:birthday b01:birthday b02:birthday b03:birthday b04:birthday"; got != want {
		t.Errorf("list:\n got %s\nwant %s", got, want)
	}
	for _, id := range []string{"n00", "b00"} {
		if c, _ := r.db.GetCustomer(r.ctx, id); !c.ListedAt.Equal(r.now) {
			t.Errorf("%s listed_at %v, want the list's time", id, c.ListedAt)
		}
	}
	// The next day the other new clients and birthdays come first; the
	// capped client's cap has not opened yet.
	r.nextDay()
	got = r.reasons(r.list("a1"))
	if want := "n05:new_client n06:new_client n07:new_client n08:new_client n09:new_client " +
		"b00:birthday b01:birthday b02:birthday b03:birthday b04:birthday"; got != want {
		t.Errorf("day 2:\n got %s\nwant %s", got, want)
	}
	if strings.Contains(got, "a-capped") || strings.Contains(got, "later") || strings.Contains(got, "elsewhere") {
		t.Errorf("day 2 lists a client inside the cap, outside the week or of another book: %s", got)
	}
	// The next day, seven after its mail, a-capped's cap is open: listed
	// the day before its birthday.
	r.nextDay()
	if got := r.reasons(r.list("a1")); !strings.Contains(got, "a-capped:birthday") {
		t.Errorf("a-capped is not listed 7 days after its last contact, the day before its birthday: %s", got)
	}
	// Without time-bound tasks the new clients take the whole list.
	r2 := newRules(t)
	for i := range 12 {
		id := fmt.Sprintf("m%02d", i)
		r2.client(id, "a2")
		r2.ok("move", loupe.MoveCustomerTo(r2.ctx, r2.db, id, "a2", "a1", r2.now.Add(-time.Hour)))
	}
	if got := r2.reasons(r2.list("a1")); strings.Count(got, "new_client") != 10 {
		t.Errorf("12 new clients and nothing else: %s", got)
	}
}

// TestDueItems: the planner's personal channel and purchases put tasks on
// lists ahead of time: an invitation is listed from its planned day to its
// event even inside the cap (planned), once worked it is not listed again;
// a thank-you two days after a purchase, under the cap, and none for an
// old purchase; a touchpoint for a client without an associate is
// rejected.
func TestDueItems(t *testing.T) {
	r := newRules(t)
	r.client("inv", "a1")
	r.mailed("inv", r.now.Add(-time.Hour)) // the invitation mail just went
	r.client("buyer", "a2")
	r.client("old", "a2")
	r.client("nobody", "")
	gala := touch.Campaign{CampaignID: "gala", Name: "Winter Gala", EventDate: touch.Day{Year: 2026, Month: 12, Day: 12},
		SendDate: touch.Day{Year: 2026, Month: 12, Day: 1}, StoreIDs: []string{"s1"}, Subject: "s", BodyHTML: "<p>b</p>"}
	r.ok("campaign", r.db.Ledger().PutCampaign(r.ctx, gala))
	a1, _ := r.db.GetAssociate(r.ctx, "a1")
	inv, _ := r.db.GetCustomer(r.ctx, "inv")
	tp := touch.Touch{Entry: touch.Entry{Key: touch.Key{CustomerID: "inv", Occasion: gala.Occasion(), Year: 2026}, StoreID: "s1",
		Planned: gala.SendDate}, Customer: inv, Associate: &a1, Campaign: &gala}
	for range 2 {
		if _, err := r.svc.Send(r.ctx, tp); err != nil {
			t.Fatal(err)
		}
	}
	tp.Associate, tp.Key.CustomerID = nil, "nobody"
	if _, err := r.svc.Send(r.ctx, tp); !errors.Is(err, mail.ErrRejected) {
		t.Errorf("a touchpoint for a client without an associate: %v, want rejected", err)
	}
	// Sold by a1 two days ago (store-local) to a client of a2's book, and
	// two years ago.
	r.ok("purchase", r.svc.Purchased(r.ctx, loupe.Purchase{PurchaseID: "p1", StoreID: "s1", AssociateID: "a1", CustomerID: "buyer",
		PurchasedAt: r.now.Add(-48 * time.Hour)}))
	r.ok("purchase", r.svc.Purchased(r.ctx, loupe.Purchase{PurchaseID: "p0", StoreID: "s1", AssociateID: "a1", CustomerID: "old",
		PurchasedAt: r.now.AddDate(-2, 0, 0)}))
	v := r.list("a1")
	if got := r.reasons(v); got != "inv:event_invite:gala buyer:thank_you" {
		t.Fatalf("list: %s", got)
	}
	if d := r.task(v, "inv").Detail; !strings.Contains(d, "Winter Gala") || !strings.Contains(d, "2026-12-12") {
		t.Errorf("invitation detail %q", d)
	}
	r.log(v, "inv", loupe.OutcomeRSVPYes)
	r.nextDay()
	if got := r.reasons(r.list("a1")); got != "buyer:thank_you" {
		t.Errorf("day 2 (invitation answered): %s", got)
	}
	// The buyer got a mail: the thank-you waits for the cap.
	r.mailed("buyer", r.now)
	r.nextDay()
	if got := r.reasons(r.list("a1")); got != "" {
		t.Errorf("day 3 (buyer inside the cap): %s", got)
	}
}

func mustZone(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestReviewFindings: an outcome whose effects a crash cut off is applied
// by the next read; a losing call's note is not written under the winner's
// outcome; a planned invitation waits for the cap of a call logged on
// another task; clients who may never be called do not stand in front of
// the book.
func TestReviewFindings(t *testing.T) {
	r := newRules(t)
	r.client("c1", "a2")
	r.ok("move", loupe.MoveCustomerTo(r.ctx, r.db, "c1", "a2", "a1", r.now.Add(-time.Hour)))
	v := r.list("a1")
	// The crash: the outcome is stored, its effects are not.
	if _, _, err := r.db.SetOutcome(r.ctx, "a1", v.Date, v.Tasks[0].TaskID, loupe.OutcomeReached, "a1", r.now); err != nil {
		t.Fatal(err)
	}
	r.list("a1")
	hist, _ := r.db.ContactsByCustomer(r.ctx, "c1", 0)
	if c, _ := r.db.GetCustomer(r.ctx, "c1"); len(hist) != 1 || c.IsNewTo("a1") {
		t.Errorf("after the crash and a read: history %+v, still new %v", hist, c.IsNewTo("a1"))
	}
	if l, _ := r.db.GetList(r.ctx, "a1", v.Date); !l.Tasks[0].Applied {
		t.Errorf("the outcome is not marked applied: %+v", l.Tasks[0])
	}
	// A losing call's note.
	r.client("c2", "a1")
	r.nextDay()
	v = r.list("a1")
	task := r.task(v, "c2")
	if task == nil {
		t.Fatalf("c2 not listed: %s", r.reasons(v))
	}
	if _, err := r.svc.LogOutcome(r.ctx, task.TaskID, loupe.OutcomeReached, "bought earrings", "a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.LogOutcome(r.ctx, task.TaskID, loupe.OutcomeNoAnswer, "voicemail full", "a1"); err != nil {
		t.Fatal(err)
	}
	hist, _ = r.db.ContactsByCustomer(r.ctx, "c2", 0)
	if len(hist) != 1 || hist[0].Note != "bought earrings" {
		t.Errorf("history of c2: %+v", hist)
	}

	// A planned invitation and a birthday for one client: the birthday is
	// reached, the invitation waits for the cap.
	r2 := newRules(t)
	soon := r2.now.In(mustZone(t)).AddDate(0, 0, 1)
	r2.client("c1", "a1", func(c *loupe.Customer) { c.Birthday = loupe.Date{Month: soon.Month(), Day: soon.Day()} })
	a1, _ := r2.db.GetAssociate(r2.ctx, "a1")
	c1, _ := r2.db.GetCustomer(r2.ctx, "c1")
	gala := touch.Campaign{CampaignID: "gala", Name: "Gala", EventDate: touch.Day{Year: 2026, Month: 12, Day: 14},
		SendDate: touch.Day{Year: 2026, Month: 12, Day: 1}, StoreIDs: []string{"s1"}, Subject: "s", BodyHTML: "<p>b</p>"}
	if _, err := r2.svc.Send(r2.ctx, touch.Touch{Entry: touch.Entry{Key: touch.Key{CustomerID: "c1", Occasion: gala.Occasion(), Year: 2026},
		StoreID: "s1", Planned: gala.SendDate}, Customer: c1, Associate: &a1, Campaign: &gala}); err != nil {
		t.Fatal(err)
	}
	v = r2.list("a1")
	if got := r2.reasons(v); got != "c1:birthday" {
		t.Fatalf("day 1: %s", got)
	}
	r2.log(v, "c1", loupe.OutcomeReached)
	for range 6 {
		r2.nextDay()
		if got := r2.reasons(r2.list("a1")); got != "" {
			t.Errorf("%s, inside the cap of the call: %s", r2.now.Format(time.DateOnly), got)
		}
	}
	r2.nextDay()
	if got := r2.reasons(r2.list("a1")); got != "c1:event_invite:gala" {
		t.Errorf("%s, the cap open: %s, want the invitation", r2.now.Format(time.DateOnly), got)
	}

	// 310 clients who may not be called, 30 who may: a full list.
	r3 := newRules(t)
	for i := range 340 {
		id := fmt.Sprintf("u%03d", i)
		r3.client(id, "a1")
		if i < 310 {
			r3.ok("dnc", r3.db.UpdateCustomer(r3.ctx, id, func(c *loupe.Customer, _ time.Time) (loupe.Customer, bool, error) {
				out := *c
				out.DoNotContactAt = r3.now.Add(-time.Hour)
				return out, true, nil
			}))
		}
	}
	if got := r3.list("a1"); len(got.Tasks) != 10 {
		t.Errorf("a book of 310 unreachable clients and 30 reachable: %d tasks", len(got.Tasks))
	}
}
