package embedded

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
)

func TestPrivacyContract(t *testing.T) {
	storetest.RunPrivacy(t, func(t *testing.T) storetest.PrivacyDB {
		db, _ := openTemp(t)
		return db
	})
}

func TestSetEmailStatusOf(t *testing.T) {
	tests := []struct {
		name        string
		id, email   string
		status      string
		wantChanged bool
		wantStatus  map[string]string // EmailStatus by customer id afterwards
	}{
		{"bounce of the customer's address, other case", "c1", " C1@Client.Example.com ", loupe.EmailBounced, true,
			map[string]string{"c1": loupe.EmailBounced, "c2": loupe.EmailOK}},
		{"complaint over a bounce", "c1", "c1@client.example.com", loupe.EmailComplained, true,
			map[string]string{"c1": loupe.EmailComplained}},
		{"bounce over a complaint changes nothing", "c1", "c1@client.example.com", loupe.EmailBounced, false,
			map[string]string{"c1": loupe.EmailComplained}},
		{"address no longer the customer's", "c2", "old.address@client.example.com", loupe.EmailBounced, false,
			map[string]string{"c2": loupe.EmailOK}},
		{"erased customer", "c3", "c3@client.example.com", loupe.EmailBounced, false, nil},
		{"unknown customer", "nobody", "nobody@client.example.com", loupe.EmailComplained, false, nil},
	}
	ctx := context.Background()
	db, _ := openTemp(t)
	for _, id := range []string{"c1", "c2", "c3"} {
		if err := loupe.PutCustomer(ctx, db, storetest.Customer(id, "s1", "a1")); err != nil {
			t.Fatalf("put %s: %v", id, err)
		}
	}
	if err := db.EraseCustomer(ctx, "c3", storetest.T0); err != nil {
		t.Fatalf("erase c3: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed, err := db.SetEmailStatusOf(ctx, tt.id, tt.email, tt.status, storetest.At(time.Hour))
			if err != nil {
				t.Fatalf("SetEmailStatusOf: %v", err)
			}
			if changed != tt.wantChanged {
				t.Errorf("changed = %v, want %v", changed, tt.wantChanged)
			}
			if ok, err := db.Suppressed(ctx, tt.email); err != nil || !ok {
				t.Errorf("Suppressed(%q) = %v, %v; want true, nil", tt.email, ok, err)
			}
			for id, want := range tt.wantStatus {
				c, err := db.GetCustomer(ctx, id)
				if err != nil {
					t.Fatalf("get %s: %v", id, err)
				}
				if c.EmailStatus != want {
					t.Errorf("%s EmailStatus = %q, want %q", id, c.EmailStatus, want)
				}
			}
		})
	}
	for _, bad := range [][3]string{{"c1", "c1@client.example.com", loupe.EmailOK}, {"c1", "", loupe.EmailBounced}, {"", "c1@client.example.com", loupe.EmailBounced}} {
		var le *loupe.Error
		if _, err := db.SetEmailStatusOf(ctx, bad[0], bad[1], bad[2], storetest.T0); !errors.As(err, &le) || le.Code != loupe.EINVALID {
			t.Errorf("SetEmailStatusOf(%q, %q, %q) = %v, want an EINVALID *loupe.Error", bad[0], bad[1], bad[2], err)
		}
	}
}

func TestSuppress(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	if err := db.Suppress(ctx, "Staff.Manager@Stores.Example.com", loupe.EmailBounced, storetest.T0); err != nil {
		t.Fatalf("suppress: %v", err)
	}
	if ok, err := db.Suppressed(ctx, "staff.manager@stores.example.com"); err != nil || !ok {
		t.Errorf("Suppressed = %v, %v; want true, nil", ok, err)
	}
	for _, bad := range [][2]string{{"", loupe.EmailBounced}, {"x@example.com", loupe.EmailOK}, {"x@example.com", "gone"}} {
		var le *loupe.Error
		if err := db.Suppress(ctx, bad[0], bad[1], storetest.T0); !errors.As(err, &le) || le.Code != loupe.EINVALID {
			t.Errorf("Suppress(%q, %q) = %v, want an EINVALID *loupe.Error", bad[0], bad[1], err)
		}
	}
}

func TestNumberOptOutsContract(t *testing.T) {
	storetest.RunNumberOptOuts(t, func(t *testing.T) loupe.NumberOptOuts {
		db, _ := openTemp(t)
		return db
	})
}
