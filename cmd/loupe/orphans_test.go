package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	"github.com/loupehq/loupe/shared/wire"
)

// seedOrphans writes a store with two active associates, one terminated
// associate owning three clients, and one client with no owner at all.
func seedOrphans(t *testing.T, dir string) {
	t.Helper()
	db, err := embedded.Open(filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(loupe.PutStore(ctx, db, storetest.Store("s1")))
	for _, id := range []string{"a1", "a2", "gone"} {
		a := storetest.Associate(id, "s1")
		a.Capacity = 0
		must(loupe.PutAssociate(ctx, db, a))
	}
	for _, id := range []string{"c1", "c2", "c3"} {
		must(loupe.PutCustomer(ctx, db, storetest.Customer(id, "s1", "gone")))
	}
	must(loupe.PutCustomer(ctx, db, storetest.Customer("c4", "s1", "")))
	must(loupe.TerminateAssociate(ctx, db, "gone", storetest.At(time.Hour), storetest.At(time.Hour)))
}

func TestOrphansListAndReassign(t *testing.T) {
	dir := t.TempDir()
	seedOrphans(t, dir)

	// Listing delivers the pending termination first, as serve would: the
	// three clients of "gone" are reassigned by the change feed, and only the
	// client without an owner is still orphaned.
	code, out, errs := runCLI(t, "orphans", "--data", dir, "--format", "json")
	if code != exitOK {
		t.Fatalf("orphans: exit %d, stderr %q", code, errs)
	}
	var got struct {
		Count   int `json:"count"`
		Orphans []struct {
			CustomerID string `json:"customer_id"`
			Reason     string `json:"reason"`
		} `json:"orphans"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("orphans json: %v\n%s", err, out)
	}
	if got.Count != 1 || got.Orphans[0].CustomerID != "c4" {
		t.Fatalf("orphans = %+v, want only c4", got)
	}

	t.Setenv(wire.EnvBaseURL, "https://loupe.example.com")
	code, _, errs = runCLI(t, "orphans", "--data", dir, "--reassign")
	if code != exitOK || !strings.Contains(errs, "1 orphaned clients reassigned in 1 batches") {
		t.Fatalf("orphans --reassign: exit %d, stderr %q", code, errs)
	}
	// The batch is named by its store and day and reviewed by its manager.
	day := time.Now().In(mustLoc(t, "America/New_York")).Format("2006-01-02")
	if !strings.Contains(errs, "reassignment orphans-s1-"+day+" recorded") {
		t.Fatalf("orphans --reassign: stderr %q lacks the batch orphans-s1-%s", errs, day)
	}
	emls, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	reviewed := false
	for _, p := range emls {
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), "To: <manager-s1@example.com>") && strings.Contains(string(b), "Subject: Store s1: 1 orphaned client reassigned for review") {
			reviewed = true
			// Its link to the staff app's review screen uses the public base URL.
			if !strings.Contains(string(b), "https://loupe.example.com/app/reassignments/orphans-s1-") || strings.Contains(string(b), "127.0.0.1") {
				t.Errorf("review mail does not link the review screen under LOUPE_BASE_URL:\n%s", b)
			}
		}
	}
	if !reviewed {
		t.Fatalf("no review mail to the manager of s1 among %d outbox files", len(emls))
	}
	code, out, _ = runCLI(t, "orphans", "--data", dir)
	if code != exitOK || strings.TrimSpace(out) != "customer_id,name,home_store_id,associate_id,reason" {
		t.Fatalf("orphans after reassign: exit %d, out %q, want the header only", code, out)
	}

	db, err := embedded.Open(filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, id := range []string{"c1", "c2", "c3", "c4"} {
		c, err := db.GetCustomer(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if c.AssociateID != "a1" && c.AssociateID != "a2" {
			t.Errorf("%s belongs to %q, want a1 or a2", id, c.AssociateID)
		}
	}
}

func TestForget(t *testing.T) {
	dir := t.TempDir()
	seedOrphans(t, dir)
	code, out, errs := runCLI(t, "forget", "c2", "--data", dir)
	if code != exitOK || !strings.Contains(out, "customer c2 erased") {
		t.Fatalf("forget: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, _, _ := runCLI(t, "forget", "c2", "--data", dir); code != exitOK {
		t.Fatalf("forget again: exit %d, want 0 (idempotent)", code)
	}
	db, err := embedded.Open(filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.GetCustomer(context.Background(), "c2"); !errors.Is(err, loupe.ErrNotFound) {
		t.Fatalf("GetCustomer after forget: %v, want ErrNotFound", err)
	}
	c := storetest.Customer("c2", "s1", "")
	if ok, err := db.Suppressed(context.Background(), c.Email); err != nil || !ok {
		t.Fatalf("Suppressed(%s's address) = %v, %v; want true", "c2", ok, err)
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
