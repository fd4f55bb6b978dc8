package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/demo"
	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/outbox"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/textin"
	"github.com/loupehq/loupe/shared/touch"
	"github.com/loupehq/loupe/shared/wire"
)

// defaultBaseURL is serve's default address, used for links in mail sent by
// commands that do not serve when LOUPE_BASE_URL is unset.
const defaultBaseURL = "http://127.0.0.1:8080"

// app is one data directory's services: the same domain services the Lambdas
// run, built by wire from the same Config, on the embedded store and the
// local outbox.
type app struct {
	db     *embedded.DB
	dir    string
	outbox *outbox.Outbox
	mail   mail.Sender // the outbox, or SES with --mail ses
	// replies answers inbound texts: the outbox's texts, or End User
	// Messaging with --sms aws.
	replies textin.Replier
	svc     *wire.Services
	logger  *slog.Logger
}

// appOptions are what a command adds to the environment's Config.
type appOptions struct {
	// serveURL is serve's own address: links in mail point there when
	// LOUPE_BASE_URL is unset ("" when not serving: defaultBaseURL).
	serveURL string
	// mail is --mail: mailOutbox ("" too) or mailSES.
	mail string
	// sms is --sms: smsOutbox ("" too) or smsAWS.
	sms string
	// secrets, when set, replace LOUPE_WEBHOOK_SECRET (the demo's kept one).
	secrets []string
}

// newApp builds the services of data directory dir on db from cfg (read from
// the environment once by the command): the unsubscribe secret falls back to
// the one the directory keeps, links in mail to o.serveURL then
// defaultBaseURL, and a demo directory accepts the demo chain's reserved
// email domains. Returns an error when a secret cannot be read or created, a
// Secrets Manager id (LOUPE_*_SECRET_ID, AWS only) is set, or the mail choice
// cannot be set up.
func newApp(ctx context.Context, db *embedded.DB, dir string, cfg wire.Config, o appOptions, logger *slog.Logger) (*app, error) {
	if logger == nil {
		logger = slog.Default()
	}
	for name, id := range map[string]string{wire.EnvWebhookSecretID: cfg.WebhookSecretID, wire.EnvUnsubscribeSecretID: cfg.UnsubscribeSecretID,
		wire.EnvAPITokenID: cfg.APITokenID, wire.EnvSignInKeyID: cfg.SignInKeyID} {
		if id != "" {
			return nil, fmt.Errorf("%s names a Secrets Manager secret, which only the Lambda functions read; "+
				"on one machine set the value in %s instead", name, strings.TrimSuffix(name, "_ID"))
		}
	}
	secret, err := dirSecret(dir, cfg.UnsubscribeSecret, "unsubscribe-secret")
	if err != nil {
		return nil, err
	}
	cfg.UnsubscribeSecret = secret
	if !cfg.OIDC() {
		if cfg.SignInKey, err = dirSecret(dir, cfg.SignInKey, "signin-key"); err != nil {
			return nil, err
		}
	}
	if o.mail == mailSES {
		if err := checkPublicBaseURL(cfg.BaseURL); err != nil {
			return nil, err
		}
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = o.serveURL
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = defaultBaseURL
	}
	if o.secrets != nil {
		cfg.WebhookSecrets = o.secrets
	}
	if fileExists(filepath.Join(dir, demoMarker)) {
		domains := map[string]bool{}
		for d := range cfg.AllowedEmailDomains {
			domains[d] = true
		}
		for _, d := range demo.EmailDomains() {
			domains[d] = true
		}
		cfg.AllowedEmailDomains = domains
	}
	ob := outbox.New(filepath.Join(dir, "outbox"))
	a := &app{db: db, dir: dir, outbox: ob, mail: ob, logger: logger}
	if o.mail == mailSES {
		if a.mail, err = sesMailer(ctx, cfg, logger); err != nil {
			return nil, err
		}
	}
	ports := localPorts(db, a.mail, logger)
	// Texts and service calls: the outbox's files, from the configured
	// identities else the store's phone; End User Messaging with --sms aws.
	ids := outbox.Identities{Default: cfg.SMSIdentity, ByStore: cfg.SMSStoreIdentities}
	texts := ob.Texts(ids)
	a.replies = texts
	ports.Channels = map[string]touch.Channel{contact.SMS: texts, contact.Voice: ob.Calls(ids)}
	if o.sms == smsAWS {
		sender, err := awsTexts(ctx, cfg, logger)
		if err != nil {
			return nil, err
		}
		ports.Channels[contact.SMS], a.replies = sender, sender
	}
	// One machine answers STOP and HELP itself (CONTRACT section 4).
	ports.Replies, cfg.SMSManagedOptOuts = a.replies, true
	if ports.StaffTokens, ports.SignInTokens, err = wire.SignIn(cfg, time.Now); err != nil {
		return nil, err
	}
	// An erasure also clears the outbox, then compacts the file (last).
	ports.Forget = []loupe.Forgetter{ob.Forget, db.Forget}
	a.svc = wire.Build(cfg, ports)
	// This process holds the directory's lock: a send lease still standing
	// was left by one that died mid-send, and is ours to finish.
	if n, err := db.Ledger().TakeOverLeases(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		logger.Info("took over send leases left by an earlier run", "leases", n)
	}
	return a, nil
}

