package pos

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// Result statuses.
const (
	StatusAccepted  = "accepted"
	StatusDuplicate = "duplicate"
	// StatusIgnored: an event for an erased customer dated before the
	// erasure (CONTRACT section 2): answered 200, nothing stored.
	StatusIgnored = "ignored"
)

// MaxFutureSkew is how far ahead of the server clock an event's occurred_at may
// be. A later one is rejected: stored with a far-future stamp it would block
// every genuine update after it.
const MaxFutureSkew = time.Hour

// Result is the outcome of applying one event. ID and Type are set as soon
// as the envelope is read, also for a rejected event, so its log line names
// it.
type Result struct {
	ID     string // the event id
	Type   string // the event type
	Status string // StatusAccepted, StatusDuplicate or StatusIgnored
	// Outdated is true for an event that changed nothing: every field it
	// carries was set by a newer write, an insert of a record already stored,
	// a replay.
	Outdated bool
	// Notes name the fields of an accepted event that were left out, and why.
	Notes []Note
}

// Note is one field of an event that was not applied, with the reason. It
// never holds the field's value.
type Note struct {
	Field  string
	Reason string
}

// Records is the part of the data port (loupe.DB) the POS service uses: the
// atomic updates events are applied with, the reads that decide them, the
// inserts and the event claims. *embedded.DB and *dynamo.DB implement it
// (asserted in this package's tests); the methods behave as loupe.DB
// documents them.
type Records interface {
	loupe.StoreUpdater
	loupe.AssociateUpdater
	loupe.CustomerUpdater
	// GetStore returns a store or an error wrapping loupe.ErrNotFound.
	GetStore(ctx context.Context, storeID string) (loupe.Store, error)
	// GetAssociate returns an associate or an error wrapping loupe.ErrNotFound.
	GetAssociate(ctx context.Context, associateID string) (loupe.Associate, error)
	// GetCustomer returns a customer or an error wrapping loupe.ErrNotFound.
	GetCustomer(ctx context.Context, customerID string) (loupe.Customer, error)
	// ListAssociates returns the associates of the chain (storeID "").
	ListAssociates(ctx context.Context, storeID string) ([]loupe.Associate, error)
	// ErasedAt returns when a customer was last erased, zero when never.
	ErasedAt(ctx context.Context, customerID string) (time.Time, error)
	// PutRepair inserts a repair take-in. Returns an error wrapping
	// loupe.ErrExists (nothing written) when the repair id is already stored.
	PutRepair(ctx context.Context, r loupe.Repair) error
	// PutPurchase inserts a purchase. Returns an error wrapping
	// loupe.ErrExists when it is already stored.
	PutPurchase(ctx context.Context, p loupe.Purchase) error
	// PurchasesByCustomer returns a customer's purchases, every one put
	// before the call included (loupe.CountPurchases counts them).
	PurchasesByCustomer(ctx context.Context, customerID string) ([]loupe.Purchase, error)
	// ClaimEvent binds an event id to its body's hash (see loupe.DB).
	ClaimEvent(ctx context.Context, eventID, hash string, at time.Time) (bool, error)
}

// Service applies POS events to the database. The zero Now means time.Now.
type Service struct {
	DB  Records
	Now loupe.Clock
	// Phones reads a phone number into E.164 (phone.Normalize): raw as sent,
	// country the ISO code a national number belongs to ("" when none is
	// known). Nil: an event or row carrying a phone number answers
	// EUNAVAILABLE (a process that does not apply POS events need not link
	// the phone metadata).
	Phones PhoneReader
	// Purchased is told of every purchase stored (again on a replay: it
	// must be idempotent), after its totals are counted: the Today list's
	// thank_you (today.Service.Purchased). Nil: nothing.
	Purchased func(ctx context.Context, p loupe.Purchase) error
	// Numbers keeps the opt-out of phone numbers from texts
	// (loupe.NumberOptOuts): an sms grant newer than a number's STOP lifts
	// it, as the contract says ("undone only by a newer consent.changed").
	// Nil: nothing is kept by number.
	Numbers loupe.NumberOptOuts
}

