package compliance_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

// inspectionChain is two stores on either side of the Atlantic, each with a
// manager, and a third without one.
func inspectionChain() *directory {
	return &directory{
		stores: []loupe.Store{
			{StoreID: "ny", Name: "Fifth Ave", Timezone: "America/New_York", Country: "US", FromEmail: "fifth@chain.example", ManagerEmail: "mgr-ny@chain.example"},
			{StoreID: "ldn", Name: "Bond St", Timezone: "Europe/London", Country: "GB", FromEmail: "bond@chain.example", ManagerEmail: "mgr-ldn@chain.example"},
			{StoreID: "nomgr", Name: "Outlet", Timezone: "America/New_York", Country: "US", FromEmail: "outlet@chain.example"},
		},
		associates: []loupe.Associate{
			{AssociateID: "a1", StoreID: "ny", Name: "Ann", Status: loupe.StatusActive},
			{AssociateID: "a2", StoreID: "ny", Name: "Bob", Status: loupe.StatusActive},
			{AssociateID: "a3", StoreID: "ny", Name: "Cy", Status: loupe.StatusActive},
			{AssociateID: "l1", StoreID: "ldn", Name: "Liz", Status: loupe.StatusActive},
		},
	}
}

// record adds take-ins to mem: "assoc/rid/email" at the given instant, day
// computed in the store's zone.
func recordTakeIns(t *testing.T, svc *compliance.Service, store string, at time.Time, specs ...string) {
	t.Helper()
	for i, spec := range specs {
		p := strings.SplitN(spec, "/", 3)
		r := loupe.Repair{RepairID: p[1], StoreID: store, AssociateID: p[0], CustomerID: "c-" + p[1],
			CustomerEmail: p[2], TakenInAt: at.Add(time.Duration(i) * time.Minute)}
		if err := svc.HandleChange(context.Background(), loupe.Change{Entity: loupe.EntityRepair, Op: loupe.OpInsert, NewRepair: &r}); err != nil {
			t.Fatalf("record %s: %v", spec, err)
		}
	}
}

func inspectionService(dir *directory, now time.Time) (*compliance.Service, *compliance.MemStore, *bytes.Buffer) {
	mem := &compliance.MemStore{}
	var logs bytes.Buffer
	svc := &compliance.Service{Store: mem, Inspections: mem, Stores: dir, Associates: dir, Now: func() time.Time { return now },
		Log: slog.New(slog.NewTextHandler(&logs, nil))}
	return svc, mem, &logs
}

func TestStartInspection(t *testing.T) {
	ctx := context.Background()
	// 03:00 UTC on 2026-11-23 is still the 22nd in New York, already the 23rd in London.
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name, store, from, to string
		want                  string // "from..to" or the error "code field"
	}{
		{"defaults in New York", "ny", "", "", "2026-11-22..2026-12-05"},
		{"defaults in London", "ldn", "", "", "2026-11-23..2026-12-06"},
		{"from given", "ny", "2026-12-01", "", "2026-12-01..2026-12-14"},
		{"both given, one day", "ny", "2026-12-01", "2026-12-01", "2026-12-01..2026-12-01"},
		{"31 days", "ny", "2026-12-01", "2026-12-31", "2026-12-01..2026-12-31"},
		{"32 days", "ny", "2026-12-01", "2027-01-01", "invalid to"},
		{"to before from", "ny", "2026-12-02", "2026-12-01", "invalid to"},
		{"bad from", "ny", "1 Dec", "", "invalid from"},
		{"bad to", "ny", "", "2026-13-01", "invalid to"},
		{"unknown store", "zz", "", "", "not_found "},
		{"bad store id", "a b", "", "", "invalid store_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, mem, _ := inspectionService(inspectionChain(), now)
			in, err := svc.StartInspection(ctx, tt.store, tt.from, tt.to)
			var got string
			if err != nil {
				got = loupe.ErrorCode(err) + " " + loupe.ErrorField(err)
			} else {
				got = in.From + ".." + in.To
				stored, err := mem.Inspection(ctx, tt.store)
				if err != nil || stored.From != in.From || stored.To != in.To {
					t.Fatalf("stored = %+v, %v; want %+v", stored, err, in)
				}
			}
			if got != tt.want {
				t.Fatalf("StartInspection(%q, %q, %q) = %q, want %q", tt.store, tt.from, tt.to, got, tt.want)
			}
		})
	}
}

