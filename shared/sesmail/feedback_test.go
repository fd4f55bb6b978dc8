package sesmail_test

import (
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/sesmail"
)

func TestEventFeedback(t *testing.T) {
	tests := []struct {
		name, detail string
		want         loupe.Feedback
	}{
		{"permanent bounce", `{"eventType":"Bounce","mail":{"messageId":"m1","headers":[{"name":"x-loupe-customer-id","value":" c42 "}]},
			"bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":"Ann <ann@example.com>"},{"emailAddress":"not an address"}],"timestamp":"2026-11-20T10:00:00Z"}}`,
			loupe.Feedback{Kind: loupe.FeedbackBounce, Permanent: true, Recipients: []string{"ann@example.com", ""}, CustomerID: "c42",
				At: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}},
		{"transient bounce", `{"eventType":"Bounce","bounce":{"bounceType":"Transient","bouncedRecipients":[{"emailAddress":"a@example.com"}]}}`,
			loupe.Feedback{Kind: loupe.FeedbackBounce, Recipients: []string{"a@example.com"}}},
		{"not-spam complaint, bad customer id", `{"eventType":"Complaint","mail":{"headers":[{"name":"X-Loupe-Customer-Id","value":"no spaces allowed"}]},
			"complaint":{"complainedRecipients":[{"emailAddress":"a@example.com"}],"complaintFeedbackType":"not-spam"}}`,
			loupe.Feedback{Kind: loupe.FeedbackComplaint, NotSpam: true, Recipients: []string{"a@example.com"}}},
		{"delivery", `{"eventType":"Delivery","mail":{"messageId":"m2"}}`, loupe.Feedback{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := sesmail.DecodeEvent([]byte(tt.detail))
			if err != nil {
				t.Fatal(err)
			}
			got := e.Feedback()
			if got.Kind != tt.want.Kind || got.Permanent != tt.want.Permanent || got.NotSpam != tt.want.NotSpam ||
				got.CustomerID != tt.want.CustomerID || !got.At.Equal(tt.want.At) || len(got.Recipients) != len(tt.want.Recipients) {
				t.Fatalf("Feedback() = %+v, want %+v", got, tt.want)
			}
			for i := range got.Recipients {
				if got.Recipients[i] != tt.want.Recipients[i] {
					t.Errorf("recipient %d = %q, want %q", i, got.Recipients[i], tt.want.Recipients[i])
				}
			}
		})
	}
	if _, err := sesmail.DecodeEvent([]byte(`[1,2`)); err == nil {
		t.Error("DecodeEvent of broken JSON: no error")
	}
}
