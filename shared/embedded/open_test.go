package embedded

import (
	"errors"
	"github.com/loupehq/loupe/shared/loupe"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/testkit/storetest"
)

func TestOpenInUse(t *testing.T) {
	old := openTimeout
	openTimeout = 50 * time.Millisecond
	t.Cleanup(func() { openTimeout = old })
	_, path := openTemp(t)
	second, err := Open(path)
	if err == nil {
		second.Close()
	}
	if !errors.Is(err, ErrInUse) {
		t.Errorf("second open: got %v, want ErrInUse", err)
	}
}

func TestOpenCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "loupe.db")
	db, err := Open(path)
	must(t, "open", err)
	defer db.Close()
	fi, err := os.Stat(path)
	must(t, "stat", err)
	if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Errorf("mode: got %v, want %v", got, want)
	}
}

func TestDataSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loupe.db")
	db, err := Open(path)
	must(t, "open", err)
	c := storetest.Customer("c1", "s1", "a1")
	must(t, "put customer", loupe.PutCustomer(bg, db, c))
	must(t, "close", db.Close())

	db, err = Open(path)
	must(t, "reopen", err)
	defer db.Close()
	got, err := db.GetCustomer(bg, "c1")
	must(t, "get", err)
	if got.Email != c.Email || !got.UpdatedAt.Equal(c.UpdatedAt) {
		t.Errorf("customer after reopen: got %+v, want %+v", got, c)
	}
	book, err := db.CustomersByMonthDay(bg, "birthday", c.Birthday.MonthDay())
	must(t, "by month day", err)
	if len(book) != 1 {
		t.Errorf("birthday index after reopen: got %d customers, want 1", len(book))
	}
}