// PhoneReader returns raw in E.164, or an EINVALID *loupe.Error naming
// field when it is not a valid number (of country, for a national one).
type PhoneReader func(field, raw, country string) (string, error)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// outcome is what applying one payload did.
type outcome struct {
	changed bool
	ignored bool // an erased customer's event dated before the erasure
	notes   []Note
}

// Apply decodes, validates and applies one event body (CONTRACT section 2):
//
//   - An invalid event writes nothing (not even its claim).
//   - The event id is claimed with the hash of its body before anything is
//     applied (loupe.DB.ClaimEvent). The same id with another body is an
//     ECONFLICT error and applies nothing. The same body again answers
//     StatusDuplicate and applies the event again, which changes nothing when
//     the first delivery completed and completes it when that delivery was
//     interrupted: every apply below is idempotent.
//   - Upserts merge per field, ordered by (occurred_at, id) (loupe.MergeStore
//     and its siblings), in one atomic read-decide-write.
//
// Returns the Result (ID and Type set whenever the envelope was read), an
// EINVALID *loupe.Error naming the field for a malformed or invalid event
// (see Decode, plus "occurred_at" more than MaxFutureSkew ahead), an
// ECONFLICT one for a reused id, and a wrapped database error otherwise
// (a retry completes the event).
func (s *Service) Apply(ctx context.Context, body []byte) (Result, error) {
	ev, err := DecodeEnvelope(body)
	if err != nil {
		return Result{}, err
	}
	res := Result{ID: ev.ID, Type: ev.Type, Status: StatusAccepted}
	if ev.OccurredAt.After(s.now().Add(MaxFutureSkew)) {
		return res, loupe.Invalidf("occurred_at", "occurred_at is more than %s ahead of the server clock", MaxFutureSkew)
	}
	p, err := DecodeData(ev)
	if err != nil {
		return res, err
	}
	if r, ok := p.(loupe.Repair); ok {
		// Read before the claim, so an unreadable store fails the event whole.
		if p, err = s.withLocalDay(ctx, r); err != nil {
			return res, err
		}
	}
	var phoneNotes []Note
	if p, phoneNotes, err = s.resolvePhones(ctx, p); err != nil {
		return res, prefixField("data.", err)
	}
	if cc, ok := p.(ConsentChange); ok {
		// Refused before the claim, so a corrected resend under the same id
		// is applied rather than answered 409.
		if err := s.checkConsent(ctx, cc); err != nil {
			return res, err
		}
	}
	first, err := s.DB.ClaimEvent(ctx, ev.ID, ev.Hash, s.now())
	switch {
	case errors.Is(err, loupe.ErrConflict):
		return res, loupe.Errorf(loupe.ECONFLICT, "event id %s was delivered before with another body; nothing applied", ev.ID)
	case err != nil:
		return res, fmt.Errorf("claim event %s: %w", ev.ID, err)
	case !first:
		res.Status = StatusDuplicate
	}

	stamp := loupe.StampOf(ev.OccurredAt, ev.ID)
	var o outcome
	switch v := p.(type) {
	case Upsert[loupe.Store]:
		o, err = s.applyStore(ctx, v.Value, loupe.Update{Fields: v.Fields, Stamp: stamp})
	case Upsert[loupe.Associate]:
		o, err = s.applyAssociate(ctx, v.Value, loupe.Update{Fields: v.Fields, Stamp: stamp})
	case Termination:
		o, err = s.applyTermination(ctx, v.AssociateID, v.TerminatedAt, stamp)
	case Upsert[loupe.Customer]:
		o, err = s.applyCustomer(ctx, v.Value, loupe.Update{Fields: v.Fields, Stamp: stamp})
	case loupe.Repair:
		o, err = s.applyRepair(ctx, v, ev.OccurredAt)
	case loupe.Purchase:
		o, err = s.applyPurchase(ctx, v, ev.OccurredAt)
	case ConsentChange:
		o, err = s.applyConsent(ctx, v)
	default:
		return res, fmt.Errorf("apply event %s: unexpected payload %T", ev.ID, p)
	}
	if err != nil {
		return res, fmt.Errorf("apply event %s: %w", ev.ID, err)
	}
	res.Outdated, res.Notes = !o.changed, append(phoneNotes, o.notes...)
	if o.ignored && first {
		res.Status = StatusIgnored
	}
	return res, nil
}

