package loupe

import (
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/language"
)

// Limits every way in (webhook, import) shares, so one event or row cannot
// bloat a record or stall the engine that reads it.
const (
	MaxIDLength   = 128       // characters of an identifier
	MaxTextLength = 1000      // characters of a name, address, phone or item
	MaxListLength = 64        // entries of strengths, preferences or categories
	MaxCapacity   = 1_000_000 // an associate's capacity (CONTRACT section 1)
)

// ValidCategory reports whether s is a category slug: [a-z0-9_]{1,32}.
func ValidCategory(s string) bool {
	if len(s) < 1 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ValidEmail reports whether s is one well-formed address "local@domain.tld",
// with no display name, no spaces, a dotted domain and only printable ASCII
// (SES v2 refuses a non-ASCII local part; a domain is written in its punycode
// form).
func ValidEmail(s string) bool {
	if len(s) < 6 || len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>,;\"") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if local == "" || len(local) > 64 {
		return false
	}
	dot := strings.LastIndexByte(domain, '.')
	if dot <= 0 || dot == len(domain)-1 || strings.Contains(domain, "..") {
		return false
	}
	if tld := domain[dot+1:]; len(tld) < 2 || strings.Trim(tld, "0123456789") == "" {
		return false // a top-level domain has two letters or more (z@co.c, a@1.2)
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// NormalizeEmail returns the address trimmed with its domain lower-cased, the
// form Loupe stores and hashes.
func NormalizeEmail(s string) string {
	s = strings.TrimSpace(s)
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		return s[:at+1] + strings.ToLower(s[at+1:])
	}
	return s
}

// ValidTimezone reports whether name is an IANA zone this binary knows
// (time/tzdata is embedded by the binaries, so the host's database does not matter).
func ValidTimezone(name string) bool {
	if name == "" || name == "Local" {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// ValidCountry reports whether s looks like an ISO 3166 alpha-2 code (two upper-case letters).
func ValidCountry(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// ValidLocale reports whether s is a well-formed BCP 47 language tag such
// as "en-US" or "fr" (CONTRACT section 2, v2).
func ValidLocale(s string) bool {
	if s == "" || len(s) > 35 {
		return false
	}
	_, err := language.Parse(s)
	return err == nil
}

// ValidAccentColor reports whether s is a "#RRGGBB" colour.
func ValidAccentColor(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	for i := 1; i < 7; i++ {
		c := s[i] | 0x20
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ValidHTTPSURL reports whether s is an absolute https URL with a host.
func ValidHTTPSURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && len(s) <= 2048
}

// Validate checks the address; field is its name ("postal_address").
// An address holds at least line1, city and country. Returns an EINVALID
// *Error naming the first bad part ("postal_address.city").
func (a PostalAddress) Validate(field string) error {
	if a.IsZero() {
		return nil
	}
	parts := []string{"line1", a.Line1, "line2", a.Line2, "city", a.City, "region", a.Region,
		"postal_code", a.PostalCode, "country", a.Country}
	for i := 0; i < len(parts); i += 2 {
		name := field + "." + parts[i]
		if err := cleanText(name, parts[i+1]); err != nil {
			return err
		}
		if err := textLimits(name, parts[i+1]); err != nil {
			return err
		}
	}
	for _, req := range [][2]string{{"line1", a.Line1}, {"city", a.City}, {"country", a.Country}} {
		if strings.TrimSpace(req[1]) == "" {
			return Invalidf(field+"."+req[0], "%s.%s is required in an address (line1, city and country)", field, req[0])
		}
	}
	if !ValidCountry(a.Country) {
		return Invalidf(field+".country", "%s.country must be an ISO 3166 alpha-2 code such as US", field)
	}
	return nil
}

// ValidateConsent checks a consent given on channel. Returns an EINVALID
// *Error naming the bad field (channel, status, at, source, evidence).
func ValidateConsent(channel string, k Consent) error {
	return validateConsent(channel, k, ConsentSources)
}

// ValidateRecordedConsent is ValidateConsent for a consent Loupe records
// itself (pos.Service.SetConsent): its source may also be
// ConsentSourceSMS. Returns an EINVALID *Error naming the field.
func ValidateRecordedConsent(channel string, k Consent) error {
	return validateConsent(channel, k, append(slices.Clip(ConsentSources), ConsentSourceSMS))
}

func validateConsent(channel string, k Consent, sources []string) error {
	if !slices.Contains(ConsentChannels, channel) {
		return Invalidf("channel", "channel must be one of %s", strings.Join(ConsentChannels, ", "))
	}
	if k.Status != ConsentGranted && k.Status != ConsentDenied {
		return Invalidf("status", "status must be granted or denied")
	}
	if k.At.IsZero() {
		return Invalidf("at", "at is required")
	}
	if k.Source != "" && !slices.Contains(sources, k.Source) {
		return Invalidf("source", "source must be one of %s", strings.Join(sources, ", "))
	}
	if err := cleanText("evidence", k.Evidence); err != nil {
		return err
	}
	if err := textLimits("evidence", k.Evidence); err != nil {
		return err
	}
	if k.Prior != "" && (k.Prior != ConsentGranted || k.Status != ConsentDenied || k.Source != ConsentSourceSMS) {
		return Invalidf("prior", "prior may only be granted, on a denial recorded from a text")
	}
	if k.Status == ConsentGranted && phoneBound(channel) && strings.TrimSpace(k.Evidence) == "" {
		return Invalidf("evidence", "evidence (the words the client agreed to) is required to grant %s", channel)
	}
	return nil
}

// ValidID reports whether s is a usable identifier: 1 to MaxIDLength printable
// ASCII characters without spaces, '#' (the table's key separator) or '/'.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c > '~' || c == '#' || c == '/' {
			return false
		}
	}
	return true
}

// cleanText checks that each (field, value) pair holds no control
// characters (CONTRACT section 2: a line break in a name is a 400). A name
// with "\r\nBcc: ..." would otherwise reach a mail header or a printed
// list. Returns an EINVALID *Error naming the first culprit.
func cleanText(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.IndexFunc(pairs[i+1], unicode.IsControl) >= 0 {
			return Invalidf(pairs[i], "%s must not contain control characters such as a line break or tab", pairs[i])
		}
	}
	return nil
}

// cleanLines is cleanText for a field that may span lines (a postal
// address): line breaks are allowed, other control characters are not.
func cleanLines(field, v string) error {
	if strings.IndexFunc(v, func(r rune) bool { return r != '\n' && r != '\r' && unicode.IsControl(r) }) >= 0 {
		return Invalidf(field, "%s must not contain control characters other than line breaks", field)
	}
	return nil
}

func requireID(field, v string) error {
	if v == "" {
		return Invalidf(field, "%s is required", field)
	}
	if !ValidID(v) {
		return Invalidf(field, "%s must be 1-%d printable characters without spaces, '#' or '/'", field, MaxIDLength)
	}
	return nil
}

func optionalEmail(field, v string) error {
	if v != "" && !ValidEmail(v) {
		return Invalidf(field, "%s is not a well-formed email address", field)
	}
	return nil
}

// textLimits checks that each (field, value) pair is at most MaxTextLength
// characters.
func textLimits(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if n := len(pairs[i+1]); n > MaxTextLength && len([]rune(pairs[i+1])) > MaxTextLength {
			return Invalidf(pairs[i], "%s is longer than %d characters", pairs[i], MaxTextLength)
		}
	}
	return nil
}

