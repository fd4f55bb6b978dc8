package textin

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/touch"
)

// ErrNotRecordedYet is wrapped by Delivery's error when the history entry
// of the text an event is about is not there yet (the event overtook the
// sender's write): the caller delivers the event again later (a Lambda
// returns the error, so the event is retried).
var ErrNotRecordedYet = errors.New("the text's contact history entry is not recorded yet; retry")

// Store is what the service reads and writes; loupe.DB provides it
// (*embedded.DB, *dynamo.DB).
type Store interface {
	// CustomersByPhone returns the clients with phone number phone, by id.
	CustomersByPhone(ctx context.Context, phone string) ([]loupe.Customer, error)
	// GetCustomer returns a client or an error wrapping loupe.ErrNotFound.
	GetCustomer(ctx context.Context, customerID string) (loupe.Customer, error)
	// GetStore returns a store or an error wrapping loupe.ErrNotFound.
	GetStore(ctx context.Context, storeID string) (loupe.Store, error)
	// ListStores returns every store by id.
	ListStores(ctx context.Context) ([]loupe.Store, error)
	// SetContactStatus moves a history entry's delivery status forward.
	SetContactStatus(ctx context.Context, customerID, ref, status string) (bool, error)
	// ClaimEvent claims an id once (the reply keys).
	ClaimEvent(ctx context.Context, eventID, hash string, at time.Time) (bool, error)
}

// Consents records a consent through the consent.changed path;
// *pos.Service provides it (SetConsent).
type Consents interface {
	// SetConsent validates and applies cc, reporting whether it changed
	// the client's record.
	SetConsent(ctx context.Context, cc pos.ConsentChange) (bool, error)
}

var (
	_ Store    = loupe.DB(nil)
	_ Consents = (*pos.Service)(nil)
)

// Service handles inbound texts (Inbound) and the delivery events of the
// texts Loupe sent (Delivery). Store and Consents are required; the zero
// Now means time.Now, a nil Logger slog.Default().
type Service struct {
	Store    Store
	Consents Consents
	// Numbers keeps the opt-out by number (loupe.NumberOptOuts): a STOP or
	// a blocked status sets it, a START lifts it, and the planner checks it
	// before every text, so it covers a client the phone index has not
	// shown yet. Nil: only the clients' consents are written.
	Numbers loupe.NumberOptOuts
	// Replier sends the STOP confirmation and the HELP reply. Nil: none
	// (as with ManagedOptOuts false).
	Replier Replier
	// ManagedOptOuts: Loupe answers STOP and HELP itself (always locally;
	// in AWS when the number's self-managed opt-outs are on, a setting).
	// False: AWS answers them, and Loupe only records.
	ManagedOptOuts bool
	// NumberStores maps Loupe's numbers (E.164, the destinationNumber a
	// client texts) to the store each belongs to: the store identities
	// setting read the other way (NumberStores builds it). A number not in
	// it belongs to the home store of the first client with the texting
	// number, else to the chain's first store.
	NumberStores map[string]string
	// IDKey keys what is derived from a text that came without an id
	// (POST /sms/inbound and `loupe sms inbound` without inboundMessageId):
	// its message id, logged, answered and part of the reply's claim key,
	// and the hash the claim is stored with, both HMAC-SHA-256 (under a key
	// derived from this one) over the client's number and the text, so
	// neither can be tested against guessed numbers without it. wire passes
	// the sign-in key, else the unsubscribe secret. Nil: both leave the
	// client's number out (MessageID). A new key derives new ids: a text
	// delivered again across a rotation may be answered twice.
	IDKey  []byte
	Now    loupe.Clock
	Logger *slog.Logger
}