// SettleTerminations applies every termination whose notice has run out
// (loupe.Settle): each becomes a change of status like any other, so the
// staff stream reassigns the book. The hourly run calls it. Returns how
// many associates it terminated, and the first storage error.
func (s *Service) SettleTerminations(ctx context.Context) (int, error) {
	now := s.now()
	all, err := s.DB.ListAssociates(ctx, "")
	if err != nil {
		return 0, fmt.Errorf("settle terminations: %w", err)
	}
	n := 0
	for _, a := range all {
		if !a.DueTermination(now) {
			continue
		}
		var changed bool
		err := s.DB.UpdateAssociate(ctx, a.AssociateID, func(stored *loupe.Associate) (loupe.Associate, bool, error) {
			if stored == nil {
				return loupe.Associate{}, false, nil
			}
			out, ch := loupe.Settle(*stored, now)
			changed = ch
			return out, ch, nil
		})
		if err != nil {
			return n, fmt.Errorf("settle termination of %s: %w", a.AssociateID, err)
		}
		if changed {
			n++
		}
	}
	return n, nil
}

// notFuture refuses a whole-record write dated more than MaxFutureSkew
// ahead (an import row's updated_at), as Apply refuses such an occurred_at.
func (s *Service) notFuture(at time.Time) error {
	if at.After(s.now().Add(MaxFutureSkew)) {
		return loupe.Invalidf("updated_at", "updated_at is more than %s ahead of the server clock", MaxFutureSkew)
	}
	return nil
}

// stale turns an outcome that changed nothing into loupe.ErrStale, the
// "skipped" of the import's summary.
func stale(o outcome, err error) error {
	if err == nil && !o.changed {
		return loupe.ErrStale
	}
	return err
}

// UpsertStore validates and writes a whole store record (an import row:
// loupe.PutStore's rule, stamped UpdatedAt). Returns an EINVALID
// *loupe.Error naming the field (without a "data." prefix), an error
// wrapping loupe.ErrStale when newer writes left it nothing to change, or a
// wrapped database error.
func (s *Service) UpsertStore(ctx context.Context, st loupe.Store) error {
	if err := s.notFuture(st.UpdatedAt); err != nil {
		return err
	}
	return stale(s.applyStore(ctx, st, loupe.Update{Fields: loupe.StoreFields, Stamp: loupe.StampOf(st.UpdatedAt, "")}))
}

func (s *Service) applyStore(ctx context.Context, st loupe.Store, u loupe.Update) (outcome, error) {
	if err := st.Validate(); err != nil {
		return outcome{}, err
	}
	var o outcome
	err := s.DB.UpdateStore(ctx, st.StoreID, func(stored *loupe.Store) (loupe.Store, bool, error) {
		out, changed := loupe.MergeStore(stored, st, u)
		o.changed = changed
		return out, changed, nil
	})
	return o, err
}

// UpsertAssociate validates and writes a whole associate record
// (loupe.AssociateUpdate: a blank status keeps the stored one; status
// terminated dates the termination at terminated_at, else UpdatedAt, else
// now). Errors
// as UpsertStore.
func (s *Service) UpsertAssociate(ctx context.Context, a loupe.Associate) error {
	if err := s.notFuture(a.UpdatedAt); err != nil {
		return err
	}
	u := loupe.AssociateUpdate(a)
	if a.Status == loupe.StatusTerminated && a.TerminatedAt.IsZero() {
		a.TerminatedAt = a.UpdatedAt // a row without a date: when Loupe learned of it
		if a.TerminatedAt.IsZero() {
			a.TerminatedAt = s.now()
		}
	}
	return stale(s.applyAssociate(ctx, a, u))
}

