package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/loupe"
)

// TestPOSEventLogs: an operator finds every event in the log by id and type,
// with the field and the reason of a rejection or an ignored field, and a
// line saying an accepted event changed nothing; never a value.
func TestPOSEventLogs(t *testing.T) {
	db := openDB(t)
	var buf bytes.Buffer
	h := httpapi.New(httpapi.Config{DB: db, Privacy: privacyOf(db), Events: posService(db), WebhookSecrets: []string{secret},
		APIToken: token, Now: clock, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	ctx := context.Background()
	if err := loupe.PutAssociate(ctx, db, loupe.Associate{AssociateID: "gone", StoreID: "s1", Name: "Gone", Status: loupe.StatusTerminated,
		TerminatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		body string
		code int
		want []string // substrings of the log line
	}{
		{event("ev-bad", "2026-11-20T15:00:00Z", `{"customer_id":"c1","home_store_id":"s1","first_name":"Ann\r\nBcc: x@evil.example"}`), 400,
			[]string{`msg="pos event rejected"`, "event_id=ev-bad", "type=customer.upserted", "field=data.first_name", "reason="}},
		{event("ev-1", "2026-11-20T15:00:00Z", `{"customer_id":"c1","home_store_id":"s1","first_name":"Ann"}`), 202,
			[]string{`msg="pos event"`, "event_id=ev-1", "status=accepted"}},
		{event("ev-0", "2026-11-20T14:00:00Z", `{"customer_id":"c1","home_store_id":"s1","first_name":"Older"}`), 202,
			[]string{`msg="pos event changed nothing"`, "event_id=ev-0", "reason="}},
		{event("ev-1", "2026-11-20T15:00:00Z", `{"customer_id":"c1","home_store_id":"s1","first_name":"Other"}`), 409,
			[]string{`msg="pos event rejected"`, "event_id=ev-1", `reason="id reused with another body"`}},
		{event("ev-2", "2026-11-20T15:01:00Z", `{"customer_id":"c1","home_store_id":"s1","associate_id":"gone"}`), 202,
			[]string{`msg="pos event field ignored"`, "event_id=ev-2", "field=data.associate_id", "reason="}},
	}
	for _, st := range steps {
		buf.Reset()
		rec := postEvent(h, st.body, signed, "application/json")
		if rec.Code != st.code {
			t.Fatalf("%s: got %d %s, want %d", st.want[1], rec.Code, rec.Body, st.code)
		}
		line := buf.String()
		for _, w := range st.want {
			if !strings.Contains(line, w) {
				t.Errorf("log for %s lacks %q:\n%s", st.want[1], w, line)
			}
		}
		for _, value := range []string{"Ann", "Older", "Other", "Bcc", "evil"} {
			if strings.Contains(line, value) {
				t.Errorf("log for %s holds the value %q:\n%s", st.want[1], value, line)
			}
		}
	}
}