// localPorts returns the adapters of one machine: the embedded store db, with
// mail going to m (nil: none) and claims delivered in process (so recovered
// after touch.DefaultRecoverAfter).
func localPorts(db *embedded.DB, m mail.Sender, logger *slog.Logger) wire.Ports {
	return wire.Ports{Records: db, Compliance: db.Compliance(), Ledger: db.Ledger(), Mail: m, Phones: phone.Normalize,
		Places: phone.Places{}, Logger: logger}
}

// dirSecret returns set when it is not "" (a secret from the environment,
// already checked by wire.FromEnv), or else the one kept in file name of dir,
// creating it (0600) on first use. Returns an error when it cannot be
// written.
func dirSecret(dir, set, name string) (string, error) {
	if set != "" {
		return set, nil
	}
	path := filepath.Join(dir, name)
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		return strings.TrimSpace(string(b)), nil
	}
	secret := randomHex(24)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return secret, nil
}

// withApp opens data directory dir (which must exist), builds its services and
// runs fn; pending change-feed deliveries run before and after fn, so a
// command's writes reach the same handlers serve would run. Returns fn's exit
// status, or fails with a one-line reason.
func withApp(ctx context.Context, name, dir string, stderr io.Writer, fn func(a *app) int) int {
	return withAppSends(ctx, name, dir, appOptions{}, stderr, fn)
}

// withAppSends is withApp with mail and texts going where o.mail (--mail)
// and o.sms (--sms) say.
func withAppSends(ctx context.Context, name, dir string, o appOptions, stderr io.Writer, fn func(a *app) int) int {
	if _, err := os.Stat(dbPath(dir)); err != nil {
		return fail(stderr, "%s: no Loupe data in %s (run loupe serve or loupe import first, or pass --data)", name, dir)
	}
	db, err := openDB(dir)
	if err != nil {
		return fail(stderr, "%s: %v", name, err)
	}
	defer db.Close()
	cfg, err := wire.FromEnv()
	if err != nil {
		return fail(stderr, "%s: %v", name, err)
	}
	a, err := newApp(ctx, db, dir, cfg, o, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return fail(stderr, "%s: %v", name, err)
	}
	a.svc.Subscribe(db)
	if err := db.DeliverPending(ctx); err != nil {
		return fail(stderr, "%s: deliver pending changes: %v", name, err)
	}
	status := fn(a)
	if err := db.DeliverPending(ctx); err != nil {
		return fail(stderr, "%s: deliver pending changes: %v", name, err)
	}
	return status
}

// runSchedule is the local stand-in for the EventBridge schedule: the same
// hourly run as the touchpoints function (touch.Hourly with the same
// touch.Schedule), with a queue that delivers at once instead of SQS. It
// runs once at start as a catch-up (stores past their plan hour today are
// planned: serve may not have been running at that hour), then at the start
// of every hour until ctx ends. Failures are logged (ids only) and the next
// hour runs anyway; claims make a run twice send nothing twice.
func (a *app) runSchedule(ctx context.Context, now func() time.Time) {
	a.runHour(ctx, touch.Run{At: now(), CatchUp: true})
	for {
		at := now()
		t := time.NewTimer(at.Truncate(time.Hour).Add(time.Hour).Sub(at))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		a.runHour(ctx, touch.Run{At: now()})
	}
}

// runHour runs one hour of the schedule, delivering what it plans through
// a's mail, and logs the counts.
func (a *app) runHour(ctx context.Context, r touch.Run) {
	q := &touch.DeliverQueue{Planner: a.svc.Planner, Sender: a.mail}
	res, err := a.svc.Hourly().Run(ctx, r, q)
	if err != nil {
		a.logger.Error("hourly run", "catch_up", r.CatchUp, "err", err)
	}
	if res.Stores > 0 || res.Requeued > 0 || res.Morning > 0 || res.Terminated > 0 {
		a.logger.Info("hourly run", "catch_up", r.CatchUp, "terminated", res.Terminated, "stores", res.Stores, "planned", res.Planned,
			"sent", q.Sent.Sent, "requeued", res.Requeued, "inspection_mails", res.Morning)
	}
}