func (s *Service) applyAssociate(ctx context.Context, a loupe.Associate, u loupe.Update) (outcome, error) {
	probe := a
	if probe.Status == "" {
		probe.Status = loupe.StatusActive
	}
	if err := probe.Validate(); err != nil {
		return outcome{}, err
	}
	var o outcome
	err := s.DB.UpdateAssociate(ctx, a.AssociateID, func(stored *loupe.Associate) (loupe.Associate, bool, error) {
		out, changed := loupe.MergeAssociate(stored, a, u)
		o.changed = changed
		return out, changed, nil
	})
	return o, err
}

// TerminateAssociate terminates an associate at at, as an
// associate.terminated stamped occurredAt would (an import row): at once
// when at is not after the server clock, else on that date (SettleTerminations).
// An unknown associate becomes a terminated tombstone. Returns an EINVALID
// *loupe.Error for a bad id, an error wrapping loupe.ErrStale when nothing
// changed, or a wrapped database error.
func (s *Service) TerminateAssociate(ctx context.Context, associateID string, at, occurredAt time.Time) error {
	if at.IsZero() {
		at = occurredAt
	}
	return stale(s.applyTermination(ctx, associateID, at, loupe.StampOf(occurredAt, "")))
}

func (s *Service) applyTermination(ctx context.Context, id string, at time.Time, stamp loupe.Stamp) (outcome, error) {
	if !loupe.ValidID(id) {
		return outcome{}, loupe.Invalidf("associate_id", "associate_id must be 1-%d printable characters without spaces, '#' or '/'", loupe.MaxIDLength)
	}
	// A termination dated at or before its own event takes effect at once,
	// even when the POS clock runs ahead of ours; one naming a later day is
	// notice, applied on that day (SettleTerminations).
	now := s.now()
	if t := stamp.Time(); t.After(now) {
		now = t
	}
	var o outcome
	err := s.DB.UpdateAssociate(ctx, id, func(stored *loupe.Associate) (loupe.Associate, bool, error) {
		out, changed := loupe.Terminate(stored, id, at, stamp, now)
		o.changed = changed
		return out, changed, nil
	})
	return o, err
}

// UpsertCustomer validates and writes a whole customer record
// (loupe.CustomerUpdate: an empty email keeps the stored one). Errors as
// UpsertStore; a customer erased at or after UpdatedAt is not written
// (loupe.ErrStale).
func (s *Service) UpsertCustomer(ctx context.Context, c loupe.Customer) error {
	if err := s.notFuture(c.UpdatedAt); err != nil {
		return err
	}
	return stale(s.applyCustomer(ctx, c, loupe.CustomerUpdate(c)))
}

// applyCustomer merges c's fields that u carries. An associate_id naming a
// terminated associate is left out (the client stays where Loupe placed
// it); the merge, and the decision on the owner, happen in one atomic
// update, so a reassignment or claim racing it is never undone.
//
// Purchases may arrive before their client. A customer this call creates
// is written with the totals of the purchases already stored
// (loupe.TallyPurchases, in the same write: a delivery that stops after
// it leaves nothing to finish), then checked once more
// (loupe.CountPurchasesOfNew) for a purchase put while it was being
// created, whose own count found no customer yet.
func (s *Service) applyCustomer(ctx context.Context, c loupe.Customer, u loupe.Update) (outcome, error) {
	if c.Email != "" {
		c.Email = loupe.NormalizeEmail(c.Email)
	}
	if err := c.Validate(); err != nil {
		return outcome{}, err
	}
	c.EmailSource, c.EmailCapturedAt, c.EmailStatus, c.Stamps = "", time.Time{}, "", nil
	var o outcome
	if u.Carries("associate_id") && c.AssociateID != "" {
		a, err := s.DB.GetAssociate(ctx, c.AssociateID)
		switch {
		case err == nil && !a.Active():
			u = u.Without("associate_id")
			o.notes = append(o.notes, Note{Field: "data.associate_id", Reason: "names a terminated associate; the client stays where Loupe placed it"})
		case err != nil && !errors.Is(err, loupe.ErrNotFound):
			return outcome{}, fmt.Errorf("get associate %s: %w", c.AssociateID, err)
		}
	}
	at := u.Stamp.Time()
	var created *loupe.Customer
	err := s.DB.UpdateCustomer(ctx, c.CustomerID, func(stored *loupe.Customer, erasedAt time.Time) (loupe.Customer, bool, error) {
		o.changed, o.ignored, created = false, false, nil
		if !erasedAt.IsZero() && !at.After(erasedAt) {
			o.ignored = true
			return loupe.Customer{}, false, nil
		}
		out, changed := loupe.MergeCustomer(stored, c, u)
		o.changed = changed
		if changed && stored == nil {
			ps, err := s.DB.PurchasesByCustomer(ctx, c.CustomerID)
			if err != nil {
				return loupe.Customer{}, false, err
			}
			out, _ = loupe.TallyPurchases(out, ps)
			created = &out
		}
		return out, changed, nil
	})
	if o.ignored {
		o.notes = append(o.notes, erasedOutcome(true).notes...)
	}
	if err == nil && created != nil {
		err = loupe.CountPurchasesOfNew(ctx, s.DB, *created)
	}
	return o, err
}

