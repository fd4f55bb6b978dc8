package embedded

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

func TestBulkLoadPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loupe.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	err = db.BulkLoad(func() error {
		return loupe.PutCustomer(ctx, db, loupe.Customer{CustomerID: "c1", HomeStoreID: "s1", UpdatedAt: at})
	})
	if err != nil {
		t.Fatalf("BulkLoad: %v", err)
	}
	if db.cur.Load().NoSync {
		t.Fatal("NoSync still set after BulkLoad")
	}
	db.Close()
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.GetCustomer(ctx, "c1"); err != nil {
		t.Fatalf("customer after reopen: %v", err)
	}
}
