package touch_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/touch"
)

// fakeChannel is a touch.Channel that keeps what it was given.
type fakeChannel struct {
	mu   sync.Mutex
	sent []touch.Touch
	fail error
}

func (f *fakeChannel) Send(ctx context.Context, t touch.Touch) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return "", f.fail
	}
	f.sent = append(f.sent, t)
	return "id-" + t.Key.String(), nil
}

// history is a loupe.ContactWriter over a fakeDB that keeps the entries.
type history struct {
	*fakeDB
	mu       sync.Mutex
	contacts []loupe.Contact
}

func (h *history) UpdateCustomer(ctx context.Context, id string, fn func(*loupe.Customer, time.Time) (loupe.Customer, bool, error)) error {
	c, err := h.GetCustomer(ctx, id)
	var stored *loupe.Customer
	if err == nil {
		stored = &c
	}
	out, changed, err := fn(stored, time.Time{})
	if err != nil || !changed {
		return err
	}
	h.put(out)
	return nil
}

func (h *history) PutContact(ctx context.Context, c loupe.Contact) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.contacts = append(h.contacts, c)
	return nil
}

func (h *history) DeleteContact(ctx context.Context, customerID, ref string) error { return nil }

// texter is a client of nyc with a phone and a written text consent but no
// email address.
func texter(id string, birthday loupe.Date) loupe.Customer {
	c := customer(id, "nyc", birthday, loupe.Date{})
	c.Email, c.EmailSource = "", ""
	c.Phone = "+12125550123"
	c.Consents = map[string]loupe.Consent{"sms": {Status: loupe.ConsentGranted, At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Source: "paper", Evidence: "Texts from Loupe", Phone: c.Phone}}
	return c
}

func TestTouchpointGoesOnTheFirstReachableChannel(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	db.put(customer("c1", "nyc", date("1980-03-08"), loupe.Date{}))
	db.put(texter("c2", date("1980-03-08")))
	nobody := customer("c3", "nyc", date("1980-03-08"), loupe.Date{})
	nobody.Email, nobody.EmailSource = "", ""
	db.put(nobody)

	// Without a text sender the list passes over sms: c2 is skipped as
	// no_email, as before channels.
	p := newPlanner(db, &touch.MemLedger{}, nil)
	entries, err := planStore(ctx, p, db.stores["nyc"], day("2026-03-01"))
	if err != nil || len(entries) != 1 || entries[0].CustomerID != "c1" || entries[0].On() != contact.Email {
		t.Fatalf("plan without sms = %+v, %v; want c1 by email", entries, err)
	}
	if e, _ := p.Ledger.Get(ctx, touch.Key{CustomerID: "c2", Occasion: touch.Birthday, Year: 2026}); e.State != touch.StateSkipped || e.Reason != touch.SkipNoEmail {
		t.Errorf("c2 without a text sender = %+v, want skipped no_email", e)
	}

	sms := &fakeChannel{}
	h := &history{fakeDB: db}
	p = newPlanner(db, &touch.MemLedger{}, nil)
	p.Channels = map[string]touch.Channel{contact.SMS: sms}
	p.History = h
	p.Now = func() time.Time { return time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC) } // 10:00 in New York
	res, err := p.RunDay(ctx, day("2026-03-01"), &mail.Fake{})
	if err != nil || res.Sent != 2 {
		t.Fatalf("run = %+v, %v; want 2 sent", res, err)
	}
	if len(sms.sent) != 1 || sms.sent[0].CustomerID != "c2" || sms.sent[0].Date != day("2026-03-08") || sms.sent[0].Store.StoreID != "nyc" {
		t.Fatalf("texts = %+v, want c2's birthday", sms.sent)
	}
	for id, want := range map[string]string{"c1": contact.Email, "c2": contact.SMS} {
		e, err := p.Ledger.Get(ctx, touch.Key{CustomerID: id, Occasion: touch.Birthday, Year: 2026})
		if err != nil || e.State != touch.StateSent || e.On() != want {
			t.Errorf("%s = %+v, %v; want sent by %s", id, e, err, want)
		}
	}
	if e, _ := p.Ledger.Get(ctx, touch.Key{CustomerID: "c3", Occasion: touch.Birthday, Year: 2026}); e.Reason != touch.SkipNoEmail {
		t.Errorf("c3, reachable nowhere = %+v, want skipped with the first channel's reason", e)
	}
	got := map[string]string{}
	for _, c := range h.contacts {
		got[c.CustomerID] = c.Channel
	}
	if got["c1"] != "email" || got["c2"] != "sms" {
		t.Errorf("contact history = %v, want c1 email and c2 sms", got)
	}
	counts, _ := p.Ledger.Counts(ctx, "nyc", day("2026-03-01"), day("2026-03-01"))
	if len(counts) != 1 || counts[0].SentOn(contact.SMS) != 1 || counts[0].SentOn(contact.Email) != 1 {
		t.Errorf("counts = %+v, want one by email and one by sms", counts)
	}
}

