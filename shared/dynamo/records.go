package dynamo

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// Item kinds, the value of the kind attribute on every item.
const (
	KindStore     = "store"
	KindAssociate = "associate"
	KindCustomer  = "customer"
	KindRepair    = "repair"
	KindPurchase  = "purchase"
	KindEvent     = "event"
)

// Key prefixes and fixed sort keys of the single-table design (docs/data-model.md).
const (
	prefixStore     = "STORE#"
	prefixAssociate = "ASSOC#"
	prefixCustomer  = "CUST#"
	prefixRepair    = "REPAIR#"
	prefixPurchase  = "PURCHASE#"
	prefixEvent     = "EVENT#"

	skStore     = "STORE"
	skAssociate = "ASSOC"
	skCustomer  = "CUST"
	skRepair    = "REPAIR"
	skPurchase  = "PURCHASE"
	skEvent     = "EVENT"

	gsiStores     = "STORES"
	gsiAssociates = "ASSOCIATES"
	prefixStaff   = "STAFF#"
	prefixBook    = "BOOK#"
	prefixBday    = "BDAY#"
	prefixAnniv   = "ANNIV#"
	prefixHome    = "HOME#"
	prefixTakeIn  = "TAKEIN#"
	prefixSignIn  = "SIGNIN#"
	prefixRepairs = "REPAIRS#"
	prefixPhone   = "PHONE#"
)

// Index names.
const (
	GSI1 = "GSI1"
	GSI2 = "GSI2"
	GSI3 = "GSI3"
	GSI4 = "GSI4"
	GSI5 = "GSI5"
)

// EventTTL is how long a processed POS event id is kept (attribute expires_at).
const EventTTL = 30 * 24 * time.Hour

// timeLayout writes instants in UTC with all nine fractional digits: a valid
// RFC 3339 timestamp whose string order is time order, so conditions such as
// updated_at <= :t and sort keys compare correctly as strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// formatTime returns t in timeLayout, or "" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// parseTime reads an RFC 3339 instant; "" gives the zero time.
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("attribute %s: %w", field, err)
	}
	return t.UTC(), nil
}

func parseDate(field, s string) (loupe.Date, error) {
	var d loupe.Date
	if err := d.UnmarshalText([]byte(s)); err != nil {
		return loupe.Date{}, fmt.Errorf("attribute %s: %w", field, err)
	}
	return d, nil
}

// Keys of each item; the same functions build queries.
func storePK(id string) string     { return prefixStore + id }
func associatePK(id string) string { return prefixAssociate + id }
func customerPK(id string) string  { return prefixCustomer + id }
func repairPK(id string) string    { return prefixRepair + id }
func eventPK(id string) string     { return prefixEvent + id }
func purchaseGuardPK(id string) string {
	return prefixPurchase + id
}
func purchaseSK(p loupe.Purchase) string {
	return prefixPurchase + formatTime(p.PurchasedAt) + "#" + p.PurchaseID
}
func bookPK(associateID string) string { return prefixBook + associateID }
func staffPK(storeID string) string    { return prefixStaff + storeID }
func homePK(storeID string) string     { return prefixHome + storeID }
func takeInPK(storeID, day string) string {
	return prefixTakeIn + storeID + "#" + day
}

// phonePK is the GSI5 partition of the customers with phone number e164,
// PHONE#<e164>.
func phonePK(e164 string) string { return prefixPhone + e164 }

// customerRepairsPK is the GSI3 partition of a customer's take-ins,
// REPAIRS#<customer_id>; beside the customers' ANNIV#<MM-DD> partitions,
// which it never meets.
func customerRepairsPK(customerID string) string { return prefixRepairs + customerID }

// turnSK is a customer's GSI1 sort key in its associate's book:
// "<TurnKey>#<customer_id>" ("0#<time>" or "1#<time>", fixed width), so a
// Query of BOOK#<associate_id> reads the book in turn order (BookByTurn).
// Ids never hold '#': the id is what follows the last one.
func turnSK(c loupe.Customer) string { return c.TurnKey() + "#" + c.CustomerID }

