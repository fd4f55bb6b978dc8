// Package progress draws a one-line progress bar on a terminal.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// IsTerminal reports whether w is a character device (an interactive
// terminal). Anything else (a file, a pipe, a buffer) reports false.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Bar redraws one line on W with a carriage return. The zero Width means 30.
type Bar struct {
	W     io.Writer
	Label string
	Width int
	Now   func() time.Time // default time.Now

	start, last time.Time
}

// Update draws done out of total (bytes or rows); total <= 0 draws only the
// count. It redraws at most ten times a second. Write errors are ignored: a
// progress bar must never fail the work it reports.
func (b *Bar) Update(done, total int64) {
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	t := now()
	if b.start.IsZero() {
		b.start = t
	}
	if t.Sub(b.last) < 100*time.Millisecond && (total <= 0 || done < total) {
		return
	}
	b.last = t
	fmt.Fprint(b.W, "\r"+b.line(done, total, t.Sub(b.start)))
}

// Done ends the line so later output starts on a fresh one.
func (b *Bar) Done() { fmt.Fprint(b.W, "\n") }

func (b *Bar) line(done, total int64, elapsed time.Duration) string {
	width := b.Width
	if width <= 0 {
		width = 30
	}
	if total <= 0 {
		return fmt.Sprintf("%s %d %s", b.Label, done, elapsed.Truncate(time.Second))
	}
	if done > total {
		done = total
	}
	filled := int(int64(width) * done / total)
	return fmt.Sprintf("%s [%s%s] %3d%% %s", b.Label, strings.Repeat("=", filled),
		strings.Repeat(" ", width-filled), 100*done/total, elapsed.Truncate(time.Second))
}