func TestChristmasGoesOnPaperAboveTheThreshold(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	addr := loupe.PostalAddress{Line1: "1 Main St", City: "New York", Region: "NY", PostalCode: "10001", Country: "US"}
	big := customer("big", "nyc", loupe.Date{}, loupe.Date{})
	big.PostalAddress, big.Purchases, big.PurchaseCents = addr, 3, 250_000
	small := customer("small", "nyc", loupe.Date{}, loupe.Date{})
	small.PostalAddress, small.Purchases, small.PurchaseCents = addr, 1, 20_000
	denied := big
	denied.CustomerID = "denied"
	denied.Consents = map[string]loupe.Consent{"mail": {Status: loupe.ConsentDenied, At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	for _, c := range []loupe.Customer{big, small, denied} {
		db.put(c)
	}
	paper := &fakeChannel{}
	p := newPlanner(db, &touch.MemLedger{}, nil)
	p.Channels = map[string]touch.Channel{contact.Mail: paper}
	p.Now = func() time.Time { return time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC) }
	if _, err := p.RunDay(ctx, day("2026-11-27"), &mail.Fake{}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"big": contact.Mail, "small": contact.Email, "denied": contact.Email} {
		e, err := p.Ledger.Get(ctx, touch.Key{CustomerID: id, Occasion: touch.Christmas, Year: 2026})
		if err != nil || e.State != touch.StateSent || e.On() != want {
			t.Errorf("%s = %+v, %v; want sent by %s", id, e, err, want)
		}
	}
	if len(paper.sent) != 1 || paper.sent[0].CustomerID != "big" || paper.sent[0].Date != day("2026-12-25") {
		t.Errorf("mail pieces = %+v, want big's card", paper.sent)
	}
}

func TestTextWaitsForTheAllowedHours(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	c := texter("c1", date("1980-03-08"))
	c.Phone = "+14155550123" // San Francisco: three hours behind the store
	c.Consents["sms"] = loupe.Consent{Status: loupe.ConsentGranted, At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: "paper", Evidence: "Texts", Phone: c.Phone}
	db.put(c)
	sms := &fakeChannel{}
	now := time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC) // 09:00 in New York, 06:00 in San Francisco
	p := newPlanner(db, &touch.MemLedger{}, nil)
	p.Channels = map[string]touch.Channel{contact.SMS: sms}
	p.Places = fixedPlaces{"America/Los_Angeles"}
	p.Now = func() time.Time { return now }
	res, err := p.RunDay(ctx, day("2026-03-01"), &mail.Fake{})
	if err != nil || res.Waiting != 1 || res.Sent != 0 || len(sms.sent) != 0 {
		t.Fatalf("run at 06:00 in the recipient's zone = %+v, %v; want the text waiting", res, err)
	}
	k := touch.Key{CustomerID: "c1", Occasion: touch.Birthday, Year: 2026}
	e, _ := p.Ledger.Get(ctx, k)
	if want := time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC); e.State != touch.StateClaimed || !e.LeaseUntil.Equal(want) {
		t.Fatalf("waiting entry = %+v, want claimed and leased until 08:00 Pacific (%s)", e, want)
	}
	// An hour later it still waits (Recover leaves a leased entry alone).
	now = now.Add(time.Hour)
	if res, err := p.Recover(ctx, &mail.Fake{}); err != nil || res.Sent != 0 || len(sms.sent) != 0 {
		t.Fatalf("recover at 07:00 = %+v, %v; want nothing sent", res, err)
	}
	now = time.Date(2026, 3, 1, 16, 5, 0, 0, time.UTC)
	if res, err := p.Recover(ctx, &mail.Fake{}); err != nil || res.Sent != 1 || len(sms.sent) != 1 {
		t.Fatalf("recover at 08:05 = %+v, %v; want the text sent", res, err)
	}
}