// occasionSK is a customer's GSI2 (birthday) and GSI3 (anniversary) sort
// key: "<associate_id>#CUST#<customer_id>" ("#CUST#<id>" without an
// associate), so begins_with "<associate_id>#" reads one associate's
// clients of the day (BookByMonthDay) and the whole partition the chain's.
func occasionSK(c loupe.Customer) string {
	return c.AssociateID + "#" + customerPK(c.CustomerID)
}

// signInPK is the GSI2 partition of the records an address signs in with
// (loupe.SignInKey of it), "" for no address.
func signInPK(email string) string {
	k := loupe.SignInKey(email)
	if k == "" {
		return ""
	}
	return prefixSignIn + k
}

// StoreItem is a store as stored: PK=STORE#<id>, SK=STORE, listed by GSI1
// (STORES) and, with a manager_email, by GSI2 under its sign-in address
// (SIGNIN#<address>, STORE#<id>).
type StoreItem struct {
	PK            string `dynamodbav:"PK"`
	SK            string `dynamodbav:"SK"`
	Kind          string `dynamodbav:"kind"`
	GSI1PK        string `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK        string `dynamodbav:"GSI1SK,omitempty"`
	GSI2PK        string `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK        string `dynamodbav:"GSI2SK,omitempty"`
	StoreID       string `dynamodbav:"store_id"`
	Name          string `dynamodbav:"name,omitempty"`
	Timezone      string `dynamodbav:"timezone,omitempty"`
	Country       string `dynamodbav:"country,omitempty"`
	PostalAddress string `dynamodbav:"postal_address,omitempty"`
	FromEmail     string `dynamodbav:"from_email,omitempty"`
	ManagerEmail  string `dynamodbav:"manager_email,omitempty"`
	Locale        string `dynamodbav:"locale,omitempty"`
	Phone         string `dynamodbav:"phone,omitempty"`
	LogoURL       string `dynamodbav:"logo_url,omitempty"`
	AccentColor   string `dynamodbav:"accent_color,omitempty"`
	UpdatedAt     string `dynamodbav:"updated_at"`
	// Stamps orders the writes to each field (loupe.Stamps); Version is the
	// number a versioned write is conditioned on (update.go).
	Stamps    map[string]int `dynamodbav:"stamps,omitempty"`
	StampList []string       `dynamodbav:"stamp_list,omitempty"`
	Version   int64          `dynamodbav:"version"`
}

// NewStoreItem returns the item PutStore writes for s.
func NewStoreItem(s loupe.Store) StoreItem {
	it := StoreItem{
		PK: storePK(s.StoreID), SK: skStore, Kind: KindStore,
		GSI1PK: gsiStores, GSI1SK: storePK(s.StoreID),
		StoreID: s.StoreID, Name: s.Name, Timezone: s.Timezone, Country: s.Country,
		PostalAddress: s.PostalAddress, FromEmail: s.FromEmail, ManagerEmail: s.ManagerEmail,
		Locale: s.Locale, Phone: s.Phone, LogoURL: s.LogoURL, AccentColor: s.AccentColor,
		UpdatedAt: formatTime(s.UpdatedAt),
	}
	it.Stamps, it.StampList = stampsAV(s.Stamps)
	if pk := signInPK(s.ManagerEmail); pk != "" {
		it.GSI2PK, it.GSI2SK = pk, storePK(s.StoreID)
	}
	return it
}

// stampsAV and stampsOf convert loupe.Stamps to and from their stored form:
// each distinct stamp once, in stamp_list, and per field its index there in
// the stamps map. One event usually stamps every field it carries, so a
// record holds one or two stamps: a customer item stays under 1 KB (one
// write unit) where a stamp per field would double it.
func stampsAV(st loupe.Stamps) (map[string]int, []string) {
	if len(st) == 0 {
		return nil, nil
	}
	var list []string
	for _, v := range st {
		list = append(list, string(v))
	}
	slices.Sort(list)
	list = slices.Compact(list)
	idx := make(map[string]int, len(st))
	for k, v := range st {
		idx[k], _ = slices.BinarySearch(list, string(v))
	}
	return idx, list
}

func stampsOf(idx map[string]int, list []string) loupe.Stamps {
	if len(idx) == 0 {
		return nil
	}
	out := make(loupe.Stamps, len(idx))
	for k, i := range idx {
		if i >= 0 && i < len(list) {
			out[k] = loupe.Stamp(list[i])
		}
	}
	return out
}

