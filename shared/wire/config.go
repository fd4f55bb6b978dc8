// Package wire builds every Loupe domain service (POS events, reassignment,
// repair compliance, the touchpoint planner and sender, the unsubscribe
// signer, the HTTP routes) from one Config, read from the environment once,
// over the adapters a caller chooses (Ports). Every Lambda main (through
// package lambdawire) and cmd/loupe build their services here and nowhere
// else, so a rule judged in AWS is judged the same way by `loupe serve`.
//
// A setting that exists locally exists in AWS: each field of Config is one
// environment variable, and template.yaml sets the non-secret ones for every
// function (Globals). Secrets differ in how they arrive: locally their values
// are variables (LOUPE_WEBHOOK_SECRET, LOUPE_UNSUBSCRIBE_SECRET); in AWS the
// template gives the functions that need one only its Secrets Manager id
// (LOUPE_WEBHOOK_SECRET_ID, LOUPE_UNSUBSCRIBE_SECRET_ID), and lambdawire.Boot
// reads the current and previous values once at start-up and hands them to
// UseWebhookSecret and UseUnsubscribeSecret.
package wire

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/staff"
	"github.com/loupehq/loupe/shared/touch"
	"github.com/loupehq/loupe/shared/unsub"
	"github.com/loupehq/loupe/shared/webhook"
)

// The environment variables Config is read from. TABLE_NAME and
// SEND_QUEUE_URL name AWS resources and exist only in AWS; the rest are the
// same locally and in AWS.
const (
	EnvTableName           = "TABLE_NAME"
	EnvSendQueueURL        = "SEND_QUEUE_URL"
	EnvWebhookSecret       = "LOUPE_WEBHOOK_SECRET"
	EnvUnsubscribeSecret   = "LOUPE_UNSUBSCRIBE_SECRET"
	EnvWebhookSecretID     = "LOUPE_WEBHOOK_SECRET_ID"
	EnvUnsubscribeSecretID = "LOUPE_UNSUBSCRIBE_SECRET_ID"
	EnvBaseURL             = "LOUPE_BASE_URL"
	EnvFatigueCapDays      = "LOUPE_FATIGUE_CAP_DAYS"
	EnvPlanHour            = "LOUPE_PLAN_HOUR"
	EnvAllowedEmailDomains = "LOUPE_ALLOWED_EMAIL_DOMAINS"
	EnvSESConfigurationSet = "LOUPE_SES_CONFIGURATION_SET"
	EnvSenderMaxRate       = "LOUPE_SENDER_MAX_RATE"
	EnvAPIToken            = "LOUPE_API_TOKEN"
	EnvChannels            = "LOUPE_CHANNELS"
	EnvOIDCIssuer          = "LOUPE_OIDC_ISSUER"
	EnvOIDCClientID        = "LOUPE_OIDC_CLIENT_ID"
	EnvOIDCAdminClaim      = "LOUPE_OIDC_ADMIN_CLAIM"
	EnvAdminEmails         = "LOUPE_ADMIN_EMAILS"
	EnvSignInKey           = "LOUPE_SIGNIN_KEY"
	EnvSignInKeyID         = "LOUPE_SIGNIN_KEY_SECRET_ID"
	EnvAPITokenID          = "LOUPE_API_TOKEN_SECRET_ID"
	EnvMailOverCents       = "LOUPE_CHRISTMAS_MAIL_OVER_CENTS"
	EnvTasksPerDay         = "LOUPE_TASKS_PER_DAY"
	EnvSMSIdentity         = "LOUPE_SMS_ORIGINATION_IDENTITY"
	EnvSMSStoreIdentities  = "LOUPE_SMS_STORE_IDENTITIES"
	EnvSMSConfigurationSet = "LOUPE_SMS_CONFIGURATION_SET"
	EnvSMSMPS              = "LOUPE_SMS_MPS"
	EnvSMSTTL              = "LOUPE_SMS_TTL"
	EnvSMSManagedOptOuts   = "LOUPE_SMS_MANAGED_OPTOUTS"
)

