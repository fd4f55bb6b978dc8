package compliance_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/loupe"
)

// directory is a hand-written fake of the stores, associates and customers.
type directory struct {
	stores     []loupe.Store
	associates []loupe.Associate
	customers  map[string]bool // known customer ids

	mu     sync.Mutex
	emails map[string]string    // customer id -> email written
	at     map[string]time.Time // customer id -> captured at
	writes int
}

func (d *directory) GetStore(_ context.Context, id string) (loupe.Store, error) {
	for _, s := range d.stores {
		if s.StoreID == id {
			return s, nil
		}
	}
	return loupe.Store{}, fmt.Errorf("get store %s: %w", id, loupe.ErrNotFound)
}

func (d *directory) ListStores(context.Context) ([]loupe.Store, error) { return d.stores, nil }

func (d *directory) ListAssociates(_ context.Context, storeID string) ([]loupe.Associate, error) {
	var out []loupe.Associate
	for _, a := range d.associates {
		if storeID == "" || a.StoreID == storeID {
			out = append(out, a)
		}
	}
	return out, nil
}

// UpdateCustomer keeps each known customer's email and capture time; the
// profile fill reaches it through loupe.SetCustomerEmail.
func (d *directory) UpdateCustomer(_ context.Context, id string, fn func(*loupe.Customer, time.Time) (loupe.Customer, bool, error)) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.customers[id] {
		_, _, err := fn(nil, time.Time{})
		return err
	}
	if d.emails == nil {
		d.emails, d.at = map[string]string{}, map[string]time.Time{}
	}
	stored := loupe.Customer{CustomerID: id, Email: d.emails[id], EmailCapturedAt: d.at[id]}
	if stored.Email != "" {
		stored.EmailSource = loupe.EmailSourceRepair
	}
	c, write, err := fn(&stored, time.Time{})
	if err != nil || !write {
		return err
	}
	if c.EmailSource != loupe.EmailSourceRepair {
		return fmt.Errorf("source %q, want repair", c.EmailSource)
	}
	d.emails[id], d.at[id] = c.Email, c.EmailCapturedAt
	d.writes++
	return nil
}

