package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// upsertStep is one write of a merge case: a POS upsert, or (email != "") an
// email captured outside the POS.
type upsertStep struct {
	name  string
	put   loupe.Customer
	email string // SetCustomerEmail(email, repair, at) instead of put
	at    time.Time
}

// upsertFollowsMerge applies steps to customer c1 and checks, after every
// upsert, that the adapter stored exactly what loupe.MergeCustomer returns for
// the customer read just before (or the customer unchanged): the adapter
// keeps every field the merge decides, through its own encoding.
func upsertFollowsMerge(t *testing.T, db loupe.DB, steps []upsertStep) {
	t.Helper()
	for _, st := range steps {
		var stored *loupe.Customer
		if c, err := db.GetCustomer(ctx, "c1"); err == nil {
			stored = &c
		} else if !errors.Is(err, loupe.ErrNotFound) {
			t.Fatalf("%s: get customer: %v", st.name, err)
		}
		if st.email != "" {
			_, err := loupe.SetCustomerEmail(ctx, db, "c1", st.email, loupe.EmailSourceRepair, st.at)
			must(t, st.name, err)
			continue
		}
		want, changed := loupe.MergeCustomer(stored, st.put, loupe.CustomerUpdate(st.put))
		must(t, st.name, loupe.PutCustomer(ctx, db, st.put))
		if !changed {
			want = *stored
		}
		sameEntity(t, st.name+": stored customer", getCustomer(t, db, "c1"), want, normCustomer)
	}
}

// mergeSteps are the upserts every adapter must merge as loupe.MergeCustomer
// does: new with and without email, an outside email kept, a POS email
// replacing it, a stale upsert, an equal UpdatedAt reapplied, and fields the
// upsert clears.
func mergeSteps() []upsertStep {
	base := Customer("c1", "s1", "a1")
	bare := noEmail(base)
	bare.EmailStatus = ""
	withEmail := base
	withEmail.EmailSource, withEmail.EmailCapturedAt, withEmail.EmailStatus = loupe.EmailSourceRepair, At(-time.Hour), loupe.EmailBounced
	step := func(name string, c loupe.Customer, d time.Duration, edit func(*loupe.Customer)) upsertStep {
		c.UpdatedAt = At(d)
		if edit != nil {
			edit(&c)
		}
		return upsertStep{name: name, put: c}
	}
	return []upsertStep{
		step("new without email", bare, 0, nil),
		step("again without email", bare, time.Hour, func(c *loupe.Customer) { c.FirstName = "Again" }),
		{name: "repair email", email: "r@client.example.com", at: At(90 * time.Minute)},
		step("upsert keeps repair email", bare, 2*time.Hour, func(c *loupe.Customer) { c.Phone = "" }),
		step("upsert with email, ignoring its source, capture and status", withEmail, 3*time.Hour, nil),
		step("stale upsert", withEmail, time.Hour, func(c *loupe.Customer) { c.Email = "stale@client.example.com" }),
		step("equal updated_at reapplies", bare, 3*time.Hour, func(c *loupe.Customer) {
			c.LastName, c.Preferences, c.AssociateID, c.Birthday = "Married", nil, "", loupe.Date{}
		}),
		step("later upsert without email keeps pos email", bare, 4*time.Hour, nil),
	}
}

func testUpsertFollowsMerge(t *testing.T, db loupe.DB) { upsertFollowsMerge(t, db, mergeSteps()) }

// testUpsertFollowsMergeWithStatus is testUpsertFollowsMerge over a customer
// whose EmailStatus is not ok: MergeCustomer keeps the stored status.
func testUpsertFollowsMergeWithStatus(t *testing.T, db PrivacyDB) {
	steps := mergeSteps()
	upsertFollowsMerge(t, db, steps[:1])
	must(t, "bounce", db.SetEmailStatus(ctx, "c1", loupe.EmailComplained, At(time.Minute)))
	upsertFollowsMerge(t, db, steps[1:])
	wantStatus(t, db, "c1", loupe.EmailComplained)
}
