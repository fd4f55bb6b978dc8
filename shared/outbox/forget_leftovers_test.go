package outbox_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/outbox"
	"github.com/loupehq/loupe/shared/textin"
	"github.com/loupehq/loupe/shared/textmsg"
	"github.com/loupehq/loupe/shared/touch"
)

// holding returns the files under dir (any depth) whose content holds one
// of values.
func holding(t *testing.T, dir string, values ...string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, v := range values {
			if strings.Contains(string(raw), v) {
				rel, _ := filepath.Rel(dir, p)
				out = append(out, rel)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// plant writes a stray temporary file at p holding data, last modified
// age ago.
func plant(t *testing.T, p string, data []byte, age time.Duration) {
	t.Helper()
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	then := time.Now().Add(-age)
	if err := os.Chtimes(p, then, then); err != nil {
		t.Fatal(err)
	}
}

// TestForgetReachesClaimsAndTemporaryFiles: what a crash leaves goes too.
// A claim whose visible file was never linked (here removed, as a crash
// between put's two links leaves it) becomes a tombstone; temporary files
// naming the client go whatever their age, others only once stale (a
// younger one may be another process's write in flight). The keys are
// still never written again, by this Outbox or a fresh one.
func TestForgetReachesClaimsAndTemporaryFiles(t *testing.T) {
	o, dir := newOutbox(t)
	ctx := context.Background()
	texts, calls := o.Texts(ids), o.Calls(ids)
	own := smsTouch("c1", "s1", touch.Birthday, "+12125550142")
	other := smsTouch("c7", "s1", touch.Birthday, "+12125550177")
	stop := textin.Reply{Key: "sms-reply/in-1/stop_confirmation", To: "+12125550142", From: "+18005550100",
		Body: "Éclat: you will get no more texts.", Kind: textin.KindStopConfirmation}
	call := voiceTouch(textmsg.RepairReady)
	for _, tp := range []touch.Touch{own, other} {
		if _, err := texts.Send(ctx, tp); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := texts.Reply(ctx, stop); err != nil {
		t.Fatal(err)
	}
	if _, err := calls.Send(ctx, call); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Send(ctx, msg("c1", "2026-06-14")); err != nil {
		t.Fatal(err)
	}
	sent, _ := texts.List()
	byCustomer := map[string][]byte{}
	for _, rec := range sent {
		raw, err := os.ReadFile(rec.File)
		if err != nil {
			t.Fatal(err)
		}
		byCustomer[rec.CustomerID+rec.Kind] = raw
		if rec.CustomerID == "c7" {
			continue
		}
		// A crash between the links: the claim holds the text, no visible file.
		if err := os.Remove(rec.File); err != nil {
			t.Fatal(err)
		}
	}
	recs, _ := calls.List()
	if err := os.Remove(recs[0].File); err != nil {
		t.Fatal(err)
	}
	mine, others := byCustomer["c1"+outbox.KindTouchpoint], byCustomer["c7"+outbox.KindTouchpoint]
	sms, voice := filepath.Join(dir, "sms"), filepath.Join(dir, "voice")
	plant(t, filepath.Join(sms, ".claims", ".tmp-young-mine"), mine, 0)
	plant(t, filepath.Join(sms, ".tmp-cut-short"), mine[:len(mine)/2], 0) // a partial write naming the phone
	plant(t, filepath.Join(sms, ".claims", ".tmp-stale-other"), others, time.Hour)
	plant(t, filepath.Join(sms, ".claims", ".tmp-young-other"), others, 0)
	plant(t, filepath.Join(voice, ".claims", ".tmp-stale-empty"), nil, time.Hour)
	plant(t, filepath.Join(dir, ".tmp-young-mine.eml"), []byte("To: c1@client.example\r\n\r\nHappy birthday"), 0)
	plant(t, filepath.Join(dir, ".tmp-stale-other.eml"), []byte("To: c7@client.example\r\n\r\nHappy birthday"), time.Hour)
	if !strings.Contains(string(mine[:len(mine)/2]), "+12125550142") {
		t.Fatal("the partial file lacks the phone the test looks for")
	}
	if got := holding(t, dir, "+12125550142"); len(got) < 5 {
		t.Fatalf("before: the phone is in %v, want the claims, the call and the temporary files", got)
	}

	e := loupe.Erasure{CustomerID: "c1", Customer: loupe.Customer{CustomerID: "c1", FirstName: "Ana", LastName: "Lima",
		Phone: "+12125550142", Email: "c1@client.example"}}
	if err := o.Forget(ctx, e); err != nil {
		t.Fatal(err)
	}
	if got := holding(t, dir, "+12125550142", `"c1"`, "c1@client.example"); len(got) != 0 {
		t.Errorf("after Forget the client is still in %v", got)
	}
	var temps []string
	for _, d := range []string{dir, sms, filepath.Join(sms, ".claims"), voice, filepath.Join(voice, ".claims")} {
		for _, n := range files(t, d) {
			if strings.HasPrefix(n, ".tmp-") {
				temps = append(temps, n)
			}
		}
	}
	if want := []string{".tmp-young-other"}; !slices.Equal(temps, want) {
		t.Errorf("temporary files left %v, want %v (another client's, maybe in flight)", temps, want)
	}
	claims := 0
	for _, d := range []string{filepath.Join(sms, ".claims"), filepath.Join(voice, ".claims")} {
		for _, n := range files(t, d) {
			if fi, err := os.Stat(filepath.Join(d, n)); err == nil && !strings.HasPrefix(n, ".") && fi.Size() == 0 {
				claims++
			}
		}
	}
	if claims != 3 {
		t.Errorf("%d empty claims, want 3 tombstones (the text, the reply, the call)", claims)
	}

	// Never written again, nor its visible file brought back from the claim.
	o2 := outbox.New(dir)
	for i, send := range []func() (string, error){
		func() (string, error) { return texts.Send(ctx, own) },
		func() (string, error) { return o2.Texts(ids).Send(ctx, own) },
		func() (string, error) { return o2.Texts(ids).Reply(ctx, stop) },
		func() (string, error) { return o2.Calls(ids).Send(ctx, call) },
	} {
		if id, err := send(); err != nil || id == "" {
			t.Fatalf("send %d after the erasure: %q, %v", i, id, err)
		}
	}
	if left, _ := texts.List(); len(left) != 1 || left[0].CustomerID != "c7" {
		t.Errorf("texts after sending again: %+v, want only c7's", left)
	}
	if left, _ := calls.List(); len(left) != 0 {
		t.Errorf("calls after sending again: %+v", left)
	}
	if got := holding(t, dir, "+12125550142"); len(got) != 0 {
		t.Errorf("sending again wrote the client into %v", got)
	}
	if err := o.Forget(ctx, e); err != nil {
		t.Errorf("Forget again: %v", err)
	}
}