func chain() *directory {
	return &directory{
		stores: []loupe.Store{
			{StoreID: "s1", Name: "Fifth Ave", Timezone: "America/New_York", Country: "US", FromEmail: "fifth@chain.com", ManagerEmail: "mgr@chain.com"},
			{StoreID: "s2", Name: "Kensington", Timezone: "Europe/London", Country: "GB", FromEmail: "ken@chain.co.uk"},
		},
		associates: []loupe.Associate{
			{AssociateID: "a1", StoreID: "s1", Name: "Ann", Email: "ann@chain.com", Status: "active"},
			{AssociateID: "a2", StoreID: "s1", Name: "Bob", Status: "active"},
			{AssociateID: "a3", StoreID: "s2", Name: "Cat", Status: "active"},
		},
		customers: map[string]bool{"c1": true, "c5": true, "c6": true, "c8": true, "c9": true, "c11": true, "c12": true},
	}
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// takeIns are hand-counted in TestReport.
var takeIns = []loupe.Repair{
	{RepairID: "r1", StoreID: "s1", AssociateID: "a1", CustomerID: "c1", CustomerEmail: "c1@gmail.com", TakenInAt: ts("2026-11-02T15:00:00Z")},
	{RepairID: "r2", StoreID: "s1", AssociateID: "a1", CustomerID: "c2", CustomerEmail: "", TakenInAt: ts("2026-11-02T16:00:00Z")},
	{RepairID: "r3", StoreID: "s1", AssociateID: "a2", CustomerID: "c3", CustomerEmail: "none@none.com", TakenInAt: ts("2026-11-02T17:00:00Z")},
	{RepairID: "r4", StoreID: "s1", AssociateID: "a2", CustomerID: "c4", CustomerEmail: "c4@gmial.com", TakenInAt: ts("2026-11-03T15:00:00Z")},
	{RepairID: "r5", StoreID: "s1", AssociateID: "a1", CustomerID: "c5", CustomerEmail: "c5@yahoo.com", TakenInAt: ts("2026-11-03T15:30:00Z")},
	// 23:30 on November 3 in New York (EST): the store-local day is the 3rd, not the 4th.
	{RepairID: "r6", StoreID: "s1", AssociateID: "a2", CustomerID: "c6", CustomerEmail: "c6@icloud.com", TakenInAt: ts("2026-11-04T04:30:00Z")},
	{RepairID: "r7", StoreID: "s1", AssociateID: "a1", CustomerID: "c7", CustomerEmail: "MGR@chain.com", TakenInAt: ts("2026-11-05T15:00:00Z")},
	{RepairID: "r8", StoreID: "s1", AssociateID: "a2", CustomerID: "c8", CustomerEmail: "c8@outlook.com", TakenInAt: ts("2026-11-05T15:10:00Z")},
	// c13 is unknown to the customer table: counted, not filled, no error.
	{RepairID: "r13", StoreID: "s1", AssociateID: "a2", CustomerID: "c13", CustomerEmail: "c13@gmail.com", TakenInAt: ts("2026-11-05T15:20:00Z")},
	{RepairID: "r9", StoreID: "s2", AssociateID: "a3", CustomerID: "c9", CustomerEmail: "c9@gmail.com", TakenInAt: ts("2026-11-02T10:00:00Z")},
	{RepairID: "r10", StoreID: "s2", AssociateID: "a3", CustomerID: "c10", CustomerEmail: "n/a", TakenInAt: ts("2026-11-02T23:30:00Z")},
	// 00:30 GMT on November 3 in London.
	{RepairID: "r11", StoreID: "s2", AssociateID: "a3", CustomerID: "c11", CustomerEmail: "c11@btinternet.com", TakenInAt: ts("2026-11-03T00:30:00Z")},
	// Before the window.
	{RepairID: "r12", StoreID: "s1", AssociateID: "a1", CustomerID: "c12", CustomerEmail: "c12@aol.com", TakenInAt: ts("2026-10-20T15:00:00Z")},
}

func newService(dir *directory, now time.Time) *compliance.Service {
	return &compliance.Service{Store: &compliance.MemStore{}, Stores: dir, Associates: dir, Customers: dir,
		Now: func() time.Time { return now }}
}

func handleAll(t *testing.T, svc *compliance.Service, repairs []loupe.Repair) {
	t.Helper()
	for i := range repairs {
		r := repairs[i]
		c := loupe.Change{Seq: fmt.Sprint(i), Entity: loupe.EntityRepair, Op: loupe.OpInsert, NewRepair: &r}
		if err := svc.HandleChange(context.Background(), c); err != nil {
			t.Fatalf("HandleChange(%s): %v", r.RepairID, err)
		}
	}
}

func wantReport() compliance.Report {
	zero := func(from, to int, set map[int][2]int) []compliance.DayReport {
		var out []compliance.DayReport
		for d := from; d <= to; d++ {
			c := set[d]
			out = append(out, compliance.DayReport{Date: fmt.Sprintf("2026-11-%02d", d), TakeIns: c[0], WithEmail: c[1]})
		}
		return out
	}
	return compliance.Report{
		From: "2026-11-01", To: "2026-11-14",
		Totals: compliance.Totals{TakeIns: 12, WithEmail: 7, Rate: 0.5833},
		Stores: []compliance.StoreReport{
			{StoreID: "s1", Name: "Fifth Ave", Timezone: "America/New_York", TakeIns: 9, WithEmail: 5, Rate: 0.5556,
				Associates: []compliance.AssociateReport{
					{AssociateID: "a2", Name: "Bob", TakeIns: 5, WithEmail: 3, Rate: 0.6},
					{AssociateID: "a1", Name: "Ann", TakeIns: 4, WithEmail: 2, Rate: 0.5},
				},
				Days: zero(1, 14, map[int][2]int{2: {3, 1}, 3: {3, 2}, 5: {3, 2}}),
				Missing: []compliance.Missing{
					{RepairID: "r7", AssociateID: "a1", CustomerID: "c7", TakenInAt: ts("2026-11-05T15:00:00Z"), Reason: "store_address"},
					{RepairID: "r4", AssociateID: "a2", CustomerID: "c4", TakenInAt: ts("2026-11-03T15:00:00Z"), Reason: "typo", Suggestion: "c4@gmail.com"},
					{RepairID: "r3", AssociateID: "a2", CustomerID: "c3", TakenInAt: ts("2026-11-02T17:00:00Z"), Reason: "placeholder"},
					{RepairID: "r2", AssociateID: "a1", CustomerID: "c2", TakenInAt: ts("2026-11-02T16:00:00Z"), Reason: "empty"},
				}},
			{StoreID: "s2", Name: "Kensington", Timezone: "Europe/London", TakeIns: 3, WithEmail: 2, Rate: 0.6667,
				Associates: []compliance.AssociateReport{{AssociateID: "a3", Name: "Cat", TakeIns: 3, WithEmail: 2, Rate: 0.6667}},
				Days:       zero(1, 14, map[int][2]int{2: {2, 1}, 3: {1, 1}}),
				Missing: []compliance.Missing{
					{RepairID: "r10", AssociateID: "a3", CustomerID: "c10", TakenInAt: ts("2026-11-02T23:30:00Z"), Reason: "placeholder"},
				}},
		},
	}
}

func TestReport(t *testing.T) {
	dir := chain()
	svc := newService(dir, ts("2026-11-14T18:00:00Z"))
	handleAll(t, svc, takeIns)
	got, err := svc.Report(context.Background(), "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := wantReport(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Report =\n%s\nwant\n%s", js(got), js(want))
	}

	t.Run("replayed changes change nothing", func(t *testing.T) {
		writes := dir.writes
		handleAll(t, svc, takeIns)
		again, err := svc.Report(context.Background(), "", "", "")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again, got) {
			t.Fatalf("after replay Report =\n%s\nwant\n%s", js(again), js(got))
		}
		if dir.writes != writes {
			t.Fatalf("profile writes after replay = %d, want %d", dir.writes, writes)
		}
	})

	t.Run("one store", func(t *testing.T) {
		one, err := svc.Report(context.Background(), "2026-11-01", "2026-11-14", "s2")
		if err != nil {
			t.Fatal(err)
		}
		want := wantReport()
		want.Stores = want.Stores[1:]
		want.Totals = compliance.Totals{TakeIns: 3, WithEmail: 2, Rate: 0.6667}
		if !reflect.DeepEqual(one, want) {
			t.Fatalf("Report(s2) =\n%s\nwant\n%s", js(one), js(want))
		}
	})
}