// Store returns the domain store. Returns an error for a malformed timestamp.
func (it StoreItem) Store() (loupe.Store, error) {
	up, err := parseTime("updated_at", it.UpdatedAt)
	if err != nil {
		return loupe.Store{}, err
	}
	return loupe.Store{
		StoreID: it.StoreID, Name: it.Name, Timezone: it.Timezone, Country: it.Country,
		PostalAddress: it.PostalAddress, FromEmail: it.FromEmail, ManagerEmail: it.ManagerEmail,
		Locale: it.Locale, Phone: it.Phone, LogoURL: it.LogoURL, AccentColor: it.AccentColor,
		UpdatedAt: up, Stamps: stampsOf(it.Stamps, it.StampList),
	}, nil
}

// AssociateItem is an associate as stored: PK=ASSOC#<id>, SK=ASSOC; GSI1 by
// store (STAFF#<store_id>), GSI2 by sign-in address when it has an email
// (SIGNIN#<address>, ASSOC#<id>), GSI4 for the whole chain (ASSOCIATES).
type AssociateItem struct {
	PK           string         `dynamodbav:"PK"`
	SK           string         `dynamodbav:"SK"`
	Kind         string         `dynamodbav:"kind"`
	GSI1PK       string         `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK       string         `dynamodbav:"GSI1SK,omitempty"`
	GSI2PK       string         `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK       string         `dynamodbav:"GSI2SK,omitempty"`
	GSI4PK       string         `dynamodbav:"GSI4PK,omitempty"`
	GSI4SK       string         `dynamodbav:"GSI4SK,omitempty"`
	AssociateID  string         `dynamodbav:"associate_id"`
	StoreID      string         `dynamodbav:"store_id,omitempty"`
	Name         string         `dynamodbav:"name,omitempty"`
	Email        string         `dynamodbav:"email,omitempty"`
	Strengths    []string       `dynamodbav:"strengths,omitempty"`
	Capacity     int            `dynamodbav:"capacity"`
	Role         string         `dynamodbav:"role,omitempty"`
	Status       string         `dynamodbav:"status"`
	TerminatedAt string         `dynamodbav:"terminated_at,omitempty"`
	UpdatedAt    string         `dynamodbav:"updated_at"`
	Stamps       map[string]int `dynamodbav:"stamps,omitempty"`
	StampList    []string       `dynamodbav:"stamp_list,omitempty"`
	Version      int64          `dynamodbav:"version"`
}

// NewAssociateItem returns the item PutAssociate writes for a. A tombstone
// without a store has no by-store index keys.
func NewAssociateItem(a loupe.Associate) AssociateItem {
	it := AssociateItem{
		PK: associatePK(a.AssociateID), SK: skAssociate, Kind: KindAssociate,
		GSI4PK: gsiAssociates, GSI4SK: associatePK(a.AssociateID),
		AssociateID: a.AssociateID, StoreID: a.StoreID, Name: a.Name, Email: a.Email,
		Strengths: a.Strengths, Capacity: a.Capacity, Role: a.Role, Status: a.Status,
		TerminatedAt: formatTime(a.TerminatedAt), UpdatedAt: formatTime(a.UpdatedAt),
	}
	it.Stamps, it.StampList = stampsAV(a.Stamps)
	if a.StoreID != "" {
		it.GSI1PK, it.GSI1SK = staffPK(a.StoreID), associatePK(a.AssociateID)
	}
	if pk := signInPK(a.Email); pk != "" {
		it.GSI2PK, it.GSI2SK = pk, associatePK(a.AssociateID)
	}
	return it
}

// Associate returns the domain associate. Returns an error for a malformed timestamp.
func (it AssociateItem) Associate() (loupe.Associate, error) {
	term, err := parseTime("terminated_at", it.TerminatedAt)
	if err != nil {
		return loupe.Associate{}, err
	}
	up, err := parseTime("updated_at", it.UpdatedAt)
	if err != nil {
		return loupe.Associate{}, err
	}
	return loupe.Associate{
		AssociateID: it.AssociateID, StoreID: it.StoreID, Name: it.Name, Email: it.Email,
		Strengths: it.Strengths, Capacity: it.Capacity, Role: it.Role, Status: it.Status,
		TerminatedAt: term, UpdatedAt: up, Stamps: stampsOf(it.Stamps, it.StampList),
	}, nil
}