// DefaultPlanHour is the store-local hour in which a store's day is planned
// when LOUPE_PLAN_HOUR is unset.
const DefaultPlanHour = touch.DefaultPlanHour

// Config is every setting Loupe reads, locally and in AWS. Zero values are
// the documented defaults; FromEnv fills it from the environment.
type Config struct {
	// TableName is the DynamoDB table (TABLE_NAME; AWS only).
	TableName string
	// SendQueueURL is the SQS send queue (SEND_QUEUE_URL; AWS only).
	SendQueueURL string
	// WebhookSecrets verify POS events (LOUPE_WEBHOOK_SECRET: one secret, or
	// several separated by commas during a rotation; in AWS the values of
	// WebhookSecretID, see UseWebhookSecret). Empty: POST /pos/events
	// answers 503.
	WebhookSecrets []string
	// WebhookSecretID is the Secrets Manager secret (name or ARN) holding
	// WebhookSecrets (LOUPE_WEBHOOK_SECRET_ID; AWS only, never set together
	// with LOUPE_WEBHOOK_SECRET). lambdawire.Boot reads it.
	WebhookSecretID string
	// UnsubscribeSecret signs and verifies unsubscribe links
	// (LOUPE_UNSUBSCRIBE_SECRET, at least unsub.MinSecretSize bytes; in AWS
	// the current value of UnsubscribeSecretID). Empty: /u/{token} answers
	// 503 and touchpoint mail cannot be sent. Locally the data directory
	// keeps a generated one when unset.
	UnsubscribeSecret string
	// UnsubscribeSecretID is the Secrets Manager secret (name or ARN) holding
	// UnsubscribeSecret (LOUPE_UNSUBSCRIBE_SECRET_ID; AWS only, never set
	// together with LOUPE_UNSUBSCRIBE_SECRET). lambdawire.Boot reads it.
	UnsubscribeSecretID string
	// UnsubscribePrevious are former unsubscribe keys that still verify
	// links but never sign: in AWS the previous value of
	// UnsubscribeSecretID, so links mailed before a rotation keep working
	// until the next one. It has no variable of its own; a key shorter than
	// unsub.MinSecretSize is left out (it never signed a link).
	UnsubscribePrevious []string
	// BaseURL is the public base of the links in mail: unsubscribe links and
	// the printable review list (LOUPE_BASE_URL, no trailing slash). Locally
	// `loupe serve` uses its own address when unset.
	BaseURL string
	// FatigueCapDays is the fatigue cap (LOUPE_FATIGUE_CAP_DAYS, 1-365); 0
	// means touch.DefaultCap.
	FatigueCapDays int
	// Channels is the chain's ordered channel list per occasion
	// (LOUPE_CHANNELS, contact.ParseLists; nil: the defaults).
	Channels map[string][]string
	// MailOverCents is the lifetime purchases above which the Christmas
	// card goes on paper (LOUPE_CHRISTMAS_MAIL_OVER_CENTS; 0:
	// contact.DefaultMailOverCents).
	MailOverCents int
	// TasksPerDay is the longest Today list (LOUPE_TASKS_PER_DAY, 1-100);
	// 0 means today.DefaultPerDay (10).
	TasksPerDay int
	// PlanHour is the store-local hour (LOUPE_PLAN_HOUR, 0-23) in which the
	// hourly run plans a store's day, in AWS and in `loupe serve` alike.
	PlanHour int
	// AllowedEmailDomains are email domains the repair email check accepts as
	// real although it would judge them placeholders
	// (LOUPE_ALLOWED_EMAIL_DOMAINS, comma separated, lower-cased). nil: none.
	AllowedEmailDomains map[string]bool
	// SESConfigurationSet is the SES configuration set publishing bounce and
	// complaint events (LOUPE_SES_CONFIGURATION_SET). Required by the sender
	// function; optional for `--mail ses` locally.
	SESConfigurationSet string
	// SenderMaxRate is the messages per second one sender may send
	// (LOUPE_SENDER_MAX_RATE); 0 asks SES for the account's rate.
	SenderMaxRate float64
	// APIToken is the admin bearer token of the IT team and scripts
	// (LOUPE_API_TOKEN; `loupe serve` generates one when unset; in AWS the
	// current value of APITokenID).
	APIToken string
	// APITokenID is the Secrets Manager secret holding APIToken
	// (LOUPE_API_TOKEN_SECRET_ID; AWS only).
	APITokenID string
	// OIDCIssuer and OIDCClientID name the chain's identity provider
	// (LOUPE_OIDC_ISSUER, LOUPE_OIDC_CLIENT_ID): with both, staff sign in
	// with it (OIDC mode); without, with Loupe's sign-in links.
	// OIDCAdminClaim ("claim=value", LOUPE_OIDC_ADMIN_CLAIM) makes the
	// holders of that claim admins.
	OIDCIssuer, OIDCClientID, OIDCAdminClaim string
	// AdminEmails are the emails of the chain's admins (LOUPE_ADMIN_EMAILS,
	// comma separated, lower-cased).
	AdminEmails map[string]bool
	// SignInKey signs Loupe's own staff tokens in link mode
	// (LOUPE_SIGNIN_KEY, at least 32 bytes; locally the data directory keeps
	// a generated one when unset; in AWS the current value of SignInKeyID).
	// SignInPrevious still verify during a rotation.
	SignInKey      string
	SignInPrevious []string
	// SignInKeyID is the Secrets Manager secret holding SignInKey
	// (LOUPE_SIGNIN_KEY_SECRET_ID; AWS only).
	SignInKeyID string
	// SMSIdentity is the origination identity (a phone number in E.164, a
	// pool, or its ARN) of the texts and service calls of every store
	// without its own (LOUPE_SMS_ORIGINATION_IDENTITY). With neither it
	// nor SMSStoreIdentities, the chain sends no texts in AWS and every
	// channel list passes over sms; `loupe serve` writes texts to its
	// outbox from the store's phone.
	SMSIdentity string
	// SMSStoreIdentities are the stores' own origination identities
	// (LOUPE_SMS_STORE_IDENTITIES, "store_id=identity" pairs separated by
	// commas). The number a client texts back names the store of a reply.
	SMSStoreIdentities map[string]string
	// SMSConfigurationSet is the End User Messaging configuration set of
	// every text and call (LOUPE_SMS_CONFIGURATION_SET): its event
	// destination publishes the delivery events to SNS (SmsEventsTopic).
	SMSConfigurationSet string
	// SMSMessagesPerSecond is one origination identity's rate in message
	// parts per second (LOUPE_SMS_MPS; 0: 1, a 10DLC number; toll-free
	// numbers have 3). Each identity has its own.
	SMSMessagesPerSecond float64
	// SMSTimeToLive is how long AWS may try to hand a text to the carrier
	// (LOUPE_SMS_TTL, a duration from 5s to 72h; 0: 1h), so a text held up
	// does not land outside the hours it was sent in.
	SMSTimeToLive time.Duration
	// SMSManagedOptOuts says Loupe answers STOP and HELP itself
	// (LOUPE_SMS_MANAGED_OPTOUTS, true or false): set it when the
	// numbers' self-managed opt-outs are on. False (the default in AWS):
	// AWS answers and keeps its opt-out list, Loupe records. `loupe serve`
	// always answers.
	SMSManagedOptOuts bool
}