func validCategories(field string, cs []string) error {
	if len(cs) > MaxListLength {
		return Invalidf(field, "%s holds more than %d entries", field, MaxListLength)
	}
	for i, c := range cs {
		if !ValidCategory(c) {
			return Invalidf(field, "%s[%d] must match [a-z0-9_]{1,32}", field, i)
		}
	}
	return nil
}

// Validate checks the store. Returns an EINVALID *Error naming the first bad field.
func (s Store) Validate() error {
	if err := requireID("store_id", s.StoreID); err != nil {
		return err
	}
	if err := cleanText("name", s.Name, "timezone", s.Timezone, "country", s.Country,
		"from_email", s.FromEmail, "manager_email", s.ManagerEmail); err != nil {
		return err
	}
	if err := cleanLines("postal_address", s.PostalAddress); err != nil {
		return err
	}
	if err := textLimits("name", s.Name, "postal_address", s.PostalAddress); err != nil {
		return err
	}
	if strings.TrimSpace(s.Name) == "" {
		return Invalidf("name", "name is required")
	}
	if s.Timezone == "" {
		return Invalidf("timezone", "timezone is required")
	}
	if !ValidTimezone(s.Timezone) {
		return Invalidf("timezone", "timezone must be an IANA zone such as America/New_York")
	}
	if s.Country == "" {
		return Invalidf("country", "country is required")
	}
	if !ValidCountry(s.Country) {
		return Invalidf("country", "country must be an ISO 3166 alpha-2 code such as US")
	}
	if err := optionalEmail("from_email", s.FromEmail); err != nil {
		return err
	}
	if err := optionalEmail("manager_email", s.ManagerEmail); err != nil {
		return err
	}
	if err := cleanText("phone", s.Phone); err != nil {
		return err
	}
	if err := textLimits("phone", s.Phone); err != nil {
		return err
	}
	if s.Locale != "" && !ValidLocale(s.Locale) {
		return Invalidf("locale", "locale must be a BCP 47 language tag such as en-US")
	}
	if s.LogoURL != "" && !ValidHTTPSURL(s.LogoURL) {
		return Invalidf("logo_url", "logo_url must be an https URL")
	}
	if s.AccentColor != "" && !ValidAccentColor(s.AccentColor) {
		return Invalidf("accent_color", "accent_color must be a colour #RRGGBB")
	}
	return nil
}

