package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	"github.com/loupehq/loupe/shared/webhook"
	"github.com/loupehq/loupe/shared/wire"
)

// startServer runs a long-running command (serve or demo) on a free port and
// returns its base URL and a stop function returning the exit status.
func startServer(t *testing.T, args ...string) (url string, stdout *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, append(args, "--addr", "127.0.0.1:0"), stdout, stderr) }()
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("%s exited with %d before listening: %s", args[0], code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("%s did not listen: %s", args[0], stderr.String())
		}
	}
	stopped := false
	stop = func() int {
		if stopped {
			return exitOK
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return url, stdout, stop
}

func postEvent(t *testing.T, url, secret string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/pos/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Loupe-Signature", webhook.Sign(secret, body, time.Now()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func getJSON(t *testing.T, url, token string, v any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

func TestServeEndToEnd(t *testing.T) {
	t.Setenv(wire.EnvAPIToken, "test-token")
	t.Setenv(wire.EnvWebhookSecret, "old-secret, test-secret")
	data := filepath.Join(t.TempDir(), "data")
	url, _, stop := startServer(t, "serve", "--data", data)

	body := []byte(`{"id":"evt_1","type":"customer.upserted","occurred_at":"` + time.Now().UTC().Format(time.RFC3339) +
		`","data":{"customer_id":"c1","home_store_id":"nyc","first_name":"Ann","email":"ann@example.com","birthday":"--02-29"}}`)
	if got, want := postEvent(t, url, "wrong-secret", body), http.StatusUnauthorized; got != want {
		t.Fatalf("badly signed event: got %d, want %d", got, want)
	}
	if got, want := postEvent(t, url, "test-secret", body), http.StatusAccepted; got != want {
		t.Fatalf("signed event: got %d, want %d", got, want)
	}
	var c map[string]any
	if got, want := getJSON(t, url+"/customers/c1", "", nil), http.StatusUnauthorized; got != want {
		t.Fatalf("get without token: got %d, want %d", got, want)
	}
	if got, want := getJSON(t, url+"/customers/c1", "test-token", &c), http.StatusOK; got != want {
		t.Fatalf("get customer: got %d, want %d", got, want)
	}
	if got, want := c["email"], "ann@example.com"; got != want {
		t.Fatalf("email: got %v, want %v", got, want)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("serve exit: got %d, want 0", code)
	}

	// Restart on the same data directory: the client is still there.
	url, _, stop = startServer(t, "serve", "--data", data)
	c = nil
	if got, want := getJSON(t, url+"/customers/c1", "test-token", &c), http.StatusOK; got != want {
		t.Fatalf("get customer after restart: got %d, want %d", got, want)
	}
	if got, want := c["birthday"], "--02-29"; got != want {
		t.Fatalf("birthday after restart: got %v, want %v", got, want)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("serve exit: got %d, want 0", code)
	}
}

func TestServeWithoutSecretOrToken(t *testing.T) {
	t.Setenv(wire.EnvAPIToken, "")
	t.Setenv(wire.EnvWebhookSecret, "")
	url, stdout, _ := startServer(t, "serve", "--data", t.TempDir())
	out := stdout.String()
	if !strings.Contains(out, wire.EnvWebhookSecret+" is not set: POST /pos/events answers 503") {
		t.Errorf("stdout does not say the webhook is off: %q", out)
	}
	m := regexp.MustCompile(`API token \(set LOUPE_API_TOKEN to choose one\): ([0-9a-f]{48})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("stdout does not print a generated token: %q", out)
	}
	if got, want := postEvent(t, url, "any", []byte(`{}`)), http.StatusServiceUnavailable; got != want {
		t.Errorf("webhook without secret: got %d, want %d", got, want)
	}
	if got, want := getJSON(t, url+"/customers/nope", m[1], nil), http.StatusNotFound; got != want {
		t.Errorf("get with the printed token: got %d, want %d", got, want)
	}
}

// TestServeRefusesSecretIDs: a Secrets Manager id is for the Lambda
// functions; on one machine it would leave the webhook quietly off, so serve
// refuses it and names the variable to set instead.
func TestServeRefusesSecretIDs(t *testing.T) {
	t.Setenv(wire.EnvWebhookSecretID, "loupe/webhook")
	code, _, errs := runCLI(t, "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0")
	if code == exitOK || !strings.Contains(errs, "LOUPE_WEBHOOK_SECRET_ID names a Secrets Manager secret") || !strings.Contains(errs, "set the value in LOUPE_WEBHOOK_SECRET") {
		t.Fatalf("serve with %s: exit %d, stderr %q", wire.EnvWebhookSecretID, code, errs)
	}
}

func TestServeAddressInUse(t *testing.T) {
	url, _, _ := startServer(t, "serve", "--data", t.TempDir())
	data := filepath.Join(t.TempDir(), "never")
	code, _, errs := runCLI(t, "serve", "--data", data, "--addr", strings.TrimPrefix(url, "http://"))
	if code != exitFail || !strings.HasPrefix(errs, "loupe: serve: listen tcp") {
		t.Errorf("serve on a busy port: exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("serve that could not bind left its data directory behind (stat: %v)", err)
	}
	code, _, errs = runCLI(t, "serve", "--data", data, "stray")
	if code != exitUsage || !strings.HasPrefix(errs, `loupe: serve: unexpected argument "stray"`) {
		t.Errorf("serve with a stray argument: exit %d, stderr %q", code, errs)
	}
}

func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 5,000 clients")
	}
	t.Setenv(wire.EnvAPIToken, "")
	t.Setenv(wire.EnvWebhookSecret, "")
	dir := t.TempDir()

	// A directory holding a database demo did not create is never wiped.
	foreign := filepath.Join(dir, "foreign")
	if code, _, _ := runCLI(t, "import", "stores", writeFile(t, dir, "s.csv", "store_id,name,timezone,country\ns,S,UTC,US\n"), "--data", foreign); code != exitOK {
		t.Fatal("import into the foreign directory failed")
	}
	code, _, errs := runCLI(t, "demo", "--data", foreign)
	if code != exitFail || !strings.Contains(errs, "did not create; refusing to wipe it") {
		t.Fatalf("demo on a foreign directory: exit %d, stderr %q", code, errs)
	}

	data := filepath.Join(dir, "demo")
	os.MkdirAll(filepath.Join(data, "outbox"), 0o700)
	writeFile(t, data, demoMarker, "")
	writeFile(t, filepath.Join(data, "outbox"), "old.eml", "stale")
	url, stdout, stop := startServer(t, "demo", "--data", data)
	out := stdout.String()
	token := regexp.MustCompile(`Bearer ([0-9a-f]{48})`).FindStringSubmatch(out)
	secret := regexp.MustCompile(`SECRET='([0-9a-f]{48})'`).FindStringSubmatch(out)
	if token == nil || secret == nil {
		t.Fatalf("demo output lacks the token or the secret:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(data, "outbox", "old.eml")); err == nil {
		t.Error("the old demo outbox was not wiped")
	}
	var c map[string]any
	if got, want := getJSON(t, url+"/customers/c00001", token[1], &c), http.StatusOK; got != want {
		t.Fatalf("get demo customer: got %d, want %d", got, want)
	}
	body := []byte(`{"id":"evt_demo","type":"customer.upserted","occurred_at":"` + time.Now().UTC().Format(time.RFC3339) +
		`","data":{"customer_id":"c90001","home_store_id":"nyc","email":"ada@example.com"}}`)
	if got, want := postEvent(t, url, secret[1], body), http.StatusAccepted; got != want {
		t.Fatalf("event signed with the printed secret: got %d, want %d", got, want)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("demo exit: got %d, want 0", code)
	}
}

// Every link in every message serve sends uses LOUPE_BASE_URL, never the
// listen address: the client's birthday mail (its unsubscribe link and its
// List-Unsubscribe header) and the manager's review mail (its print link).
func TestServeLinksUseTheBaseURL(t *testing.T) {
	const base = "https://loupe.example.com"
	t.Setenv(wire.EnvBaseURL, base)
	t.Setenv(wire.EnvPlanHour, "0") // the catch-up at start plans today whatever the hour
	dir := t.TempDir()
	seedOrphans(t, dir) // a pending termination: serve reassigns and mails the review
	db, err := embedded.Open(filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	c9 := storetest.Customer("c9", "s1", "a1")
	ny := mustLoc(t, "America/New_York")
	soon := time.Now().In(ny).AddDate(0, 0, 7) // birthdays are mailed a week ahead
	c9.Birthday, c9.Anniversary = loupe.Date{Year: 1980, Month: soon.Month(), Day: soon.Day()}, loupe.Date{}
	if err := loupe.PutCustomer(context.Background(), db, c9); err != nil {
		t.Fatal(err)
	}
	db.Close()

	_, _, stop := startServer(t, "serve", "--data", dir)
	var mails map[string]string
	deadline := time.Now().Add(30 * time.Second)
	for {
		mails = map[string]string{}
		for _, f := range outboxFiles(t, dir) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			mails[filepath.Base(f)] = strings.ReplaceAll(strings.ReplaceAll(string(b), "=\r\n", ""), "=\n", "")
		}
		var birthday, review bool
		for _, m := range mails {
			birthday = birthday || strings.Contains(m, "c9@client.example.com")
			review = review || strings.Contains(m, "manager-s1@example.com")
		}
		if birthday && review {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s the outbox holds %d mails, want the birthday mail and the review mail", len(mails))
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()

	link := regexp.MustCompile(`(?i)https?://[^\s"<>]+`)
	for name, m := range mails {
		if strings.Contains(m, "127.0.0.1") {
			t.Errorf("%s names the listen address", name)
		}
		links := link.FindAllString(m, -1)
		ours := 0
		for _, l := range links {
			if !strings.HasPrefix(l, base+"/") {
				t.Errorf("%s links %s, not under %s", name, l, base)
			}
			ours++
		}
		if ours == 0 {
			t.Errorf("%s has no link under %s: %s", name, base, m)
		}
	}
}