// SMS reports whether texts have an origination identity (SMSIdentity or
// SMSStoreIdentities): in AWS, whether the chain sends texts at all.
func (cfg Config) SMS() bool { return cfg.SMSIdentity != "" || len(cfg.SMSStoreIdentities) > 0 }

// FromEnv returns the Config in the process environment. Returns an error
// naming every malformed variable; an unset variable takes its default.
func FromEnv() (Config, error) {
	cfg := Config{
		TableName:           os.Getenv(EnvTableName),
		SendQueueURL:        os.Getenv(EnvSendQueueURL),
		WebhookSecrets:      webhook.ParseSecrets(os.Getenv(EnvWebhookSecret)),
		WebhookSecretID:     os.Getenv(EnvWebhookSecretID),
		UnsubscribeSecret:   os.Getenv(EnvUnsubscribeSecret),
		UnsubscribeSecretID: os.Getenv(EnvUnsubscribeSecretID),
		BaseURL:             strings.TrimRight(os.Getenv(EnvBaseURL), "/"),
		AllowedEmailDomains: parseDomains(os.Getenv(EnvAllowedEmailDomains)),
		SESConfigurationSet: os.Getenv(EnvSESConfigurationSet),
		APIToken:            os.Getenv(EnvAPIToken),
		APITokenID:          os.Getenv(EnvAPITokenID),
		OIDCIssuer:          strings.TrimRight(strings.TrimSpace(os.Getenv(EnvOIDCIssuer)), "/"),
		OIDCClientID:        strings.TrimSpace(os.Getenv(EnvOIDCClientID)),
		OIDCAdminClaim:      strings.TrimSpace(os.Getenv(EnvOIDCAdminClaim)),
		AdminEmails:         staff.ParseAdmins(os.Getenv(EnvAdminEmails)),
		SignInKey:           os.Getenv(EnvSignInKey),
		SignInKeyID:         os.Getenv(EnvSignInKeyID),
		SMSIdentity:         strings.TrimSpace(os.Getenv(EnvSMSIdentity)),
		SMSConfigurationSet: strings.TrimSpace(os.Getenv(EnvSMSConfigurationSet)),
	}
	var errs []error
	var err error
	if cfg.FatigueCapDays, err = parseInt(os.Getenv(EnvFatigueCapDays), 0, 1, 365); err != nil {
		errs = append(errs, fmt.Errorf("%s is not a whole number of days from 1 to 365: %w", EnvFatigueCapDays, err))
	}
	if cfg.Channels, err = contact.ParseLists(os.Getenv(EnvChannels)); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvChannels, err))
	}
	if cfg.TasksPerDay, err = parseInt(os.Getenv(EnvTasksPerDay), 0, 1, 100); err != nil {
		errs = append(errs, fmt.Errorf("%s is not a whole number of tasks from 1 to 100: %w", EnvTasksPerDay, err))
	}
	if cfg.MailOverCents, err = parseInt(os.Getenv(EnvMailOverCents), 0, 1, 1<<31-1); err != nil {
		errs = append(errs, fmt.Errorf("%s is not a whole number of cents: %w", EnvMailOverCents, err))
	}
	if cfg.PlanHour, err = parseInt(os.Getenv(EnvPlanHour), DefaultPlanHour, 0, 23); err != nil {
		errs = append(errs, fmt.Errorf("%s is not a whole hour from 0 to 23: %w", EnvPlanHour, err))
	}
	if cfg.SenderMaxRate, err = parseRate(os.Getenv(EnvSenderMaxRate)); err != nil {
		errs = append(errs, fmt.Errorf("%s is not a positive number of messages per second: %w", EnvSenderMaxRate, err))
	}
	if cfg.SMSStoreIdentities, err = parsePairs(os.Getenv(EnvSMSStoreIdentities)); err != nil {
		errs = append(errs, fmt.Errorf("%s must be store_id=identity pairs separated by commas: %w", EnvSMSStoreIdentities, err))
	}
	if s := os.Getenv(EnvSMSMPS); s != "" {
		if cfg.SMSMessagesPerSecond, err = parseRate(s); err != nil {
			errs = append(errs, fmt.Errorf("%s is not a positive number of message parts per second: %w", EnvSMSMPS, err))
		}
	}
	if s := os.Getenv(EnvSMSTTL); s != "" {
		if cfg.SMSTimeToLive, err = time.ParseDuration(s); err != nil || cfg.SMSTimeToLive < 5*time.Second || cfg.SMSTimeToLive > 72*time.Hour {
			errs = append(errs, fmt.Errorf("%s is not a duration from 5s to 72h (such as 1h)", EnvSMSTTL))
		}
	}
	if s := strings.TrimSpace(os.Getenv(EnvSMSManagedOptOuts)); s != "" {
		if cfg.SMSManagedOptOuts, err = strconv.ParseBool(s); err != nil {
			errs = append(errs, fmt.Errorf("%s is not true or false", EnvSMSManagedOptOuts))
		}
	}
	if s := cfg.UnsubscribeSecret; s != "" && len(s) < unsub.MinSecretSize {
		errs = append(errs, fmt.Errorf("%s must be at least %d characters", EnvUnsubscribeSecret, unsub.MinSecretSize))
	}
	if (cfg.OIDCIssuer == "") != (cfg.OIDCClientID == "") {
		errs = append(errs, fmt.Errorf("%s and %s go together: set both for OIDC sign-in, neither for sign-in links", EnvOIDCIssuer, EnvOIDCClientID))
	}
	if cfg.OIDCAdminClaim != "" && !strings.Contains(cfg.OIDCAdminClaim, "=") {
		errs = append(errs, fmt.Errorf("%s must be claim=value, such as groups=loupe-admin", EnvOIDCAdminClaim))
	}
	if k := cfg.SignInKey; k != "" && len(k) < 32 {
		errs = append(errs, fmt.Errorf("%s must be at least 32 characters", EnvSignInKey))
	}
	for _, pair := range [][2]string{{EnvWebhookSecret, EnvWebhookSecretID}, {EnvUnsubscribeSecret, EnvUnsubscribeSecretID},
		{EnvAPIToken, EnvAPITokenID}, {EnvSignInKey, EnvSignInKeyID}} {
		if os.Getenv(pair[0]) != "" && os.Getenv(pair[1]) != "" {
			errs = append(errs, fmt.Errorf("%s and %s are both set: give the value or its Secrets Manager id, not both", pair[0], pair[1]))
		}
	}
	return cfg, errors.Join(errs...)
}