func TestHandleChangeFillsProfileByConsent(t *testing.T) {
	dir := chain()
	svc := newService(dir, ts("2026-11-14T18:00:00Z"))
	handleAll(t, svc, takeIns)
	// Captured emails of known customers are filled in every country: US store
	// s1 (opt-out) and GB store s2 (opt-in) alike; consent is applied at send time.
	want := map[string]string{"c1": "c1@gmail.com", "c5": "c5@yahoo.com", "c6": "c6@icloud.com", "c8": "c8@outlook.com", "c12": "c12@aol.com",
		"c9": "c9@gmail.com", "c11": "c11@btinternet.com"}
	if !reflect.DeepEqual(dir.emails, want) {
		t.Fatalf("filled emails = %v, want %v", dir.emails, want)
	}
	if got, want := dir.at["c6"], ts("2026-11-04T04:30:00Z"); !got.Equal(want) {
		t.Fatalf("c6 captured at %v, want %v", got, want)
	}

	t.Run("consent override changes the rule, not the fill", func(t *testing.T) {
		dir := chain()
		svc := newService(dir, ts("2026-11-14T18:00:00Z"))
		svc.Consent = map[string]string{"GB": compliance.ConsentOptOut}
		handleAll(t, svc, takeIns)
		if got, want := dir.emails["c9"], "c9@gmail.com"; got != want {
			t.Fatalf("c9 email = %q, want %q", got, want)
		}
		if got, want := svc.ConsentFor("gb"), compliance.ConsentOptOut; got != want {
			t.Fatalf("ConsentFor(gb) = %q, want %q", got, want)
		}
		if got, want := svc.ConsentFor("DE"), compliance.ConsentOptIn; got != want {
			t.Fatalf("ConsentFor(DE) = %q, want %q", got, want)
		}
	})
}

