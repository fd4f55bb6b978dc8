package loupe_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// feedbackStore records what ApplyFeedback wrote.
type feedbackStore struct {
	suppressed, marked []string
	changed            bool
	err                error
}

func (f *feedbackStore) SetEmailStatusOf(_ context.Context, customerID, email, status string, at time.Time) (bool, error) {
	f.marked = append(f.marked, customerID+" "+email+" "+status+" "+at.Format(time.RFC3339))
	return f.changed, f.err
}

func (f *feedbackStore) Suppress(_ context.Context, email, reason string, at time.Time) error {
	f.suppressed = append(f.suppressed, email+" "+reason+" "+at.Format(time.RFC3339))
	return f.err
}

func TestApplyFeedback(t *testing.T) {
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	now := at.Add(time.Hour)
	tests := []struct {
		name       string
		f          loupe.Feedback
		want       loupe.FeedbackOutcome
		suppressed []string
		marked     []string
	}{
		{"permanent bounce of a client mail", loupe.Feedback{Kind: loupe.FeedbackBounce, Permanent: true, Recipients: []string{"a@example.com"}, CustomerID: "c1", At: at},
			loupe.FeedbackOutcome{Applied: true, Status: loupe.EmailBounced, Marked: 1, Changed: 1}, nil, []string{"c1 a@example.com bounced 2026-11-20T10:00:00Z"}},
		{"transient bounce", loupe.Feedback{Kind: loupe.FeedbackBounce, Recipients: []string{"a@example.com"}, CustomerID: "c1"},
			loupe.FeedbackOutcome{}, nil, nil},
		{"complaint on staff mail, no time", loupe.Feedback{Kind: loupe.FeedbackComplaint, Recipients: []string{"m@example.com", ""}},
			loupe.FeedbackOutcome{Applied: true, Status: loupe.EmailComplained, Marked: 1, Skipped: 1}, []string{"m@example.com complained 2026-11-20T11:00:00Z"}, nil},
		{"not-spam complaint", loupe.Feedback{Kind: loupe.FeedbackComplaint, NotSpam: true, Recipients: []string{"a@example.com"}},
			loupe.FeedbackOutcome{}, nil, nil},
		{"delivery", loupe.Feedback{Recipients: []string{"a@example.com"}}, loupe.FeedbackOutcome{}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &feedbackStore{changed: true}
			got, err := loupe.ApplyFeedback(context.Background(), st, tt.f, now)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || len(st.suppressed) != len(tt.suppressed) || len(st.marked) != len(tt.marked) {
				t.Fatalf("ApplyFeedback = %+v, suppressed %q, marked %q; want %+v, %q, %q", got, st.suppressed, st.marked, tt.want, tt.suppressed, tt.marked)
			}
			for i := range tt.suppressed {
				if st.suppressed[i] != tt.suppressed[i] {
					t.Errorf("suppressed %q, want %q", st.suppressed[i], tt.suppressed[i])
				}
			}
			for i := range tt.marked {
				if st.marked[i] != tt.marked[i] {
					t.Errorf("marked %q, want %q", st.marked[i], tt.marked[i])
				}
			}
			if got.Bounces()+got.Complaints() != got.Marked {
				t.Errorf("Bounces %d + Complaints %d != Marked %d", got.Bounces(), got.Complaints(), got.Marked)
			}
		})
	}
	boom := errors.New("throttled")
	_, err := loupe.ApplyFeedback(context.Background(), &feedbackStore{err: boom},
		loupe.Feedback{Kind: loupe.FeedbackBounce, Permanent: true, Recipients: []string{"a@example.com"}}, now)
	if !errors.Is(err, boom) {
		t.Errorf("storage error: got %v, want it wrapped", err)
	}
}