// UseWebhookSecret sets WebhookSecrets to the secrets in current, then those
// in previous that current lacks: the AWSCURRENT and AWSPREVIOUS values of
// WebhookSecretID, each one secret or a comma-separated list
// (webhook.ParseSecrets). Returns an error naming WebhookSecretID, never a
// value, when current holds no secret.
func (cfg *Config) UseWebhookSecret(current, previous string) error {
	secrets := webhook.ParseSecrets(current)
	if len(secrets) == 0 {
		return fmt.Errorf("secret %s (%s) holds no webhook secret", cfg.WebhookSecretID, EnvWebhookSecretID)
	}
	for _, p := range webhook.ParseSecrets(previous) {
		if !slices.Contains(secrets, p) {
			secrets = append(secrets, p)
		}
	}
	cfg.WebhookSecrets = secrets
	return nil
}

// UseUnsubscribeSecret sets UnsubscribeSecret to current, the key that signs,
// and UnsubscribePrevious to previous when it is another key long enough to
// have signed links: the AWSCURRENT and AWSPREVIOUS values of
// UnsubscribeSecretID ("" previous: none). Returns an error naming
// UnsubscribeSecretID, never a value, when current is shorter than
// unsub.MinSecretSize.
func (cfg *Config) UseUnsubscribeSecret(current, previous string) error {
	if len(current) < unsub.MinSecretSize {
		return fmt.Errorf("secret %s (%s) must be at least %d characters", cfg.UnsubscribeSecretID, EnvUnsubscribeSecretID, unsub.MinSecretSize)
	}
	cfg.UnsubscribeSecret, cfg.UnsubscribePrevious = current, nil
	if previous != current && len(previous) >= unsub.MinSecretSize {
		cfg.UnsubscribePrevious = []string{previous}
	}
	return nil
}