// TestWaitingTextIsRequeuedWhenItsHoursCome: in AWS a claim is requeued
// only once RecoverAfterQueued (6 h) old, as it may still be in the queue;
// a text that waited for its hours was taken from the queue already, so it
// is handed on again as soon as its wait ends, not hours later.
func TestWaitingTextIsRequeuedWhenItsHoursCome(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	c := texter("c1", date("1980-03-08"))
	c.Phone = "+14155550123"
	c.Consents["sms"] = loupe.Consent{Status: loupe.ConsentGranted, At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: "paper", Evidence: "Texts", Phone: c.Phone}
	db.put(c)
	now := time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC) // 06:00 in San Francisco
	p := newPlanner(db, &touch.MemLedger{}, nil)
	p.Channels = map[string]touch.Channel{contact.SMS: &fakeChannel{}}
	p.Places = fixedPlaces{"America/Los_Angeles"}
	p.RecoverAfter = 6 * time.Hour
	p.Now = func() time.Time { return now }
	if res, err := p.RunDay(ctx, day("2026-03-01"), &mail.Fake{}); err != nil || res.Waiting != 1 {
		t.Fatalf("run = %+v, %v; want the text waiting", res, err)
	}
	q := &memQueue{}
	now = time.Date(2026, 3, 1, 15, 5, 0, 0, time.UTC) // 07:05 Pacific: still waiting
	if n, err := p.Requeue(ctx, q); err != nil || n != 0 {
		t.Fatalf("requeue while waiting = %d, %v; want 0", n, err)
	}
	now = time.Date(2026, 3, 1, 16, 5, 0, 0, time.UTC) // 08:05 Pacific, 2 h after the claim
	if n, err := p.Requeue(ctx, q); err != nil || n != 1 {
		t.Fatalf("requeue at 08:05 = %d, %v; want the waiting text handed on", n, err)
	}
}

// TestTextHeldWhenItsHoursEndMidSend: the text gets the end of the
// recipient's allowed hours (Touch.Until); a sender that could not deliver
// before it (touch.ErrNotNow: pacing or backoff ran past it) leaves the
// touchpoint waiting for the next morning, not failed, not skipped.
func TestTextHeldWhenItsHoursEndMidSend(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	db.put(texter("c1", date("1980-03-08")))
	sms := &fakeChannel{fail: fmt.Errorf("sms send: %w", touch.ErrNotNow)}
	now := time.Date(2026, 3, 2, 1, 59, 30, 0, time.UTC) // 20:59:30 in New York
	p := newPlanner(db, &touch.MemLedger{}, nil)
	p.Channels = map[string]touch.Channel{contact.SMS: sms}
	p.Now = func() time.Time { return now }
	entries, err := planStore(ctx, p, db.stores["nyc"], day("2026-03-01"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("plan = %+v, %v", entries, err)
	}
	res, err := p.Deliver(ctx, entries, &mail.Fake{})
	if err != nil || res.Waiting != 1 {
		t.Fatalf("deliver = %+v, %v; want the text waiting", res, err)
	}
	e, _ := p.Ledger.Get(ctx, entries[0].Key)
	if want := time.Date(2026, 3, 2, 13, 0, 0, 0, time.UTC); e.State != touch.StateClaimed || !e.LeaseUntil.Equal(want) {
		t.Errorf("entry = %+v, want claimed and held until 08:00 New York (%s)", e, want)
	}
	sms.fail = nil
	now = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	if _, err := p.Deliver(ctx, entries, &mail.Fake{}); err != nil || len(sms.sent) != 1 {
		t.Fatalf("deliver at 09:00 = %v, sent %d; want the text", err, len(sms.sent))
	}
	if want := time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC); !sms.sent[0].Until.Equal(want) {
		t.Errorf("Touch.Until = %s, want 21:00 New York (%s)", sms.sent[0].Until, want)
	}
}

// optedOutNumbers is a touch.NumberOptOuts holding the numbers that said no.
type optedOutNumbers map[string]bool

func (o optedOutNumbers) NumberOptedOut(_ context.Context, phone string) (bool, error) {
	return o[phone], nil
}

