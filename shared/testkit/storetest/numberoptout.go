package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// RunNumberOptOuts runs the loupe.NumberOptOuts contract against the
// adapter that open returns (empty, once per subtest).
func RunNumberOptOuts(t *testing.T, open func(t *testing.T) loupe.NumberOptOuts) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	const phone = "+12125550142"
	t.Run("newest answer stands", func(t *testing.T) {
		db := open(t)
		if out, err := db.NumberOptedOut(ctx, phone); err != nil || out {
			t.Fatalf("unknown number = %v, %v; want not opted out", out, err)
		}
		steps := []struct {
			out         bool
			at          time.Time
			wantChanged bool
			wantOut     bool
		}{
			{true, t0, true, true},                         // STOP
			{false, t0.Add(-time.Minute), false, true},     // an older START delivered late
			{true, t0, false, true},                        // the STOP again
			{false, t0.Add(time.Hour), true, false},        // START
			{true, t0.Add(30 * time.Minute), false, false}, // an older blocked status
		}
		for i, st := range steps {
			changed, err := db.SetNumberOptOut(ctx, phone, st.out, st.at)
			if err != nil || changed != st.wantChanged {
				t.Fatalf("step %d: SetNumberOptOut = %v, %v; want %v", i, changed, err, st.wantChanged)
			}
			if out, err := db.NumberOptedOut(ctx, phone); err != nil || out != st.wantOut {
				t.Fatalf("step %d: NumberOptedOut = %v, %v; want %v", i, out, err, st.wantOut)
			}
		}
		if out, _ := db.NumberOptedOut(ctx, "+12125550143"); out {
			t.Error("another number is opted out")
		}
	})
	t.Run("an opt-out wins a tie", func(t *testing.T) {
		for _, first := range []bool{false, true} {
			db := open(t)
			if _, err := db.SetNumberOptOut(ctx, phone, first, t0); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SetNumberOptOut(ctx, phone, !first, t0); err != nil {
				t.Fatal(err)
			}
			if out, err := db.NumberOptedOut(ctx, phone); err != nil || !out {
				t.Errorf("grant and opt-out at the same instant (opt-out first: %v) = %v, %v; want opted out", first, out, err)
			}
		}
	})
	t.Run("not a number", func(t *testing.T) {
		db := open(t)
		for _, bad := range []string{"", "2125550142", "+0123", "+1212555014x"} {
			if _, err := db.SetNumberOptOut(ctx, bad, true, t0); loupe.ErrorField(err) != "phone" {
				t.Errorf("SetNumberOptOut(%q) = %v, want EINVALID on phone", bad, err)
			}
		}
	})
	t.Run("racing answers leave the newest", func(t *testing.T) {
		db := open(t)
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Odd i opt out, even opt in; the newest (i = 15) opts out.
				if _, err := db.SetNumberOptOut(ctx, phone, i%2 == 1, t0.Add(time.Duration(i)*time.Second)); err != nil {
					t.Error(fmt.Errorf("writer %d: %w", i, err))
				}
			}()
		}
		wg.Wait()
		if out, err := db.NumberOptedOut(ctx, phone); err != nil || !out {
			t.Errorf("after the race = %v, %v; want opted out (the newest answer)", out, err)
		}
	})
}
