package loupe_test

import (
	"errors"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

func TestMergeCustomer(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	stored := loupe.Customer{
		CustomerID: "c1", FirstName: "Old", Email: "r@example.com",
		EmailSource: loupe.EmailSourceRepair, EmailCapturedAt: t0.Add(-time.Hour),
		EmailStatus: loupe.EmailBounced, UpdatedAt: t0,
	}
	in := loupe.Customer{CustomerID: "c1", FirstName: "New", EmailSource: "x", EmailStatus: loupe.EmailOK, UpdatedAt: t0.Add(time.Hour)}
	withEmail := in
	withEmail.Email = "p@example.com"
	blank := stored
	blank.EmailStatus = ""
	tests := []struct {
		name    string
		stored  *loupe.Customer
		in      loupe.Customer
		want    loupe.Customer
		wantErr error
	}{
		{"new without email", nil, in, loupe.Customer{CustomerID: "c1", FirstName: "New", EmailStatus: loupe.EmailOK, UpdatedAt: in.UpdatedAt}, nil},
		{"new with email", nil, withEmail, loupe.Customer{CustomerID: "c1", FirstName: "New", Email: "p@example.com", EmailSource: loupe.EmailSourcePOS, EmailCapturedAt: in.UpdatedAt, EmailStatus: loupe.EmailOK, UpdatedAt: in.UpdatedAt}, nil},
		{"keeps stored email and status", &stored, in, loupe.Customer{CustomerID: "c1", FirstName: "New", Email: "r@example.com", EmailSource: loupe.EmailSourceRepair, EmailCapturedAt: t0.Add(-time.Hour), EmailStatus: loupe.EmailBounced, UpdatedAt: in.UpdatedAt}, nil},
		{"pos email replaces stored", &stored, withEmail, loupe.Customer{CustomerID: "c1", FirstName: "New", Email: "p@example.com", EmailSource: loupe.EmailSourcePOS, EmailCapturedAt: in.UpdatedAt, EmailStatus: loupe.EmailBounced, UpdatedAt: in.UpdatedAt}, nil},
		{"empty stored status reads ok", &blank, in, loupe.Customer{CustomerID: "c1", FirstName: "New", Email: "r@example.com", EmailSource: loupe.EmailSourceRepair, EmailCapturedAt: t0.Add(-time.Hour), EmailStatus: loupe.EmailOK, UpdatedAt: in.UpdatedAt}, nil},
		{"stale", &loupe.Customer{CustomerID: "c1", UpdatedAt: t0.Add(2 * time.Hour)}, in, loupe.Customer{}, loupe.ErrStale},
	}
	for _, tt := range tests {
		got, err := loupe.MergeCustomer(tt.stored, tt.in)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: got error %v, want %v", tt.name, err, tt.wantErr)
		}
		if !got.UpdatedAt.Equal(tt.want.UpdatedAt) || !got.EmailCapturedAt.Equal(tt.want.EmailCapturedAt) {
			t.Errorf("%s: got times %v %v, want %v %v", tt.name, got.UpdatedAt, got.EmailCapturedAt, tt.want.UpdatedAt, tt.want.EmailCapturedAt)
		}
		got.UpdatedAt, got.EmailCapturedAt, tt.want.UpdatedAt, tt.want.EmailCapturedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if got.CustomerID != tt.want.CustomerID || got.FirstName != tt.want.FirstName || got.Email != tt.want.Email ||
			got.EmailSource != tt.want.EmailSource || got.EmailStatus != tt.want.EmailStatus {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}