// TestNumberOptOutStopsTheText: a STOP recorded by number stops the text of
// a client whose own consent does not show it (created a moment before the
// STOP, missed by the phone index), and no other client's.
func TestNumberOptOutStopsTheText(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	a, b := texter("c1", date("1980-03-08")), texter("c2", date("1980-03-08"))
	b.Phone = "+12125550199"
	b.Consents["sms"] = loupe.Consent{Status: loupe.ConsentGranted, At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: "paper", Evidence: "Texts", Phone: b.Phone}
	db.put(a)
	db.put(b)
	sms := &fakeChannel{}
	p := newPlanner(db, &touch.MemLedger{}, nil)
	p.Channels = map[string]touch.Channel{contact.SMS: sms}
	p.Numbers = optedOutNumbers{a.Phone: true}
	var stopped []string
	p.NumberStopped = func(_ context.Context, c loupe.Customer, _ time.Time) error {
		stopped = append(stopped, c.CustomerID)
		return nil
	}
	p.Now = func() time.Time { return time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC) }
	if _, err := p.RunDay(ctx, day("2026-03-01"), &mail.Fake{}); err != nil {
		t.Fatal(err)
	}
	if len(sms.sent) != 1 || sms.sent[0].CustomerID != "c2" {
		t.Fatalf("texts = %+v, want c2's only", sms.sent)
	}
	if e, _ := p.Ledger.Get(ctx, touch.Key{CustomerID: "c1", Occasion: touch.Birthday, Year: 2026}); e.State != touch.StateSkipped || e.Reason != touch.SkipNumberOptedOut {
		t.Errorf("c1 = %+v, want skipped %s", e, touch.SkipNumberOptedOut)
	}
	if len(stopped) != 1 || stopped[0] != "c1" {
		t.Errorf("NumberStopped told of %v, want [c1] (so c1's own consent shows the STOP)", stopped)
	}
}

// TestMaybeSentIsNeverSentAgain: a text the provider may have taken (a
// server fault, no answer) is marked sent, unconfirmed: a queue's
// redelivery minutes later and the recoveries after it send nothing
// (never the same touchpoint twice).
func TestMaybeSentIsNeverSentAgain(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	db.put(texter("c1", date("1980-03-08")))
	sms := &fakeChannel{fail: fmt.Errorf("sms send: %w: %w", mail.ErrTemporary, touch.ErrMaybeSent)}
	now := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)
	p := newPlanner(db, &touch.MemLedger{}, nil)
	p.Channels = map[string]touch.Channel{contact.SMS: sms}
	p.RecoverAfter = 6 * time.Hour
	p.Now = func() time.Time { return now }
	entries, err := planStore(ctx, p, db.stores["nyc"], day("2026-03-01"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("plan = %+v, %v", entries, err)
	}
	res, err := p.Deliver(ctx, entries, &mail.Fake{})
	if err != nil || res.Unconfirmed != 1 {
		t.Fatalf("deliver = %+v, %v; want unconfirmed, no error (the queue does not redeliver it)", res, err)
	}
	if e, _ := p.Ledger.Get(ctx, entries[0].Key); e.State != touch.StateSent {
		t.Fatalf("entry = %+v, want sent (unconfirmed)", e)
	}
	sms.fail = nil
	now = now.Add(6 * time.Minute) // an SQS redelivery
	if res, err := p.Deliver(ctx, entries, &mail.Fake{}); err != nil || res.Duplicate != 1 || len(sms.sent) != 0 {
		t.Fatalf("redelivery = %+v, %v, sent %d; want a duplicate, nothing sent", res, err, len(sms.sent))
	}
	now = now.Add(7 * time.Hour)
	if n, err := p.Requeue(ctx, &memQueue{}); err != nil || n != 0 {
		t.Fatalf("requeue later = %d, %v; want nothing", n, err)
	}
}

