package reassign

import (
	"strings"
	"testing"
	"time"
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
	var b strings.Builder
	if err := WritePage(&b, r); err != nil {
		t.Fatal(err)
	}
	mail, _ := mailHTML(r, `https://loupe.example.com/reassignments/a1-x/print?a="b"`)
	for name, page := range map[string]string{"page": b.String(), "mail": mail} {
		for _, raw := range []string{"<script>", "<b>", "s<1>", `"b"`} {
			if strings.Contains(page, raw) {
				t.Errorf("%s holds unescaped %q", name, raw)
			}
		}
		for _, want := range []string{"&lt;script&gt;", "Zoë &amp; Co", "O&#39;Hara", "(erased client)", "<em>unassigned</em>", "<br><small>unassigned</small>", "0.500"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
	if !strings.Contains(mail, `href="https://loupe.example.com/reassignments/a1-x/print?a=&#34;b&#34;"`) || strings.Contains(b.String(), "href=") {
		t.Errorf("the link belongs in the mail only, escaped:\n%s", mail)
	}
}
