package embedded

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/signintest"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	bolt "go.etcd.io/bbolt"
)

var ctx = context.Background()

func TestSignInContract(t *testing.T) {
	signintest.Run(t, func(t *testing.T) loupe.SignInStore {
		db, _ := openTemp(t)
		return db
	})
}

// TestSignInIndexFilledOnOpen: a file written before the sign-in index
// existed gets it filled from its records when Open creates the bucket.
func TestSignInIndexFilledOnOpen(t *testing.T) {
	db, path := openTemp(t)
	a := storetest.Associate("a1", "s1")
	a.Email = "Ann@shop.example.com"
	s := storetest.Store("s1")
	s.ManagerEmail = "ann@Shop.example.com"
	if err := loupe.PutAssociate(ctx, db, a); err != nil {
		t.Fatalf("put associate: %v", err)
	}
	if err := loupe.PutStore(ctx, db, s); err != nil {
		t.Fatalf("put store: %v", err)
	}
	if err := db.update(func(tx *bolt.Tx) error { return tx.DeleteBucket(idxSignIn) }); err != nil {
		t.Fatalf("drop index: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	as, ss, err := db.SignInRecords(ctx, "ann@shop.example.com")
	if err != nil || len(as) != 1 || len(ss) != 1 {
		t.Fatalf("after reopening: got %d associates, %d stores, %v; want 1 and 1", len(as), len(ss), err)
	}
}

// TestSignInSweeps: expired codes and counters of hours gone leave the
// file when a take or a count comes across them.
func TestSignInSweeps(t *testing.T) {
	db, _ := openTemp(t)
	t0 := signintest.T0
	for i, exp := range []time.Duration{time.Minute, 2 * time.Minute, time.Hour} {
		if err := db.PutSignInCode(ctx, loupe.SignInCodeHash(string(rune('a'+i))), "ann@shop.example.com", t0.Add(exp)); err != nil {
			t.Fatalf("put code: %v", err)
		}
	}
	if _, err := db.TakeSignInCode(ctx, "unknown", t0.Add(5*time.Minute)); !errors.Is(err, loupe.ErrNotFound) {
		t.Fatalf("take unknown: %v", err)
	}
	if got := keys(t, db, bucketSignInCodes); got != 1 {
		t.Errorf("codes after the sweep: got %d, want 1 (the unexpired one)", got)
	}
	if got := keys(t, db, bucketSignInExpiry); got != 1 {
		t.Errorf("expiry entries after the sweep: got %d, want 1", got)
	}
	for _, at := range []time.Time{t0, t0.Add(time.Hour), t0.Add(4 * time.Hour)} {
		if _, err := db.CountSignInMail(ctx, "ann@shop.example.com", at); err != nil {
			t.Fatalf("count: %v", err)
		}
	}
	if got := keys(t, db, bucketSignInMailCount); got != 1 {
		t.Errorf("counters after counting 4 hours on: got %d, want 1", got)
	}
}

func keys(t *testing.T, db *DB, bucket []byte) int {
	t.Helper()
	n := 0
	err := db.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucket).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatalf("count keys of %s: %v", bucket, err)
	}
	return n
}
