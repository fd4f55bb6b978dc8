package loupe

import (
	"slices"
	"strings"
	"time"
)

// Associate statuses.
const (
	StatusActive     = "active"
	StatusTerminated = "terminated"
)

// Associate roles (CONTRACT section 3, "Persons and roles"). An associate
// record whose role no write set ("") is RoleAssociate.
const (
	RoleAssociate = "associate" // their own book
	RoleManager   = "manager"   // every client and associate of their store
)

// AssociateRoles lists the roles associate.upserted may carry.
var AssociateRoles = []string{RoleAssociate, RoleManager}

// Where a customer's email came from.
const (
	EmailSourcePOS    = "pos"    // the POS sent it in customer.upserted
	EmailSourceRepair = "repair" // captured at a repair take-in
)

// Deliverability of a customer's email.
const (
	EmailOK           = "ok"
	EmailUnsubscribed = "unsubscribed"
	EmailBounced      = "bounced"
	EmailComplained   = "complained"
)

// Store is one shop of the chain.
type Store struct {
	StoreID       string    `json:"store_id"`
	Name          string    `json:"name"`
	Timezone      string    `json:"timezone"` // IANA name, e.g. "America/New_York"
	Country       string    `json:"country"`  // ISO 3166 alpha-2, upper case
	PostalAddress string    `json:"postal_address,omitempty"`
	FromEmail     string    `json:"from_email,omitempty"`
	ManagerEmail  string    `json:"manager_email,omitempty"`
	Locale        string    `json:"locale,omitempty"`       // BCP 47 tag of the store's messages, e.g. "en-US"
	Phone         string    `json:"phone,omitempty"`        // E.164
	LogoURL       string    `json:"logo_url,omitempty"`     // https URL of the logo shown in messages
	AccentColor   string    `json:"accent_color,omitempty"` // "#RRGGBB"
	UpdatedAt     time.Time `json:"updated_at"`             // occurred_at of the newest write
	// Stamps orders the writes to each field (CONTRACT section 2, "Order").
	Stamps Stamps `json:"stamps,omitempty"`
}

// Location returns the store's time zone. Returns an EINVALID *Error when the
// zone is unknown to this machine's tz database.
func (s Store) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil || s.Timezone == "" {
		return nil, Invalidf("timezone", "unknown time zone %q", s.Timezone)
	}
	return loc, nil
}

// Associate is a sales associate.
type Associate struct {
	AssociateID string   `json:"associate_id"`
	StoreID     string   `json:"store_id"`
	Name        string   `json:"name"`
	Email       string   `json:"email,omitempty"`
	Strengths   []string `json:"strengths"`
	Capacity    int      `json:"capacity"` // 0: no limit
	Status      string   `json:"status"`   // StatusActive or StatusTerminated
	// Role is RoleAssociate or RoleManager; "" (never set) is RoleAssociate.
	Role string `json:"role,omitempty"`
	// TerminatedAt is the last day of work a termination named: in the
	// future while notice runs (Status still active), until Settle applies it.
	TerminatedAt time.Time `json:"terminated_at,omitzero"`
	UpdatedAt    time.Time `json:"updated_at"`
	Stamps       Stamps    `json:"stamps,omitempty"`
}

// Active reports whether the associate may hold clients.
func (a Associate) Active() bool { return a.Status == StatusActive }

// ManagesStore reports whether the record makes its owner manager of its
// store (role manager), whatever its status: the caller checks Active.
func (a Associate) ManagesStore() bool { return a.Role == RoleManager }

