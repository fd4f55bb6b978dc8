package touch

import (
	"testing"

	"github.com/loupehq/loupe/shared/loupe"
)

func TestParseKey(t *testing.T) {
	for _, k := range []Key{
		{CustomerID: "c1", Occasion: Birthday, Year: 2026},
		{CustomerID: "c-9_x", Occasion: "event:spring", Year: 2027},
		PurchaseKey("c1", "thank_you", "p1"),
		RepairKey("c1", "repair_ready", "r:9"),
	} {
		got, err := ParseKey(k.MailKey())
		if err != nil || got != k {
			t.Errorf("ParseKey(%q) = %+v, %v; want %+v", k.MailKey(), got, err, k)
		}
	}
	for _, s := range []string{"", "tp/", "tp/c1", "tp/c1/birthday", "tp//birthday/2026", "tp/c1//2026",
		"tp/c1/birthday/x", "tp/c1/birthday/+1", "tp/c1/a/b/2026", "xx/c1/birthday/2026", "tp/c 1/birthday/2026"} {
		if _, err := ParseKey(s); loupe.ErrorCode(err) != loupe.EINVALID {
			t.Errorf("ParseKey(%q): got %v, want EINVALID", s, err)
		}
	}
	if got, want := (Key{CustomerID: "c1", Occasion: Birthday, Year: 2026}).ContactRef(), "touchpoint:tp/c1/birthday/2026"; got != want {
		t.Errorf("ContactRef = %q, want %q", got, want)
	}
}
