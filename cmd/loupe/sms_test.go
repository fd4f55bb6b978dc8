package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/textin"
	"github.com/loupehq/loupe/shared/wire"
)

const (
	smsClientPhone = "+12125550142"
	smsLoupePhone  = "+18005550100"
)

// seedSMS writes a New York store s1 (phone smsLoupePhone) and client c1
// with phone smsClientPhone and sms consent granted, through the POS
// service as the webhook would.
func seedSMS(t *testing.T, dir string) {
	t.Helper()
	db, err := embedded.Open(filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	svc := &pos.Service{DB: db, Now: time.Now, Phones: phone.Normalize}
	for i, ev := range []struct{ typ, data string }{
		{pos.TypeStoreUpserted, `{"store_id":"s1","name":"Éclat Fifth Avenue","timezone":"America/New_York","country":"US",` +
			`"postal_address":"1 Fifth Ave, New York NY","phone":"` + smsLoupePhone + `"}`},
		{pos.TypeCustomerUpserted, `{"customer_id":"c1","home_store_id":"s1","first_name":"Ada","phone":"` + smsClientPhone + `"}`},
		{pos.TypeConsentChanged, `{"customer_id":"c1","channel":"sms","status":"granted","at":"` + at.Format(time.RFC3339) +
			`","source":"paper","evidence":"Yes, text me news and offers"}`},
	} {
		body := fmt.Sprintf(`{"id":"evt_sms%d","type":%q,"occurred_at":%q,"data":%s}`, i, ev.typ, at.Add(time.Duration(i)*time.Second).Format(time.RFC3339), ev.data)
		if _, err := svc.Apply(context.Background(), []byte(body)); err != nil {
			t.Fatalf("seed %s: %v", ev.typ, err)
		}
	}
}

// smsConsent returns c1's sms consent status in dir.
func smsConsent(t *testing.T, dir string) string {
	t.Helper()
	db, err := embedded.Open(filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.GetCustomer(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	return c.ConsentOf("sms").Status
}

// smsReplies returns the kinds of the text files in dir's outbox/sms.
func smsReplies(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "outbox", "sms", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m struct{ Kind, To, From string }
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if m.To != smsClientPhone || m.From != smsLoupePhone {
			t.Errorf("%s: to %s from %s, want to the client from the number texted", filepath.Base(f), m.To, m.From)
		}
		kinds = append(kinds, m.Kind)
	}
	return kinds
}

// inboundLine decodes the one JSON line sms inbound prints.
func inboundLine(t *testing.T, out string) httpapi.InboundResult {
	t.Helper()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("output %q: want one line", out)
	}
	var res httpapi.InboundResult
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	return res
}

// TestSMSInboundOnTheDataDirectory: "stop please" denies the client's sms
// and the outbox answers once; the same text again is a duplicate with no
// second file.
func TestSMSInboundOnTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	seedSMS(t, dir)
	if got := smsConsent(t, dir); got != loupe.ConsentGranted {
		t.Fatalf("seeded sms consent = %s, want granted", got)
	}
	args := []string{"sms", "inbound", "--from", smsClientPhone, "--to", smsLoupePhone, "--text", "stop please", "--data", dir}
	code, out, errs := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("sms inbound: exit %d, %s %s", code, out, errs)
	}
	res := inboundLine(t, out)
	if res.Intent != textin.IntentStop || res.Keyword != "STOP" || res.Clients != 1 || res.Changed != 1 || res.StoreID != "s1" ||
		res.Reply != textin.KindStopConfirmation || res.Duplicate || res.ReplyFailed {
		t.Errorf("result = %+v, want a STOP changing c1 with a stop confirmation", res)
	}
	if strings.Contains(out, smsClientPhone) || strings.Contains(out, "please") {
		t.Errorf("output %q quotes the number or the text", out)
	}
	if got := smsConsent(t, dir); got != loupe.ConsentDenied {
		t.Errorf("sms consent after STOP = %s, want denied", got)
	}
	if got := smsReplies(t, dir); len(got) != 1 || got[0] != textin.KindStopConfirmation {
		t.Fatalf("outbox/sms = %v, want one stop_confirmation", got)
	}

	code, out, errs = runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("sms inbound again: exit %d, %s %s", code, out, errs)
	}
	if again := inboundLine(t, out); !again.Duplicate || again.MessageID != res.MessageID || again.Reply != "" {
		t.Errorf("again = %+v, want a duplicate of %s sending nothing", again, res.MessageID)
	}
	if got := smsReplies(t, dir); len(got) != 1 {
		t.Errorf("outbox/sms after the second run = %v, want still one file", got)
	}
}