func TestHandleChangeIgnoresOtherChanges(t *testing.T) {
	dir := chain()
	svc := newService(dir, ts("2026-11-14T18:00:00Z"))
	r := takeIns[0]
	a := dir.associates[0]
	for _, c := range []loupe.Change{
		{Entity: loupe.EntityRepair, Op: loupe.OpModify, OldRepair: &r, NewRepair: &r},
		{Entity: loupe.EntityRepair, Op: loupe.OpRemove, OldRepair: &r},
		{Entity: loupe.EntityRepair, Op: loupe.OpInsert},
		{Entity: loupe.EntityAssociate, Op: loupe.OpInsert, NewAssociate: &a},
	} {
		if err := svc.HandleChange(context.Background(), c); err != nil {
			t.Fatalf("HandleChange(%s %s) = %v, want nil", c.Entity, c.Op, err)
		}
	}
	got, err := svc.Report(context.Background(), "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Totals.TakeIns != 0 || dir.writes != 0 {
		t.Fatalf("take-ins = %d, profile writes = %d; want 0, 0", got.Totals.TakeIns, dir.writes)
	}
}

func TestHandleChangeUsesLocalDayAndUnknownStore(t *testing.T) {
	dir := chain()
	svc := newService(dir, ts("2026-11-14T18:00:00Z"))
	handleAll(t, svc, []loupe.Repair{
		// LocalDay given by the writer wins over a recomputation.
		{RepairID: "x1", StoreID: "s1", AssociateID: "a1", CustomerID: "c1", TakenInAt: ts("2026-11-04T04:30:00Z"), LocalDay: "2026-11-03"},
		// Unknown store: UTC day, still counted (and reported with an empty name).
		{RepairID: "x2", StoreID: "s9", AssociateID: "a9", CustomerID: "c1", CustomerEmail: "c1@gmail.com", TakenInAt: ts("2026-11-04T04:30:00Z")},
	})
	got, err := svc.Report(context.Background(), "2026-11-03", "2026-11-04", "")
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, s := range got.Stores {
		for _, d := range s.Days {
			if d.TakeIns > 0 {
				days = append(days, fmt.Sprintf("%s/%q %s %d/%d", s.StoreID, s.Name, d.Date, d.TakeIns, d.WithEmail))
			}
		}
	}
	want := []string{`s1/"Fifth Ave" 2026-11-03 1/0`, `s9/"" 2026-11-04 1/1`}
	if !reflect.DeepEqual(days, want) {
		t.Fatalf("days = %q, want %q", days, want)
	}
	// The profile is filled whatever the store (consent is applied at send time).
	if got, want := dir.writes, 1; got != want {
		t.Fatalf("profile writes = %d, want %d", got, want)
	}
}

