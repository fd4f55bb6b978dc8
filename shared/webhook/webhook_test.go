package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/webhook"
)

var now = time.Date(2026, time.November, 20, 15, 4, 5, 0, time.UTC)

const body = `{"id":"evt_1","type":"customer.upserted","occurred_at":"2026-11-20T15:04:05Z","data":{}}`

func TestSignVerify(t *testing.T) {
	good := webhook.Sign("s3cret", []byte(body), now)
	other := webhook.Sign("other", []byte(body), now)
	_, otherSig, _ := strings.Cut(other, ",")
	later := webhook.Sign("s3cret", []byte(body), now.Add(-200*time.Second))
	staleGood := webhook.Sign("s3cret", []byte(body), now.Add(-301*time.Second))
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
		{"joined, bad then good", other + "," + good, body, []string{"s3cret"}, now, ""},
		{"joined, good then bad, spaces", good + ", " + other, body, []string{"s3cret"}, now, ""},
		{"joined, different t, older one good", other + "," + later, body, []string{"s3cret"}, now.Add(-100 * time.Second), ""},
		{"joined, each secret its header", webhook.Sign("new", []byte(body), now) + "," + good, body, []string{"new", "s3cret"}, now, ""},
		{"joined, only fresh group wrong", other + "," + webhook.Sign("other", []byte(body), now.Add(-301*time.Second)), body, []string{"s3cret"}, now, loupe.EUNAUTHORIZED},
		{"joined, stale good and fresh bad", staleGood + "," + other, body, []string{"s3cret"}, now, loupe.EUNAUTHORIZED},
		{"joined, good mac under the other t", staleGood[:strings.Index(staleGood, ",")] + "," + strings.SplitN(good, ",", 2)[1] + "," + other, body, []string{"s3cret"}, now, loupe.EUNAUTHORIZED},
		{"joined, both stale", staleGood + "," + staleGood, body, []string{"s3cret"}, now, loupe.EUNAUTHORIZED},
		{"joined, malformed group", good + ",t=1795100645", body, []string{"s3cret"}, now, loupe.EUNAUTHORIZED},
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
				if echoes(err.Error(), tt.header) {
					t.Fatalf("error %q echoes the header", err)
				}
			}
		})
	}
}

// echoes reports whether msg repeats an entry of header (the value part of
// one of its comma-separated k=v entries, when longer than 3 bytes).
func echoes(msg, header string) bool {
	for _, part := range strings.Split(header, ",") {
		_, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		if len(v) > 3 && strings.Contains(msg, v) {
			return true
		}
	}
	return false
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
		name    string
		in      string
		want    string // each group as <t>:<number of v1>
		wantErr bool
	}{
		{"one", "t=12,v1=" + sig, "12:1", false},
		{"two", "t=12,v1=" + sig + ",v1=" + sig, "12:2", false},
		{"order free", "v1=" + sig + ",t=12", "12:1", false},
		{"upper hex", "t=12,v1=" + strings.ToUpper(sig), "12:1", false},
		{"joined", "t=12,v1=" + sig + ",t=13,v1=" + sig + ",v1=" + sig, "12:1 13:2", false},
		{"joined with spaces", "t=12, v1=" + sig + ", t=12, v1=" + sig, "12:1 12:1", false},
		{"joined, v0 ignored", "t=12,v0=zz,v1=" + sig + ",t=13,v1=" + sig, "12:1 13:1", false},
		{"empty", "", "", true},
		{"no equals", "t12,v1=" + sig, "", true},
		{"t without v1", "t=12,t=13,v1=" + sig, "", true},
		{"last t without v1", "t=12,v1=" + sig + ",t=13", "", true},
		{"t with only v0", "t=12,v0=" + sig + ",t=13,v1=" + sig, "", true},
		{"v1 before several t", "v1=" + sig + ",t=12,t=13,v1=" + sig, "", true},
		{"negative t", "t=-12,v1=" + sig, "", true},
		{"plus t", "t=+12,v1=" + sig, "", true},
		{"huge t", "t=99999999999999999999,v1=" + sig, "", true},
		{"short sig", "t=12,v1=abcd", "", true},
		{"not hex", "t=12,v1=" + strings.Repeat("zz", 32), "", true},
		{"no t", "v1=" + sig, "", true},
		{"too many", "t=1" + strings.Repeat(",v1="+sig, 9), "", true},
		{"too many across groups", strings.Repeat(",t=1,v1="+sig, 9)[1:], "", true},
		{"too many t", strings.Repeat("t=1,", 9) + "v1=" + sig, "", true},
		{"too long", "t=1,v1=" + sig + strings.Repeat(",x=y", 2000), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups, err := webhook.ParseHeader(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseHeader err = %v, wantErr %v", err, tt.wantErr)
			}
			var le *loupe.Error
			if err != nil && (!errors.As(err, &le) || le.Code != loupe.EUNAUTHORIZED) {
				t.Fatalf("ParseHeader err = %v, want an unauthorized *loupe.Error", err)
			}
			if err != nil && echoes(err.Error(), tt.in) {
				t.Fatalf("ParseHeader err = %v echoes the header", err)
			}
			var got []string
			for _, g := range groups {
				got = append(got, fmt.Sprintf("%d:%d", g.T, len(g.V1)))
			}
			if s := strings.Join(got, " "); s != tt.want {
				t.Fatalf("ParseHeader = %q, want %q", s, tt.want)
			}
		})
	}
}