// Customer is a client of the chain. The POS owns the upserted fields; Loupe owns
// EmailSource, EmailCapturedAt and EmailStatus, the contact times and the
// purchase totals, and moves AssociateID when it reassigns an orphaned client.
type Customer struct {
	CustomerID  string   `json:"customer_id"`
	HomeStoreID string   `json:"home_store_id"`
	FirstName   string   `json:"first_name,omitempty"`
	LastName    string   `json:"last_name,omitempty"`
	Email       string   `json:"email"`
	Phone       string   `json:"phone,omitempty"`
	Birthday    Date     `json:"birthday"`
	Anniversary Date     `json:"anniversary"`
	Preferences []string `json:"preferences"`
	AssociateID string   `json:"associate_id"`
	EmailOptOut bool     `json:"email_opt_out"`
	// PostalAddress is where direct mail goes (zero: none).
	PostalAddress    PostalAddress `json:"postal_address,omitzero"`
	Locale           string        `json:"locale,omitempty"`            // BCP 47 tag, e.g. "fr-CA"
	PreferredChannel string        `json:"preferred_channel,omitempty"` // a MessageChannels entry, or ""
	// Consents are the client's answers by channel (ConsentChannels); a
	// channel without one is unknown (ConsentOf).
	Consents map[string]Consent `json:"consents,omitempty"`
	// LastContactAt is the newest contact of the contact history (any
	// channel, personal included); LastPersonalContactAt the newest on
	// channel "personal". Zero: none. Loupe's, never the POS's.
	LastContactAt         time.Time `json:"last_contact_at,omitzero"`
	LastPersonalContactAt time.Time `json:"last_personal_contact_at,omitzero"`
	// Purchases is how many purchases Loupe stores for the client and
	// PurchaseCents the sum of their TotalCents (lifetime totals, read by
	// the contact policy without reading the purchases). Zero: none.
	// Loupe's, never the POS's (MergeCustomer keeps them): counted from the
	// stored purchases after each purchase (CountPurchases) and when the
	// client is created (TallyPurchases, CountPurchasesOfNew).
	Purchases     int   `json:"purchases,omitempty"`
	PurchaseCents int64 `json:"purchase_cents,omitempty"`
	// NewSince and NewTo: Loupe moved the client into associate NewTo's
	// book at NewSince (a reassignment or a claim, MoveCustomer), and the
	// client is new there until a personal contact after NewSince (the
	// Today list's new_client, CONTRACT section 3). Zero and "": never
	// moved, or moved to someone who already knew the client.
	NewSince time.Time `json:"new_since,omitzero"`
	NewTo    string    `json:"new_to,omitempty"`
	// ListedAt is when the client was last put on its associate's Today
	// list (package today): with LastPersonalContactAt it is the client's
	// turn in the rotation (TurnKey). Zero: never listed.
	ListedAt time.Time `json:"listed_at,omitzero"`
	// DoNotContactAt is when an associate logged do_not_contact: no
	// personal outreach since (contact.Reach). Zero: none.
	DoNotContactAt time.Time `json:"do_not_contact_at,omitzero"`
	// WrongPhone is a phone number an associate logged wrong_number for:
	// while Phone is that number it is not used (UsablePhone) until the POS
	// sends another. "": none.
	WrongPhone string `json:"wrong_phone,omitempty"`

	EmailSource     string    `json:"email_source"`               // EmailSourcePOS or EmailSourceRepair; "" without email
	EmailCapturedAt time.Time `json:"email_captured_at,omitzero"` // when Email was last set
	EmailStatus     string    `json:"email_status"`               // EmailOK, EmailUnsubscribed, ...
	// EmailStatusAt is when EmailStatus last changed (an unsubscribe,
	// bounce or complaint; zero before any): an email consent granted after
	// it lifts it (contact.Reach).
	EmailStatusAt time.Time `json:"email_status_at,omitzero"`
	UpdatedAt     time.Time `json:"updated_at"` // occurred_at of the newest POS write
	Stamps        Stamps    `json:"stamps,omitempty"`
}

// UsablePhone returns the client's phone unless an associate logged it
// as a wrong number (WrongPhone): "" then, as without a phone.
func (c Customer) UsablePhone() string {
	if c.Phone != "" && c.Phone == c.WrongPhone {
		return ""
	}
	return c.Phone
}

// IsNewTo reports whether the client came into associate's book by a
// Loupe move (NewSince, NewTo) and has had no personal contact since (a
// contact at the very instant of the move counts as since).
func (c Customer) IsNewTo(associate string) bool {
	return associate != "" && c.NewTo == associate && c.AssociateID == associate && !c.NewSince.IsZero() &&
		c.LastPersonalContactAt.Before(c.NewSince)
}

// turnLayout is the fixed-width UTC time of TurnKey: string order is time
// order, and the zero time sorts first.
const turnLayout = "2006-01-02T15:04:05.000000000Z"

// Unreachable reports whether the client may not be contacted personally
// at all: an associate logged do_not_contact, or the client denied calls
// (voice consent). The Today list never lists such a client.
func (c Customer) Unreachable() bool {
	return !c.DoNotContactAt.IsZero() || c.ConsentOf("voice").Status == ConsentDenied
}

