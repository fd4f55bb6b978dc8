package contact_test

import (
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/contact"
)

func TestQuietEnd(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	la, _ := time.LoadLocation("America/Los_Angeles")
	at := time.Date(2026, 3, 2, 20, 30, 0, 0, ny)
	for _, c := range []struct {
		name  string
		h     contact.Hours
		zones []*time.Location
		want  time.Time
	}{
		{"the earliest zone to close", contact.DefaultHours, []*time.Location{la, ny}, time.Date(2026, 3, 2, 21, 0, 0, 0, ny)},
		{"Florida closes at 20: tomorrow's", contact.HoursFor("US", "FL"), []*time.Location{ny}, time.Date(2026, 3, 3, 20, 0, 0, 0, ny)},
		{"no zone: UTC", contact.DefaultHours, nil, time.Date(2026, 3, 3, 21, 0, 0, 0, time.UTC)},
	} {
		if got := contact.QuietEnd(at, c.h, c.zones...); !got.Equal(c.want) {
			t.Errorf("%s: QuietEnd = %s, want %s", c.name, got, c.want)
		}
	}
}