func TestStopAndGetInspection(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	svc, _, _ := inspectionService(inspectionChain(), now)
	if _, err := svc.Inspection(ctx, "ny"); loupe.ErrorCode(err) != loupe.ENOTFOUND {
		t.Fatalf("Inspection before start = %v, want not_found", err)
	}
	if _, err := svc.StartInspection(ctx, "ny", "", ""); err != nil {
		t.Fatal(err)
	}
	if in, err := svc.Inspection(ctx, "ny"); err != nil || in.From != "2026-11-23" {
		t.Fatalf("Inspection = %+v, %v", in, err)
	}
	for range 2 {
		if err := svc.StopInspection(ctx, "ny"); err != nil {
			t.Fatalf("StopInspection: %v", err)
		}
	}
	if _, err := svc.Inspection(ctx, "ny"); loupe.ErrorCode(err) != loupe.ENOTFOUND {
		t.Fatalf("Inspection after stop = %v, want not_found", err)
	}
	if err := svc.StopInspection(ctx, "zz"); loupe.ErrorCode(err) != loupe.ENOTFOUND {
		t.Fatalf("StopInspection(unknown) = %v, want not_found", err)
	}
	bare := &compliance.Service{Store: &compliance.MemStore{}, Stores: inspectionChain(), Associates: inspectionChain(), Now: func() time.Time { return now }}
	if _, err := bare.StartInspection(ctx, "ny", "", ""); loupe.ErrorCode(err) != loupe.EUNAVAILABLE {
		t.Fatalf("without InspectionStore = %v, want unavailable", err)
	}
}

