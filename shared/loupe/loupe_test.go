package loupe_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    loupe.Date
		wantErr bool
	}{
		{"1985-06-14", loupe.Date{Year: 1985, Month: time.June, Day: 14}, false},
		{"--06-14", loupe.Date{Month: time.June, Day: 14}, false},
		{"--02-29", loupe.Date{Month: time.February, Day: 29}, false},
		{"2000-02-29", loupe.Date{Year: 2000, Month: time.February, Day: 29}, false},
		{"2001-02-29", loupe.Date{}, true},
		{"--02-30", loupe.Date{}, true},
		{"--13-01", loupe.Date{}, true},
		{"--1-01", loupe.Date{}, true},
		{"1985-6-14", loupe.Date{}, true},
		{"14/06/1985", loupe.Date{}, true},
		{"", loupe.Date{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := loupe.ParseDate(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseDate(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("ParseDate(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if err == nil && got.String() != tt.in {
				t.Fatalf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestDateJSON(t *testing.T) {
	var v struct {
		B loupe.Date `json:"b"`
		A loupe.Date `json:"a"`
	}
	if err := json.Unmarshal([]byte(`{"b":"--12-25","a":null}`), &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v)
	if got, want := string(out), `{"b":"--12-25","a":null}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if err := json.Unmarshal([]byte(`{"b":"12-25"}`), &v); loupe.ErrorCode(err) != loupe.EINVALID {
		t.Fatalf("bad date error code = %q, want invalid", loupe.ErrorCode(err))
	}
}

func TestValidEmail(t *testing.T) {
	good := []string{"ann@example.com", "a.b+tag@mail.example.co.uk", "X_Y@EXAMPLE.COM", "ann@xn--bcher-kva.de"}
	bad := []string{"", "ann", "ann@", "@example.com", "ann@example", "ann@@example.com", "Ann <ann@example.com>",
		"ann@example..com", "ann @example.com", "ann@example.com, bob@example.com", "ann@-x.com", "ann@x.c-",
		"jos\u00e9@example.com", "ann\u200b@example.com", "ann\u00a0lee@example.com", "ann@b\u00fccher.de",
		"z@co.c", "ann@10.0.0.1", "ann@" + strings.Repeat("a", 64) + ".com"}
	for _, s := range good {
		if !loupe.ValidEmail(s) {
			t.Errorf("ValidEmail(%q) = false, want true", s)
		}
	}
	for _, s := range bad {
		if loupe.ValidEmail(s) {
			t.Errorf("ValidEmail(%q) = true, want false", s)
		}
	}
}

func TestValidCategory(t *testing.T) {
	for s, want := range map[string]bool{"bridal": true, "colored_gemstones": true, "a1": true, "": false, "Bridal": false,
		"with-dash": false, "abcdefghijabcdefghijabcdefghijab": true, "abcdefghijabcdefghijabcdefghijabc": false} {
		if got := loupe.ValidCategory(s); got != want {
			t.Errorf("ValidCategory(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestValidateNamesField(t *testing.T) {
	tests := []struct {
		name  string
		v     interface{ Validate() error }
		field string
	}{
		{"store no tz", loupe.Store{StoreID: "s1", Name: "Fifth Ave", Country: "US"}, "timezone"},
		{"store bad tz", loupe.Store{StoreID: "s1", Name: "Fifth Ave", Timezone: "Mars/Olympus", Country: "US"}, "timezone"},
		{"store bad country", loupe.Store{StoreID: "s1", Name: "Fifth Ave", Timezone: "America/New_York", Country: "usa"}, "country"},
		{"associate bad strength", loupe.Associate{AssociateID: "a1", StoreID: "s1", Name: "Ann", Status: "active", Strengths: []string{"Bridal"}}, "strengths"},
		{"associate negative capacity", loupe.Associate{AssociateID: "a1", StoreID: "s1", Name: "Ann", Status: "active", Capacity: -1}, "capacity"},
		{"customer no id", loupe.Customer{HomeStoreID: "s1"}, "customer_id"},
		{"customer id with hash", loupe.Customer{CustomerID: "c#1", HomeStoreID: "s1"}, "customer_id"},
		{"customer bad email", loupe.Customer{CustomerID: "c1", HomeStoreID: "s1", Email: "nope"}, "email"},
		{"repair no time", loupe.Repair{RepairID: "r", StoreID: "s", AssociateID: "a", CustomerID: "c"}, "taken_in_at"},
		{"purchase negative", loupe.Purchase{PurchaseID: "p", StoreID: "s", AssociateID: "a", CustomerID: "c", TotalCents: -5}, "total_cents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.Validate()
			var le *loupe.Error
			if !errors.As(err, &le) || le.Code != loupe.EINVALID {
				t.Fatalf("Validate() = %v, want EINVALID", err)
			}
			if le.Field != tt.field {
				t.Fatalf("field = %q, want %q", le.Field, tt.field)
			}
		})
	}
	ok := loupe.Store{StoreID: "s1", Name: "Fifth Ave", Timezone: "America/New_York", Country: "US"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid store: %v", err)
	}
}