// checkConsent refuses a consent dated more than MaxFutureSkew ahead (it
// would outrank every real answer until then) and one for a client Loupe
// does not know and did not erase after it (an EINVALID error naming
// data.at or data.customer_id). Returns the database error.
func (s *Service) checkConsent(ctx context.Context, cc ConsentChange) error {
	if cc.Consent.At.After(s.now().Add(MaxFutureSkew)) {
		return loupe.Invalidf("data.at", "data.at is more than %s ahead of the server clock", MaxFutureSkew)
	}
	_, err := s.DB.GetCustomer(ctx, cc.CustomerID)
	if !errors.Is(err, loupe.ErrNotFound) {
		return err
	}
	if gone, err := s.erased(ctx, cc.CustomerID, cc.Consent.At); err != nil || gone {
		return err // dated before the erasure: applied as ignored
	}
	return loupe.Invalidf("data.customer_id", "data.customer_id names no customer Loupe knows (send or import the customer first)")
}

// applyConsent records a client's consent on one channel
// (loupe.ApplyConsent: the newest answer wins). A consent dated before the
// client's erasure is ignored; one naming a client Loupe does not know is
// an EINVALID error naming customer_id (send the client first: a consent
// belongs to a profile, and an sms consent to its phone number).
func (s *Service) applyConsent(ctx context.Context, cc ConsentChange) (outcome, error) {
	if err := s.checkConsent(ctx, cc); err != nil {
		return outcome{}, err
	}
	var o outcome
	var granted string // the number an sms grant was written for
	err := s.DB.UpdateCustomer(ctx, cc.CustomerID, func(stored *loupe.Customer, erasedAt time.Time) (loupe.Customer, bool, error) {
		o = outcome{}
		if !erasedAt.IsZero() && !cc.Consent.At.After(erasedAt) {
			o.ignored = true
			return loupe.Customer{}, false, nil
		}
		if stored == nil {
			return loupe.Customer{}, false, loupe.Invalidf("customer_id", "customer_id names no customer Loupe knows (send or import the customer first)")
		}
		out, changed := loupe.ApplyConsent(*stored, cc.Channel, cc.Consent)
		o.changed = changed
		granted = ""
		// The grant this event stands for, whether written now or by an
		// earlier delivery of it that died before the number was lifted.
		if k := out.Consents[cc.Channel]; cc.Channel == "sms" && cc.Consent.Status == loupe.ConsentGranted && k.Status == loupe.ConsentGranted && k.At.Equal(cc.Consent.At) {
			granted = k.Phone
		}
		return out, changed, nil
	})
	if err == nil && granted != "" && s.Numbers != nil {
		// A grant newer than the number's STOP lifts it; an older one does
		// not (the newest answer stands).
		if _, err = s.Numbers.SetNumberOptOut(ctx, granted, false, cc.Consent.At); err != nil {
			err = fmt.Errorf("number opt-out: %w", err)
		}
	}
	var le *loupe.Error
	if errors.As(err, &le) && le.Code == loupe.EINVALID {
		return o, prefixField("data.", le)
	}
	if o.ignored {
		o.notes = append(o.notes, erasedOutcome(true).notes...)
	}
	return o, err
}