func TestRunMorningMailContent(t *testing.T) {
	ctx := context.Background()
	// 2026-11-22 in New York (UTC-5): 9 take-ins, 5 without a usable email.
	day := time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
	svc, _, _ := inspectionService(inspectionChain(), day)
	recordTakeIns(t, svc, "ny", day,
		"a1/r1/ann@gmail.com", "a1/r2/", "a1/r3/bob@gmial.com",
		"a2/r4/cy@yahoo.com", "a2/r5/none", "a2/r6/dee@gmail.com",
		"a3/r7/ed@gmail.com", "a3/r8/fay@gmail.com",
		"a1/r9/ann@chain.example@")
	// Another day and another store must not leak in.
	recordTakeIns(t, svc, "ny", day.AddDate(0, 0, -1), "a1/old1/")
	if _, err := svc.StartInspection(ctx, "ny", "2026-11-20", ""); err != nil {
		t.Fatal(err)
	}
	var fake mail.Fake
	// 07:30 in New York on the 23rd.
	n, err := svc.RunMorning(ctx, time.Date(2026, 11, 23, 12, 30, 0, 0, time.UTC), &fake)
	if err != nil || n != 1 {
		t.Fatalf("RunMorning = %d, %v; want 1 mail", n, err)
	}
	m := fake.Sent()[0]
	checks := []struct{ name, got, want string }{
		{"to", m.To, "mgr-ny@chain.example"},
		{"from", m.From, "fifth@chain.example"},
		{"key", m.Key, "inspection/ny/2026-11-22"},
		{"subject", m.Subject, "Fifth Ave: 4 of 9 repair take-ins on 2026-11-22 had no email"},
		{"touchpoint", m.Header(mail.HeaderTouchpoint), compliance.TouchpointInspection},
		{"send date", m.Header(mail.HeaderSendDate), "2026-11-23"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	wantText := `Fifth Ave

4 of 9 take-ins had no email on 2026-11-22. Capture rate: 55.6 % (5 with email).

Ann (a1): 3 of 4 without email
  10:01  repair r2  customer c-r2  No email written
  10:02  repair r3  customer c-r3  Likely typo (did they mean bob@gmail.com?)
  10:08  repair r9  customer c-r9  Not a valid address

Bob (a2): 1 of 3 without email
  10:04  repair r5  customer c-r5  Placeholder (e.g. none@none.com)
`
	if !strings.HasPrefix(m.Text, wantText) {
		t.Errorf("text =\n%s\nwant prefix\n%s", m.Text, wantText)
	}
	if strings.Contains(m.Text, "Cy (a3)") || strings.Contains(m.Text, "old1") {
		t.Errorf("text lists an associate without missing take-ins or another day:\n%s", m.Text)
	}
	for _, want := range []string{"<td>r3</td><td>c-r3</td><td>Likely typo</td><td>bob@gmail.com</td>", "Ann (a1): 3 of 4 without email"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	// With a base URL the mail links the staff app's compliance screen of
	// the store and the day.
	svc2, _, _ := inspectionService(inspectionChain(), day)
	svc2.BaseURL = "https://loupe.example.com/"
	recordTakeIns(t, svc2, "ny", day, "a1/r2/")
	if _, err := svc2.StartInspection(ctx, "ny", "2026-11-20", ""); err != nil {
		t.Fatal(err)
	}
	var fake2 mail.Fake
	if _, err := svc2.RunMorning(ctx, time.Date(2026, 11, 23, 12, 30, 0, 0, time.UTC), &fake2); err != nil || len(fake2.Sent()) != 1 {
		t.Fatalf("RunMorning with a base URL: %v", err)
	}
	link := "https://loupe.example.com/app/compliance?from=2026-11-22&store_id=ny&to=2026-11-22"
	if m := fake2.Sent()[0]; !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, `href="`+strings.ReplaceAll(link, "&", "&amp;")+`"`) {
		t.Errorf("the mail does not link %s:\n%s\n%s", link, m.Text, m.HTML)
	}
}

func TestRunMorningAllCapturedAndUnlisted(t *testing.T) {
	ctx := context.Background()
	day := time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
	svc, mem, _ := inspectionService(inspectionChain(), day)
	recordTakeIns(t, svc, "ldn", day, "l1/g1/ann@gmail.com", "l1/g2/bob@gmail.com")
	// ny: more missing than a day lists.
	for i := range compliance.MaxMissingPerDay + 3 {
		err := mem.Record(ctx, compliance.TakeIn{RepairID: fmt.Sprintf("m%02d", i), StoreID: "ny", AssociateID: "a2",
			Day: "2026-11-22", TakenInAt: day, Reason: "empty"})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{"ldn", "ny"} {
		if _, err := svc.StartInspection(ctx, s, "2026-11-22", ""); err != nil {
			t.Fatal(err)
		}
	}
	var fake mail.Fake
	if n, err := svc.RunMorning(ctx, time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC), &fake); err != nil || n != 2 {
		t.Fatalf("RunMorning = %d, %v; want 2", n, err)
	}
	byTo := map[string]mail.Message{}
	for _, m := range fake.Sent() {
		byTo[m.To] = m
	}
	ldn := byTo["mgr-ldn@chain.example"]
	if want := "Bond St: all 2 repair take-ins on 2026-11-22 had an email"; ldn.Subject != want {
		t.Errorf("london subject = %q, want %q", ldn.Subject, want)
	}
	if want := "All 2 take-ins had an email on 2026-11-22. Capture rate: 100.0 %."; !strings.Contains(ldn.Text, want) {
		t.Errorf("london text lacks %q:\n%s", want, ldn.Text)
	}
	ny := byTo["mgr-ny@chain.example"]
	if want := "Bob (a2): 53 of 53 without email"; !strings.Contains(ny.Text, want) {
		t.Errorf("ny text lacks %q", want)
	}
	if want := "... and 3 more not listed"; !strings.Contains(ny.Text, want) {
		t.Errorf("ny text lacks %q", want)
	}
}

func TestRunMorningIdempotent(t *testing.T) {
	ctx := context.Background()
	day := time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
	svc, mem, _ := inspectionService(inspectionChain(), day)
	recordTakeIns(t, svc, "ny", day, "a1/r1/")
	if _, err := svc.StartInspection(ctx, "ny", "2026-11-22", ""); err != nil {
		t.Fatal(err)
	}
	// A sender that forgets keys, as SES does: the claim alone must stop a resend.
	var sent []mail.Message
	forgetful := senderFunc(func(m mail.Message) error { sent = append(sent, m); return nil })
	morning := time.Date(2026, 11, 23, 12, 30, 0, 0, time.UTC)
	for i, at := range []time.Time{morning, morning.Add(time.Hour), morning.Add(2 * time.Hour)} {
		if i == 1 {
			// Restarting the inspection does not mail the same morning again.
			if _, err := svc.StartInspection(ctx, "ny", "2026-11-22", "2026-11-30"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.RunMorning(ctx, at, forgetful); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if len(sent) != 1 {
		t.Fatalf("mails = %d, want 1", len(sent))
	}
	// A temporary failure releases the claim: the next run sends.
	if _, err := svc.StartInspection(ctx, "ldn", "2026-11-22", ""); err != nil {
		t.Fatal(err)
	}
	failing := senderFunc(func(mail.Message) error { return fmt.Errorf("ses: %w", mail.ErrTemporary) })
	if n, err := svc.RunMorning(ctx, morning, failing); n != 0 || !errors.Is(err, mail.ErrTemporary) {
		t.Fatalf("failing run = %d, %v; want 0, ErrTemporary", n, err)
	}
	if n, err := svc.RunMorning(ctx, morning, forgetful); n != 1 || err != nil {
		t.Fatalf("run after failure = %d, %v; want 1", n, err)
	}
	if got, err := mem.ClaimMorning(ctx, "ldn", "2026-11-22", morning); err != nil || got {
		t.Fatalf("claim after send = %v, %v; want already claimed", got, err)
	}
}

func TestRunMorningTimeZones(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		now  time.Time
		want []string // mail keys sent
	}{
		// 06:30 in London, 01:30 in New York: nobody's morning yet.
		{"before London's 07:00", time.Date(2026, 11, 23, 6, 30, 0, 0, time.UTC), nil},
		// 07:00 in London, 02:00 in New York.
		{"London's 07:00", time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC), []string{"inspection/ldn/2026-11-22"}},
		// 11:59 UTC = 06:59 in New York.
		{"just before New York's 07:00", time.Date(2026, 11, 23, 11, 59, 0, 0, time.UTC), []string{"inspection/ldn/2026-11-22"}},
		{"New York's 07:00", time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), []string{"inspection/ldn/2026-11-22", "inspection/ny/2026-11-22"}},
		// 04:30 UTC on the 24th is 23:30 on the 23rd in New York: its yesterday is the 22nd, mailed already.
		{"late evening in New York", time.Date(2026, 11, 24, 4, 30, 0, 0, time.UTC), []string{"inspection/ldn/2026-11-22", "inspection/ny/2026-11-22"}},
		// London's next morning: the 23rd is outside its one-day window.
		{"London's next morning", time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC), []string{"inspection/ldn/2026-11-22", "inspection/ny/2026-11-22"}},
	}
	svc, _, logs := inspectionService(inspectionChain(), tests[0].now)
	for _, s := range []string{"ny", "ldn", "nomgr"} {
		if _, err := svc.StartInspection(ctx, s, "2026-11-22", "2026-11-22"); err != nil {
			t.Fatal(err)
		}
	}
	var fake mail.Fake
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := svc.RunMorning(ctx, tt.now, &fake); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range fake.Sent() {
				got = append(got, m.Key)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("sent %v, want %v", got, tt.want)
			}
		})
	}
	for _, m := range fake.Sent() {
		if want := "no repair take-ins on 2026-11-22"; !strings.Contains(m.Subject, want) {
			t.Errorf("subject %q lacks %q", m.Subject, want)
		}
	}
	if !strings.Contains(logs.String(), "store_id=nomgr") || !strings.Contains(logs.String(), "no manager_email") {
		t.Errorf("no log line for the store without manager:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "@") {
		t.Errorf("logs hold an address:\n%s", logs.String())
	}
}

func TestRunMorningOn(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := inspectionService(inspectionChain(), time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
	if _, err := svc.StartInspection(ctx, "ny", "2026-11-22", ""); err != nil {
		t.Fatal(err)
	}
	var fake mail.Fake
	for _, day := range []string{"2026-11-22", "2026-11-23", "2026-11-24", "2026-11-24"} {
		if _, err := svc.RunMorningOn(ctx, day, &fake); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, m := range fake.Sent() {
		got = append(got, m.Key)
	}
	if want := "[inspection/ny/2026-11-22 inspection/ny/2026-11-23]"; fmt.Sprint(got) != want {
		t.Fatalf("sent %v, want %s", got, want)
	}
	if _, err := svc.RunMorningOn(ctx, "23 Nov", &fake); loupe.ErrorCode(err) != loupe.EINVALID {
		t.Fatalf("bad day = %v, want invalid", err)
	}
}

// senderFunc is a mail.Sender that remembers nothing.
type senderFunc func(mail.Message) error

func (f senderFunc) Send(ctx context.Context, m mail.Message) (string, error) {
	if err := f(m); err != nil {
		return "", err
	}
	return m.Key, nil
}
