package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/outbox"
)

func msg(customer, day string) mail.Message {
	return mail.Message{
		From:    "Eclat <hello@eclat.example>",
		To:      customer + "@client.example",
		Subject: "Happy birthday",
		Text:    "Happy birthday.\nUnsubscribe: https://l.example/u/t",
		HTML:    "<p>Happy birthday.</p>",
		Headers: mail.ClientHeaders(customer, "birthday", day, "https://l.example/u/t"),
		Key:     "tp/" + customer + "/birthday/" + day[:4],
	}
}

func newOutbox(t *testing.T) (*outbox.Outbox, string) {
	dir := filepath.Join(t.TempDir(), "outbox")
	o := outbox.New(dir)
	o.Now = func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
	return o, dir
}

func TestSendWritesOneFile(t *testing.T) {
	o, dir := newOutbox(t)
	ctx := context.Background()
	id, err := o.Send(ctx, msg("c1", "2026-06-14"))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o700); got != want {
		t.Errorf("dir mode = %v, want %v", got, want)
	}
	entries, err := o.List()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(entries), 1; got != want {
		t.Fatalf("%d files, want %d", got, want)
	}
	e := entries[0]
	if got, want := e.SendDate, "2026-06-14"; got != want {
		t.Errorf("SendDate = %q, want %q", got, want)
	}
	if got, want := filepath.Ext(e.Name), ".eml"; got != want {
		t.Errorf("extension = %q, want %q", got, want)
	}
	if got, want := "<"+id+">", e.Header.Get("Message-ID"); got != want {
		t.Errorf("id = %q, want Message-ID %q", got, want)
	}
	if got, want := e.Header.Get(mail.HeaderCustomerID), "c1"; got != want {
		t.Errorf("customer header = %q, want %q", got, want)
	}
	fi, err = os.Stat(e.Path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Errorf("file mode = %v, want %v", got, want)
	}
}

func TestSendSameKeyIsNoOp(t *testing.T) {
	o, dir := newOutbox(t)
	ctx := context.Background()
	id1, err := o.Send(ctx, msg("c1", "2026-06-14"))
	if err != nil {
		t.Fatal(err)
	}
	again := msg("c1", "2026-06-15") // same Key, other day and subject
	again.Subject = "Changed"
	id2, err := o.Send(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	// A fresh Outbox on the same directory (a restarted process) knows it too.
	id3, err := outbox.New(dir).Send(ctx, msg("c1", "2026-06-14"))
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 || id1 != id3 {
		t.Errorf("ids %q, %q, %q; want one id for one key", id1, id2, id3)
	}
	entries, _ := o.List()
	if got, want := len(entries), 1; got != want {
		t.Errorf("%d files, want %d", got, want)
	}
}

func TestSendConcurrent(t *testing.T) {
	o, _ := newOutbox(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	ids := make([]string, 40)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := o.Send(ctx, msg(fmt.Sprintf("c%d", i%10), "2026-06-14"))
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		}()
	}
	wg.Wait()
	entries, err := o.List()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(entries), 10; got != want {
		t.Errorf("%d files, want %d (one per key)", got, want)
	}
	for i := range ids {
		if ids[i] != ids[i%10] {
			t.Errorf("id %d = %q, want %q", i, ids[i], ids[i%10])
		}
	}
	des, _ := os.ReadDir(o.Dir)
	if got, want := len(des), 10; got != want {
		t.Errorf("%d directory entries, want %d (temporary files left behind?)", got, want)
	}
}

func TestSendDateFallsBackToNow(t *testing.T) {
	o, _ := newOutbox(t)
	m := msg("c1", "2026-06-14")
	m.Headers = nil
	if _, err := o.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	entries, _ := o.List()
	if len(entries) != 1 {
		t.Fatalf("%d files, want 1", len(entries))
	}
	if got, want := entries[0].SendDate, "2026-03-01"; got != want {
		t.Errorf("SendDate = %q, want %q", got, want)
	}
}

func TestSendErrors(t *testing.T) {
	blocked := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	bad := msg("c1", "2026-06-14")
	bad.Subject = "x\r\nBcc: y@evil.example"
	tests := []struct {
		name    string
		dir     string
		m       mail.Message
		wantErr func(error) bool
	}{
		{"invalid message", t.TempDir(), bad, func(err error) bool { return loupe.ErrorCode(err) == loupe.EINVALID }},
		{"unwritable directory", filepath.Join(blocked, "outbox"), msg("c1", "2026-06-14"),
			func(err error) bool { return errors.Is(err, mail.ErrTemporary) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := outbox.New(tt.dir)
			_, err := o.Send(context.Background(), tt.m)
			if !tt.wantErr(err) {
				t.Fatalf("Send err = %v", err)
			}
			if entries, _ := o.List(); len(entries) != 0 {
				t.Errorf("%d files written, want 0", len(entries))
			}
		})
	}
}

func TestListMissingDir(t *testing.T) {
	entries, err := outbox.New(filepath.Join(t.TempDir(), "none")).List()
	if err != nil || len(entries) != 0 {
		t.Fatalf("List = %v, %v; want empty, nil", entries, err)
	}
}