// Validate checks the associate. Returns an EINVALID *Error naming the first bad field.
func (a Associate) Validate() error {
	if err := requireID("associate_id", a.AssociateID); err != nil {
		return err
	}
	if err := requireID("store_id", a.StoreID); err != nil {
		return err
	}
	if err := cleanText("name", a.Name, "email", a.Email, "status", a.Status, "role", a.Role); err != nil {
		return err
	}
	if err := textLimits("name", a.Name); err != nil {
		return err
	}
	if strings.TrimSpace(a.Name) == "" {
		return Invalidf("name", "name is required")
	}
	if err := optionalEmail("email", a.Email); err != nil {
		return err
	}
	if err := validCategories("strengths", a.Strengths); err != nil {
		return err
	}
	if a.Capacity < 0 || a.Capacity > MaxCapacity {
		return Invalidf("capacity", "capacity must be 0 (no limit) to %d", MaxCapacity)
	}
	if a.Status != StatusActive && a.Status != StatusTerminated {
		return Invalidf("status", "status must be active or terminated")
	}
	if a.Role != "" && !slices.Contains(AssociateRoles, a.Role) {
		return Invalidf("role", "role must be one of %s", strings.Join(AssociateRoles, ", "))
	}
	return nil
}

// Validate checks the customer's POS fields. Returns an EINVALID *Error naming
// the first bad field.
func (c Customer) Validate() error {
	if err := requireID("customer_id", c.CustomerID); err != nil {
		return err
	}
	if err := requireID("home_store_id", c.HomeStoreID); err != nil {
		return err
	}
	if err := cleanText("first_name", c.FirstName, "last_name", c.LastName, "email", c.Email, "phone", c.Phone); err != nil {
		return err
	}
	if err := textLimits("first_name", c.FirstName, "last_name", c.LastName, "phone", c.Phone); err != nil {
		return err
	}
	if err := optionalEmail("email", c.Email); err != nil {
		return err
	}
	if err := validCategories("preferences", c.Preferences); err != nil {
		return err
	}
	if c.AssociateID != "" && !ValidID(c.AssociateID) {
		return Invalidf("associate_id", "associate_id must be 1-%d printable characters without spaces, '#' or '/'", MaxIDLength)
	}
	if err := c.PostalAddress.Validate("postal_address"); err != nil {
		return err
	}
	if c.Locale != "" && !ValidLocale(c.Locale) {
		return Invalidf("locale", "locale must be a BCP 47 language tag such as en-US")
	}
	if c.PreferredChannel != "" && !slices.Contains(MessageChannels, c.PreferredChannel) {
		return Invalidf("preferred_channel", "preferred_channel must be one of %s", strings.Join(MessageChannels, ", "))
	}
	return nil
}

// Validate checks the repair take-in. The customer email may be empty or
// malformed: that is what compliance measures. Returns an EINVALID *Error naming
// the first bad field.
func (r Repair) Validate() error {
	for _, f := range [][2]string{{"repair_id", r.RepairID}, {"store_id", r.StoreID}, {"associate_id", r.AssociateID}, {"customer_id", r.CustomerID}} {
		if err := requireID(f[0], f[1]); err != nil {
			return err
		}
	}
	if err := cleanText("customer_email", r.CustomerEmail, "customer_phone", r.CustomerPhone, "item", r.Item); err != nil {
		return err
	}
	if err := textLimits("item", r.Item, "customer_phone", r.CustomerPhone); err != nil {
		return err
	}
	if len(r.CustomerEmail) > 320 {
		return Invalidf("customer_email", "customer_email is longer than 320 characters")
	}
	if r.TakenInAt.IsZero() {
		return Invalidf("taken_in_at", "taken_in_at is required")
	}
	return nil
}

// Validate checks the purchase. Returns an EINVALID *Error naming the first bad field.
func (p Purchase) Validate() error {
	for _, f := range [][2]string{{"purchase_id", p.PurchaseID}, {"store_id", p.StoreID}, {"associate_id", p.AssociateID}, {"customer_id", p.CustomerID}} {
		if err := requireID(f[0], f[1]); err != nil {
			return err
		}
	}
	if p.TotalCents < 0 {
		return Invalidf("total_cents", "total_cents must not be negative")
	}
	return validCategories("categories", p.Categories)
}

// NationalPhone reports whether raw is a phone number written without its
// country code ("+"), so that reading it needs a country.
func NationalPhone(raw string) bool {
	raw = strings.TrimSpace(raw)
	return raw != "" && !strings.HasPrefix(raw, "+")
}
