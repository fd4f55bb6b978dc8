package wire

import (
	"cmp"
	"context"
	"log/slog"
	"maps"
	"net/http"
	"time"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/reassign"
	"github.com/loupehq/loupe/shared/staff"
	"github.com/loupehq/loupe/shared/textin"
	"github.com/loupehq/loupe/shared/today"
	"github.com/loupehq/loupe/shared/touch"
	"github.com/loupehq/loupe/shared/unsub"
)

// Records is what a data adapter (package dynamo or embedded) provides to
// every service: the chain's records, erasure and suppression, and the
// reassignment batches.
type Records interface {
	loupe.DB
	loupe.Privacy
	loupe.SignInStore
	reassign.Store
	touch.Suppression
	loupe.NumberOptOuts
	today.Store
	today.Book
}

// ComplianceStore keeps take-in aggregates and inspection windows.
type ComplianceStore interface {
	compliance.Store
	compliance.InspectionStore
}

// LedgerStore keeps the touchpoint ledger and the campaigns.
type LedgerStore interface {
	touch.Ledger
	touch.Campaigns
}

// Ports are the adapters the services run on: the caller's choice of
// technology. Records, Compliance and Ledger are required.
type Ports struct {
	Records    Records
	Compliance ComplianceStore
	Ledger     LedgerStore
	// Mail sends what the services mail themselves: the reassignment review
	// and the inspection morning mail (and, for the runners that deliver
	// touchpoints in process, the touchpoints). Nil: no such mail is sent.
	Mail mail.Sender
	// RecoverAfter is how old a claimed, unsent touchpoint must be before the
	// hourly run hands it on again: a property of how entries travel to the
	// sender (RecoverAfterQueued behind the SQS send queue). 0 means
	// touch.DefaultRecoverAfter, for a runner that delivers in process.
	RecoverAfter time.Duration
	// Phones reads phone numbers into E.164 (phone.Normalize) for the POS
	// service. Nil in a process that applies no POS events: an event
	// carrying a phone then answers EUNAVAILABLE.
	Phones pos.PhoneReader
	// Channels send touchpoints on the channels other than email
	// (touch.Planner.Channels). Nil: email only; every list passes over the
	// rest. Build adds the personal channel (Today tasks, Services.Today)
	// itself unless one is given (a test's).
	Channels map[string]touch.Channel
	// Replies answers inbound texts (STOP confirmation, HELP) when
	// Config.SMSManagedOptOuts: the End User Messaging sender in AWS, the
	// outbox's texts locally. Nil: no replies (AWS answers them).
	Replies textin.Replier
	// Places says where phones and postal addresses are, for the quiet
	// hours of texts (phone.Places). Nil: the store's zone only.
	Places touch.Places
	// StaffTokens verifies staff tokens: the chain's OIDC ID tokens
	// (oidcauth, in OIDC mode) or Loupe's own (linktoken, in link mode).
	// Nil: only the API token signs in.
	StaffTokens staff.TokenVerifier
	// SignInTokens issues Loupe's own staff tokens for sign-in links
	// (linktoken). Nil: no sign-in links (OIDC mode, or a process without
	// the key).
	SignInTokens staff.Issuer
	// Reviews, when set, takes each reassignment review mail by its batch id
	// instead of Mail (the AWS send queue, so its bodies hold no client
	// names); the sender builds it (Reassign.SendReview). Nil: the review is
	// built and given to Mail at once (`loupe serve`).
	Reviews reassign.ReviewQueue
	// Forget are the runtime's own parts of an erasure, run after the
	// domain's (Services.Erase): `loupe serve` passes the outbox's and the
	// embedded file's compaction. Nil in AWS, which keeps no such copies.
	Forget []loupe.Forgetter
	// Now is the clock. Nil: time.Now.
	Now loupe.Clock
	// Logger receives ids and counts, never customer emails or names. Nil:
	// slog.Default().
	Logger *slog.Logger
}