// TurnKey orders an associate's book for the Today list's rotation
// (package today): first the clients new to the book (IsNewTo), least
// recently listed first ("0#<listed_at>"); then every other client by the
// later of its last personal contact and its last listing, oldest first
// ("1#<time>"), so a client listed or called today goes to the back of
// the queue; last the clients who may not be called (Unreachable,
// "2#<listed_at>"), whose turn never moves, so they never stand in front
// of the book. The stores index the book by it (BookByTurn).
func (c Customer) TurnKey() string {
	if c.Unreachable() {
		return "2#" + c.ListedAt.UTC().Format(turnLayout)
	}
	if c.IsNewTo(c.AssociateID) {
		return "0#" + c.ListedAt.UTC().Format(turnLayout)
	}
	t := c.LastPersonalContactAt
	if c.ListedAt.After(t) {
		t = c.ListedAt
	}
	return "1#" + t.UTC().Format(turnLayout)
}

// PostalAddress is a client's mailing address (CONTRACT section 2, v2).
// The zero value is no address.
type PostalAddress struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"` // ISO 3166 alpha-2, upper case
}

// IsZero reports whether a is no address.
func (a PostalAddress) IsZero() bool { return a == PostalAddress{} }

// Channels a client's message may go out on (preferred_channel).
var MessageChannels = []string{"email", "sms", "voice", "mail"}

// Consent is a client's answer for one channel (CONTRACT sections 1 and 2,
// v2): granted or denied, when, where it was given and, for sms and voice,
// the words agreed to and the phone number it was given for.
type Consent struct {
	Status   string    `json:"status"` // ConsentGranted, ConsentDenied or ConsentUnknown
	At       time.Time `json:"at,omitzero"`
	Source   string    `json:"source,omitempty"`   // a ConsentSources entry
	Evidence string    `json:"evidence,omitempty"` // the words the client agreed to
	// Phone is the number an sms or voice consent was given for: a new
	// phone leaves it unknown.
	Phone string `json:"phone,omitempty"`
	// Prior is, on a denial Loupe recorded from the number's own texts
	// (source ConsentSourceSMS: a STOP, a delivery event saying the number
	// blocks or opted out), the status it replaced: ConsentGranted when
	// the client had agreed to texts before, so a START may restore that;
	// else "" (package textin). A webhook never sets it.
	Prior string `json:"prior,omitempty"`
}

// Consent statuses.
const (
	ConsentGranted = "granted"
	ConsentDenied  = "denied"
	ConsentUnknown = "unknown" // no answer, or one for another phone number
)

// ConsentChannels are the channels a consent is given for; ConsentSources
// where it was given, as consent.changed may name it.
var (
	ConsentChannels = []string{"email", "sms", "voice", "mail", "ads"}
	ConsentSources  = []string{"pos", "web", "paper", "staff"}
)

// ConsentSourceSMS is the source of a consent Loupe recorded itself from
// the client's own texts: a STOP or START reply, or a delivery event saying
// the number opted out or blocks Loupe's texts (package textin). It is not
// in ConsentSources: a webhook cannot send it (ValidateConsent refuses it),
// so an sms consent with this source always comes from the number itself.
const ConsentSourceSMS = "sms"

// phoneBound reports whether consent on channel belongs to a phone number.
func phoneBound(channel string) bool { return channel == "sms" || channel == "voice" }

// ConsentOf returns the client's consent on channel: ConsentUnknown when
// none was given, or when an sms or voice consent was given for another
// phone number than the client's (or for none).
func (c Customer) ConsentOf(channel string) Consent {
	k, ok := c.Consents[channel]
	if !ok || (phoneBound(channel) && (k.Phone == "" || k.Phone != c.Phone)) {
		return Consent{Status: ConsentUnknown}
	}
	return k
}

