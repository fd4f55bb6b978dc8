package embedded_test

import (
	"path/filepath"
	"testing"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/testkit/textintest"
)

// TestInboundTexts runs package textin's cases on the embedded store.
func TestInboundTexts(t *testing.T) {
	textintest.Run(t, func(t *testing.T, now loupe.Clock) textintest.Target {
		db, err := embedded.Open(filepath.Join(t.TempDir(), "loupe.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return textintest.Target{DB: db, POS: &pos.Service{DB: db, Now: now, Phones: phone.Normalize}}
	})
}