// CustomerItem is a customer as stored: PK=CUST#<id>, SK=CUST; GSI1 the
// associate's book in turn order (BOOK#<associate_id>, turnSK), GSI2
// birthday and GSI3 anniversary (BDAY#<MM-DD>, ANNIV#<MM-DD>, occasionSK),
// GSI4 home store (HOME#<store_id>, CUST#<id>), GSI5 phone number
// (PHONE#<e164>, CUST#<id>). Each index key is absent when its field is
// empty.
type CustomerItem struct {
	PK          string   `dynamodbav:"PK"`
	SK          string   `dynamodbav:"SK"`
	Kind        string   `dynamodbav:"kind"`
	GSI1PK      string   `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK      string   `dynamodbav:"GSI1SK,omitempty"`
	GSI2PK      string   `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK      string   `dynamodbav:"GSI2SK,omitempty"`
	GSI3PK      string   `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK      string   `dynamodbav:"GSI3SK,omitempty"`
	GSI4PK      string   `dynamodbav:"GSI4PK,omitempty"`
	GSI4SK      string   `dynamodbav:"GSI4SK,omitempty"`
	GSI5PK      string   `dynamodbav:"GSI5PK,omitempty"`
	GSI5SK      string   `dynamodbav:"GSI5SK,omitempty"`
	CustomerID  string   `dynamodbav:"customer_id"`
	HomeStoreID string   `dynamodbav:"home_store_id,omitempty"`
	FirstName   string   `dynamodbav:"first_name,omitempty"`
	LastName    string   `dynamodbav:"last_name,omitempty"`
	Email       string   `dynamodbav:"email,omitempty"`
	Phone       string   `dynamodbav:"phone,omitempty"`
	Birthday    string   `dynamodbav:"birthday,omitempty"`
	Anniversary string   `dynamodbav:"anniversary,omitempty"`
	Preferences []string `dynamodbav:"preferences,omitempty"`
	AssociateID string   `dynamodbav:"associate_id,omitempty"`
	EmailOptOut bool     `dynamodbav:"email_opt_out"`
	// PostalAddress is a map of the address's parts; absent when none.
	PostalAddress    *AddressAV `dynamodbav:"postal_address,omitempty"`
	Locale           string     `dynamodbav:"locale,omitempty"`
	PreferredChannel string     `dynamodbav:"preferred_channel,omitempty"`
	// Consents are the answers by channel; absent when none.
	Consents              map[string]ConsentAV `dynamodbav:"consents,omitempty"`
	LastContactAt         string               `dynamodbav:"last_contact_at,omitempty"`
	LastPersonalContactAt string               `dynamodbav:"last_personal_contact_at,omitempty"`
	Purchases             int                  `dynamodbav:"purchases,omitempty"`
	PurchaseCents         int64                `dynamodbav:"purchase_cents,omitempty"`
	EmailSource           string               `dynamodbav:"email_source,omitempty"`
	EmailCapturedAt       string               `dynamodbav:"email_captured_at,omitempty"`
	EmailStatus           string               `dynamodbav:"email_status,omitempty"`
	EmailStatusAt         string               `dynamodbav:"email_status_at,omitempty"`
	// NewSince, NewTo, ListedAt, DoNotContactAt and WrongPhone are Loupe's
	// (loupe.Customer): the Today list's new_client and rotation, and the
	// outcomes do_not_contact and wrong_number.
	NewSince       string         `dynamodbav:"new_since,omitempty"`
	NewTo          string         `dynamodbav:"new_to,omitempty"`
	ListedAt       string         `dynamodbav:"listed_at,omitempty"`
	DoNotContactAt string         `dynamodbav:"do_not_contact_at,omitempty"`
	WrongPhone     string         `dynamodbav:"wrong_phone,omitempty"`
	UpdatedAt      string         `dynamodbav:"updated_at"`
	Stamps         map[string]int `dynamodbav:"stamps,omitempty"`
	StampList      []string       `dynamodbav:"stamp_list,omitempty"`
	// ErasedAt is the last erasure of this id, on a record started again
	// after it (so POS events dated before it stay ignored).
	ErasedAt string `dynamodbav:"erased_at,omitempty"`
	Version  int64  `dynamodbav:"version"`
}

// NewCustomerItem returns the full item for c, index keys included.
func NewCustomerItem(c loupe.Customer) CustomerItem {
	id := customerPK(c.CustomerID)
	it := CustomerItem{
		PK: id, SK: skCustomer, Kind: KindCustomer,
		CustomerID: c.CustomerID, HomeStoreID: c.HomeStoreID,
		FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone,
		Birthday: c.Birthday.String(), Anniversary: c.Anniversary.String(),
		Preferences: c.Preferences, AssociateID: c.AssociateID, EmailOptOut: c.EmailOptOut,
		EmailSource: c.EmailSource, EmailCapturedAt: formatTime(c.EmailCapturedAt),
		EmailStatus: c.EmailStatus, EmailStatusAt: formatTime(c.EmailStatusAt), UpdatedAt: formatTime(c.UpdatedAt),
		Locale: c.Locale, PreferredChannel: c.PreferredChannel,
		LastContactAt: formatTime(c.LastContactAt), LastPersonalContactAt: formatTime(c.LastPersonalContactAt),
		Purchases: c.Purchases, PurchaseCents: c.PurchaseCents,
		NewSince: formatTime(c.NewSince), NewTo: c.NewTo, ListedAt: formatTime(c.ListedAt),
		DoNotContactAt: formatTime(c.DoNotContactAt), WrongPhone: c.WrongPhone,
	}
	if !c.PostalAddress.IsZero() {
		a := AddressAV(c.PostalAddress)
		it.PostalAddress = &a
	}
	for ch, k := range c.Consents {
		if it.Consents == nil {
			it.Consents = map[string]ConsentAV{}
		}
		it.Consents[ch] = ConsentAV{Status: k.Status, At: formatTime(k.At), Source: k.Source, Evidence: k.Evidence, Phone: k.Phone, Prior: k.Prior}
	}
	it.Stamps, it.StampList = stampsAV(c.Stamps)
	if c.AssociateID != "" {
		it.GSI1PK, it.GSI1SK = bookPK(c.AssociateID), turnSK(c)
	}
	if md := c.Birthday.MonthDay(); md != "" {
		it.GSI2PK, it.GSI2SK = prefixBday+md, occasionSK(c)
	}
	if md := c.Anniversary.MonthDay(); md != "" {
		it.GSI3PK, it.GSI3SK = prefixAnniv+md, occasionSK(c)
	}
	if c.HomeStoreID != "" {
		it.GSI4PK, it.GSI4SK = homePK(c.HomeStoreID), id
	}
	if c.Phone != "" {
		it.GSI5PK, it.GSI5SK = phonePK(c.Phone), id
	}
	return it
}

// Customer returns the domain customer. Returns an error for a malformed date
// or timestamp.
func (it CustomerItem) Customer() (loupe.Customer, error) {
	bday, err := parseDate("birthday", it.Birthday)
	if err != nil {
		return loupe.Customer{}, err
	}
	anniv, err := parseDate("anniversary", it.Anniversary)
	if err != nil {
		return loupe.Customer{}, err
	}
	captured, err := parseTime("email_captured_at", it.EmailCapturedAt)
	if err != nil {
		return loupe.Customer{}, err
	}
	up, err := parseTime("updated_at", it.UpdatedAt)
	if err != nil {
		return loupe.Customer{}, err
	}
	c := loupe.Customer{
		CustomerID: it.CustomerID, HomeStoreID: it.HomeStoreID,
		FirstName: it.FirstName, LastName: it.LastName, Email: it.Email, Phone: it.Phone,
		Birthday: bday, Anniversary: anniv, Preferences: it.Preferences,
		AssociateID: it.AssociateID, EmailOptOut: it.EmailOptOut,
		EmailSource: it.EmailSource, EmailCapturedAt: captured, EmailStatus: it.EmailStatus,
		Locale: it.Locale, PreferredChannel: it.PreferredChannel,
		Purchases: it.Purchases, PurchaseCents: it.PurchaseCents,
		UpdatedAt: up, Stamps: stampsOf(it.Stamps, it.StampList),
	}
	if it.PostalAddress != nil {
		c.PostalAddress = loupe.PostalAddress(*it.PostalAddress)
	}
	if c.EmailStatusAt, err = parseTime("email_status_at", it.EmailStatusAt); err != nil {
		return loupe.Customer{}, err
	}
	if c.LastContactAt, err = parseTime("last_contact_at", it.LastContactAt); err != nil {
		return loupe.Customer{}, err
	}
	if c.LastPersonalContactAt, err = parseTime("last_personal_contact_at", it.LastPersonalContactAt); err != nil {
		return loupe.Customer{}, err
	}
	if c.NewSince, err = parseTime("new_since", it.NewSince); err != nil {
		return loupe.Customer{}, err
	}
	if c.ListedAt, err = parseTime("listed_at", it.ListedAt); err != nil {
		return loupe.Customer{}, err
	}
	if c.DoNotContactAt, err = parseTime("do_not_contact_at", it.DoNotContactAt); err != nil {
		return loupe.Customer{}, err
	}
	c.NewTo, c.WrongPhone = it.NewTo, it.WrongPhone
	for ch, k := range it.Consents {
		at, err := parseTime("consents."+ch+".at", k.At)
		if err != nil {
			return loupe.Customer{}, err
		}
		if c.Consents == nil {
			c.Consents = map[string]loupe.Consent{}
		}
		c.Consents[ch] = loupe.Consent{Status: k.Status, At: at, Source: k.Source, Evidence: k.Evidence, Phone: k.Phone, Prior: k.Prior}
	}
	return c, nil
}

// AddressAV is a postal address as a map attribute.
type AddressAV struct {
	Line1      string `dynamodbav:"line1,omitempty"`
	Line2      string `dynamodbav:"line2,omitempty"`
	City       string `dynamodbav:"city,omitempty"`
	Region     string `dynamodbav:"region,omitempty"`
	PostalCode string `dynamodbav:"postal_code,omitempty"`
	Country    string `dynamodbav:"country,omitempty"`
}

// ConsentAV is one channel's consent as a map attribute.
type ConsentAV struct {
	Status   string `dynamodbav:"status"`
	At       string `dynamodbav:"at"`
	Source   string `dynamodbav:"source,omitempty"`
	Evidence string `dynamodbav:"evidence,omitempty"`
	Phone    string `dynamodbav:"phone,omitempty"`
	Prior    string `dynamodbav:"prior,omitempty"`
}

// RepairItem is a repair take-in as stored: PK=REPAIR#<id>, SK=REPAIR; GSI1 by
// store and store-local day (TAKEIN#<store_id>#<local_day>) and GSI3 by
// customer (REPAIRS#<customer_id>), both sorted by "<taken_in_at>#<repair_id>".
type RepairItem struct {
	PK            string `dynamodbav:"PK"`
	SK            string `dynamodbav:"SK"`
	Kind          string `dynamodbav:"kind"`
	GSI1PK        string `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK        string `dynamodbav:"GSI1SK,omitempty"`
	GSI3PK        string `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK        string `dynamodbav:"GSI3SK,omitempty"`
	RepairID      string `dynamodbav:"repair_id"`
	StoreID       string `dynamodbav:"store_id"`
	AssociateID   string `dynamodbav:"associate_id,omitempty"`
	CustomerID    string `dynamodbav:"customer_id,omitempty"`
	CustomerEmail string `dynamodbav:"customer_email,omitempty"`
	CustomerPhone string `dynamodbav:"customer_phone,omitempty"`
	Item          string `dynamodbav:"item,omitempty"`
	TakenInAt     string `dynamodbav:"taken_in_at"`
	LocalDay      string `dynamodbav:"local_day,omitempty"`
}

// NewRepairItem returns the item PutRepair writes for r.
func NewRepairItem(r loupe.Repair) RepairItem {
	taken := formatTime(r.TakenInAt)
	it := RepairItem{
		PK: repairPK(r.RepairID), SK: skRepair, Kind: KindRepair,
		RepairID: r.RepairID, StoreID: r.StoreID, AssociateID: r.AssociateID,
		CustomerID: r.CustomerID, CustomerEmail: r.CustomerEmail, CustomerPhone: r.CustomerPhone, Item: r.Item,
		TakenInAt: taken, LocalDay: r.LocalDay,
	}
	if r.StoreID != "" && r.LocalDay != "" {
		it.GSI1PK, it.GSI1SK = takeInPK(r.StoreID, r.LocalDay), taken+"#"+r.RepairID
	}
	if r.CustomerID != "" {
		it.GSI3PK, it.GSI3SK = customerRepairsPK(r.CustomerID), taken+"#"+r.RepairID
	}
	return it
}

// Repair returns the domain repair. Returns an error for a malformed timestamp.
func (it RepairItem) Repair() (loupe.Repair, error) {
	taken, err := parseTime("taken_in_at", it.TakenInAt)
	if err != nil {
		return loupe.Repair{}, err
	}
	return loupe.Repair{
		RepairID: it.RepairID, StoreID: it.StoreID, AssociateID: it.AssociateID,
		CustomerID: it.CustomerID, CustomerEmail: it.CustomerEmail, CustomerPhone: it.CustomerPhone, Item: it.Item,
		TakenInAt: taken, LocalDay: it.LocalDay,
	}, nil
}

// PurchaseItem is a purchase as stored: PK=CUST#<customer_id>,
// SK=PURCHASE#<purchased_at>#<purchase_id>, next to its customer.
type PurchaseItem struct {
	PK          string   `dynamodbav:"PK"`
	SK          string   `dynamodbav:"SK"`
	Kind        string   `dynamodbav:"kind"`
	PurchaseID  string   `dynamodbav:"purchase_id"`
	StoreID     string   `dynamodbav:"store_id,omitempty"`
	AssociateID string   `dynamodbav:"associate_id,omitempty"`
	CustomerID  string   `dynamodbav:"customer_id"`
	TotalCents  int64    `dynamodbav:"total_cents"`
	Categories  []string `dynamodbav:"categories,omitempty"`
	PurchasedAt string   `dynamodbav:"purchased_at"`
}

// NewPurchaseItem returns the item PutPurchase writes for p.
func NewPurchaseItem(p loupe.Purchase) PurchaseItem {
	return PurchaseItem{
		PK: customerPK(p.CustomerID), SK: purchaseSK(p), Kind: KindPurchase,
		PurchaseID: p.PurchaseID, StoreID: p.StoreID, AssociateID: p.AssociateID,
		CustomerID: p.CustomerID, TotalCents: p.TotalCents, Categories: p.Categories,
		PurchasedAt: formatTime(p.PurchasedAt),
	}
}

// Purchase returns the domain purchase. Returns an error for a malformed timestamp.
func (it PurchaseItem) Purchase() (loupe.Purchase, error) {
	at, err := parseTime("purchased_at", it.PurchasedAt)
	if err != nil {
		return loupe.Purchase{}, err
	}
	return loupe.Purchase{
		PurchaseID: it.PurchaseID, StoreID: it.StoreID, AssociateID: it.AssociateID,
		CustomerID: it.CustomerID, TotalCents: it.TotalCents, Categories: it.Categories,
		PurchasedAt: at,
	}, nil
}

// PurchaseGuardItem makes a purchase id unique across customers and times:
// PK=PURCHASE#<id>, SK=PURCHASE, pointing at the purchase item's key.
type PurchaseGuardItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Kind       string `dynamodbav:"kind"`
	PurchaseID string `dynamodbav:"purchase_id"`
	ItemPK     string `dynamodbav:"item_pk"`
	ItemSK     string `dynamodbav:"item_sk"`
}

// EventItem is the claim of a POS event id: PK=EVENT#<id>, SK=EVENT, with
// the hash of the body it was claimed with, removed by TTL (expires_at, epoch
// seconds) 30 days after the claim. An item without a hash (written before
// claims held one) matches any body.
type EventItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Kind      string `dynamodbav:"kind"`
	EventID   string `dynamodbav:"event_id"`
	Hash      string `dynamodbav:"hash,omitempty"`
	AppliedAt string `dynamodbav:"applied_at"`
	ExpiresAt int64  `dynamodbav:"expires_at"`
}

// NewEventItem returns the item ClaimEvent writes for eventID with body hash
// hash at at.
func NewEventItem(eventID, hash string, at time.Time) EventItem {
	return EventItem{
		PK: eventPK(eventID), SK: skEvent, Kind: KindEvent, EventID: eventID, Hash: hash,
		AppliedAt: formatTime(at), ExpiresAt: at.Add(EventTTL).Unix(),
	}
}

// itoa formats an int for expression values.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