func TestDeliverRechecksTheChannel(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	db.put(texter("c1", date("1980-03-08")))
	db.put(texter("c2", date("1980-03-08")))
	sms := &fakeChannel{}
	p := newPlanner(db, &touch.MemLedger{}, nil)
	p.Channels = map[string]touch.Channel{contact.SMS: sms}
	p.Now = func() time.Time { return time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC) }
	entries, err := planStore(ctx, p, db.stores["nyc"], day("2026-03-01"))
	if err != nil || len(entries) != 2 {
		t.Fatalf("plan = %+v, %v", entries, err)
	}
	// c1 replies STOP before the send; the text sender of c2 is taken out.
	c1, _ := db.GetCustomer(ctx, "c1")
	c1.Consents["sms"] = loupe.Consent{Status: loupe.ConsentDenied, At: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Phone: c1.Phone}
	db.put(c1)
	res, err := p.Deliver(ctx, entries[:1], &mail.Fake{})
	if err != nil || res.Skipped != 1 || len(sms.sent) != 0 {
		t.Fatalf("deliver after STOP = %+v, %v; want skipped", res, err)
	}
	if e, _ := p.Ledger.Get(ctx, entries[0].Key); e.Reason != contact.ReasonNoConsent {
		t.Errorf("after STOP = %+v, want skipped no_consent", e)
	}
	p.Channels = nil
	if res, err := p.Deliver(ctx, entries[1:], &mail.Fake{}); err != nil || res.Skipped != 1 {
		t.Fatalf("deliver without a sender = %+v, %v", res, err)
	}
	if e, _ := p.Ledger.Get(ctx, entries[1].Key); e.Reason != touch.SkipNoSender {
		t.Errorf("without a sender = %+v, want skipped %s", e, touch.SkipNoSender)
	}
	// A refusal for good is recorded; a temporary error leaves it claimed.
	db.put(texter("c3", date("1980-03-08")))
	p.Channels = map[string]touch.Channel{contact.SMS: &fakeChannel{fail: errors.New("throttled")}}
	entries, _ = planStore(ctx, p, db.stores["nyc"], day("2026-03-01"))
	if _, err := p.Deliver(ctx, entries, &mail.Fake{}); err == nil {
		t.Fatal("a temporary error was not returned")
	}
	if e, _ := p.Ledger.Get(ctx, touch.Key{CustomerID: "c3", Occasion: touch.Birthday, Year: 2026}); e.State != touch.StateClaimed || !e.LeaseUntil.IsZero() {
		t.Errorf("after a temporary error = %+v, want claimed without a lease", e)
	}
	p.Channels = map[string]touch.Channel{contact.SMS: &fakeChannel{fail: mail.ErrRejected}}
	if res, err := p.Deliver(ctx, entries, &mail.Fake{}); err != nil || res.Skipped != 1 {
		t.Fatalf("deliver refused = %+v, %v", res, err)
	}
}

func TestCampaignChannels(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	db.put(customer("c1", "nyc", loupe.Date{}, loupe.Date{}))
	campaigns := &touch.MemCampaigns{}
	cp := touch.Campaign{CampaignID: "gala", Name: "Gala", EventDate: day("2026-06-20"), SendDate: day("2026-06-01"),
		StoreIDs: []string{"nyc"}, Subject: "Gala", BodyHTML: "<p>Come</p>", Channels: []string{contact.Personal, contact.Email}}
	if err := campaigns.PutCampaign(ctx, cp); err != nil {
		t.Fatal(err)
	}
	tasks := &fakeChannel{}
	h := &history{fakeDB: db}
	p := newPlanner(db, &touch.MemLedger{}, campaigns)
	p.Channels = map[string]touch.Channel{contact.Personal: tasks}
	p.History = h
	p.Now = func() time.Time { return time.Date(2026, 6, 1, 15, 0, 0, 0, time.UTC) }
	if _, err := p.RunDay(ctx, day("2026-06-01"), &mail.Fake{}); err != nil {
		t.Fatal(err)
	}
	if len(tasks.sent) != 1 || tasks.sent[0].Campaign == nil || tasks.sent[0].Campaign.CampaignID != "gala" {
		t.Fatalf("tasks = %+v, want c1's invitation with its campaign", tasks.sent)
	}
	if len(h.contacts) != 0 {
		t.Errorf("contacts = %+v: a Today task is a contact only once its outcome is logged", h.contacts)
	}
	// A client without an active associate gets the next channel: nobody's
	// list to put the task on.
	orphan := customer("c2", "nyc", loupe.Date{}, loupe.Date{})
	orphan.AssociateID = "gone"
	db.put(orphan)
	sender := &mail.Fake{}
	p2 := newPlanner(db, &touch.MemLedger{}, campaigns)
	p2.Channels = map[string]touch.Channel{contact.Personal: &fakeChannel{}}
	p2.Now = p.Now
	if _, err := p2.RunDay(ctx, day("2026-06-01"), sender); err != nil {
		t.Fatal(err)
	}
	if got := sender.Sent(); len(got) != 1 || !strings.HasPrefix(got[0].Key, "tp/c2/") {
		t.Errorf("mails = %d, want the invitation of c2 (no active associate) by email", len(got))
	}
	for _, bad := range [][]string{{}, {"voice"}, {"ads"}, {"email", "email"}} {
		c := cp
		c.Channels = bad
		if err := c.Validate(); loupe.ErrorCode(err) != loupe.EINVALID {
			t.Errorf("channels %v: %v, want EINVALID", bad, err)
		}
	}
}

