package samtemplate_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/loupehq/loupe/shared/testkit/samtemplate"
)

func TestConventionalDir(t *testing.T) {
	tests := []struct{ id, want string }{
		{"PosWebhookFunction", "pos-webhook"},
		{"SesFeedbackFunction", "ses-feedback"},
		{"SenderFunction", "sender"},
		{"PosWebhook", "pos-webhook"},
		{"Touchpoints", "touchpoints"},
		{"SesFeedback", "ses-feedback"},
	}
	for _, tt := range tests {
		if got := samtemplate.ConventionalDir(tt.id); got != tt.want {
			t.Errorf("ConventionalDir(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

func TestMakefileFunctions(t *testing.T) {
	dir := t.TempDir()
	mk := "# build\nFUNCTIONS := PosWebhookFunction:pos-webhook \\\n\tSenderFunction:sender # the sender\nFUNCTIONS += OddFunction:odd\n"
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte(mk), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := samtemplate.MakefileFunctions(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"PosWebhookFunction": "pos-webhook", "SenderFunction": "sender", "OddFunction": "odd"}
	if len(got) != len(want) {
		t.Errorf("MakefileFunctions = %v, want %v", got, want)
	}
	for id, d := range want {
		if got[id] != d {
			t.Errorf("MakefileFunctions[%s] = %q, want %q", id, got[id], d)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte("FUNCTIONS := NoFolder\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := samtemplate.MakefileFunctions(dir); err == nil {
		t.Error("MakefileFunctions of an entry without folder: want an error")
	}
}
