package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestBar(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	clock := t0
	var buf bytes.Buffer
	b := &Bar{W: &buf, Label: "customers.csv", Width: 10, Now: func() time.Time { return clock }}
	b.Update(0, 100)
	clock = clock.Add(50 * time.Millisecond)
	b.Update(10, 100) // too soon: not drawn
	clock = clock.Add(2 * time.Second)
	b.Update(50, 100)
	b.Update(100, 100) // the end is always drawn
	b.Done()
	got := strings.Split(buf.String(), "\r")
	want := []string{"", "customers.csv [          ]   0% 0s", "customers.csv [=====     ]  50% 2s",
		"customers.csv [==========] 100% 2s\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
	if IsTerminal(&buf) {
		t.Fatal("a buffer is not a terminal")
	}
}
