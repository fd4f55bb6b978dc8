package pos_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/testkit/postest"
)

// TestImportRowsHaveTheWebhookLimits: the whole-record methods an import row
// goes through refuse what the webhook refuses (capacity over 1,000,000, a
// 10 MB name, 10,000 preferences, a future updated_at), naming the field,
// and write nothing.
func TestImportRowsHaveTheWebhookLimits(t *testing.T) {
	ctx := context.Background()
	prefs := make([]string, 10_000)
	for i := range prefs {
		prefs[i] = fmt.Sprintf("cat%d", i)
	}
	cases := []struct {
		name, field string
		write       func(s *pos.Service) error
	}{
		{"capacity 1e12", "capacity", func(s *pos.Service) error {
			return s.UpsertAssociate(ctx, loupe.Associate{AssociateID: "a1", StoreID: "s1", Name: "A", Capacity: 1e12})
		}},
		{"10 MB first name", "first_name", func(s *pos.Service) error {
			return s.UpsertCustomer(ctx, loupe.Customer{CustomerID: "c1", HomeStoreID: "s1", FirstName: strings.Repeat("x", 10<<20)})
		}},
		{"10,000 preferences", "preferences", func(s *pos.Service) error {
			return s.UpsertCustomer(ctx, loupe.Customer{CustomerID: "c1", HomeStoreID: "s1", Preferences: prefs})
		}},
		{"updated_at two hours ahead", "updated_at", func(s *pos.Service) error {
			return s.UpsertCustomer(ctx, loupe.Customer{CustomerID: "c1", HomeStoreID: "s1", UpdatedAt: atTime.Add(2 * time.Hour)})
		}},
		{"line break in a store name", "name", func(s *pos.Service) error {
			return s.UpsertStore(ctx, loupe.Store{StoreID: "s1", Name: "A\nB", Timezone: "UTC", Country: "US"})
		}},
	}
	for _, c := range cases {
		db := postest.NewMemDB()
		s := &pos.Service{DB: db, Now: func() time.Time { return atTime }, Phones: phone.Normalize}
		err := c.write(s)
		if loupe.ErrorCode(err) != loupe.EINVALID || loupe.ErrorField(err) != c.field {
			t.Errorf("%s: %v, want invalid %s", c.name, err, c.field)
		}
		if db.Writes() != 0 {
			t.Errorf("%s: %d writes", c.name, db.Writes())
		}
	}
}
