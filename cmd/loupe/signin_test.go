package main

import (
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
	"github.com/loupehq/loupe/shared/wire"
)

// TestServeLinkSignIn: link sign-in end to end with loupe serve. An
// associate asks for a link, the outbox holds the mail, the page it opens is
// served, the code is exchanged once for a token that names her at GET /me;
// an unknown address gets 202 and no mail, and a sixth link in the hour is
// not sent.
func TestServeLinkSignIn(t *testing.T) {
	t.Setenv(wire.EnvBaseURL, "https://loupe.example.com")
	dir := t.TempDir()
	db, err := embedded.Open(filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := loupe.PutStore(ctx, db, storetest.Store("s1")); err != nil {
		t.Fatal(err)
	}
	if err := loupe.PutAssociate(ctx, db, storetest.Associate("a1", "s1")); err != nil {
		t.Fatal(err)
	}
	db.Close()
	url, _, stop := startServer(t, "serve", "--data", dir)
	defer stop()

	post := func(path, body string) (int, string) {
		t.Helper()
		res, err := http.Post(url+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	signinMails := func() []string {
		var out []string
		for _, f := range outboxFiles(t, dir) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if m := string(b); strings.Contains(m, "X-Loupe-Touchpoint: signin") {
				m = strings.ReplaceAll(strings.ReplaceAll(m, "=\r\n", ""), "=\n", "")
				out = append(out, strings.ReplaceAll(m, "=3D", "="))
			}
		}
		return out
	}
	if code, body := post("/auth/link", `{"email":"nobody@staff.example.com"}`); code != 202 || !strings.Contains(body, `"sent"`) {
		t.Fatalf("link for an unknown address: %d %s", code, body)
	}
	if code, body := post("/auth/link", `{"email":"A1@staff.example.com"}`); code != 202 {
		t.Fatalf("link: %d %s", code, body)
	}
	var mails []string
	for deadline := time.Now().Add(10 * time.Second); len(mails) == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		mails = signinMails()
	}
	if len(mails) != 1 || !strings.Contains(mails[0], "a1@staff.example.com") {
		t.Fatalf("sign-in mails = %d, want one to a1", len(mails))
	}
	m := regexp.MustCompile(`https://loupe\.example\.com/app/signin#code=([A-Za-z0-9_-]+)`).FindStringSubmatch(mails[0])
	if m == nil {
		t.Fatalf("no sign-in link in the mail:\n%s", mails[0])
	}
	res, err := http.Get(url + "/app/signin")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /app/signin: %v %v", res, err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), "Sign in") || !strings.Contains(string(page), "/auth/token") {
		t.Errorf("the sign-in page does not exchange the code on a tap")
	}
	code, body := post("/auth/token", `{"code":"`+m[1]+`"}`)
	var sess struct {
		AccessToken string   `json:"access_token"`
		AssociateID string   `json:"associate_id"`
		Role        string   `json:"role"`
		StoreIDs    []string `json:"store_ids"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &sess) != nil || sess.AssociateID != "a1" || sess.Role != "associate" {
		t.Fatalf("exchange: %d %s", code, body)
	}
	req, _ := http.NewRequest("GET", url+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+sess.AccessToken)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	me, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(me), `"associate_id":"a1"`) {
		t.Errorf("GET /me with the new token: %d %s", res.StatusCode, me)
	}
	if code, _ := post("/auth/token", `{"code":"`+m[1]+`"}`); code != 401 {
		t.Errorf("the same code again: %d, want 401", code)
	}
	if code, _ := post("/auth/token", `{"code":"forged"}`); code != 401 {
		t.Errorf("a forged code: %d, want 401", code)
	}
	// Five links an hour: four more go, the sixth does not.
	for range 5 {
		if code, _ := post("/auth/link", `{"email":"a1@staff.example.com"}`); code != 202 {
			t.Fatalf("link: %d", code)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(signinMails()); n != 5 {
		t.Errorf("sign-in mails after six requests = %d, want 5", n)
	}
	if code, body := post("/auth/link", `{}`); code != 400 || !strings.Contains(body, `"email"`) {
		t.Errorf("link without email: %d %s", code, body)
	}
}