// TestSMSInboundURL: --url posts to a running serve with LOUPE_API_TOKEN;
// a wrong token is the server's 401, no token a reason, both exit 1.
func TestSMSInboundURL(t *testing.T) {
	t.Setenv(wire.EnvAPIToken, "sms-test-token")
	dir := t.TempDir()
	seedSMS(t, dir)
	url, _, stop := startServer(t, "serve", "--data", dir)
	help := []string{"sms", "inbound", "--from", smsClientPhone, "--to", smsLoupePhone, "--text", "HELP", "--url", url}
	code, out, errs := runCLI(t, help...)
	if code != exitOK {
		t.Fatalf("sms inbound --url: exit %d, %s %s", code, out, errs)
	}
	if res := inboundLine(t, out); res.Intent != textin.IntentHelp || res.Reply != textin.KindHelpReply || res.StoreID != "s1" {
		t.Errorf("HELP through serve = %+v, want the help reply", res)
	}
	stopArgs := []string{"sms", "inbound", "--from", smsClientPhone, "--to", smsLoupePhone, "--text", "STOP", "--url", url + "/"}
	if code, out, errs := runCLI(t, stopArgs...); code != exitOK || inboundLine(t, out).Changed != 1 {
		t.Fatalf("STOP through serve: exit %d, %s %s", code, out, errs)
	}

	t.Setenv(wire.EnvAPIToken, "wrong-token")
	if code, out, errs := runCLI(t, help...); code != exitFail || out != "" || !strings.Contains(errs, "401") ||
		!strings.Contains(errs, "loupe: sms inbound: ") || strings.Count(errs, "\n") != 1 {
		t.Errorf("a wrong token: exit %d, %q %q; want 1 with the server's 401 on one line", code, out, errs)
	}
	t.Setenv(wire.EnvAPIToken, "")
	if code, _, errs := runCLI(t, help...); code != exitFail || !strings.Contains(errs, wire.EnvAPIToken) {
		t.Errorf("no token: exit %d, %q; want 1 naming %s", code, errs, wire.EnvAPIToken)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("serve exit %d", code)
	}
	if got := smsConsent(t, dir); got != loupe.ConsentDenied {
		t.Errorf("sms consent after STOP through serve = %s, want denied", got)
	}
	if got := smsReplies(t, dir); len(got) != 2 {
		t.Errorf("outbox/sms = %v, want the help reply and the stop confirmation", got)
	}
}

// TestSMSInboundUsage: a bad command line exits 2 with one line naming the
// flag, before any data directory is opened.
func TestSMSInboundUsage(t *testing.T) {
	ok := []string{"--from", smsClientPhone, "--to", smsLoupePhone, "--text", "STOP"}
	with := func(extra ...string) []string { return append(append([]string{"sms", "inbound"}, ok...), extra...) }
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"bad --from", []string{"sms", "inbound", "--from", "212-555-0142", "--to", smsLoupePhone, "--text", "STOP"},
			"loupe: sms inbound: --from: originationNumber is not an E.164 number"},
		{"bad --to", []string{"sms", "inbound", "--from", smsClientPhone, "--to", "18005550100", "--text", "STOP"},
			"loupe: sms inbound: --to: destinationNumber is not an E.164 number"},
		{"no --from", []string{"sms", "inbound", "--to", smsLoupePhone, "--text", "STOP"}, "loupe: sms inbound: --from is required"},
		{"no --text", []string{"sms", "inbound", "--from", smsClientPhone, "--to", smsLoupePhone}, "loupe: sms inbound: --text is required"},
		{"text too long", []string{"sms", "inbound", "--from", smsClientPhone, "--to", smsLoupePhone, "--text", strings.Repeat("x", textin.MaxBody+1)},
			"loupe: sms inbound: --text: messageBody is longer"},
		{"data and url", with("--data", t.TempDir(), "--url", "http://127.0.0.1:1"), "--data and --url"},
		{"bad url", with("--url", "127.0.0.1:8080"), "loupe: sms inbound: --url"},
		{"stray argument", with("please"), `unexpected argument "please"`},
		{"no subcommand", []string{"sms"}, "loupe: sms: want a subcommand"},
		{"unknown subcommand", []string{"sms", "outbound"}, `loupe: sms: unknown subcommand "outbound"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tc.args...)
			if code != exitUsage || out != "" || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, %q %q; want %d with %q", code, out, errs, exitUsage, tc.want)
			}
		})
	}
	if code, _, errs := runCLI(t, with("--data", filepath.Join(t.TempDir(), "none"))...); code != exitFail || !strings.Contains(errs, "no Loupe data") {
		t.Errorf("no data directory: exit %d, %q; want 1", code, errs)
	}
	if code, out, _ := runCLI(t, "help"); code != exitOK || !strings.Contains(out, "sms     inbound") {
		t.Errorf("usage does not list sms inbound: %s", out)
	}
}
