package mail

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Fake is a Sender for other packages' tests: it renders each Message (so an
// invalid one fails as it would in production), records it, and, like the
// outbox, sends a Key only once. The zero value is ready to use.
type Fake struct {
	// Err, when set, is returned by every Send and nothing is recorded.
	Err error

	mu   sync.Mutex
	sent []Message
	ids  map[string]string
}

var _ Sender = (*Fake)(nil)

// Send records m and returns its Message-ID (without angle brackets). A Key
// already recorded returns the earlier id and records nothing. Returns f.Err
// when set, or Render's EINVALID *loupe.Error for an invalid Message.
func (f *Fake) Send(ctx context.Context, m Message) (string, error) {
	if f.Err != nil {
		return "", f.Err
	}
	if _, err := Render(m, time.Unix(0, 0).UTC(), "fake.invalid"); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.ids[m.Key]; ok {
		return id, nil
	}
	if f.ids == nil {
		f.ids = map[string]string{}
	}
	id := strings.Trim(MessageID(m.Key, "fake.invalid"), "<>")
	f.ids[m.Key] = id
	f.sent = append(f.sent, m)
	return id, nil
}

// Sent returns a copy of the messages recorded, in send order.
func (f *Fake) Sent() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.sent...)
}
