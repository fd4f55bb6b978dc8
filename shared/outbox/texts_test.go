package outbox_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/outbox"
	"github.com/loupehq/loupe/shared/textin"
	"github.com/loupehq/loupe/shared/textmsg"
	"github.com/loupehq/loupe/shared/touch"
)

var ids = outbox.Identities{Default: "+18005550100", ByStore: map[string]string{"s2": "+18005550122"}}

func smsTouch(customerID, storeID, occasion, phone string) touch.Touch {
	return touch.Touch{
		Entry: touch.Entry{Key: touch.Key{CustomerID: customerID, Occasion: occasion, Year: 2026}, StoreID: storeID,
			Planned: touch.Day{Year: 2026, Month: time.May, Day: 8}, Channel: "sms"},
		Customer: loupe.Customer{CustomerID: customerID, FirstName: "Ana", LastName: "Lima", Phone: phone},
		Store:    loupe.Store{StoreID: storeID, Name: "Éclat", Phone: "+12125550199"},
		Date:     touch.Day{Year: 2026, Month: time.May, Day: 9},
	}
}

// ticking returns a clock starting at start and moving on by one second at
// each reading, so every attempt has its own sent_at.
func ticking(start time.Time) func() time.Time {
	var mu sync.Mutex
	t := start
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

// files returns the names in dir (files only, hidden ones included).
func files(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		if !de.IsDir() {
			out = append(out, de.Name())
		}
	}
	slices.Sort(out)
	return out
}

var fileName = regexp.MustCompile(`^\d{8}T\d{6}Z_[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.json$`)

func TestTextsSendWritesTheContractFile(t *testing.T) {
	o, dir := newOutbox(t)
	x := o.Texts(ids)
	ctx := context.Background()
	tests := []struct {
		name string
		t    touch.Touch
		from string
		typ  string
	}{
		{"birthday from the default identity", smsTouch("c1", "s1", touch.Birthday, "+12125550142"), "+18005550100", "PROMOTIONAL"},
		{"repair from the store's own", smsTouch("c2", "s2", "repair_ready:r7", "+12125550143"), "+18005550122", "TRANSACTIONAL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := x.Send(ctx, tt.t)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if want := outbox.MessageID(outbox.TextsDir, tt.t.Key.MailKey()); id != want {
				t.Errorf("id = %q, want %q", id, want)
			}
			recs, err := x.List()
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(recs, func(r outbox.Record) bool { return r.MessageID == id })
			if i < 0 {
				t.Fatalf("no file for %s in %v", id, files(t, filepath.Join(dir, "sms")))
			}
			got := recs[i]
			m, _ := textmsg.Compose(tt.t)
			want := outbox.Record{
				MessageID: id, Key: tt.t.Key.MailKey(), To: tt.t.Customer.Phone, From: tt.from, Body: m.Body,
				Kind: "touchpoint", Touchpoint: tt.t.Occasion, CustomerID: tt.t.CustomerID, StoreID: tt.t.StoreID,
				SendDate: "2026-05-08", SentAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), MessageType: tt.typ, File: got.File,
			}
			if got != want {
				t.Errorf("record\n%+v\nwant\n%+v", got, want)
			}
			if name := filepath.Base(got.File); !fileName.MatchString(name) || !strings.HasPrefix(name, "20260301T090000Z_"+id) {
				t.Errorf("file name %q", name)
			}
			raw, _ := os.ReadFile(got.File)
			for _, field := range []string{`"to"`, `"from"`, `"body"`, `"kind"`, `"touchpoint"`, `"customer_id"`, `"send_date"`, `"sent_at": "2026-03-01T09:00:00Z"`, `"message_type"`} {
				if !strings.Contains(string(raw), field) {
					t.Errorf("file lacks %s: %s", field, raw)
				}
			}
		})
	}
}

