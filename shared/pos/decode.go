// Package pos decodes, validates and applies the point-of-sale (POS) events the
// webhook receives: store, associate and customer upserts, associate
// terminations, repair take-ins and purchases. The CSV importer applies its rows
// through the same Service methods.
package pos

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// Event types.
const (
	TypeStoreUpserted       = "store.upserted"
	TypeAssociateUpserted   = "associate.upserted"
	TypeAssociateTerminated = "associate.terminated"
	TypeCustomerUpserted    = "customer.upserted"
	TypeRepairCreated       = "repair.created"
	TypePurchaseCreated     = "purchase.created"
	TypeConsentChanged      = "consent.changed"
)

// Limits on free-text fields and lists, so one event cannot bloat a record.
const (
	MaxTextLength = loupe.MaxTextLength // characters of a name, address, phone or item
	MaxListLength = loupe.MaxListLength // entries of strengths, preferences or categories
)

// Event is the envelope of one POS event.
type Event struct {
	ID         string
	Type       string
	OccurredAt time.Time
	Data       json.RawMessage
	// Hash is the hex SHA-256 of the body's JSON value in canonical form
	// (keys sorted, no insignificant space, numbers as written): two
	// deliveries are the same event when their hashes are equal, however
	// their bytes are laid out.
	Hash string
}

// Upsert is the payload of an upsert event: the values, and the fields the
// event carries (present in data, a JSON null included), by their contract
// names (loupe.StoreFields and its siblings).
type Upsert[T any] struct {
	Value  T
	Fields []string
}

// Fields each upsert type may carry.
var (
	storeUpsertFields     = loupe.StoreFields
	associateUpsertFields = []string{"store_id", "name", "email", "strengths", "capacity", "role", "status"}
	customerUpsertFields  = loupe.CustomerFields
)