// SetConsent records a consent Loupe learned itself rather than from the
// POS (package textin: a STOP, a START, a delivery event saying the number
// opted out), through the consent.changed path: the consent is validated
// as the webhook validates it, except that its source may also be
// loupe.ConsentSourceSMS (loupe.ValidateRecordedConsent); its phone is
// read into E.164 (Phones); then checkConsent and applyConsent decide and
// write it (the newest answer wins, a denial on a tie; a consent dated
// before the client's erasure is ignored). It reports whether the client's
// record changed. Returns an EINVALID *loupe.Error naming the field
// (channel, status, at, source, evidence, data.phone, data.at,
// data.customer_id for a client Loupe does not know), an EUNAVAILABLE
// one for a phone without Phones, or a wrapped database error.
func (s *Service) SetConsent(ctx context.Context, cc ConsentChange) (bool, error) {
	if err := loupe.ValidateRecordedConsent(cc.Channel, cc.Consent); err != nil {
		return false, err
	}
	p, _, err := s.resolvePhones(ctx, cc)
	if err != nil {
		return false, prefixField("data.", err)
	}
	o, err := s.applyConsent(ctx, p.(ConsentChange))
	if err != nil {
		return false, fmt.Errorf("set %s consent of %s: %w", cc.Channel, cc.CustomerID, err)
	}
	return o.changed, nil
}

// erasedOutcome is the outcome of an event left out because its customer
// was erased after it (zero when gone is false).
func erasedOutcome(gone bool) outcome {
	if !gone {
		return outcome{}
	}
	return outcome{ignored: true, notes: []Note{{Field: "data.customer_id", Reason: "customer erased after the event"}}}
}

// erased reports whether customer id was erased at or after at.
func (s *Service) erased(ctx context.Context, id string, at time.Time) (bool, error) {
	e, err := s.DB.ErasedAt(ctx, id)
	if err != nil {
		return false, err
	}
	return !e.IsZero() && !at.After(e), nil
}

// CreateRepair validates and inserts a repair take-in, setting LocalDay from
// the store's time zone (UTC when the store is unknown). CustomerEmail is kept
// as typed, even empty or malformed. A take-in for a customer erased at or
// after TakenInAt is not stored. Returns an EINVALID *loupe.Error naming the
// field, an error wrapping loupe.ErrExists when the repair is already stored
// (nothing written) or the customer was erased since, or a wrapped database
// error.
func (s *Service) CreateRepair(ctx context.Context, r loupe.Repair) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if r.LocalDay == "" {
		var err error
		if r, err = s.withLocalDay(ctx, r); err != nil {
			return err
		}
	}
	o, err := s.applyRepair(ctx, r, r.TakenInAt)
	if err == nil && !o.changed {
		return loupe.ErrExists
	}
	return err
}

func (s *Service) applyRepair(ctx context.Context, r loupe.Repair, at time.Time) (outcome, error) {
	if gone, err := s.erased(ctx, r.CustomerID, at); err != nil || gone {
		return erasedOutcome(gone), err
	}
	err := s.DB.PutRepair(ctx, r)
	if errors.Is(err, loupe.ErrExists) {
		return outcome{}, nil
	}
	if err != nil {
		return outcome{}, fmt.Errorf("put repair %s: %w", r.RepairID, err)
	}
	return outcome{changed: true}, nil
}