func TestTextsFromTheStorePhoneWithoutIdentity(t *testing.T) {
	o, _ := newOutbox(t)
	x := o.Texts(outbox.Identities{})
	if _, err := x.Send(context.Background(), smsTouch("c1", "s1", touch.Birthday, "+12125550142")); err != nil {
		t.Fatal(err)
	}
	recs, _ := x.List()
	if len(recs) != 1 || recs[0].From != "+12125550199" {
		t.Fatalf("records %+v, want one from the store's phone", recs)
	}
}

func TestTextsRejected(t *testing.T) {
	o, dir := newOutbox(t)
	x := o.Texts(ids)
	long := smsTouch("c1", "s1", "event:gala", "+12125550142")
	long.Campaign = &touch.Campaign{CampaignID: "gala", Name: strings.Repeat("The grand gala ", 20)}
	for name, tp := range map[string]touch.Touch{
		"no phone":         smsTouch("c1", "s1", touch.Birthday, ""),
		"body too long":    long,
		"no text template": smsTouch("c1", "s1", "unknown_occasion", "+12125550142"),
		"store has no name": func() touch.Touch {
			tp := smsTouch("c1", "s1", touch.Birthday, "+12125550142")
			tp.Store.Name = ""
			return tp
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := x.Send(context.Background(), tp)
			var le *loupe.Error
			if !errors.Is(err, mail.ErrRejected) || !errors.As(err, &le) {
				t.Fatalf("err = %v, want mail.ErrRejected with a *loupe.Error", err)
			}
		})
	}
	if got := files(t, filepath.Join(dir, "sms")); len(got) != 0 {
		t.Errorf("files written: %v", got)
	}
}

// TestTextsOnceUnderRaces: two Outboxes on one directory (as `loupe serve`
// and `loupe tick`), each with its own clock so every attempt has another
// sent_at, send the same touchpoints from many goroutines: each key is
// written once, every attempt answers its id.
func TestTextsOnceUnderRaces(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	a, b := outbox.New(dir), outbox.New(dir)
	a.Now = ticking(time.Date(2026, 5, 8, 15, 0, 0, 0, time.UTC))
	b.Now = ticking(time.Date(2026, 5, 8, 16, 0, 0, 0, time.UTC))
	boxes := []*outbox.Texts{a.Texts(ids), b.Texts(ids)}
	keys := []touch.Touch{
		smsTouch("c1", "s1", touch.Birthday, "+12125550142"),
		smsTouch("c2", "s1", "repair_ready:r7", "+12125550143"),
	}
	replyKey := textin.Reply{Key: "sms-reply/in-1/stop_confirmation", To: "+12125550142", From: "+18005550100",
		Body: "Éclat: you will get no more texts.", Kind: textin.KindStopConfirmation, CustomerID: "c1",
		At: time.Date(2026, 5, 8, 15, 0, 0, 0, time.UTC)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[string]map[string]bool{}
	record := func(key, id string) {
		mu.Lock()
		defer mu.Unlock()
		if got[key] == nil {
			got[key] = map[string]bool{}
		}
		got[key][id] = true
	}
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := boxes[g%2]
			for range 5 {
				for _, tp := range keys {
					id, err := x.Send(context.Background(), tp)
					if err != nil {
						t.Error(err)
						return
					}
					record(tp.Key.MailKey(), id)
				}
				id, err := x.Reply(context.Background(), replyKey)
				if err != nil {
					t.Error(err)
					return
				}
				record(replyKey.Key, id)
			}
		}()
	}
	wg.Wait()
	visible := slices.DeleteFunc(files(t, filepath.Join(dir, "sms")), func(n string) bool { return strings.HasPrefix(n, ".") })
	if len(visible) != 3 {
		t.Fatalf("files %v, want one per key (3)", visible)
	}
	for key, idset := range got {
		if len(idset) != 1 {
			t.Errorf("key %s answered ids %v, want one", key, idset)
		}
	}
	recs, err := boxes[0].List()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if !got[r.Key][r.MessageID] {
			t.Errorf("file of %s has id %s, not the one answered", r.Key, r.MessageID)
		}
	}
}