func TestReportWindow(t *testing.T) {
	tests := []struct {
		name       string
		now        string
		from, to   string
		store      string
		wantFrom   string
		wantTo     string
		wantField  string
		wantNotFnd bool
	}{
		{"default ends today in the store zone", "2026-11-15T02:00:00Z", "", "", "s1", "2026-11-01", "2026-11-14", "", false},
		{"chain default ends on the latest local day", "2026-11-15T02:00:00Z", "", "", "", "2026-11-02", "2026-11-15", "", false},
		{"only to", "2026-11-15T02:00:00Z", "", "2026-10-31", "", "2026-10-18", "2026-10-31", "", false},
		{"only from", "2026-11-15T02:00:00Z", "2026-11-10", "", "s2", "2026-11-10", "2026-11-15", "", false},
		{"one day", "2026-11-15T02:00:00Z", "2026-11-03", "2026-11-03", "", "2026-11-03", "2026-11-03", "", false},
		{"92 days", "2026-11-15T02:00:00Z", "2026-08-01", "2026-10-31", "", "2026-08-01", "2026-10-31", "", false},
		{"93 days", "2026-11-15T02:00:00Z", "2026-07-31", "2026-10-31", "", "", "", "from", false},
		{"from after to", "2026-11-15T02:00:00Z", "2026-11-05", "2026-11-04", "", "", "", "from", false},
		{"bad from", "2026-11-15T02:00:00Z", "2026-11-5", "", "", "", "", "from", false},
		{"bad to", "2026-11-15T02:00:00Z", "", "yesterday", "", "", "", "to", false},
		{"impossible date", "2026-11-15T02:00:00Z", "2026-02-30", "2026-03-01", "", "", "", "from", false},
		{"unknown store", "2026-11-15T02:00:00Z", "", "", "s404", "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newService(chain(), ts(tt.now))
			got, err := svc.Report(context.Background(), tt.from, tt.to, tt.store)
			switch {
			case tt.wantNotFnd:
				if !errors.Is(err, loupe.ErrNotFound) {
					t.Fatalf("err = %v, want ErrNotFound", err)
				}
			case tt.wantField != "":
				var le *loupe.Error
				if !errors.As(err, &le) || le.Code != loupe.EINVALID || le.Field != tt.wantField {
					t.Fatalf("err = %v, want EINVALID on %s", err, tt.wantField)
				}
			case err != nil:
				t.Fatal(err)
			default:
				if got.From != tt.wantFrom || got.To != tt.wantTo {
					t.Fatalf("window = %s..%s, want %s..%s", got.From, got.To, tt.wantFrom, tt.wantTo)
				}
				for _, s := range got.Stores {
					if len(s.Days) == 0 || s.Days[0].Date != tt.wantFrom || s.Days[len(s.Days)-1].Date != tt.wantTo {
						t.Fatalf("store %s days do not span the window", s.StoreID)
					}
				}
			}
		})
	}
}

