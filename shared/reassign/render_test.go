package reassign

import (
	"context"
	"encoding/csv"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// TestPageEscapes: every value on the page and in the mail is escaped, the
// link included, and the page holds each client once.
func TestPageEscapes(t *testing.T) {
	r := Review{
		Batch: Batch{ID: "a1-x", AssociateID: "a1", StoreID: "s<1>", Status: StatusDone, Clients: 2, CreatedAt: time.Date(2026, 11, 21, 15, 4, 0, 0, time.UTC)},
		Assignments: []Assignment{
			{CustomerID: "c1", CustomerName: `<script>alert("x")</script>`, FromAssociateID: "a1", ToAssociateID: "a2", ToAssociateName: "Zoë & Co",
				Score: 0.5, Reasons: []string{"preference:<b>"}, State: StateMoved, Claimed: true, ClaimedByName: "O'Hara"},
			{CustomerID: "c2", CustomerName: ErasedName, FromAssociateID: "a1", State: StateUnassigned},
		},
	}
	l := Labels{Store: loupe.Store{StoreID: "s<1>", Name: "<i>Soho</i>"}, Departed: map[string]string{"a1": "Ann <Lee>"}}
	var b strings.Builder
	if err := WritePage(&b, r, l); err != nil {
		t.Fatal(err)
	}
	mail, _ := mailHTML(r, l, `https://loupe.example.com/app/reassignments/a1-x?a="b"`)
	for name, page := range map[string]string{"page": b.String(), "mail": mail} {
		for _, raw := range []string{"<script>", "Prefers <b>", "s<1>", `"b"`, "<i>", "<Lee>"} {
			if strings.Contains(page, raw) {
				t.Errorf("%s holds unescaped %q", name, raw)
			}
		}
		for _, want := range []string{"&lt;script&gt;", "Zoë &amp; Co", "Claimed by O&#39;Hara", "(erased client)", "Not placed yet",
			"Clients of Ann &lt;Lee&gt;", "&lt;i&gt;Soho&lt;/i&gt;", "Prefers &lt;b&gt;"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		if n := strings.Count(page, "client no. c1<"); n != 1 {
			t.Errorf("%s holds c1 %d times, want 1", name, n)
		}
	}
	if !strings.Contains(mail, `href="https://loupe.example.com/app/reassignments/a1-x?a=&#34;b&#34;"`) || strings.Contains(b.String(), "href=") {
		t.Errorf("the link belongs in the mail only, escaped:\n%s", mail)
	}
}

func TestReasonText(t *testing.T) {
	tests := []struct{ code, want string }{
		{"preference:colored_gemstones", "Prefers colored gemstones"},
		{"preference:custom_design", "Prefers custom design"},
		{"preference:mens", "Prefers men's"},
		{"preference:bridal", "Prefers bridal"},
		{"preference:lab_grown", "Prefers lab grown"},
		{"same_store", "Same store"},
		{"load_balance", "Has room in their book"},
		{"other_store:no_capacity", "Another store: nobody in the home store had room"},
		{"other_store:no_active_associate", "Another store: the home store has no active associate"},
		{"no_capacity", "Not placed: every associate's book is full"},
		{"no_active_associate", "Not placed: no associate is active"},
		{"strength:watches", "Strength: watches"},
		{"strength:colored_gemstones", "Strength: colored gemstones"},
		{"some_new_code", "Some new code"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ReasonText(tt.code); got != tt.want {
			t.Errorf("ReasonText(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
	for _, cat := range []string{"bridal", "diamonds", "watches", "colored_gemstones", "pearls", "gold", "silver", "estate", "custom_design", "mens"} {
		if got := CategoryText(cat); strings.Contains(got, "_") || got == "" {
			t.Errorf("CategoryText(%q) = %q", cat, got)
		}
	}
	if got := ReasonTexts(nil); got == nil || len(got) != 0 {
		t.Errorf("ReasonTexts(nil) = %#v, want an empty slice", got)
	}
	got := reasonSummary([]string{"preference:bridal", "preference:colored_gemstones", "preference:diamonds", "same_store", "load_balance"}, "; ")
	if want := "Prefers bridal, colored gemstones and diamonds; Same store; Has room in their book"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	if got, want := StateText(StateOwnerChanged), "Not moved: their associate changed meanwhile"; got != want {
		t.Errorf("StateText = %q, want %q", got, want)
	}
}

// TestPageWords: the page and the mail name the departed associate once in
// the header, group the clients by new associate with their counts, say
// the reasons in words and the times in the store's zone, and hold no id
// but the client numbers.
func TestPageWords(t *testing.T) {
	created := time.Date(2026, 12, 2, 14, 24, 0, 0, time.UTC)
	r := Review{
		Batch: Batch{ID: "nyc-a03-x", AssociateID: "nyc-a03", StoreID: "nyc", Status: StatusDone, Clients: 4, CreatedAt: created},
		Assignments: []Assignment{
			{CustomerID: "c1", CustomerName: "Zelda Zane", FromAssociateID: "nyc-a03", ToAssociateID: "nyc-a05", ToAssociateName: "Bea Stone",
				Reasons: []string{"preference:colored_gemstones", "same_store", "load_balance"}, State: StateMoved},
			{CustomerID: "c2", CustomerName: "Amy Ash", FromAssociateID: "nyc-a03", ToAssociateID: "nyc-a05", ToAssociateName: "Bea Stone",
				Reasons: []string{"same_store"}, State: StateMoved, Claimed: true, ClaimedBy: "nyc-a07", ClaimedByName: "Ada Park",
				ClaimedAt: time.Date(2026, 12, 3, 15, 2, 0, 0, time.UTC)},
			{CustomerID: "c3", CustomerName: "Carl Cole", FromAssociateID: "nyc-a03", ToAssociateID: "nyc-a04", ToAssociateName: "Al Moss",
				Reasons: []string{"preference:watches", "same_store"}, State: StateOwnerChanged},
			{CustomerID: "c4", CustomerName: "Dan Dee", FromAssociateID: "nyc-a03", Reasons: []string{"no_capacity"}, State: StateUnassigned},
		},
	}
	l := Labels{Store: loupe.Store{StoreID: "nyc", Name: "Fifth Ave", Timezone: "America/New_York"}, Departed: map[string]string{"nyc-a03": "Nora Quinn"}}
	var b strings.Builder
	if err := WritePage(&b, r, l); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	text := mailText(r, l, "https://loupe.example.com/app/reassignments/b1")
	mail, _ := mailHTML(r, l, "https://loupe.example.com/app/reassignments/b1")
	// What a reader sees: the body's text.
	words := func(h string) string {
		h = h[strings.Index(h, "<body>"):]
		return html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(h, " "))
	}
	for name, body := range map[string]string{"page": words(page), "mail html": words(mail), "mail text": text} {
		for _, want := range []string{"Clients of Nora Quinn", "Fifth Ave", "4 clients", "Wed 2 Dec 2026, 9:24 AM EST",
			"Al Moss", "Bea Stone", "2 clients", "1 client", "Not placed yet",
			"Prefers colored gemstones; Same store; Has room in their book", "Claimed by Ada Park", "Thu 3 Dec 2026, 10:02 AM EST",
			"Not moved: their associate changed meanwhile", "Not placed: every associate's book is full"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		for _, id := range []string{"nyc-a03", "nyc-a04", "nyc-a05", "nyc-a07", "preference:", "same_store", "load_balance", "UTC", "From"} {
			if strings.Contains(body, id) {
				t.Errorf("%s holds %q", name, id)
			}
		}
		if n := strings.Count(body, "Nora Quinn"); n != 1 {
			t.Errorf("%s names the departed associate %d times, want once", name, n)
		}
		// Groups by associate name, the unplaced last; clients by name.
		order := []string{"Al Moss", "Carl Cole", "Bea Stone", "Amy Ash", "Zelda Zane", "Not placed yet", "Dan Dee"}
		last := -1
		for _, w := range order {
			i := strings.Index(body, w)
			if i < last {
				t.Errorf("%s: %q out of order (want %v)", name, w, order)
			}
			last = i
		}
	}
	if strings.Count(page, "<h2>") != 3 || strings.Count(page, "<thead>") != 3 {
		t.Errorf("page has %d headings and %d tables, want 3 each", strings.Count(page, "<h2>"), strings.Count(page, "<thead>"))
	}
}

// TestCSVColumns: the CSV keeps its columns in order and adds the reasons in
// words at the end.
func TestCSVColumns(t *testing.T) {
	want := "customer_id,customer_name,home_store_id,from_associate_id,to_associate_id,to_associate_name,score,reasons,state,claimed,claimed_by,claimed_at,connection_notes,reason_texts"
	r := Review{Batch: Batch{ID: "b"}, Assignments: []Assignment{{CustomerID: "c1", Reasons: []string{"preference:mens", "same_store"}, State: StateMoved}}}
	var b strings.Builder
	if err := WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(b.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != want {
		t.Fatalf("header = %s, want %s", got, want)
	}
	if got := rows[1][7] + " / " + rows[1][13]; got != "preference:mens|same_store / Prefers men's; Same store" {
		t.Errorf("reasons = %q", got)
	}
}

// fakeDirectory is a Directory over fixed records that counts its reads.
type fakeDirectory struct {
	stores map[string]loupe.Store
	assocs map[string]loupe.Associate
	reads  int
}

func (d *fakeDirectory) GetStore(_ context.Context, id string) (loupe.Store, error) {
	d.reads++
	if st, ok := d.stores[id]; ok {
		return st, nil
	}
	return loupe.Store{}, loupe.ErrNotFound
}

func (d *fakeDirectory) GetAssociate(_ context.Context, id string) (loupe.Associate, error) {
	d.reads++
	if a, ok := d.assocs[id]; ok {
		return a, nil
	}
	return loupe.Associate{}, loupe.ErrNotFound
}

// TestDescribe: one store read and one read per distinct departed
// associate; unknown records leave ids, never an error.
func TestDescribe(t *testing.T) {
	d := &fakeDirectory{stores: map[string]loupe.Store{"s1": {StoreID: "s1", Name: "Fifth Ave", Timezone: "America/New_York"}},
		assocs: map[string]loupe.Associate{"a1": {AssociateID: "a1", Name: "Ann Lee"}}}
	r := Review{Batch: Batch{ID: "b", AssociateID: "a1", StoreID: "s1"}}
	for range 30 {
		r.Assignments = append(r.Assignments, Assignment{FromAssociateID: "a1"})
	}
	r.Assignments = append(r.Assignments, Assignment{FromAssociateID: "ghost"}, Assignment{FromAssociateID: ""})
	l, err := Describe(context.Background(), d, r)
	if err != nil {
		t.Fatal(err)
	}
	if d.reads != 3 {
		t.Errorf("reads = %d, want 3 (store, a1, ghost)", d.reads)
	}
	if l.StoreName("s1") != "Fifth Ave" || l.DepartedName("a1") != "Ann Lee" || l.DepartedName("ghost") != "associate ghost" ||
		l.Location().String() != "America/New_York" {
		t.Errorf("labels = %+v", l)
	}
	l, err = Describe(context.Background(), d, Review{Batch: Batch{ID: "b", StoreID: "nope"}})
	if err != nil || l.StoreName("nope") != "store nope" || l.Location() != time.UTC || l.Subject(Batch{StoreID: "nope"}) != "orphaned clients of store nope" {
		t.Errorf("unknown store: %+v, %v", l, err)
	}
}