// Contact is one entry of a client's contact history (CONTRACT sections 1
// and 3, v2): a message on a channel, or a personal contact an associate
// logged.
type Contact struct {
	CustomerID string    `json:"-"`
	At         time.Time `json:"at"`
	Channel    string    `json:"channel"`              // a MessageChannels entry, or ChannelPersonal
	Touchpoint string    `json:"touchpoint,omitempty"` // the occasion of a message ("birthday", "event:c1")
	Outcome    string    `json:"outcome,omitempty"`    // of a logged personal contact
	By         string    `json:"by"`                   // an associate id, or ContactByLoupe
	Status     string    `json:"status"`               // "sent", "delivered", "bounced", "logged", ...
	// Note is what the associate wrote with a logged outcome ("" for none).
	Note string `json:"note,omitempty"`
	// Ref makes the entry idempotent: one entry per client and Ref (a
	// touchpoint's ledger key, a task id).
	Ref string `json:"-"`
}

// NewestContacts orders cs newest first (then by Ref), the order of
// DB.ContactsByCustomer, and keeps at most limit (limit <= 0: all).
func NewestContacts(cs []Contact, limit int) []Contact {
	slices.SortFunc(cs, func(a, b Contact) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(a.Ref, b.Ref)
	})
	if limit > 0 && len(cs) > limit {
		cs = cs[:limit]
	}
	return cs
}

// Outcomes an associate logs for a Today task (CONTRACT section 3, POST
// /tasks/{task_id}/outcome).
const (
	OutcomeReached      = "reached"
	OutcomeLeftMessage  = "left_message"
	OutcomeNoAnswer     = "no_answer"
	OutcomeTexted       = "texted"
	OutcomeEmailed      = "emailed"
	OutcomeVisited      = "visited"
	OutcomeWrongNumber  = "wrong_number"
	OutcomeDoNotContact = "do_not_contact"
	OutcomeRSVPYes      = "rsvp_yes"
	OutcomeRSVPNo       = "rsvp_no"
)

// Outcomes lists every outcome, in the contract's order.
var Outcomes = []string{OutcomeReached, OutcomeLeftMessage, OutcomeNoAnswer, OutcomeTexted, OutcomeEmailed,
	OutcomeVisited, OutcomeWrongNumber, OutcomeDoNotContact, OutcomeRSVPYes, OutcomeRSVPNo}

// IsContactOutcome reports whether a logged outcome is a contact: it
// counts for the fatigue cap and ends new_client (reached, left_message,
// texted, emailed, visited). The others are written to the history only.
func IsContactOutcome(o string) bool {
	switch o {
	case OutcomeReached, OutcomeLeftMessage, OutcomeTexted, OutcomeEmailed, OutcomeVisited:
		return true
	}
	return false
}

// Counts reports whether the entry is a contact (moves LastContactAt): a
// message, or a personal entry without an outcome or with a contact
// outcome (IsContactOutcome); a call nobody answered is history only.
func (c Contact) Counts() bool {
	return c.Channel != ChannelPersonal || c.Outcome == "" || IsContactOutcome(c.Outcome)
}

// ChannelPersonal is a call, text or visit by an associate, logged in
// Loupe; ContactByLoupe is the By of an automatic message.
const (
	ChannelPersonal = "personal"
	ContactByLoupe  = "loupe"
)

// Repair is a repair take-in written up at the counter.
type Repair struct {
	RepairID      string    `json:"repair_id"`
	StoreID       string    `json:"store_id"`
	AssociateID   string    `json:"associate_id"`
	CustomerID    string    `json:"customer_id"`
	CustomerEmail string    `json:"customer_email"`           // as typed; may be empty or malformed
	CustomerPhone string    `json:"customer_phone,omitempty"` // E.164, for service messages
	Item          string    `json:"item,omitempty"`
	TakenInAt     time.Time `json:"taken_in_at"`
	// LocalDay is the store-local day ("YYYY-MM-DD") of TakenInAt, set by the
	// domain from the store's time zone before PutRepair (UTC when the store is
	// unknown). The repairs-by-store-and-day index and compliance use it.
	LocalDay string `json:"local_day"`
}

// LocalDayIn returns the "YYYY-MM-DD" day of t in loc (UTC when loc is nil).
func LocalDayIn(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(time.DateOnly)
}

// Purchase is a sale.
type Purchase struct {
	PurchaseID  string    `json:"purchase_id"`
	StoreID     string    `json:"store_id"`
	AssociateID string    `json:"associate_id"`
	CustomerID  string    `json:"customer_id"`
	TotalCents  int64     `json:"total_cents"`
	Categories  []string  `json:"categories"`
	PurchasedAt time.Time `json:"purchased_at"`
}