func TestReportJSONShape(t *testing.T) {
	svc := newService(chain(), ts("2026-11-14T18:00:00Z"))
	handleAll(t, svc, takeIns)
	rep, err := svc.Report(context.Background(), "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	keys := func(m any) string {
		var ks []string
		for k := range m.(map[string]any) {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return strings.Join(ks, ",")
	}
	store := v["stores"].([]any)[0].(map[string]any)
	for _, c := range []struct{ name, got, want string }{
		{"top", keys(v), "from,stores,to,totals"},
		{"totals", keys(v["totals"]), "rate,take_ins,with_email"},
		{"store", keys(store), "associates,days,missing,name,rate,store_id,take_ins,timezone,with_email"},
		{"associate", keys(store["associates"].([]any)[0]), "associate_id,name,rate,take_ins,with_email"},
		{"day", keys(store["days"].([]any)[0]), "date,take_ins,with_email"},
		{"missing", keys(store["missing"].([]any)[0]), "associate_id,customer_id,reason,repair_id,taken_in_at"},
		{"missing typo", keys(store["missing"].([]any)[1]), "associate_id,customer_id,reason,repair_id,suggestion,taken_in_at"},
	} {
		if c.got != c.want {
			t.Errorf("%s keys = %s, want %s", c.name, c.got, c.want)
		}
	}
	if got, want := store["missing"].([]any)[3].(map[string]any)["taken_in_at"], "2026-11-02T16:00:00Z"; got != want {
		t.Errorf("taken_in_at = %v, want %v", got, want)
	}

	empty, err := newService(chain(), ts("2026-11-14T18:00:00Z")).Report(context.Background(), "", "", "s1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(empty)
	for _, want := range []string{`"rate":0`, `"associates":[]`, `"missing":[]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("empty report %s lacks %s", b, want)
		}
	}
}

func TestRate(t *testing.T) {
	tests := []struct {
		name         string
		with, takens int
		want         float64
	}{
		{"none", 0, 0, 0},
		{"all", 3, 3, 1},
		{"two thirds", 2, 3, 0.6667},
		{"contract example", 97, 120, 0.8083},
		{"one of seven", 1, 7, 0.1429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := compliance.Rate(tt.with, tt.takens); got != tt.want {
				t.Fatalf("Rate(%d, %d) = %v, want %v", tt.with, tt.takens, got, tt.want)
			}
		})
	}
}

func TestConsentRule(t *testing.T) {
	tests := []struct{ country, want string }{
		{"US", compliance.ConsentOptOut}, {"us", compliance.ConsentOptOut}, {"PR", compliance.ConsentOptOut},
		{"CA", compliance.ConsentOptIn}, {"GB", compliance.ConsentOptIn}, {"DE", compliance.ConsentOptIn},
		{"FR", compliance.ConsentOptIn}, {"AU", compliance.ConsentOptIn}, {"CH", compliance.ConsentOptIn},
		{"JP", compliance.ConsentOptIn}, {"", compliance.ConsentOptIn},
	}
	for _, tt := range tests {
		if got := compliance.ConsentRule(tt.country); got != tt.want {
			t.Errorf("ConsentRule(%q) = %q, want %q", tt.country, got, tt.want)
		}
	}
}

func js(v any) string {
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

func TestReportMissingIsBoundedNewestFirst(t *testing.T) {
	svc := newService(chain(), ts("2026-11-14T18:00:00Z"))
	var repairs []loupe.Repair
	for i := range 120 { // 40 a day over three days: under the daily cap, over the store cap
		at := ts("2026-11-02T14:00:00Z").AddDate(0, 0, i/40).Add(time.Duration(i%40) * time.Minute)
		repairs = append(repairs, loupe.Repair{RepairID: fmt.Sprintf("m%03d", i), StoreID: "s1", AssociateID: "a1", CustomerID: "c", TakenInAt: at})
	}
	handleAll(t, svc, repairs)
	rep, err := svc.Report(context.Background(), "", "", "s1")
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Stores[0]
	if s.TakeIns != 120 || s.WithEmail != 0 {
		t.Fatalf("counts = %d/%d, want 120/0", s.TakeIns, s.WithEmail)
	}
	if got, want := len(s.Missing), compliance.MaxMissingPerStore; got != want {
		t.Fatalf("missing listed = %d, want %d", got, want)
	}
	if got, want := s.Missing[0].RepairID+".."+s.Missing[len(s.Missing)-1].RepairID, "m119..m020"; got != want {
		t.Fatalf("missing range = %s, want %s", got, want)
	}
}

func TestForgetRepairs(t *testing.T) {
	svc := newService(chain(), ts("2026-11-14T18:00:00Z"))
	handleAll(t, svc, takeIns)
	if err := svc.ForgetRepairs(context.Background(), []loupe.Repair{takeIns[3], takeIns[3]}); err != nil { // r4, the typo
		t.Fatal(err)
	}
	rep, err := svc.Report(context.Background(), "", "", "s1")
	if err != nil {
		t.Fatal(err)
	}
	want := compliance.Missing{RepairID: "r4", AssociateID: "a2", TakenInAt: ts("2026-11-03T15:00:00Z"), Reason: "typo"}
	if got := rep.Stores[0].Missing[1]; got != want {
		t.Fatalf("after erasure missing = %+v, want %+v", got, want)
	}
	if got, want := rep.Stores[0].TakeIns, 9; got != want {
		t.Fatalf("take-ins = %d, want %d", got, want)
	}
}
