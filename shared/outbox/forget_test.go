package outbox_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/outbox"
)

// names returns the outbox's file names, sorted.
func names(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	slices.Sort(out)
	return out
}

// TestForgetRemovesWhatNamesTheClient: the client's own mail (by its
// X-Loupe-Customer-Id), a staff mail listing the id (by the outbox's
// customers header) and a mail holding the client's address in a base64
// attachment go; mail to others stays, however the id looks (a numeric id
// also found in every Date header); sending a removed key again, or a mail
// built before the erasure, writes nothing.
func TestForgetRemovesWhatNamesTheClient(t *testing.T) {
	o, dir := newOutbox(t)
	ctx := context.Background()
	own := msg("2026", "2026-06-14")
	other := msg("c7", "2026-06-14")
	review := mail.Message{From: "Eclat <hello@eclat.example>", To: "manager@eclat.example", Subject: "Review",
		Text: "2 clients", HTML: "<p>2 clients</p>", Key: "reassign/b1", Customers: []string{"c7", "2026"},
		Headers: mail.ClientHeaders("", mail.TouchpointReassignmentReview, "2026-06-14", "")}
	attached := mail.Message{From: "Eclat <hello@eclat.example>", To: "manager@eclat.example", Subject: "List",
		Text: "see attached", HTML: "<p>see attached</p>", Key: "list/1",
		Attachments: []mail.Attachment{{Filename: "list.csv", ContentType: "text/csv", Data: []byte("id,email\nx9,Ophelia.Q@pearl.example\n")}}}
	for _, m := range []mail.Message{own, other, review, attached} {
		if _, err := o.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(dir, names(t, dir)[0]))
	if !strings.Contains(string(raw), "2026") {
		t.Fatal("sample mail lacks the date the id could be mistaken for")
	}
	e := loupe.Erasure{CustomerID: "2026", Customer: loupe.Customer{CustomerID: "2026", Email: "ophelia.q@pearl.example"}}
	if err := o.Forget(ctx, e); err != nil {
		t.Fatal(err)
	}
	left, err := o.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].Header.Get("X-Loupe-Customer-Id") != "c7" {
		t.Fatalf("left %d mails (%v), want only c7's", len(left), names(t, dir))
	}
	erased := 0
	for _, n := range names(t, dir) {
		if strings.HasSuffix(n, ".erased") {
			erased++
		}
	}
	if erased != 3 {
		t.Fatalf("files %v, want 3 .erased markers", names(t, dir))
	}
	// Again, and a late copy built before the erasure: nothing new is written.
	if err := o.Forget(ctx, e); err != nil {
		t.Fatal(err)
	}
	before := names(t, dir)
	for _, m := range []mail.Message{own, review} {
		if id, err := o.Send(ctx, m); err != nil || id == "" {
			t.Fatalf("send removed key: %q, %v", id, err)
		}
	}
	late := msg("2026", "2026-07-01")
	late.Key = "tp/2026/anniversary/2026"
	if _, err := o.Send(ctx, late); err != nil {
		t.Fatal(err)
	}
	after := names(t, dir)
	lateMarker := slices.ContainsFunc(after, func(n string) bool { return strings.HasPrefix(n, "2026-07-01") && strings.HasSuffix(n, ".erased") })
	if len(after) != len(before)+1 || !lateMarker {
		t.Fatalf("after sending again: %v (before %v), want only a marker for the late mail", after, before)
	}
	// A fresh Outbox on the same directory still knows the removed keys.
	o2 := outbox.New(dir)
	if _, err := o2.Send(ctx, review); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); len(got) != len(after) {
		t.Fatalf("a new outbox wrote the removed review again: %v", got)
	}
}