func TestTextsReply(t *testing.T) {
	o, _ := newOutbox(t)
	x := o.Texts(ids)
	r := textin.Reply{Key: "sms-reply/in-9/help_reply", To: "+12125550142", From: "+18005550177",
		Body: "Éclat: call us on +12125550199. Reply STOP to opt out", Kind: textin.KindHelpReply,
		StoreID: "s1", At: time.Date(2026, 5, 8, 23, 30, 0, 0, time.UTC)}
	id, err := x.Reply(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := x.List()
	if len(recs) != 1 {
		t.Fatalf("records %+v", recs)
	}
	want := outbox.Record{MessageID: id, Key: r.Key, To: r.To, From: r.From, Body: r.Body, Kind: "help_reply",
		Touchpoint: "help_reply", StoreID: "s1", SendDate: "2026-05-08", SentAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		MessageType: "TRANSACTIONAL", File: recs[0].File}
	if recs[0] != want {
		t.Errorf("record\n%+v\nwant\n%+v", recs[0], want)
	}
	for name, bad := range map[string]textin.Reply{
		"no key":  {To: r.To, From: r.From, Body: r.Body, Kind: r.Kind},
		"no from": {Key: "k", To: r.To, Body: r.Body, Kind: r.Kind},
		"kind":    {Key: "k", To: r.To, From: r.From, Body: r.Body, Kind: "touchpoint"},
	} {
		if _, err := x.Reply(context.Background(), bad); !errors.Is(err, mail.ErrRejected) {
			t.Errorf("%s: err = %v, want mail.ErrRejected", name, err)
		}
	}
}

func voiceTouch(occasion string) touch.Touch {
	tp := smsTouch("c1", "s1", occasion, "+12125550142")
	tp.Key = touch.RepairKey("c1", occasion, "r7")
	tp.Channel = "voice"
	tp.Customer.PreferredChannel = "voice"
	return tp
}

func TestCallsSend(t *testing.T) {
	o, dir := newOutbox(t)
	x := o.Calls(ids)
	ctx := context.Background()
	tp := voiceTouch(textmsg.RepairReady)
	id, err := x.Send(ctx, tp)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := x.Send(ctx, tp); err != nil || again != id {
		t.Fatalf("again: %q, %v; want %q", again, err, id)
	}
	recs, err := x.List()
	if err != nil || len(recs) != 1 {
		t.Fatalf("records %+v, %v", recs, err)
	}
	v, _ := textmsg.ComposeVoice(tp)
	want := outbox.Record{MessageID: id, Key: tp.Key.MailKey(), To: tp.Customer.Phone, From: "+18005550100", SSML: v.SSML,
		Kind: "touchpoint", Touchpoint: "repair_ready:r7", CustomerID: "c1", StoreID: "s1", SendDate: "2026-05-08",
		SentAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), MessageType: "TRANSACTIONAL", File: recs[0].File}
	if recs[0] != want {
		t.Errorf("record\n%+v\nwant\n%+v", recs[0], want)
	}
	if !strings.HasPrefix(recs[0].File, filepath.Join(dir, "voice")+string(filepath.Separator)) {
		t.Errorf("file %s not in outbox/voice", recs[0].File)
	}
	for _, occ := range []string{touch.Birthday, "thank_you:p1", touch.EventPrefix + "gala"} {
		m := voiceTouch(textmsg.RepairReady)
		m.Key = touch.Key{CustomerID: "c1", Occasion: occ, Year: 2026}
		if _, err := x.Send(ctx, m); !errors.Is(err, mail.ErrRejected) {
			t.Errorf("%s: err = %v, want mail.ErrRejected (no marketing call)", occ, err)
		}
	}
	if recs, _ := x.List(); len(recs) != 1 {
		t.Errorf("marketing calls written: %+v", recs)
	}
}

