package webhook_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/webhook"
)

var now = time.Date(2026, time.November, 20, 15, 4, 5, 0, time.UTC)

const body = `{"id":"evt_1","type":"customer.upserted","occurred_at":"2026-11-20T15:04:05Z","data":{}}`

func TestSignVerify(t *testing.T) {
	good := webhook.Sign("s3cret", []byte(body), now)
	other := webhook.Sign("other", []byte(body), now)
	_, otherSig, _ := strings.Cut(other, ",")
	tests := []struct {
		name     string
		header   string
		body     string
		secrets  []string
		now      time.Time
		wantCode string
	}{
		{"valid", good, body, []string{"s3cret"}, now, ""},
		{"second of two secrets", good, body, []string{"new", "s3cret"}, now, ""},
		{"two v1, second valid", other + ",v1=" + strings.TrimPrefix(strings.SplitN(good, ",", 2)[1], "v1="), body, []string{"s3cret"}, now, ""},
		{"two v1, first valid", good + "," + otherSig, body, []string{"s3cret"}, now, ""},
		{"unknown scheme ignored", good + ",v0=abc", body, []string{"s3cret"}, now, ""},
		{"spaces tolerated", strings.ReplaceAll(good, ",", ", "), body, []string{"s3cret"}, now, ""},
		{"299 s late", good, body, []string{"s3cret"}, now.Add(299 * time.Second), ""},
		{"300 s early", good, body, []string{"s3cret"}, now.Add(-300 * time.Second), ""},
		{"stale", good, body, []string{"s3cret"}, now.Add(301 * time.Second), loupe.EUNAUTHORIZED},
		{"future", good, body, []string{"s3cret"}, now.Add(-301 * time.Second), loupe.EUNAUTHORIZED},
		{"wrong secret", good, body, []string{"nope"}, now, loupe.EUNAUTHORIZED},
		{"body changed", good, body + " ", []string{"s3cret"}, now, loupe.EUNAUTHORIZED},
		{"missing header", "", body, []string{"s3cret"}, now, loupe.EUNAUTHORIZED},
		{"no v1", "t=1795100645", body, []string{"s3cret"}, now, loupe.EUNAUTHORIZED},
		{"no secret configured", good, body, nil, now, loupe.EUNAVAILABLE},
		{"only empty secrets", good, body, []string{""}, now, loupe.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.header, []byte(tt.body), tt.secrets, tt.now, 0)
			if got := loupe.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("Verify code = %q (%v), want %q", got, err, tt.wantCode)
			}
			if err != nil {
				for _, s := range tt.secrets {
					if s != "" && strings.Contains(err.Error(), s) {
						t.Fatalf("error %q echoes the secret", err)
					}
				}
			}
		})
	}
}

func TestVerifyTolerance(t *testing.T) {
	h := webhook.Sign("k", []byte(body), now)
	if err := webhook.Verify(h, []byte(body), []string{"k"}, now.Add(30*time.Second), 10*time.Second); loupe.ErrorCode(err) != loupe.EUNAUTHORIZED {
		t.Fatalf("Verify with 10 s tolerance 30 s late: got %v, want unauthorized", err)
	}
}

func TestParseHeader(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	tests := []struct {
		name     string
		in       string
		wantTS   int64
		wantSigs int
		wantErr  bool
	}{
		{"one", "t=12,v1=" + sig, 12, 1, false},
		{"two", "t=12,v1=" + sig + ",v1=" + sig, 12, 2, false},
		{"order free", "v1=" + sig + ",t=12", 12, 1, false},
		{"upper hex", "t=12,v1=" + strings.ToUpper(sig), 12, 1, false},
		{"empty", "", 0, 0, true},
		{"no equals", "t12,v1=" + sig, 0, 0, true},
		{"two t", "t=12,t=13,v1=" + sig, 0, 0, true},
		{"negative t", "t=-12,v1=" + sig, 0, 0, true},
		{"plus t", "t=+12,v1=" + sig, 0, 0, true},
		{"huge t", "t=99999999999999999999,v1=" + sig, 0, 0, true},
		{"short sig", "t=12,v1=abcd", 0, 0, true},
		{"not hex", "t=12,v1=" + strings.Repeat("zz", 32), 0, 0, true},
		{"no t", "v1=" + sig, 0, 0, true},
		{"too many", "t=1" + strings.Repeat(",v1="+sig, 9), 0, 0, true},
		{"too long", "t=1,v1=" + sig + strings.Repeat(",x=y", 2000), 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, sigs, err := webhook.ParseHeader(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseHeader err = %v, wantErr %v", err, tt.wantErr)
			}
			var le *loupe.Error
			if err != nil && (!errors.As(err, &le) || le.Code != loupe.EUNAUTHORIZED) {
				t.Fatalf("ParseHeader err = %v, want an unauthorized *loupe.Error", err)
			}
			if ts != tt.wantTS || len(sigs) != tt.wantSigs {
				t.Fatalf("ParseHeader = %d, %d sigs, want %d, %d", ts, len(sigs), tt.wantTS, tt.wantSigs)
			}
		})
	}
}

func TestParseSecrets(t *testing.T) {
	got := webhook.ParseSecrets(" new , ,old,")
	if len(got) != 2 || got[0] != "new" || got[1] != "old" {
		t.Fatalf("ParseSecrets = %q, want [new old]", got)
	}
	if got := webhook.ParseSecrets(""); got != nil {
		t.Fatalf("ParseSecrets(\"\") = %q, want nil", got)
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add(webhook.Sign("k", []byte(body), now))
	f.Add("t=1,v1=" + strings.Repeat("0", 64) + ",v1=" + strings.Repeat("f", 64))
	f.Add("")
	f.Add("t=,v1=")
	f.Add("=,=,,")
	f.Add("t=1,v0=zz,v1=" + strings.Repeat("A", 64))
	f.Fuzz(func(t *testing.T, h string) {
		ts, sigs, err := webhook.ParseHeader(h)
		if err != nil {
			if loupe.ErrorCode(err) != loupe.EUNAUTHORIZED {
				t.Fatalf("ParseHeader(%q) code = %q, want unauthorized", h, loupe.ErrorCode(err))
			}
			return
		}
		if ts <= 0 || len(sigs) == 0 {
			t.Fatalf("ParseHeader(%q) = %d, %d sigs without error", h, ts, len(sigs))
		}
		for _, s := range sigs {
			if len(s) != 32 {
				t.Fatalf("signature of %d bytes", len(s))
			}
		}
		_ = webhook.Verify(h, []byte(body), []string{"k"}, now, 0)
	})
}