// Services are the domain services of one process, built by Build.
type Services struct {
	// Config is the configuration they were built from.
	Config Config
	// Ports are the adapters they run on.
	Ports Ports
	// POS applies POS events (webhook and CSV import alike).
	POS *pos.Service
	// Reassign reassigns the books of departed associates.
	Reassign *reassign.Service
	// Compliance measures repair email capture and runs inspections.
	Compliance *compliance.Service
	// Planner plans and delivers touchpoints.
	Planner *touch.Planner
	// Today makes the associates' daily lists and records their outcomes;
	// it is also the planner's personal channel and the POS service's
	// Purchased (thank_you).
	Today *today.Service
	// Texts handles inbound texts (STOP, HELP, START) and the delivery
	// events of sent texts.
	Texts *textin.Service
	// Schedule is the rule of the hourly run (Config.PlanHour).
	Schedule touch.Schedule
	// Staff turns a bearer token into the person it names: every staff
	// route's one check.
	Staff *staff.Authenticator
	// Links sends sign-in links and exchanges their codes; nil in OIDC mode
	// or without Ports.SignInTokens.
	Links *staff.Links
	// Unsubscribe signs unsubscribe links with Config.UnsubscribeSecret and
	// verifies them with it and Config.UnsubscribePrevious; nil without
	// Config.UnsubscribeSecret.
	Unsubscribe *unsub.Signer
}

// Build returns the services of cfg over p. It never fails: a service whose
// setting is missing is left out (nil) or answers EUNAVAILABLE when called,
// and a function that cannot run without one checks Config.Require at start.
func Build(cfg Config, p Ports) *Services {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	s := &Services{Config: cfg, Ports: p, Schedule: touch.Schedule{PlanHour: cfg.PlanHour}}
	if keys := cfg.unsubscribeKeys(); keys != nil {
		s.Unsubscribe = unsub.New(keys[0], keys[1:]...) // signs with the first, verifies with all
	}
	s.POS = &pos.Service{DB: p.Records, Now: p.Now, Phones: p.Phones, Numbers: p.Records}
	s.Today = &today.Service{Records: p.Records, Book: p.Records, Store: p.Records, Campaigns: p.Ledger,
		PerDay: cfg.TasksPerDay, Cap: cfg.FatigueCapDays, Now: p.Now, Log: p.Logger}
	s.POS.Purchased = s.Today.Purchased
	channels := maps.Clone(p.Channels)
	if channels == nil {
		channels = map[string]touch.Channel{}
	}
	if channels[contact.Personal] == nil {
		channels[contact.Personal] = s.Today
	}
	s.Reassign = reassign.New(p.Records, p.Records, p.Mail, p.Now, reassign.Config{BaseURL: cfg.BaseURL, Logger: p.Logger})
	s.Reassign.Reviews = p.Reviews
	s.Compliance = &compliance.Service{
		Store:          p.Compliance,
		Inspections:    p.Compliance,
		Stores:         p.Records,
		Associates:     p.Records,
		Customers:      p.Records,
		Erased:         p.Records,
		AllowedDomains: cfg.AllowedEmailDomains,
		BaseURL:        cfg.BaseURL,
		Now:            p.Now,
		Log:            p.Logger,
	}
	s.Staff = &staff.Authenticator{APIToken: cfg.APIToken, Tokens: p.StaffTokens, Admins: cfg.AdminEmails, Directory: p.Records}
	if p.SignInTokens != nil && !cfg.OIDC() {
		s.Links = &staff.Links{Codes: p.Records, Directory: p.Records, Stores: p.Records.ListStores, Tokens: p.SignInTokens,
			Mail: p.Mail, BaseURL: cfg.BaseURL, Admins: cfg.AdminEmails, Now: p.Now, Log: p.Logger}
	}
	s.Planner = &touch.Planner{
		DB:             p.Records,
		Ledger:         p.Ledger,
		History:        p.Records,
		Campaigns:      p.Ledger,
		Cap:            cfg.FatigueCapDays,
		Lists:          contact.Lists{By: cfg.Channels, MailOverCents: int64(cfg.MailOverCents)},
		Channels:       channels,
		Places:         p.Places,
		Numbers:        p.Records,
		Consent:        s.Compliance.ConsentFor,
		UnsubscribeURL: s.unsubscribeURL,
		Suppression:    p.Records,
		RecoverAfter:   p.RecoverAfter,
		Now:            p.Now,
		Log:            p.Logger,
	}
	s.Today.Consent = s.Compliance.ConsentFor
	s.Texts = &textin.Service{Store: p.Records, Numbers: p.Records, Consents: s.POS, Replier: p.Replies, ManagedOptOuts: cfg.SMSManagedOptOuts,
		NumberStores: textin.NumberStores(cfg.SMSStoreIdentities), IDKey: []byte(cmp.Or(cfg.SignInKey, cfg.UnsubscribeSecret)), Now: p.Now, Logger: p.Logger}
	s.Planner.NumberStopped = s.Texts.NumberStopped
	return s
}