// OIDC reports whether staff sign in with the chain's identity provider
// (both LOUPE_OIDC_ISSUER and LOUPE_OIDC_CLIENT_ID set).
func (cfg Config) OIDC() bool { return cfg.OIDCIssuer != "" && cfg.OIDCClientID != "" }

// UseSignInKey sets SignInKey to current and SignInPrevious to previous when
// it is another key long enough to have signed: the AWSCURRENT and
// AWSPREVIOUS values of SignInKeyID. Returns an error naming SignInKeyID,
// never a value, when current is shorter than 32 bytes.
func (cfg *Config) UseSignInKey(current, previous string) error {
	if len(current) < 32 {
		return fmt.Errorf("secret %s (%s) must be at least 32 characters", cfg.SignInKeyID, EnvSignInKeyID)
	}
	cfg.SignInKey, cfg.SignInPrevious = current, nil
	if previous != current && len(previous) >= 32 {
		cfg.SignInPrevious = []string{previous}
	}
	return nil
}

// unsubscribeKeys returns the keys of the unsubscribe signer, the signing one
// first, nil without UnsubscribeSecret (or with one too short to sign).
func (cfg Config) unsubscribeKeys() [][]byte {
	if len(cfg.UnsubscribeSecret) < unsub.MinSecretSize {
		return nil
	}
	keys := [][]byte{[]byte(cfg.UnsubscribeSecret)}
	for _, p := range cfg.UnsubscribePrevious {
		if len(p) >= unsub.MinSecretSize && p != cfg.UnsubscribeSecret {
			keys = append(keys, []byte(p))
		}
	}
	return keys
}