func TestHeaderValue(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	if got := webhook.HeaderValue(req.Header); got != "" {
		t.Fatalf("HeaderValue without the header = %q, want empty", got)
	}
	req.Header.Add(webhook.Header, "t=1,v1=a")
	if got := webhook.HeaderValue(req.Header); got != "t=1,v1=a" {
		t.Fatalf("HeaderValue of one value = %q", got)
	}
	req.Header.Add(webhook.Header, " ")
	req.Header.Add(webhook.Header, "t=2,v1=b")
	if got := webhook.HeaderValue(req.Header); got != "t=1,v1=a,t=2,v1=b" {
		t.Fatalf("HeaderValue of three values = %q, want them joined like API Gateway, blank dropped", got)
	}
}

// acceptAll is the POS service of the handler test: every event is accepted.
type acceptAll struct{}

func (acceptAll) Apply(context.Context, []byte) (pos.Result, error) {
	return pos.Result{ID: "evt_1", Type: "customer.upserted", Status: pos.StatusAccepted}, nil
}

// TestHandlerSeveralHeaders posts through the real POST /pos/events handler
// with one Loupe-Signature header per secret, as a POS rotating its secret
// does; net/http keeps them as separate values.
func TestHandlerSeveralHeaders(t *testing.T) {
	h := httpapi.New(httpapi.Config{Events: acceptAll{}, WebhookSecrets: []string{"s3cret"},
		Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	post := func(sigs ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/pos/events", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for _, s := range sigs {
			req.Header.Add(webhook.Header, s)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	good := webhook.Sign("s3cret", []byte(body), now)
	other := webhook.Sign("other", []byte(body), now)
	stale := webhook.Sign("s3cret", []byte(body), now.Add(-301*time.Second))
	tests := []struct {
		name string
		sigs []string
		want int
	}{
		{"bad then good", []string{other, good}, http.StatusAccepted},
		{"good then bad", []string{good, other}, http.StatusAccepted},
		{"stale good and fresh bad", []string{stale, other}, http.StatusUnauthorized},
		{"one malformed", []string{good, "t=oops"}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(tt.sigs...)
			if rec.Code != tt.want {
				t.Fatalf("POST /pos/events = %d %s, want %d", rec.Code, rec.Body, tt.want)
			}
			if b := rec.Body.String(); echoes(b, strings.Join(tt.sigs, ",")) {
				t.Fatalf("body %s echoes the header", b)
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
	f.Add("t=1,v1=" + strings.Repeat("0", 64) + ", t=2,v1=" + strings.Repeat("f", 64))
	f.Fuzz(func(t *testing.T, h string) {
		groups, err := webhook.ParseHeader(h)
		if err != nil {
			if loupe.ErrorCode(err) != loupe.EUNAUTHORIZED {
				t.Fatalf("ParseHeader(%q) code = %q, want unauthorized", h, loupe.ErrorCode(err))
			}
			return
		}
		if len(groups) == 0 || len(groups) > 8 {
			t.Fatalf("ParseHeader(%q) = %d groups without error", h, len(groups))
		}
		n := 0
		for _, g := range groups {
			if g.T <= 0 || len(g.V1) == 0 {
				t.Fatalf("ParseHeader(%q) group t=%d with %d sigs without error", h, g.T, len(g.V1))
			}
			for _, s := range g.V1 {
				if len(s) != 32 {
					t.Fatalf("signature of %d bytes", len(s))
				}
			}
			n += len(g.V1)
		}
		if n > 8 {
			t.Fatalf("ParseHeader(%q) = %d signatures, more than the cap", h, n)
		}
		_ = webhook.Verify(h, []byte(body), []string{"k"}, now, 0)
	})
}