// unsubscribeURL returns the signed unsubscribe link of a client under
// Config.BaseURL, "" without a signer (a preview where the secret stays with
// the sender).
func (s *Services) unsubscribeURL(customerID string) string {
	if s.Unsubscribe == nil {
		return ""
	}
	return s.Unsubscribe.URL(s.Config.BaseURL, customerID)
}

// Erase is a customer's complete erasure, the one behind DELETE
// /customers/{id} and `loupe forget`: loupe.Erase over Ports.Records with
// compliance's and reassignment's forgetters, then Ports.Forget. Returns an
// error wrapping loupe.ErrUnknownCustomer for an id never known.
func (s *Services) Erase(ctx context.Context, customerID string, at time.Time) error {
	forget := append([]loupe.Forgetter{s.Compliance.Forget, s.Reassign.Forget}, s.Ports.Forget...)
	return loupe.Erase(ctx, s.Ports.Records, customerID, at, forget...)
}

// Subscribe registers the change handlers on a local change feed: the
// in-process stand-ins for the staff-stream and repair-stream functions, the
// same domain calls the stream decoders end in.
func (s *Services) Subscribe(feed interface {
	Subscribe(name string, h loupe.ChangeHandler)
}) {
	feed.Subscribe("reassign", s.Reassign.HandleChange)
	feed.Subscribe("compliance", s.Compliance.HandleChange)
}

// HTTP returns the handler of every route (package httpapi) over the
// services. Every staff route checks its bearer token through Staff; apiToken,
// when not "", is the admin token (the one `loupe serve` made), else
// Config.APIToken.
func (s *Services) HTTP(apiToken string) http.Handler {
	auth := *s.Staff
	if apiToken != "" {
		auth.APIToken = apiToken
	}
	ac := httpapi.AuthConfig{Mode: "link"}
	if s.Config.OIDC() {
		ac = httpapi.AuthConfig{Mode: "oidc", Issuer: s.Config.OIDCIssuer, ClientID: s.Config.OIDCClientID,
			Scopes: []string{"openid", "email", "profile"}}
	}
	var links httpapi.Links
	if s.Links != nil {
		links = s.Links
	}
	return httpapi.New(httpapi.Config{
		Staff:          &auth,
		Links:          links,
		Auth:           ac,
		DB:             s.Ports.Records,
		Privacy:        s.Ports.Records,
		Erase:          s.Erase,
		Events:         s.POS,
		WebhookSecrets: s.Config.WebhookSecrets,
		Compliance:     s.Compliance,
		Unsubscribe:    s.Unsubscribe,
		Reassign:       s.Reassign,
		Touch:          s.Planner,
		Campaigns:      s.Ports.Ledger,
		Today:          s.Today,
		Texts:          s.Texts,
		Now:            s.Ports.Now,
		Logger:         s.Ports.Logger,
	})
}

// Hourly returns the hourly run (touch.Hourly) over the services: due
// terminations (POS), touchpoints, and morning mails going to Ports.Mail.
func (s *Services) Hourly() touch.Hourly {
	return touch.Hourly{Staff: s.POS, Planner: s.Planner, Morning: s.Compliance, Schedule: s.Schedule, Mail: s.Ports.Mail}
}
