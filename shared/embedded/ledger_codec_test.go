package embedded

import (
	"reflect"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/touch"
)

// TestEntryCodec: an email entry is written as version 1 (what a binary from
// before channels reads), an entry on another channel as version 2, and
// both read back whole.
func TestEntryCodec(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		channel string
		version byte
	}{{"", entryVersionV1}, {"sms", entryVersion}, {"personal", entryVersion}} {
		e := touch.Entry{Key: touch.Key{CustomerID: "c1", Occasion: touch.Birthday, Year: 2026}, StoreID: "nyc",
			Planned: touch.Day{Year: 2026, Month: 3, Day: 1}, ClaimedAt: at, State: touch.StateClaimed,
			LeaseUntil: at.Add(time.Hour), Channel: c.channel}
		raw := encodeEntry(nil, e)
		if raw[0] != c.version {
			t.Errorf("channel %q: version %d, want %d", c.channel, raw[0], c.version)
		}
		got, err := decodeEntry(e.Key, raw)
		if err != nil || !reflect.DeepEqual(got, e) {
			t.Errorf("channel %q: decoded %+v, %v; want %+v", c.channel, got, err, e)
		}
		if _, err := decodeEntry(e.Key, raw[:len(raw)-1]); err == nil {
			t.Errorf("channel %q: a truncated entry decoded", c.channel)
		}
	}
}