// TestCallList: an invitation of a campaign with call_list goes as its
// message and also on the associate's Today list (the personal channel),
// once, as one contact; a client who may not be called gets the message
// only; a failed task leaves the message unsent for a retry.
func TestCallList(t *testing.T) {
	ctx := context.Background()
	db := chainDB()
	db.put(customer("c1", "nyc", loupe.Date{}, loupe.Date{}))
	quiet := customer("c2", "nyc", loupe.Date{}, loupe.Date{})
	quiet.DoNotContactAt = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	db.put(quiet)
	campaigns := &touch.MemCampaigns{}
	cp := touch.Campaign{CampaignID: "gala", Name: "Gala", EventDate: day("2026-06-20"), SendDate: day("2026-06-01"),
		StoreIDs: []string{"nyc"}, Subject: "Gala", BodyHTML: "<p>Come</p>", CallList: true}
	if err := campaigns.PutCampaign(ctx, cp); err != nil {
		t.Fatal(err)
	}
	for _, fail := range []bool{true, false} {
		tasks := &fakeChannel{}
		if fail {
			tasks.fail = errors.New("task store down")
		}
		h := &history{fakeDB: db}
		p := newPlanner(db, &touch.MemLedger{}, campaigns)
		p.Channels = map[string]touch.Channel{contact.Personal: tasks}
		p.History = h
		p.Now = func() time.Time { return time.Date(2026, 6, 1, 15, 0, 0, 0, time.UTC) }
		sender := &mail.Fake{}
		res, err := p.RunDay(ctx, day("2026-06-01"), sender)
		if fail {
			for _, m := range sender.Sent() {
				if strings.HasPrefix(m.Key, "tp/c1/") {
					t.Errorf("c1's invitation was mailed although its task failed")
				}
			}
			if err == nil {
				t.Errorf("a failed task: %+v, nil error; want it to fail for a retry", res)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks.sent) != 1 || tasks.sent[0].CustomerID != "c1" || tasks.sent[0].Channel != contact.Personal {
			t.Errorf("tasks = %+v, want c1's invitation only", tasks.sent)
		}
		if len(sender.Sent()) != 2 || len(h.contacts) != 2 {
			t.Errorf("mails %d, contacts %d; want both invitations mailed, one contact each", len(sender.Sent()), len(h.contacts))
		}
	}
}

func TestTouchpointKeys(t *testing.T) {
	for _, c := range []struct {
		k    touch.Key
		want string
	}{
		{touch.Key{CustomerID: "c1", Occasion: touch.Birthday, Year: 2026}, "tp/c1/birthday/2026"},
		{touch.PurchaseKey("c1", "bridal_30", "p9"), "tp/c1/bridal_30:p9/0"},
		{touch.PurchaseKey("c1", "thank_you", "p9"), "tp/c1/thank_you:p9/0"},
		{touch.RepairKey("c1", "repair_ready", "r4"), "tp/c1/repair_ready:r4/0"},
	} {
		if got := c.k.MailKey(); got != c.want {
			t.Errorf("%+v: %s, want %s", c.k, got, c.want)
		}
	}
	// One key per purchase, whatever the channel: claimed once.
	ctx := context.Background()
	l := &touch.MemLedger{}
	e := touch.Entry{Key: touch.PurchaseKey("c1", "thank_you", "p9"), StoreID: "nyc", Planned: day("2026-05-01"), Channel: contact.Personal}
	if ok, err := l.Claim(ctx, e); !ok || err != nil {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	e.Channel = contact.Email
	if ok, err := l.Claim(ctx, e); ok || err != nil {
		t.Fatalf("claim on another channel = %v, %v; want taken", ok, err)
	}
}

// fixedPlaces puts every phone in zones and knows no address.
type fixedPlaces []string

func (f fixedPlaces) PhoneZones(string) []string                   { return f }
func (f fixedPlaces) PhoneRegion(string) (string, string)          { return "US", "" }
func (f fixedPlaces) AddressZones(country, region string) []string { return nil }