// carried returns the names of fields present in m.
func carried(m map[string]json.RawMessage, names []string) []string {
	var out []string
	for _, n := range names {
		if _, ok := m[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// emptySaysNothing removes name from fs when its value is "" but not a
// JSON null: for these fields an empty string keeps the stored value.
func emptySaysNothing(fs []string, m map[string]json.RawMessage, name, value string) []string {
	if value != "" || string(bytes.TrimSpace(m[name])) == "null" {
		return fs
	}
	return slices.DeleteFunc(fs, func(n string) bool { return n == name })
}

// canonicalHash returns Event.Hash of body, a JSON object.
func canonicalHash(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	_ = dec.Decode(&v) // body was parsed already
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ConsentChange is the payload of consent.changed: a client's answer on
// one channel.
type ConsentChange struct {
	CustomerID string
	Channel    string
	Consent    loupe.Consent
}

// Termination is the payload of associate.terminated.
type Termination struct {
	AssociateID  string
	TerminatedAt time.Time // the terminated_at field, or occurred_at when absent
}

// Decode parses and validates one event. The payload it returns matches the
// type: loupe.Store (store.upserted), loupe.Associate (associate.upserted;
// Status is "" when the event did not carry one; a role "" or null clears
// it back to loupe.RoleAssociate), Termination
// (associate.terminated), loupe.Customer (customer.upserted; email normalised),
// loupe.Repair (repair.created; LocalDay not yet set) or loupe.Purchase
// (purchase.created). UpdatedAt of upserts is the event's occurred_at.
//
// Returns an EINVALID *loupe.Error whose Field is the JSON path of the culprit
// ("id", "type", "occurred_at", "data", "data.customer_id",
// "data.preferences[2]", ...) for malformed JSON, an unknown type or a missing
// or invalid field. Messages never echo field values.
func Decode(body []byte) (Event, any, error) {
	ev, err := DecodeEnvelope(body)
	if err != nil {
		return Event{}, nil, err
	}
	p, err := DecodeData(ev)
	if err != nil {
		return ev, nil, err
	}
	return ev, p, nil
}

// DecodeEnvelope parses and validates the envelope only (id, type, occurred_at,
// data as a JSON object). Returns an EINVALID *loupe.Error naming the field.
func DecodeEnvelope(body []byte) (Event, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil || env == nil {
		return Event{}, loupe.Invalidf("", "body must be one JSON object")
	}
	f := fields{m: env}
	ev := Event{
		ID:         f.id("id", true),
		Type:       f.str("type", true),
		OccurredAt: f.time("occurred_at", true),
	}
	if f.err != nil {
		return Event{}, f.err
	}
	if !knownType(ev.Type) {
		return Event{}, loupe.Invalidf("type", "type must be one of %s", strings.Join(types, ", "))
	}
	data := bytes.TrimSpace(env["data"])
	if len(data) == 0 || data[0] != '{' {
		return Event{}, loupe.Invalidf("data", "data is required and must be a JSON object")
	}
	ev.Data = json.RawMessage(data)
	ev.Hash = canonicalHash(body)
	return ev, nil
}

var types = []string{TypeStoreUpserted, TypeAssociateUpserted, TypeAssociateTerminated, TypeCustomerUpserted, TypeRepairCreated, TypePurchaseCreated, TypeConsentChanged}

func knownType(t string) bool {
	for _, k := range types {
		if t == k {
			return true
		}
	}
	return false
}

// DecodeData parses and validates ev.Data for ev.Type and returns the typed
// payload described at Decode. Returns an EINVALID *loupe.Error whose Field
// starts with "data.".
func DecodeData(ev Event) (any, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(ev.Data, &m); err != nil || m == nil {
		return nil, loupe.Invalidf("data", "data must be a JSON object")
	}
	f := fields{m: m, prefix: "data."}
	var p any
	var validate func() error
	switch ev.Type {
	case TypeStoreUpserted:
		s := loupe.Store{
			StoreID:       f.id("store_id", true),
			Name:          f.text("name", true),
			Timezone:      f.str("timezone", true),
			Country:       f.str("country", true),
			PostalAddress: f.text("postal_address", false),
			FromEmail:     f.email("from_email"),
			ManagerEmail:  f.email("manager_email"),
			Locale:        f.str("locale", false),
			Phone:         f.text("phone", false),
			LogoURL:       f.str("logo_url", false),
			AccentColor:   f.str("accent_color", false),
			UpdatedAt:     ev.OccurredAt,
		}
		p, validate = Upsert[loupe.Store]{Value: s, Fields: carried(m, storeUpsertFields)}, s.Validate
	case TypeAssociateUpserted:
		a := loupe.Associate{
			AssociateID: f.id("associate_id", true),
			StoreID:     f.id("store_id", true),
			Name:        f.text("name", true),
			Email:       f.email("email"),
			Strengths:   f.categories("strengths"),
			Capacity:    f.capacity("capacity"),
			Role:        f.str("role", false),
			Status:      f.str("status", false),
			UpdatedAt:   ev.OccurredAt,
		}
		if f.err == nil && a.Status != "" && a.Status != loupe.StatusActive && a.Status != loupe.StatusTerminated {
			f.fail("status", "status must be active or terminated")
		}
		fs := carried(m, associateUpsertFields)
		if a.Status == "" {
			// A blank or null status says nothing: status is never cleared
			// (an associate is active or terminated).
			fs = slices.DeleteFunc(fs, func(n string) bool { return n == "status" })
		}
		if a.Status == loupe.StatusTerminated {
			// An upsert that terminates dates the termination at occurred_at.
			a.TerminatedAt = ev.OccurredAt
			fs = append(fs, "terminated_at")
		}
		p = Upsert[loupe.Associate]{Value: a, Fields: fs}
		validate = func() error {
			v := a
			if v.Status == "" {
				v.Status = loupe.StatusActive
			}
			return v.Validate()
		}
	case TypeAssociateTerminated:
		t := Termination{
			AssociateID:  f.id("associate_id", true),
			TerminatedAt: f.time("terminated_at", false),
		}
		if t.TerminatedAt.IsZero() {
			t.TerminatedAt = ev.OccurredAt
		}
		p, validate = t, func() error { return nil }
	case TypeCustomerUpserted:
		c := loupe.Customer{
			CustomerID:  f.id("customer_id", true),
			HomeStoreID: f.id("home_store_id", true),
			FirstName:   f.text("first_name", false),
			LastName:    f.text("last_name", false),
			Email:       f.email("email"),
			Phone:       f.text("phone", false),
			Birthday:    f.date("birthday"),
			Anniversary: f.date("anniversary"),
			Preferences: f.categories("preferences"),
			AssociateID: f.id("associate_id", false),
			EmailOptOut: f.bool("email_opt_out"),
			UpdatedAt:   ev.OccurredAt,

			PostalAddress:    f.address("postal_address"),
			Locale:           f.str("locale", false),
			PreferredChannel: f.str("preferred_channel", false),
		}
		fs := carried(m, customerUpsertFields)
		// An empty email is no address, not a clearing: it keeps the one
		// Loupe captured at a repair; an empty associate_id keeps the owner
		// Loupe placed the client with. A null clears either.
		fs = emptySaysNothing(fs, m, "email", c.Email)
		fs = emptySaysNothing(fs, m, "associate_id", c.AssociateID)
		p, validate = Upsert[loupe.Customer]{Value: c, Fields: fs}, c.Validate
	case TypeRepairCreated:
		r := loupe.Repair{
			RepairID:      f.id("repair_id", true),
			StoreID:       f.id("store_id", true),
			AssociateID:   f.id("associate_id", true),
			CustomerID:    f.id("customer_id", true),
			CustomerEmail: f.str("customer_email", false),
			CustomerPhone: f.text("customer_phone", false),
			Item:          f.text("item", false),
			TakenInAt:     f.time("taken_in_at", false),
		}
		if r.TakenInAt.IsZero() {
			r.TakenInAt = ev.OccurredAt
		}
		p, validate = r, r.Validate
	case TypePurchaseCreated:
		pu := loupe.Purchase{
			PurchaseID:  f.id("purchase_id", true),
			StoreID:     f.id("store_id", true),
			AssociateID: f.id("associate_id", true),
			CustomerID:  f.id("customer_id", true),
			TotalCents:  f.int64("total_cents"),
			Categories:  f.categories("categories"),
			PurchasedAt: f.time("purchased_at", false),
		}
		if pu.PurchasedAt.IsZero() {
			pu.PurchasedAt = ev.OccurredAt
		}
		p, validate = pu, pu.Validate
	case TypeConsentChanged:
		cc := ConsentChange{
			CustomerID: f.id("customer_id", true),
			Channel:    f.str("channel", true),
			Consent: loupe.Consent{
				Status:   f.str("status", true),
				At:       f.time("at", true),
				Source:   f.str("source", false),
				Evidence: f.text("evidence", false),
				Phone:    f.text("phone", false),
			},
		}
		p, validate = cc, func() error { return loupe.ValidateConsent(cc.Channel, cc.Consent) }
	default:
		return nil, loupe.Invalidf("type", "type must be one of %s", strings.Join(types, ", "))
	}
	if f.err != nil {
		return nil, f.err
	}
	if err := validate(); err != nil {
		return nil, prefixField("data.", err)
	}
	return p, nil
}

// prefixField returns err with prefix added to the Field of its *loupe.Error
// (and to the field name the message starts with), or err unchanged.
func prefixField(prefix string, err error) error {
	le, ok := err.(*loupe.Error)
	if !ok || le.Field == "" {
		return err
	}
	msg := le.Message
	if strings.HasPrefix(msg, le.Field) {
		msg = prefix + msg
	}
	return &loupe.Error{Code: le.Code, Field: prefix + le.Field, Message: msg}
}

// fields reads typed values out of a JSON object, keeping the first error.
// A JSON null counts as absent.
type fields struct {
	m      map[string]json.RawMessage
	prefix string
	err    error
}

func (f *fields) fail(name, format string, args ...any) {
	if f.err == nil {
		f.err = loupe.Invalidf(f.prefix+name, "%s", f.prefix+fmt.Sprintf(format, args...))
	}
}

// raw returns the field's JSON, or nil when absent or null.
func (f *fields) raw(name string, required bool) json.RawMessage {
	if f.err != nil {
		return nil
	}
	v := bytes.TrimSpace(f.m[name])
	if len(v) == 0 || string(v) == "null" {
		if required {
			f.fail(name, "%s is required", name)
		}
		return nil
	}
	return v
}

func (f *fields) str(name string, required bool) string {
	v := f.raw(name, required)
	if v == nil {
		return ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		f.fail(name, "%s must be a string", name)
		return ""
	}
	if required && strings.TrimSpace(s) == "" {
		f.fail(name, "%s is required", name)
	}
	return s
}

func (f *fields) id(name string, required bool) string {
	s := f.str(name, required)
	if s != "" && !loupe.ValidID(s) {
		f.fail(name, "%s must be 1-%d printable characters without spaces, '#' or '/'", name, loupe.MaxIDLength)
	}
	return s
}

func (f *fields) text(name string, required bool) string {
	s := strings.TrimSpace(f.str(name, required))
	if len([]rune(s)) > MaxTextLength {
		f.fail(name, "%s is longer than %d characters", name, MaxTextLength)
	}
	return s
}

// address reads a postal address object ({line1, line2, city, region,
// postal_code, country}); null or absent is no address. Unknown keys are
// refused, so a misspelt part is not silently lost.
func (f *fields) address(name string) loupe.PostalAddress {
	v := f.raw(name, false)
	if v == nil {
		return loupe.PostalAddress{}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil || m == nil {
		f.fail(name, "%s must be an object {line1, line2, city, region, postal_code, country}", name)
		return loupe.PostalAddress{}
	}
	sub := fields{m: m, prefix: f.prefix + name + "."}
	a := loupe.PostalAddress{
		Line1:      sub.text("line1", false),
		Line2:      sub.text("line2", false),
		City:       sub.text("city", false),
		Region:     sub.text("region", false),
		PostalCode: sub.text("postal_code", false),
		Country:    strings.ToUpper(sub.text("country", false)),
	}
	for k := range m {
		if !slices.Contains([]string{"line1", "line2", "city", "region", "postal_code", "country"}, k) && sub.err == nil {
			sub.fail(k, "%s is not a part of an address (line1, line2, city, region, postal_code, country)", k)
		}
	}
	if sub.err != nil && f.err == nil {
		f.err = sub.err
	}
	return a
}

func (f *fields) email(name string) string {
	s := f.str(name, false)
	if s == "" {
		return ""
	}
	s = loupe.NormalizeEmail(s)
	if !loupe.ValidEmail(s) {
		f.fail(name, "%s is not a well-formed email address", name)
	}
	return s
}

func (f *fields) time(name string, required bool) time.Time {
	s := f.str(name, required)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		f.fail(name, "%s must be an RFC 3339 time such as 2026-11-20T15:04:05Z", name)
		return time.Time{}
	}
	if t.Year() < 1970 {
		f.fail(name, "%s is before 1970", name)
	}
	return t.UTC()
}

func (f *fields) date(name string) loupe.Date {
	s := f.str(name, false)
	if s == "" {
		return loupe.Date{}
	}
	d, err := loupe.ParseDate(s)
	if err != nil {
		f.fail(name, "%s must be a calendar day YYYY-MM-DD or --MM-DD", name)
	}
	return d
}

func (f *fields) bool(name string) bool {
	v := f.raw(name, false)
	if v == nil {
		return false
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		f.fail(name, "%s must be true or false", name)
	}
	return b
}

func (f *fields) int64(name string) int64 {
	v := f.raw(name, false)
	if v == nil {
		return 0
	}
	var n int64
	if err := json.Unmarshal(v, &n); err != nil {
		f.fail(name, "%s must be an integer", name)
		return 0
	}
	if n < 0 {
		f.fail(name, "%s must not be negative", name)
	}
	return n
}

func (f *fields) capacity(name string) int {
	n := f.int64(name)
	if n > loupe.MaxCapacity {
		f.fail(name, "%s must be at most %d", name, loupe.MaxCapacity)
		return 0
	}
	return int(n)
}

func (f *fields) categories(name string) []string {
	v := f.raw(name, false)
	if v == nil {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		f.fail(name, "%s must be an array of category strings", name)
		return nil
	}
	if len(items) > MaxListLength {
		f.fail(name, "%s holds more than %d entries", name, MaxListLength)
		return nil
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		var s string
		if err := json.Unmarshal(it, &s); err != nil {
			f.fail(fmt.Sprintf("%s[%d]", name, i), "%s[%d] must be a string", name, i)
			return nil
		}
		if !loupe.ValidCategory(s) {
			f.fail(fmt.Sprintf("%s[%d]", name, i), "%s[%d] must match [a-z0-9_]{1,32}", name, i)
			return nil
		}
		out = append(out, s)
	}
	return out
}