// NumberStores returns the map Service.NumberStores wants from the store
// identities setting (store id to origination identity, as
// smsvoice.Config.StoreIdentities): each identity that is an E.164 number
// to its store. Identities that are not numbers (a pool, a sender id, an
// ARN) cannot be matched with a destinationNumber and are left out; of two
// stores sharing a number, the first by id keeps it.
func NumberStores(identities map[string]string) map[string]string {
	out := map[string]string{}
	for store, id := range identities {
		if !strings.HasPrefix(id, "+") {
			continue
		}
		if cur, ok := out[id]; !ok || store < cur {
			out[id] = store
		}
	}
	return out
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Result is what Inbound did with one text. It holds ids and counts, never
// a number or the body, so a caller may log it whole.
type Result struct {
	// MessageID is the message's id: Message.ID, or the one derived when it
	// had none (Service.MessageID).
	MessageID string
	// Intent is what the text asked (IntentStop, ...; IntentNone for any
	// other text) and Keyword the word it began with.
	Intent, Keyword string
	// StoreID is the store the number texted belongs to ("" when the
	// chain has none).
	StoreID string
	// Clients is how many clients have the texting number; Changed how
	// many of their records the text changed (a STOP denying sms, a START
	// granting it again). Kept counts the clients a START left as they
	// were (denied by staff or the POS, never granted).
	Clients, Changed, Kept int
	// Reply is the kind of reply this call sent (KindStopConfirmation,
	// KindHelpReply), "" when none; ReplyID the provider's message id.
	Reply, ReplyID string
	// Duplicate: the reply had been claimed by an earlier delivery of the
	// same message, so this call sent none.
	Duplicate bool
	// ReplyFailed: this call claimed the reply and the Replier failed. The
	// reply is not sent again (at most once); the consent is recorded.
	ReplyFailed bool
}

// MessageID returns m.ID, or when it is "" the id Service.MessageID derives
// without a key: "h" and the first 32 hex digits of SHA-256 over To, Body
// and At (when not zero), never the client's number (From), so the id,
// which is logged, answered and kept in the reply's claim key, cannot be
// turned back into it. Every delivery of one text gets the same id; so do
// two clients texting the same words to the same number at the same
// instant (or, without At, at any time), who then share one reply claim:
// the first of them gets the reply. Texts from AWS always carry their id.
func MessageID(m Message) string {
	if m.ID != "" {
		return m.ID
	}
	sum := sha256.Sum256(fields(m.To, m.Body, stamp(m.At)))
	return "h" + hex.EncodeToString(sum[:16])
}

// MessageID returns m.ID, or when it is "" an id derived from the message,
// the same for every delivery of one text: with IDKey, "h" and the first 32
// hex digits of HMAC-SHA-256 under a key derived from IDKey over From, To,
// Body and At (when not zero), which no one without the key can test
// guessed numbers against; without IDKey, the package's MessageID (From
// left out).
func (s *Service) MessageID(m Message) string {
	if m.ID != "" || len(s.IDKey) == 0 {
		return MessageID(m)
	}
	return "h" + hex.EncodeToString(s.mac("message id", m.From, m.To, m.Body, stamp(m.At))[:16])
}

// claimHash is what a reply key is claimed with (Store.ClaimEvent keeps
// it): the same text delivered again has the same one, another text under
// the same id another. With IDKey an HMAC over From, To and Body; without,
// SHA-256 over To and Body only (never the client's number unkeyed).
func (s *Service) claimHash(m Message) string {
	if len(s.IDKey) == 0 {
		sum := sha256.Sum256(fields(m.To, m.Body))
		return hex.EncodeToString(sum[:])
	}
	return hex.EncodeToString(s.mac("reply claim", m.From, m.To, m.Body))
}

// mac returns the HMAC-SHA-256 of label and parts under a key of its own
// derived from IDKey (so the secret wire hands over, which signs other
// things, never MACs a text's fields itself).
func (s *Service) mac(label string, parts ...string) []byte {
	k := hmac.New(sha256.New, s.IDKey)
	k.Write([]byte("loupe textin ids v1"))
	m := hmac.New(sha256.New, k.Sum(nil))
	m.Write(fields(append([]string{label}, parts...)...))
	return m.Sum(nil)
}

// fields encodes parts unambiguously: each one's length, then its bytes.
func fields(parts ...string) []byte {
	var b []byte
	for _, p := range parts {
		b = binary.BigEndian.AppendUint64(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}

// stamp is t in RFC 3339 with nanoseconds, UTC; "" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Inbound handles one inbound text (CONTRACT section 4, "Inbound texts"):
//
//   - An opt-out word (Classify: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END,
//     QUIT, REVOKE, OPTOUT, OPT-OUT, OPT OUT) denies sms at once for every
//     client with the number (CustomersByPhone), through Consents (the
//     consent.changed path), source loupe.ConsentSourceSMS, dated when the
//     text came, for that number, with the evidence "replied <KEYWORD> to
//     <number texted> at <time>" (never the client's number or words).
//   - START or UNSTOP grants sms again, with the evidence "replied START
//     to <number texted> at <time>", only to the clients whose sms consent
//     is now denied by a text (source sms) that replaced a grant (the
//     denial's Prior, set by deny); a client denied by staff or the POS,
//     or who never agreed to texts, is kept as it is (Result.Kept): that
//     takes a new consent.changed.
//   - Where Loupe manages opt-outs (ManagedOptOuts and a Replier), a STOP
//     gets one confirmation and HELP or INFO the help reply (the store's
//     name and phone, "Reply STOP to opt out"). The reply key
//     "sms-reply/<message id>/<kind>" is claimed first (Store.ClaimEvent)
//     and the reply sent only by the call that made the claim: duplicate
//     and racing deliveries of one text send one reply at most; a reply
//     whose send fails is not sent again (Result.ReplyFailed).
//
// Every step is idempotent, so a text delivered again changes nothing.
// Returns an EINVALID *loupe.Error for a message without From
// (originationNumber) or To (destinationNumber), and a wrapped storage
// or Consents error (deliver the text again: nothing is done twice).
func (s *Service) Inbound(ctx context.Context, m Message) (Result, error) {
	res := Result{MessageID: s.MessageID(m)}
	switch {
	case m.From == "":
		return res, loupe.Invalidf("originationNumber", "an inbound text needs the number it came from")
	case m.To == "":
		return res, loupe.Invalidf("destinationNumber", "an inbound text needs the number it was sent to")
	}
	at := m.At
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC()
	res.Intent, res.Keyword = Classify(m.Body)
	clients, err := s.Store.CustomersByPhone(ctx, m.From)
	if err != nil {
		return res, fmt.Errorf("inbound text %s: %w", res.MessageID, err)
	}
	res.Clients = len(clients)
	store, err := s.storeFor(ctx, m.To, clients)
	if err != nil {
		return res, fmt.Errorf("inbound text %s: %w", res.MessageID, err)
	}
	res.StoreID = store.StoreID

	var kind string
	switch res.Intent {
	case IntentStop:
		if err := s.setNumber(ctx, m.From, true, at); err != nil {
			return res, fmt.Errorf("inbound text %s: %w", res.MessageID, err)
		}
		evidence := fmt.Sprintf("replied %s to %s at %s", res.Keyword, m.To, at.Format(time.RFC3339))
		if res.Changed, err = s.deny(ctx, clients, m.From, at, evidence); err != nil {
			return res, fmt.Errorf("inbound text %s: %w", res.MessageID, err)
		}
		kind = KindStopConfirmation
	case IntentStart:
		if err := s.setNumber(ctx, m.From, false, at); err != nil {
			return res, fmt.Errorf("inbound text %s: %w", res.MessageID, err)
		}
		if res.Changed, res.Kept, err = s.regrant(ctx, clients, m.From, m.To, at); err != nil {
			return res, fmt.Errorf("inbound text %s: %w", res.MessageID, err)
		}
	case IntentHelp:
		kind = KindHelpReply
	}
	if kind != "" && s.ManagedOptOuts && s.Replier != nil {
		if err := s.reply(ctx, m, &res, kind, store, clients, at); err != nil {
			return res, err
		}
	}
	s.log().Info("inbound text", "message_id", res.MessageID, "intent", res.Intent, "store_id", res.StoreID,
		"clients", res.Clients, "changed", res.Changed, "kept", res.Kept, "reply", res.Reply,
		"duplicate", res.Duplicate, "reply_failed", res.ReplyFailed)
	return res, nil
}

// NumberStopped denies sms for client c, whose number's opt-out (a STOP
// kept by number, or a blocked status) the planner found at send time while
// the client's own consent did not show it (a client the phone index had
// not shown at the STOP, or added later): source sms, evidence naming the
// number's opt-out, prior granted when it replaces a grant (so a START
// restores it). The planner's touch.Planner.NumberStopped.
func (s *Service) NumberStopped(ctx context.Context, c loupe.Customer, at time.Time) error {
	if c.Phone == "" {
		return nil
	}
	_, err := s.deny(ctx, []loupe.Customer{c}, c.Phone, at.UTC(), "the number opted out of texts (seen at "+at.UTC().Format(time.RFC3339)+")")
	return err
}

// setNumber records phone's answer by number (Numbers; nothing without).
func (s *Service) setNumber(ctx context.Context, phone string, out bool, at time.Time) error {
	if s.Numbers == nil {
		return nil
	}
	_, err := s.Numbers.SetNumberOptOut(ctx, phone, out, at)
	return err
}

// storeFor returns the store Loupe's number to belongs to: NumberStores,
// else the home store of the first client with the texting number, else
// the chain's first store; the zero Store when none is known.
func (s *Service) storeFor(ctx context.Context, to string, clients []loupe.Customer) (loupe.Store, error) {
	var candidates []string
	if id := s.NumberStores[to]; id != "" {
		candidates = append(candidates, id)
	}
	for _, c := range clients {
		if c.HomeStoreID != "" {
			candidates = append(candidates, c.HomeStoreID)
			break
		}
	}
	for _, id := range candidates {
		st, err := s.Store.GetStore(ctx, id)
		if err == nil {
			return st, nil
		}
		if !errors.Is(err, loupe.ErrNotFound) {
			return loupe.Store{}, err
		}
	}
	all, err := s.Store.ListStores(ctx)
	if err != nil || len(all) == 0 {
		return loupe.Store{}, err
	}
	return all[0], nil
}

// deny denies sms for every client of the number phone, as a text or a
// delivery event asked; it returns how many records changed. Each client
// is read again first (the index may lag) for the denial's Prior: granted
// when the client had agreed to texts from this number, kept from an
// earlier denial by text, so a START restores only what a STOP took.
func (s *Service) deny(ctx context.Context, clients []loupe.Customer, phone string, at time.Time, evidence string) (int, error) {
	n := 0
	for _, c := range clients {
		cur, err := s.Store.GetCustomer(ctx, c.CustomerID)
		if errors.Is(err, loupe.ErrNotFound) {
			continue // erased since
		}
		if err != nil {
			return n, fmt.Errorf("deny sms of %s: %w", c.CustomerID, err)
		}
		if cur.Phone != phone {
			continue // moved to another number since the index was read: its consent is not this number's
		}
		prior := ""
		switch k := cur.Consents["sms"]; {
		case k.Phone != phone:
		case k.Status == loupe.ConsentGranted:
			prior = loupe.ConsentGranted
		case k.Status == loupe.ConsentDenied && k.Source == loupe.ConsentSourceSMS:
			prior = k.Prior
		}
		changed, err := s.Consents.SetConsent(ctx, pos.ConsentChange{CustomerID: c.CustomerID, Channel: "sms", Consent: loupe.Consent{
			Status: loupe.ConsentDenied, At: at, Source: loupe.ConsentSourceSMS, Evidence: evidence, Phone: phone, Prior: prior,
		}})
		if err != nil {
			return n, fmt.Errorf("deny sms of %s: %w", c.CustomerID, err)
		}
		if changed {
			n++
		}
	}
	return n, nil
}

// regrant grants sms again to the clients of the number phone whose sms
// consent is denied by a text that replaced a grant (Prior), each read
// again first (the index may lag); it returns how many it granted and how
// many it kept as they were.
func (s *Service) regrant(ctx context.Context, clients []loupe.Customer, phone, to string, at time.Time) (granted, kept int, err error) {
	evidence := fmt.Sprintf("replied START to %s at %s", to, at.Format(time.RFC3339))
	for _, c := range clients {
		cur, err := s.Store.GetCustomer(ctx, c.CustomerID)
		if errors.Is(err, loupe.ErrNotFound) {
			continue // erased since
		}
		if err != nil {
			return granted, kept, err
		}
		if k := cur.ConsentOf("sms"); cur.Phone != phone || k.Status != loupe.ConsentDenied || k.Source != loupe.ConsentSourceSMS || k.Prior != loupe.ConsentGranted {
			kept++
			continue
		}
		changed, err := s.Consents.SetConsent(ctx, pos.ConsentChange{CustomerID: c.CustomerID, Channel: "sms", Consent: loupe.Consent{
			Status: loupe.ConsentGranted, At: at, Source: loupe.ConsentSourceSMS, Evidence: evidence, Phone: phone,
		}})
		if err != nil {
			return granted, kept, fmt.Errorf("grant sms of %s: %w", c.CustomerID, err)
		}
		if changed {
			granted++
		} else {
			kept++ // a newer denial stands
		}
	}
	return granted, kept, nil
}

// reply claims the reply of kind to m and sends it when this call made the
// claim. A claim refused as a conflict (the id reused for another text)
// sends nothing.
func (s *Service) reply(ctx context.Context, m Message, res *Result, kind string, store loupe.Store, clients []loupe.Customer, at time.Time) error {
	key := "sms-reply/" + res.MessageID + "/" + kind
	first, err := s.Store.ClaimEvent(ctx, key, s.claimHash(m), s.now())
	switch {
	case errors.Is(err, loupe.ErrConflict):
		s.log().Warn("inbound text: message id seen before with another text; no reply", "message_id", res.MessageID, "kind", kind)
		res.Duplicate = true
		return nil
	case err != nil:
		return fmt.Errorf("inbound text %s: claim reply: %w", res.MessageID, err)
	case !first:
		res.Duplicate = true
		return nil
	}
	r := Reply{Key: key, To: m.From, From: m.To, Body: ReplyBody(kind, store), Kind: kind, StoreID: store.StoreID, At: at}
	if len(clients) > 0 {
		r.CustomerID = clients[0].CustomerID
	}
	id, err := s.Replier.Reply(ctx, r)
	if err != nil {
		// The error may quote the number: its kind only.
		s.log().Error("inbound text: reply not sent (claimed, so not retried)", "message_id", res.MessageID, "kind", kind,
			"code", loupe.ErrorCode(err))
		res.ReplyFailed = true
		return nil
	}
	res.Reply, res.ReplyID = kind, id
	return nil
}

// ReplyBody returns the text of a reply of kind from store (the zero Store
// when unknown), in English: the store's name first, then for
// KindStopConfirmation "You are unsubscribed and will get no more texts
// from us. Reply START to resubscribe." and for KindHelpReply "For help,
// call <phone>. Reply STOP to opt out." (without the phone when the store
// has none).
func ReplyBody(kind string, store loupe.Store) string {
	name := store.Name
	if name == "" {
		name = "Loupe"
	}
	switch kind {
	case KindStopConfirmation:
		return name + ": You are unsubscribed and will get no more texts from us. Reply START to resubscribe."
	case KindHelpReply:
		if store.Phone != "" {
			return name + ": For help, call " + store.Phone + ". Reply STOP to opt out."
		}
		return name + ": Reply STOP to opt out."
	}
	return name
}

// Delivery statuses of AWS End User Messaging SMS (its event types,
// https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-types.html),
// "TEXT_<messageStatus>", and the contact-history status each becomes.
var deliveryStatuses = map[string]string{
	"TEXT_QUEUED":              loupe.ContactQueued,
	"TEXT_PENDING":             loupe.ContactQueued,
	"TEXT_SUCCESSFUL":          loupe.ContactHandedOff,
	"TEXT_CARRIER_UNREACHABLE": loupe.ContactUnreachable,
	"TEXT_UNREACHABLE":         loupe.ContactUnreachable,
	"TEXT_DELIVERED":           loupe.ContactDelivered,
	"TEXT_BLOCKED":             loupe.ContactBlocked,
	"TEXT_OPTED_OUT":           loupe.ContactOptedOut,
	"TEXT_TTL_EXPIRED":         loupe.ContactExpired,
	"TEXT_INVALID":             loupe.ContactInvalid,
	"TEXT_INVALID_MESSAGE":     loupe.ContactFailed,
	"TEXT_CARRIER_BLOCKED":     loupe.ContactFiltered,
	"TEXT_SPAM":                loupe.ContactFiltered,
	"TEXT_PROTECT_BLOCKED":     loupe.ContactFiltered,
	"TEXT_UNKNOWN":             loupe.ContactUnknown,
}

// stopsNumber are the delivery statuses that say the number does not want
// Loupe's texts (the recipient blocks them, or opted out at AWS): sms is
// denied for every client with it, as by a STOP.
var stopsNumber = map[string]bool{"TEXT_BLOCKED": true, "TEXT_OPTED_OUT": true}

// HistoryStatus returns the contact-history status of AWS's status (an
// eventType "TEXT_DELIVERED" or a messageStatus "DELIVERED", any case) and
// whether it denies sms for the number; "" for a status Loupe does not
// know.
func HistoryStatus(status string) (history string, stops bool) {
	st := strings.ToUpper(strings.TrimSpace(status))
	if !strings.HasPrefix(st, "TEXT_") {
		st = "TEXT_" + st
	}
	return deliveryStatuses[st], stopsNumber[st]
}

// Delivery records one delivery event of a text Loupe sent:
//
//   - The status becomes the history entry's (HistoryStatus; the entry
//     "touchpoint:<ledger key>" of the key's client, touch.ParseKey), moved
//     only forward (Store.SetContactStatus): duplicate and out-of-order
//     events keep the furthest status, and the first final one stands.
//   - TEXT_BLOCKED and TEXT_OPTED_OUT deny sms for every client with the
//     number (e.To, else the key's client's phone), as a STOP does, with
//     the evidence "delivery status <status> at <time>".
//   - An event of a reply (no ledger key), of an unknown status, or of a
//     client erased since is logged by id and changes nothing.
//
// Returns an EINVALID *loupe.Error for a malformed ledger key (not worth
// a retry), an error wrapping ErrNotRecordedYet when the entry is not
// there yet (retry later), or a wrapped storage or Consents error.
func (s *Service) Delivery(ctx context.Context, e Event) error {
	history, stops := HistoryStatus(e.Status)
	if e.LedgerKey == "" {
		s.log().Info("delivery event of a reply", "message_id", e.MessageID, "status", history)
		return nil
	}
	k, err := touch.ParseKey(e.LedgerKey)
	if err != nil {
		return err
	}
	if history == "" {
		s.log().Warn("delivery event with a status Loupe does not know; ignored", "message_id", e.MessageID, "customer_id", k.CustomerID)
		return nil
	}
	at := e.At
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC()
	denied := 0
	if stops {
		phone := e.To
		if phone == "" {
			c, err := s.Store.GetCustomer(ctx, k.CustomerID)
			switch {
			case errors.Is(err, loupe.ErrNotFound):
			case err != nil:
				return fmt.Errorf("delivery event %s: %w", e.MessageID, err)
			default:
				phone = c.Phone
			}
		}
		if phone != "" {
			if err := s.setNumber(ctx, phone, true, at); err != nil {
				return fmt.Errorf("delivery event %s: %w", e.MessageID, err)
			}
			clients, err := s.Store.CustomersByPhone(ctx, phone)
			if err != nil {
				return fmt.Errorf("delivery event %s: %w", e.MessageID, err)
			}
			evidence := fmt.Sprintf("delivery status %s at %s", strings.ToUpper(strings.TrimSpace(e.Status)), at.Format(time.RFC3339))
			if denied, err = s.deny(ctx, clients, phone, at, evidence); err != nil {
				return fmt.Errorf("delivery event %s: %w", e.MessageID, err)
			}
		}
	}
	changed, err := s.Store.SetContactStatus(ctx, k.CustomerID, k.ContactRef(), history)
	if errors.Is(err, loupe.ErrNotFound) {
		if _, gerr := s.Store.GetCustomer(ctx, k.CustomerID); errors.Is(gerr, loupe.ErrNotFound) {
			s.log().Info("delivery event of an erased client's text; ignored", "message_id", e.MessageID, "customer_id", k.CustomerID)
			return nil
		}
		return fmt.Errorf("delivery event %s of %s: %w", e.MessageID, k.CustomerID, ErrNotRecordedYet)
	}
	if err != nil {
		return fmt.Errorf("delivery event %s: %w", e.MessageID, err)
	}
	s.log().Info("delivery event", "message_id", e.MessageID, "customer_id", k.CustomerID, "status", history,
		"changed", changed, "denied", denied)
	return nil
}
