package embedded_test

import (
	"path/filepath"
	"testing"

	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/testkit/yeartest"
	"github.com/loupehq/loupe/shared/wire"
)

// TestContactPolicyYear is the contact policy's simulated year on the
// embedded store, with the services built as `loupe serve` builds them.
func TestContactPolicyYear(t *testing.T) {
	yeartest.Run(t, func(t *testing.T, env yeartest.Env) yeartest.Target {
		db, err := embedded.Open(filepath.Join(t.TempDir(), "loupe.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		lists, err := contact.ParseLists(env.Channels)
		if err != nil {
			t.Fatal(err)
		}
		svc := wire.Build(wire.Config{UnsubscribeSecret: "yeartest-unsubscribe-secret", BaseURL: "https://loupe.example.com", Channels: lists},
			wire.Ports{Records: db, Compliance: db.Compliance(), Ledger: db.Ledger(), Channels: env.Senders, Mail: env.Mail,
				Phones: phone.Normalize, Places: phone.Places{}, RecoverAfter: -1, Now: env.Now, Logger: env.Logger})
		return yeartest.Target{Records: db, Ledger: db.Ledger(), Apply: svc.POS.Apply, Planner: svc.Planner, Hourly: svc.Hourly()}
	})
}
