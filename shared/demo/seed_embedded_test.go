package demo_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/loupehq/loupe/shared/demo"
	"github.com/loupehq/loupe/shared/embedded"
)

func TestSeedEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 5,000 customers to disk")
	}
	db, err := embedded.Open(filepath.Join(t.TempDir(), "loupe.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	sum, err := demo.Seed(ctx, db, now)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	book, err := db.CustomersByAssociate(ctx, sum.TerminatedAssociateID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(book), sum.OrphanedClients; got != want {
		t.Errorf("book of %s: got %d, want %d", sum.TerminatedAssociateID, got, want)
	}
	a, err := db.GetAssociate(ctx, sum.TerminatedAssociateID)
	if err != nil || a.Active() {
		t.Errorf("terminated associate: got %+v, %v; want terminated", a, err)
	}
}

func BenchmarkSeedEmbedded(b *testing.B) {
	for b.Loop() {
		db, err := embedded.Open(filepath.Join(b.TempDir(), "loupe.db"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := demo.Seed(context.Background(), db, now); err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}