// resolvePhones returns p (a decoded payload) with its phone numbers in
// E.164 (Phones): a store's phone read in the store's country, a customer's
// phone in the country of its home store, a repair's customer_phone in the
// country of the repair's store (a number with its country code needs
// none). A number that is not valid is an EINVALID *loupe.Error naming the
// field; a national number whose store Loupe does not know yet cannot be
// read, and is left out with a Note (the rest of the event is applied).
// Returns an EUNAVAILABLE error without Phones, and a wrapped database
// error when the store cannot be read.
func (s *Service) resolvePhones(ctx context.Context, p any) (any, []Note, error) {
	var storeID, raw, field, country string
	switch v := p.(type) {
	case Upsert[loupe.Store]:
		raw, field, country = v.Value.Phone, "phone", v.Value.Country
	case Upsert[loupe.Customer]:
		storeID, raw, field = v.Value.HomeStoreID, v.Value.Phone, "phone"
	case loupe.Repair:
		storeID, raw, field = v.StoreID, v.CustomerPhone, "customer_phone"
	case ConsentChange:
		raw, field = v.Consent.Phone, "phone" // E.164: no store to read a national number in
	}
	if raw == "" {
		return p, nil, nil
	}
	if s.Phones == nil {
		return p, nil, loupe.Errorf(loupe.EUNAVAILABLE, "this process cannot read phone numbers (no phone reader wired)")
	}
	var notes []Note
	known := true
	if loupe.NationalPhone(raw) && storeID != "" {
		st, err := s.DB.GetStore(ctx, storeID)
		switch {
		case errors.Is(err, loupe.ErrNotFound):
			known = false
			notes = append(notes, Note{Field: "data." + field, Reason: "a national number, and the store whose country it belongs to is not known yet; send it with its country code"})
		case err != nil:
			return p, nil, fmt.Errorf("get store %s: %w", storeID, err)
		default:
			country = st.Country
		}
	}
	e164 := ""
	if known {
		var err error
		if e164, err = s.Phones(field, raw, country); err != nil {
			return p, nil, err
		}
	}
	drop := func(fs []string) []string {
		if known {
			return fs
		}
		return slices.DeleteFunc(slices.Clone(fs), func(n string) bool { return n == field })
	}
	switch v := p.(type) {
	case Upsert[loupe.Store]:
		v.Value.Phone = e164
		return v, notes, nil
	case Upsert[loupe.Customer]:
		v.Value.Phone, v.Fields = e164, drop(v.Fields)
		return v, notes, nil
	case loupe.Repair:
		v.CustomerPhone = e164
		return v, notes, nil
	case ConsentChange:
		v.Consent.Phone = e164
		return v, notes, nil
	}
	return p, notes, nil
}

func (s *Service) withLocalDay(ctx context.Context, r loupe.Repair) (loupe.Repair, error) {
	var loc *time.Location
	st, err := s.DB.GetStore(ctx, r.StoreID)
	switch {
	case errors.Is(err, loupe.ErrNotFound):
	case err != nil:
		return r, fmt.Errorf("get store %s: %w", r.StoreID, err)
	default:
		loc, _ = st.Location() // a stored store has a valid zone; UTC otherwise
	}
	r.LocalDay = loupe.LocalDayIn(r.TakenInAt, loc)
	return r, nil
}

// CreatePurchase validates and inserts a purchase. Errors as CreateRepair.
func (s *Service) CreatePurchase(ctx context.Context, p loupe.Purchase) error {
	if err := p.Validate(); err != nil {
		return err
	}
	o, err := s.applyPurchase(ctx, p, p.PurchasedAt)
	if err == nil && !o.changed {
		return loupe.ErrExists
	}
	return err
}

// applyPurchase inserts p, then counts the client's purchase totals
// (loupe.CountPurchases) and tells Purchased, also when p was already
// stored: the delivery that inserted it may have stopped before either.
func (s *Service) applyPurchase(ctx context.Context, p loupe.Purchase, at time.Time) (outcome, error) {
	if gone, err := s.erased(ctx, p.CustomerID, at); err != nil || gone {
		return erasedOutcome(gone), err
	}
	o := outcome{changed: true}
	err := s.DB.PutPurchase(ctx, p)
	if errors.Is(err, loupe.ErrExists) {
		o.changed, err = false, nil
	}
	if err != nil {
		return outcome{}, fmt.Errorf("put purchase %s: %w", p.PurchaseID, err)
	}
	if err := loupe.CountPurchases(ctx, s.DB, p.CustomerID); err != nil {
		return outcome{}, err
	}
	if s.Purchased != nil {
		if err := s.Purchased(ctx, p); err != nil {
			return outcome{}, err
		}
	}
	return o, nil
}
