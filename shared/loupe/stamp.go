package loupe

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Stamp orders the writes to one field of a record (CONTRACT section 2,
// "Order"): the occurred_at of the write in UTC with nine fractional digits,
// "|", and the event id. Its string order is the order of (occurred_at, event
// id). The empty Stamp is older than every other: an import row without
// updated_at carries it. Writes Loupe makes itself (a reassignment, a claim,
// an email captured at a repair) carry the server's time and an id starting
// with "~", which sorts after every event id at the same instant.
type Stamp string

const stampLayout = "2006-01-02T15:04:05.000000000Z"

// StampOf returns the stamp of a write at at by event id ("" for an import
// row). The zero at gives the empty Stamp.
func StampOf(at time.Time, id string) Stamp {
	if at.IsZero() {
		return ""
	}
	return Stamp(at.UTC().Format(stampLayout) + "|" + id)
}

// Time returns the instant of s, the zero time for the empty Stamp.
func (s Stamp) Time() time.Time {
	t, _ := time.Parse(stampLayout, strings.SplitN(string(s), "|", 2)[0])
	return t
}

// ID returns the event id of s.
func (s Stamp) ID() string {
	_, id, _ := strings.Cut(string(s), "|")
	return id
}

// Stamps holds, per field of a record (the contract's JSON names), the stamp
// of the write that set it. A field without an entry was never set by a
// stamped write.
type Stamps map[string]Stamp

func (st Stamps) clone() Stamps {
	out := make(Stamps, len(st)+4)
	for k, v := range st {
		out[k] = v
	}
	return out
}

// Update is what one POS event or import row writes to a record: the fields
// it carries (present in the event, a JSON null included: a null clears) and
// its stamp.
type Update struct {
	Fields []string
	Stamp  Stamp
}

// Carries reports whether u carries field.
func (u Update) Carries(field string) bool { return slices.Contains(u.Fields, field) }

// Without returns u without field.
func (u Update) Without(field string) Update {
	out := Update{Stamp: u.Stamp}
	for _, f := range u.Fields {
		if f != field {
			out.Fields = append(out.Fields, f)
		}
	}
	return out
}

// field is one mergeable field of a record type: its contract name and a
// pointer to its value.
type field[T any] struct {
	name string
	ptr  func(*T) any
}

// mergeFields copies into dst each field of src that u carries and whose
// stored stamp is not newer than u's, recording u's stamp. It returns the
// names of the fields whose value or stamp changed. An equal stamp with an
// equal value changes nothing (a replay); an equal stamp with another value
// (two import rows without updated_at) writes the later one.
func mergeFields[T any](dst *T, stamps Stamps, src *T, u Update, fields []field[T]) []string {
	var changed []string
	for _, f := range fields {
		if !u.Carries(f.name) {
			continue
		}
		cur := stamps[f.name]
		if u.Stamp < cur {
			continue
		}
		d, s := reflect.ValueOf(f.ptr(dst)).Elem(), reflect.ValueOf(f.ptr(src)).Elem()
		same := sameValue(d, s)
		if u.Stamp == cur && same {
			continue
		}
		if !same {
			d.Set(s)
		}
		if u.Stamp != "" {
			stamps[f.name] = u.Stamp
		}
		changed = append(changed, f.name)
	}
	return changed
}

// sameValue compares two field values, a nil and an empty list alike.
func sameValue(a, b reflect.Value) bool {
	if a.Kind() == reflect.Slice && a.Len() == 0 && b.Len() == 0 {
		return true
	}
	if t, ok := a.Interface().(time.Time); ok {
		return t.Equal(b.Interface().(time.Time))
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// later returns the later of two instants.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Store fields a store.upserted carries (store_id is the key).
var storeFields = []field[Store]{
	{"name", func(s *Store) any { return &s.Name }},
	{"timezone", func(s *Store) any { return &s.Timezone }},
	{"country", func(s *Store) any { return &s.Country }},
	{"postal_address", func(s *Store) any { return &s.PostalAddress }},
	{"from_email", func(s *Store) any { return &s.FromEmail }},
	{"manager_email", func(s *Store) any { return &s.ManagerEmail }},
	{"locale", func(s *Store) any { return &s.Locale }},
	{"phone", func(s *Store) any { return &s.Phone }},
	{"logo_url", func(s *Store) any { return &s.LogoURL }},
	{"accent_color", func(s *Store) any { return &s.AccentColor }},
}

// Associate fields an associate.upserted or associate.terminated carries.
var associateFields = []field[Associate]{
	{"store_id", func(a *Associate) any { return &a.StoreID }},
	{"name", func(a *Associate) any { return &a.Name }},
	{"email", func(a *Associate) any { return &a.Email }},
	{"strengths", func(a *Associate) any { return &a.Strengths }},
	{"capacity", func(a *Associate) any { return &a.Capacity }},
	{"role", func(a *Associate) any { return &a.Role }},
	{"status", func(a *Associate) any { return &a.Status }},
	{"terminated_at", func(a *Associate) any { return &a.TerminatedAt }},
}

// Customer fields a customer.upserted carries. The email fields Loupe keeps
// beside email (source, capture time) follow it.
var customerFields = []field[Customer]{
	{"home_store_id", func(c *Customer) any { return &c.HomeStoreID }},
	{"first_name", func(c *Customer) any { return &c.FirstName }},
	{"last_name", func(c *Customer) any { return &c.LastName }},
	{"email", func(c *Customer) any { return &c.Email }},
	{"phone", func(c *Customer) any { return &c.Phone }},
	{"birthday", func(c *Customer) any { return &c.Birthday }},
	{"anniversary", func(c *Customer) any { return &c.Anniversary }},
	{"preferences", func(c *Customer) any { return &c.Preferences }},
	{"associate_id", func(c *Customer) any { return &c.AssociateID }},
	{"email_opt_out", func(c *Customer) any { return &c.EmailOptOut }},
	{"postal_address", func(c *Customer) any { return &c.PostalAddress }},
	{"locale", func(c *Customer) any { return &c.Locale }},
	{"preferred_channel", func(c *Customer) any { return &c.PreferredChannel }},
}

func names[T any](fs []field[T]) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.name
	}
	return out
}

// Every field of each record, the Fields of a whole-record write (an import
// row, a seed).
var (
	StoreFields     = names(storeFields)
	AssociateFields = names(associateFields)
	CustomerFields  = names(customerFields)
)

// MergeStore returns stored (nil for a new store) with the fields of in that
// u carries and no newer write set, and whether anything changed. UpdatedAt
// is the newest stamp's time.
func MergeStore(stored *Store, in Store, u Update) (Store, bool) {
	out := Store{StoreID: in.StoreID}
	if stored != nil {
		out = *stored
	}
	out.Stamps = out.Stamps.clone()
	changed := mergeFields(&out, out.Stamps, &in, u, storeFields)
	if len(changed) == 0 && stored != nil {
		return *stored, false
	}
	out.UpdatedAt = later(out.UpdatedAt, u.Stamp.Time())
	return out, true
}

// MergeAssociate is MergeStore for an associate. An associate whose status
// no write carried yet is active.
func MergeAssociate(stored *Associate, in Associate, u Update) (Associate, bool) {
	out := Associate{AssociateID: in.AssociateID}
	if stored != nil {
		out = *stored
		out.Strengths = slices.Clone(out.Strengths)
	}
	out.Stamps = out.Stamps.clone()
	changed := mergeFields(&out, out.Stamps, &in, u, associateFields)
	if out.Status == "" {
		out.Status = StatusActive
	}
	if len(changed) == 0 && stored != nil {
		return *stored, false
	}
	out.UpdatedAt = later(out.UpdatedAt, u.Stamp.Time())
	return out, true
}

// Terminate applies associate.terminated (stamp s, notice for at) to stored
// (nil for an unknown associate, which becomes a terminated tombstone): it
// sets terminated_at, and status terminated when at is not after now. A
// termination given with notice (at after now) leaves the status to Settle.
func Terminate(stored *Associate, id string, at time.Time, s Stamp, now time.Time) (Associate, bool) {
	in := Associate{AssociateID: id, TerminatedAt: at.UTC()}
	out, changed := MergeAssociate(stored, in, Update{Fields: []string{"terminated_at"}, Stamp: s})
	if at.After(now) {
		return out, changed
	}
	st, ch := settle(out, at, s)
	return st, changed || ch
}

// Settle applies a termination whose notice has run out by now: an
// associate whose terminated_at is not after now becomes terminated unless a
// write newer than the termination took effect set its status. The status
// is dated at the later of the termination event and its terminated_at, so an
// `associate.upserted` sent during the notice does not cancel it. Returns the
// associate and whether it changed.
func Settle(a Associate, now time.Time) (Associate, bool) {
	if a.TerminatedAt.IsZero() || a.TerminatedAt.After(now) {
		return a, false
	}
	s, ok := a.Stamps["terminated_at"]
	if !ok {
		return a, false // set by an unstamped import row along with its status
	}
	return settle(a, a.TerminatedAt, s)
}

func settle(a Associate, at time.Time, s Stamp) (Associate, bool) {
	st := s
	if at.After(s.Time()) {
		st = StampOf(at, s.ID())
	}
	return MergeAssociate(&a, Associate{Status: StatusTerminated}, Update{Fields: []string{"status"}, Stamp: st})
}

// DueTermination reports whether Settle would change a at now.
func (a Associate) DueTermination(now time.Time) bool {
	_, changed := Settle(a, now)
	return changed
}

// MergeCustomer returns the customer to store when a POS upsert in with
// update u arrives over stored (nil for a new customer): the fields u carries
// that no newer write set are in's, the others stored's. Email source and
// capture time follow the email (EmailSourcePOS at the upsert's time, none
// when cleared). EmailStatus is Loupe's: stored's, EmailOK for a new
// customer. Reports whether anything changed.
func MergeCustomer(stored *Customer, in Customer, u Update) (Customer, bool) {
	out := Customer{CustomerID: in.CustomerID}
	if stored != nil {
		out = *stored
		out.Preferences = slices.Clone(out.Preferences)
	}
	out.Stamps = out.Stamps.clone()
	changed := mergeFields(&out, out.Stamps, &in, u, customerFields)
	if slices.Contains(changed, "email") {
		out.EmailSource, out.EmailCapturedAt = "", time.Time{}
		if out.Email != "" {
			out.EmailSource, out.EmailCapturedAt = EmailSourcePOS, u.Stamp.Time()
		}
	}
	if out.EmailStatus == "" {
		out.EmailStatus = EmailOK
	}
	if slices.Contains(changed, "phone") {
		// Consent to texts and calls belongs to the number it was given for.
		out.Consents = maps.Clone(out.Consents)
		maps.DeleteFunc(out.Consents, func(ch string, k Consent) bool { return phoneBound(ch) && k.Phone != out.Phone })
	}
	if len(changed) == 0 && stored != nil {
		return *stored, false
	}
	out.UpdatedAt = later(out.UpdatedAt, u.Stamp.Time())
	return out, true
}

// ApplyConsent returns c with consent k on channel when it is newer than
// the stored one (an equal time with the same answer changes nothing; with
// another answer the denial wins), and whether c changed. An sms or voice
// consent belongs to k.Phone, the number it was given for, or, when the
// event named none, to c's phone number now.
func ApplyConsent(c Customer, channel string, k Consent) (Customer, bool) {
	if phoneBound(channel) {
		if k.Phone == "" {
			k.Phone = c.Phone
		}
	} else {
		k.Phone = ""
	}
	if old, ok := c.Consents[channel]; ok {
		switch {
		case k.At.Before(old.At):
			return c, false
		case k.At.Equal(old.At) && (old == k || old.Status == ConsentDenied):
			return c, false
		}
	}
	c.Consents = maps.Clone(c.Consents)
	if c.Consents == nil {
		c.Consents = map[string]Consent{}
	}
	c.Consents[channel] = k
	return c, true
}

// CaptureEmail records an email captured outside the POS (source, at) on c:
// it is taken when c has no email or the capture is newer than the write that
// set c's email. Reports whether c changed.
func CaptureEmail(c Customer, email, source string, at time.Time) (Customer, bool) {
	s := StampOf(at, "~"+source)
	cur := c.Stamps["email"]
	if cur == "" && !c.EmailCapturedAt.IsZero() {
		cur = StampOf(c.EmailCapturedAt, "~"+c.EmailSource) // a record from before stamps
	}
	if c.Email != "" && s <= cur {
		return c, false
	}
	c.Stamps = c.Stamps.clone()
	if s > cur {
		c.Stamps["email"] = s
	}
	c.Email, c.EmailSource, c.EmailCapturedAt = email, source, at.UTC()
	return c, true
}

// MoveCustomer moves c to associate to if it still belongs to from, dated
// at (the server's time of the move, or later when a POS write already
// carries a later stamp: a move always wins over what it read). Returns
// c unchanged and false when it belongs to to already, and ErrConflict when
// it belongs to neither. The client is new to to's book from at (NewSince,
// NewTo) until a personal contact.
func MoveCustomer(c Customer, from, to string, at time.Time) (Customer, bool, error) {
	if c.AssociateID == to {
		return c, false, nil
	}
	c, moved, err := MoveKnownCustomer(c, from, to, at)
	if moved {
		c.NewSince, c.NewTo = at.UTC(), to
	}
	return c, moved, err
}

// MoveKnownCustomer is MoveCustomer to an associate who already knows the
// client: the client is not new to the book (NewSince and NewTo cleared,
// also when it belongs to to already: a claim by the associate the
// reassignment chose, who turns out to know the client).
func MoveKnownCustomer(c Customer, from, to string, at time.Time) (Customer, bool, error) {
	switch c.AssociateID {
	case to:
		if c.NewTo == to {
			c.NewSince, c.NewTo = time.Time{}, ""
			return c, true, nil
		}
		return c, false, nil
	case from:
	default:
		return c, false, ErrConflict
	}
	c.Stamps = c.Stamps.clone()
	if s := StampOf(at, "~loupe"); s > c.Stamps["associate_id"] {
		c.Stamps["associate_id"] = s
	}
	c.AssociateID = to
	c.NewSince, c.NewTo = time.Time{}, ""
	return c, true, nil
}