// Require returns an error naming each of the variables in names (Env*
// constants) that cfg lacks, "" when all are set. A function calls it at
// start-up for the settings it cannot run without.
func (cfg Config) Require(names ...string) error {
	var missing []string
	for _, n := range names {
		set := true
		switch n {
		case EnvTableName:
			set = cfg.TableName != ""
		case EnvSendQueueURL:
			set = cfg.SendQueueURL != ""
		case EnvWebhookSecret:
			set = len(cfg.WebhookSecrets) > 0
			n += " (or " + EnvWebhookSecretID + ")"
		case EnvUnsubscribeSecret:
			set = cfg.UnsubscribeSecret != ""
			n += " (or " + EnvUnsubscribeSecretID + ")"
		case EnvBaseURL:
			set = cfg.BaseURL != ""
		case EnvSESConfigurationSet:
			set = cfg.SESConfigurationSet != ""
		case EnvAPIToken:
			set = cfg.APIToken != ""
		default:
			return fmt.Errorf("require %s: not a required setting", n)
		}
		if !set {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("not set: %s", strings.Join(missing, ", "))
	}
	return nil
}

// parseDomains returns the lower-cased domains of a comma-separated list, nil
// when there are none.
func parseDomains(s string) map[string]bool {
	var set map[string]bool
	for _, d := range strings.Split(s, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			if set == nil {
				set = map[string]bool{}
			}
			set[d] = true
		}
	}
	return set
}

// parsePairs returns the key=value pairs of a comma-separated list (nil
// when there are none). Returns an error for an entry without "=", an
// empty key or value, or a key given twice.
func parsePairs(s string) (map[string]string, error) {
	var m map[string]string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		k, v, ok := strings.Cut(p, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("entry %q is not key=value", k)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%q is given twice", k)
		}
		if m == nil {
			m = map[string]string{}
		}
		m[k] = v
	}
	return m, nil
}

// parseInt returns the whole number in s, def when s is "". Returns an error
// when s is not a whole number from lo to hi.
func parseInt(s string, def, lo, hi int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, err
	}
	if n < lo || n > hi {
		return 0, strconv.ErrRange
	}
	return n, nil
}

// parseRate returns the messages per second in s, 0 (ask SES) when s is "".
// Returns an error when s is not a positive finite number.
func parseRate(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	if !(r > 0) || math.IsInf(r, 1) {
		return 0, strconv.ErrRange
	}
	return r, nil
}

// RecoverAfterQueued is how old an unsent claim must be before the hourly run
// queues it again when entries wait in the SQS send queue (Ports.RecoverAfter
// in AWS): longer than a large blast takes to drain at a modest SES rate,
// while a crashed sender's entry comes back by SQS redelivery long before
// this.
const RecoverAfterQueued = 6 * time.Hour