// TestForgetTextsAndCalls: an erased client's texts (by customer id), a
// reply to their phone that names no client, and their call go; another
// client's text stays; the keys are never written again, by this Outbox or
// a fresh one on the directory, and a late text built before the erasure
// is not written either.
func TestForgetTextsAndCalls(t *testing.T) {
	o, dir := newOutbox(t)
	ctx := context.Background()
	texts, calls := o.Texts(ids), o.Calls(ids)
	own := smsTouch("c1", "s1", touch.Birthday, "+12125550142")
	other := smsTouch("c7", "s1", touch.Birthday, "+12125550177")
	stop := textin.Reply{Key: "sms-reply/in-1/stop_confirmation", To: "+12125550142", From: "+18005550100",
		Body: "Éclat: you will get no more texts.", Kind: textin.KindStopConfirmation}
	call := voiceTouch(textmsg.RepairReady)
	for _, tp := range []touch.Touch{own, other} {
		if _, err := texts.Send(ctx, tp); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := texts.Reply(ctx, stop); err != nil {
		t.Fatal(err)
	}
	if _, err := calls.Send(ctx, call); err != nil {
		t.Fatal(err)
	}
	e := loupe.Erasure{CustomerID: "c1", Customer: loupe.Customer{CustomerID: "c1", FirstName: "Ana", LastName: "Lima", Phone: "+12125550142"}}
	if err := o.Forget(ctx, e); err != nil {
		t.Fatal(err)
	}
	left, _ := texts.List()
	if len(left) != 1 || left[0].CustomerID != "c7" {
		t.Fatalf("texts left %+v, want only c7's", left)
	}
	if left, _ := calls.List(); len(left) != 0 {
		t.Fatalf("calls left %+v", left)
	}
	for _, sub := range []string{"sms", "voice"} {
		for _, n := range files(t, filepath.Join(dir, sub, ".claims")) {
			raw, _ := os.ReadFile(filepath.Join(dir, sub, ".claims", n))
			if strings.Contains(string(raw), "+12125550142") || strings.Contains(string(raw), `"customer_id": "c1"`) {
				t.Errorf("claim %s/%s still holds the client: %s", sub, n, raw)
			}
		}
	}
	// Again, from this Outbox, a fresh one, and a late text built before
	// the erasure: nothing is written.
	o2 := outbox.New(dir)
	late := smsTouch("c1", "s1", touch.Anniversary, "+12125550142")
	for i, send := range []func() (string, error){
		func() (string, error) { return texts.Send(ctx, own) },
		func() (string, error) { return o2.Texts(ids).Send(ctx, own) },
		func() (string, error) { return o2.Texts(ids).Reply(ctx, stop) },
		func() (string, error) { return o2.Calls(ids).Send(ctx, call) },
		func() (string, error) { return texts.Send(ctx, late) },
	} {
		if id, err := send(); err != nil || id == "" {
			t.Fatalf("send %d after the erasure: %q, %v", i, id, err)
		}
	}
	if left, _ := texts.List(); len(left) != 1 {
		t.Errorf("texts after sending again: %+v, want only c7's", left)
	}
	if left, _ := calls.List(); len(left) != 0 {
		t.Errorf("calls after sending again: %+v", left)
	}
	if err := o.Forget(ctx, e); err != nil {
		t.Errorf("Forget again: %v", err)
	}
}

// TestTextsClaimWithoutFile: a claim whose visible file is missing (a
// crash between the two links) gets its file back on the next send of the
// key, under its first sent_at.
func TestTextsClaimWithoutFile(t *testing.T) {
	o, dir := newOutbox(t)
	x := o.Texts(ids)
	tp := smsTouch("c1", "s1", touch.Birthday, "+12125550142")
	id, err := x.Send(context.Background(), tp)
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := x.List()
	if err := os.Remove(recs[0].File); err != nil {
		t.Fatal(err)
	}
	o.Now = func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }
	if again, err := x.Send(context.Background(), tp); err != nil || again != id {
		t.Fatalf("again: %q, %v", again, err)
	}
	visible := slices.DeleteFunc(files(t, filepath.Join(dir, "sms")), func(n string) bool { return strings.HasPrefix(n, ".") })
	if len(visible) != 1 || !strings.HasPrefix(visible[0], "20260301T090000Z_") {
		t.Errorf("files %v, want the first one back", visible)
	}
}
