package pos_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/pos"
)

// event returns an envelope around data.
func event(id, typ, occurred, data string) []byte {
	return []byte(`{"id":"` + id + `","type":"` + typ + `","occurred_at":"` + occurred + `","data":` + data + `}`)
}

const at = "2026-11-20T15:04:05Z"

var atTime = time.Date(2026, time.November, 20, 15, 4, 5, 0, time.UTC)

func TestDecodeValid(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want any
	}{
		{"store", event("e1", pos.TypeStoreUpserted, at, `{"store_id":"s1","name":"Fifth Ave","timezone":"America/New_York","country":"US","postal_address":"1 Fifth Ave","from_email":"shop@example.com"}`),
			pos.Upsert[loupe.Store]{Value: loupe.Store{StoreID: "s1", Name: "Fifth Ave", Timezone: "America/New_York", Country: "US", PostalAddress: "1 Fifth Ave", FromEmail: "shop@example.com", UpdatedAt: atTime},
				Fields: []string{"name", "timezone", "country", "postal_address", "from_email"}}},
		{"associate without status", event("e2", pos.TypeAssociateUpserted, at, `{"associate_id":"a1","store_id":"s1","name":"Ann","strengths":["bridal"],"capacity":30}`),
			pos.Upsert[loupe.Associate]{Value: loupe.Associate{AssociateID: "a1", StoreID: "s1", Name: "Ann", Strengths: []string{"bridal"}, Capacity: 30, UpdatedAt: atTime},
				Fields: []string{"store_id", "name", "strengths", "capacity"}}},
		{"associate terminated status", event("e3", pos.TypeAssociateUpserted, at, `{"associate_id":"a1","store_id":"s1","name":"Ann","status":"terminated"}`),
			pos.Upsert[loupe.Associate]{Value: loupe.Associate{AssociateID: "a1", StoreID: "s1", Name: "Ann", Status: loupe.StatusTerminated, TerminatedAt: atTime, UpdatedAt: atTime},
				Fields: []string{"store_id", "name", "status", "terminated_at"}}},
		{"termination defaults to occurred_at", event("e4", pos.TypeAssociateTerminated, at, `{"associate_id":"a1"}`),
			pos.Termination{AssociateID: "a1", TerminatedAt: atTime}},
		{"termination with time", event("e5", pos.TypeAssociateTerminated, at, `{"associate_id":"a1","terminated_at":"2026-11-19T10:00:00-05:00"}`),
			pos.Termination{AssociateID: "a1", TerminatedAt: time.Date(2026, 11, 19, 15, 0, 0, 0, time.UTC)}},
		{"customer", event("e6", pos.TypeCustomerUpserted, at, `{"customer_id":"c1","home_store_id":"s1","first_name":"Bea","email":"Bea@Example.COM","birthday":"--06-14","anniversary":"2010-09-01","preferences":["pearls","gold"],"associate_id":"a1","email_opt_out":true,"extra":1}`),
			pos.Upsert[loupe.Customer]{Value: loupe.Customer{CustomerID: "c1", HomeStoreID: "s1", FirstName: "Bea", Email: "Bea@example.com", Birthday: loupe.Date{Month: 6, Day: 14}, Anniversary: loupe.Date{Year: 2010, Month: 9, Day: 1}, Preferences: []string{"pearls", "gold"}, AssociateID: "a1", EmailOptOut: true, UpdatedAt: atTime},
				Fields: []string{"home_store_id", "first_name", "email", "birthday", "anniversary", "preferences", "associate_id", "email_opt_out"}}},
		{"customer v2 fields", event("e6", pos.TypeCustomerUpserted, at, `{"customer_id":"c1","home_store_id":"s1","postal_address":{"line1":" 12 Elm St ","city":"Lyon","postal_code":"69001","country":"fr"},"locale":"fr-FR","preferred_channel":"mail"}`),
			pos.Upsert[loupe.Customer]{Value: loupe.Customer{CustomerID: "c1", HomeStoreID: "s1", UpdatedAt: atTime,
				PostalAddress: loupe.PostalAddress{Line1: "12 Elm St", City: "Lyon", PostalCode: "69001", Country: "FR"}, Locale: "fr-FR", PreferredChannel: "mail"},
				Fields: []string{"home_store_id", "postal_address", "locale", "preferred_channel"}}},
		{"store v2 fields", event("e1", pos.TypeStoreUpserted, at, `{"store_id":"s1","name":"Lyon","timezone":"Europe/Paris","country":"FR","locale":"fr-FR","phone":"+33 4 78 00 00 00","logo_url":"https://cdn.example.com/l.png","accent_color":"#8A6D3B"}`),
			pos.Upsert[loupe.Store]{Value: loupe.Store{StoreID: "s1", Name: "Lyon", Timezone: "Europe/Paris", Country: "FR", Locale: "fr-FR", Phone: "+33 4 78 00 00 00", LogoURL: "https://cdn.example.com/l.png", AccentColor: "#8A6D3B", UpdatedAt: atTime},
				Fields: []string{"name", "timezone", "country", "locale", "phone", "logo_url", "accent_color"}}},
		{"customer nulls", event("e7", pos.TypeCustomerUpserted, at, `{"customer_id":"c1","home_store_id":"s1","email":null,"birthday":null,"preferences":null}`),
			pos.Upsert[loupe.Customer]{Value: loupe.Customer{CustomerID: "c1", HomeStoreID: "s1", UpdatedAt: atTime},
				Fields: []string{"home_store_id", "email", "birthday", "preferences"}}},
		{"customer empty email is no address", event("e7", pos.TypeCustomerUpserted, at, `{"customer_id":"c1","home_store_id":"s1","email":"","phone":""}`),
			pos.Upsert[loupe.Customer]{Value: loupe.Customer{CustomerID: "c1", HomeStoreID: "s1", UpdatedAt: atTime},
				Fields: []string{"home_store_id", "phone"}}},
		{"repair malformed email kept", event("e8", pos.TypeRepairCreated, at, `{"repair_id":"r1","store_id":"s1","associate_id":"a1","customer_id":"c1","customer_email":"bea@@example","item":"ring sizing"}`),
			loupe.Repair{RepairID: "r1", StoreID: "s1", AssociateID: "a1", CustomerID: "c1", CustomerEmail: "bea@@example", Item: "ring sizing", TakenInAt: atTime}},
		{"purchase", event("e9", pos.TypePurchaseCreated, at, `{"purchase_id":"p1","store_id":"s1","associate_id":"a1","customer_id":"c1","total_cents":129900,"categories":["watches"],"purchased_at":"2026-11-20T14:00:00.5Z"}`),
			loupe.Purchase{PurchaseID: "p1", StoreID: "s1", AssociateID: "a1", CustomerID: "c1", TotalCents: 129900, Categories: []string{"watches"}, PurchasedAt: time.Date(2026, 11, 20, 14, 0, 0, 5e8, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, got, err := pos.Decode(tt.body)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !ev.OccurredAt.Equal(atTime) {
				t.Errorf("OccurredAt = %v, want %v", ev.OccurredAt, atTime)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(tt.want)
			if string(g) != string(w) {
				t.Errorf("payload:\n got %s\nwant %s", g, w)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	cust := func(data string) []byte { return event("e1", pos.TypeCustomerUpserted, at, data) }
	tests := []struct {
		name      string
		body      string
		wantField string
	}{
		{"not json", `{"id":`, ""},
		{"array", `[]`, ""},
		{"null", `null`, ""},
		{"trailing garbage", string(cust(`{"customer_id":"c1","home_store_id":"s1"}`)) + "x", ""},
		{"missing id", `{"type":"customer.upserted","occurred_at":"` + at + `","data":{}}`, "id"},
		{"numeric id", `{"id":5,"type":"customer.upserted","occurred_at":"` + at + `","data":{}}`, "id"},
		{"id with space", string(event("e 1", pos.TypeCustomerUpserted, at, `{}`)), "id"},
		{"missing type", `{"id":"e1","occurred_at":"` + at + `","data":{}}`, "type"},
		{"unknown type", string(event("e1", "customer.deleted", at, `{}`)), "type"},
		{"missing occurred_at", `{"id":"e1","type":"customer.upserted","data":{}}`, "occurred_at"},
		{"bad occurred_at", string(event("e1", pos.TypeCustomerUpserted, "2026-11-20 15:04", `{}`)), "occurred_at"},
		{"missing data", `{"id":"e1","type":"customer.upserted","occurred_at":"` + at + `"}`, "data"},
		{"data not object", string(event("e1", pos.TypeCustomerUpserted, at, `[1]`)), "data"},
		{"missing customer_id", string(cust(`{"home_store_id":"s1"}`)), "data.customer_id"},
		{"empty customer_id", string(cust(`{"customer_id":"","home_store_id":"s1"}`)), "data.customer_id"},
		{"customer_id number", string(cust(`{"customer_id":7,"home_store_id":"s1"}`)), "data.customer_id"},
		{"missing home_store_id", string(cust(`{"customer_id":"c1"}`)), "data.home_store_id"},
		{"bad email", string(cust(`{"customer_id":"c1","home_store_id":"s1","email":"not-an-email"}`)), "data.email"},
		{"bad birthday", string(cust(`{"customer_id":"c1","home_store_id":"s1","birthday":"14/06/1985"}`)), "data.birthday"},
		{"feb 30", string(cust(`{"customer_id":"c1","home_store_id":"s1","anniversary":"--02-30"}`)), "data.anniversary"},
		{"preferences not array", string(cust(`{"customer_id":"c1","home_store_id":"s1","preferences":"gold"}`)), "data.preferences"},
		{"bad category", string(cust(`{"customer_id":"c1","home_store_id":"s1","preferences":["gold","pearls","Bridal"]}`)), "data.preferences[2]"},
		{"category number", string(cust(`{"customer_id":"c1","home_store_id":"s1","preferences":[1]}`)), "data.preferences[0]"},
		{"opt out string", string(cust(`{"customer_id":"c1","home_store_id":"s1","email_opt_out":"yes"}`)), "data.email_opt_out"},
		{"address not object", string(cust(`{"customer_id":"c1","home_store_id":"s1","postal_address":"12 Elm St"}`)), "data.postal_address"},
		{"address without city", string(cust(`{"customer_id":"c1","home_store_id":"s1","postal_address":{"line1":"12 Elm St","country":"US"}}`)), "data.postal_address.city"},
		{"address unknown part", string(cust(`{"customer_id":"c1","home_store_id":"s1","postal_address":{"line1":"12 Elm St","city":"X","country":"US","zip":"1"}}`)), "data.postal_address.zip"},
		{"address bad country", string(cust(`{"customer_id":"c1","home_store_id":"s1","postal_address":{"line1":"12 Elm St","city":"X","country":"USA"}}`)), "data.postal_address.country"},
		{"address line break", string(cust(`{"customer_id":"c1","home_store_id":"s1","postal_address":{"line1":"12 Elm St\nBcc: x","city":"X","country":"US"}}`)), "data.postal_address.line1"},
		{"bad locale", string(cust(`{"customer_id":"c1","home_store_id":"s1","locale":"english please"}`)), "data.locale"},
		{"bad preferred channel", string(cust(`{"customer_id":"c1","home_store_id":"s1","preferred_channel":"pigeon"}`)), "data.preferred_channel"},
		{"http logo", string(event("e1", pos.TypeStoreUpserted, at, `{"store_id":"s1","name":"X","timezone":"UTC","country":"US","logo_url":"http://x.example.com/l.png"}`)), "data.logo_url"},
		{"bad accent colour", string(event("e1", pos.TypeStoreUpserted, at, `{"store_id":"s1","name":"X","timezone":"UTC","country":"US","accent_color":"gold"}`)), "data.accent_color"},
		{"bad timezone", string(event("e1", pos.TypeStoreUpserted, at, `{"store_id":"s1","name":"X","timezone":"Mars/Olympus","country":"US"}`)), "data.timezone"},
		{"missing country", string(event("e1", pos.TypeStoreUpserted, at, `{"store_id":"s1","name":"X","timezone":"UTC"}`)), "data.country"},
		{"bad status", string(event("e1", pos.TypeAssociateUpserted, at, `{"associate_id":"a1","store_id":"s1","name":"A","status":"gone"}`)), "data.status"},
		{"negative capacity", string(event("e1", pos.TypeAssociateUpserted, at, `{"associate_id":"a1","store_id":"s1","name":"A","capacity":-1}`)), "data.capacity"},
		{"fractional capacity", string(event("e1", pos.TypeAssociateUpserted, at, `{"associate_id":"a1","store_id":"s1","name":"A","capacity":1.5}`)), "data.capacity"},
		{"blank name", string(event("e1", pos.TypeAssociateUpserted, at, `{"associate_id":"a1","store_id":"s1","name":"  "}`)), "data.name"},
		{"termination bad time", string(event("e1", pos.TypeAssociateTerminated, at, `{"associate_id":"a1","terminated_at":"yesterday"}`)), "data.terminated_at"},
		{"repair missing associate", string(event("e1", pos.TypeRepairCreated, at, `{"repair_id":"r1","store_id":"s1","customer_id":"c1"}`)), "data.associate_id"},
		{"repair bad taken_in_at", string(event("e1", pos.TypeRepairCreated, at, `{"repair_id":"r1","store_id":"s1","associate_id":"a1","customer_id":"c1","taken_in_at":"2026-11-20"}`)), "data.taken_in_at"},
		{"repair email not string", string(event("e1", pos.TypeRepairCreated, at, `{"repair_id":"r1","store_id":"s1","associate_id":"a1","customer_id":"c1","customer_email":false}`)), "data.customer_email"},
		{"purchase negative total", string(event("e1", pos.TypePurchaseCreated, at, `{"purchase_id":"p1","store_id":"s1","associate_id":"a1","customer_id":"c1","total_cents":-5}`)), "data.total_cents"},
		{"purchase bad category", string(event("e1", pos.TypePurchaseCreated, at, `{"purchase_id":"p1","store_id":"s1","associate_id":"a1","customer_id":"c1","categories":["ok","no way"]}`)), "data.categories[1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := pos.Decode([]byte(tt.body))
			var le *loupe.Error
			if !errors.As(err, &le) || le.Code != loupe.EINVALID {
				t.Fatalf("Decode err = %v, want an invalid *loupe.Error", err)
			}
			if le.Field != tt.wantField {
				t.Errorf("Field = %q, want %q (message %q)", le.Field, tt.wantField, le.Message)
			}
			if tt.wantField != "" && !strings.HasPrefix(le.Message, tt.wantField) {
				t.Errorf("Message = %q, want it to start with %q", le.Message, tt.wantField)
			}
			if strings.Contains(le.Message, "not-an-email") || strings.Contains(le.Message, "14/06/1985") {
				t.Errorf("Message %q echoes a field value", le.Message)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(event("e1", pos.TypeCustomerUpserted, at, `{"customer_id":"c1","home_store_id":"s1","email":"a@example.com","birthday":"--02-29","preferences":["gold"]}`))
	f.Add(event("e2", pos.TypeStoreUpserted, at, `{"store_id":"s1","name":"X","timezone":"Europe/Paris","country":"FR"}`))
	f.Add(event("e3", pos.TypeAssociateUpserted, at, `{"associate_id":"a1","store_id":"s1","name":"A","capacity":3,"status":"active"}`))
	f.Add(event("e4", pos.TypeAssociateTerminated, at, `{"associate_id":"a1"}`))
	f.Add(event("e5", pos.TypeRepairCreated, at, `{"repair_id":"r1","store_id":"s1","associate_id":"a1","customer_id":"c1","customer_email":"x@"}`))
	f.Add(event("e6", pos.TypePurchaseCreated, at, `{"purchase_id":"p1","store_id":"s1","associate_id":"a1","customer_id":"c1","total_cents":1e3}`))
	f.Add([]byte(`{"id":null,"type":[],"occurred_at":{},"data":"x"}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, p, err := pos.Decode(body)
		if err != nil {
			if loupe.ErrorCode(err) != loupe.EINVALID {
				t.Fatalf("Decode error code = %q, want invalid: %v", loupe.ErrorCode(err), err)
			}
			return
		}
		if p == nil || !loupe.ValidID(ev.ID) || ev.OccurredAt.IsZero() {
			t.Fatalf("Decode accepted %q with payload %v event %+v", body, p, ev)
		}
	})
}

// TestDecodeEmptySaysNothing: an empty email, associate_id or status is not
// carried (the stored value stays); a null is, and clears.
func TestDecodeEmptySaysNothing(t *testing.T) {
	tests := []struct {
		typ, data string
		want      []string
	}{
		{pos.TypeCustomerUpserted, `{"customer_id":"c1","home_store_id":"s1","email":"","associate_id":"","phone":""}`, []string{"home_store_id", "phone"}},
		{pos.TypeCustomerUpserted, `{"customer_id":"c1","home_store_id":"s1","email":null,"associate_id":null}`, []string{"home_store_id", "email", "associate_id"}},
		{pos.TypeAssociateUpserted, `{"associate_id":"a1","store_id":"s1","name":"A","status":""}`, []string{"store_id", "name"}},
		{pos.TypeAssociateUpserted, `{"associate_id":"a1","store_id":"s1","name":"A","status":null}`, []string{"store_id", "name"}},
	}
	for _, tt := range tests {
		_, p, err := pos.Decode(event("e1", tt.typ, at, tt.data))
		if err != nil {
			t.Fatalf("%s: %v", tt.data, err)
		}
		var got []string
		switch v := p.(type) {
		case pos.Upsert[loupe.Customer]:
			got = v.Fields
		case pos.Upsert[loupe.Associate]:
			got = v.Fields
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: carries %v, want %v", tt.data, got, tt.want)
		}
	}
}
