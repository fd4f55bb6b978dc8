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

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/demo"
	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/httpapi"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/outbox"
	"github.com/loupehq/loupe/shared/reassign"
	"github.com/loupehq/loupe/shared/touch"
	"github.com/loupehq/loupe/shared/unsub"
)

// envUnsubscribeSecret signs the unsubscribe links in mail. When unset, the
// data directory keeps a generated one, so links already mailed keep working
// across restarts.
const envUnsubscribeSecret = "LOUPE_UNSUBSCRIBE_SECRET"

// envBaseURL is where unsubscribe links in touchpoint mail point when no
// server URL is known (loupe tick); defaultBaseURL when unset.
const envBaseURL = "LOUPE_BASE_URL"

// defaultBaseURL is serve's default address, used for links in mail sent by
// commands that do not serve.
const defaultBaseURL = "http://127.0.0.1:8080"

// app is one data directory's services: the same domain services the Lambdas
// run, wired to the embedded store and the local outbox.
type app struct {
	db         *embedded.DB
	dir        string
	outbox     *outbox.Outbox
	mail       mail.Sender // the outbox, or SES with --mail ses
	unsub      *unsub.Signer
	reassign   *reassign.Service
	compliance *compliance.Service
	planner    *touch.Planner
	logger     *slog.Logger
}

// newApp builds the services of data directory dir on db. baseURL ("" when not
// serving) is where links in mail point; touchpoint mail falls back to
// LOUPE_BASE_URL, then defaultBaseURL, when it is "". Returns an error when a
// secret cannot be read or created.
func newApp(db *embedded.DB, dir, baseURL string, logger *slog.Logger) (*app, error) {
	if logger == nil {
		logger = slog.Default()
	}
	secret, err := dirSecret(dir, envUnsubscribeSecret, "unsubscribe-secret")
	if err != nil {
		return nil, err
	}
	ob := outbox.New(filepath.Join(dir, "outbox"))
	a := &app{db: db, dir: dir, outbox: ob, mail: ob, unsub: unsub.New([]byte(secret)), logger: logger}
	a.reassign = reassign.New(db, db, ob, time.Now, reassign.Config{BaseURL: baseURL, Logger: logger})
	a.compliance = &compliance.Service{Store: db.Compliance(), Stores: db, Associates: db, Customers: db, Now: time.Now, Log: logger,
		AllowedDomains: allowedDomains(dir), Inspections: db.Compliance()}
	mailBase := baseURL
	if mailBase == "" {
		mailBase = os.Getenv(envBaseURL)
	}
	if mailBase == "" {
		mailBase = defaultBaseURL
	}
	signer := a.unsub
	ledger := db.Ledger()
	a.planner = &touch.Planner{
		DB:             db,
		Ledger:         ledger,
		Campaigns:      ledger,
		UnsubscribeURL: func(id string) string { return signer.URL(mailBase, id) },
		Now:            time.Now,
		Consent:        a.compliance.ConsentFor,
		Suppression:    db,
		Log:            logger,
	}
	return a, nil
}

// subscribe registers every change-feed handler: the local stand-ins for the
// staff-stream and repair-stream Lambdas.
func (a *app) subscribe() {
	a.db.Subscribe("reassign", a.reassign.HandleChange)
	a.db.Subscribe("compliance", a.compliance.HandleChange)
}

// forgetRepairs scrubs erased repairs from the compliance missing lists.
func (a *app) forgetRepairs(ctx context.Context, repairs []loupe.Repair) error {
	return a.compliance.ForgetRepairs(ctx, repairs)
}

// httpConfig returns the routes' configuration for serve.
func (a *app) httpConfig(secrets []string, token string) httpapi.Config {
	return httpapi.Config{
		DB:             a.db,
		WebhookSecrets: secrets,
		APIToken:       token,
		Logger:         a.logger,
		Reassign:       a.reassign,
		Compliance:     a.compliance,
		Unsubscribe:    a.unsub,
		Touch:          a.planner,
	}
}

// envAllowedDomains lists email domains (comma-separated) that the repair email
// check accepts as real although it would judge them placeholders.
const envAllowedDomains = "LOUPE_ALLOWED_EMAIL_DOMAINS"

// allowedDomains returns the domains of envAllowedDomains, plus the demo
// chain's reserved domains when dir is a demo data directory.
func allowedDomains(dir string) map[string]bool {
	set := map[string]bool{}
	for _, d := range strings.Split(os.Getenv(envAllowedDomains), ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			set[d] = true
		}
	}
	if fileExists(filepath.Join(dir, demoMarker)) {
		for _, d := range demo.EmailDomains() {
			set[d] = true
		}
	}
	if len(set) == 0 {
		return nil
	}
	return set
}

// dirSecret returns the secret in env (when env is not ""), or else the one kept in file name of
// dir, creating it (0600) on first use. Returns an error when it is shorter
// than 16 bytes or cannot be written.
func dirSecret(dir, env, name string) (string, error) {
	if v := os.Getenv(env); v != "" {
		if len(v) < 16 {
			return "", fmt.Errorf("%s must be at least 16 characters", env)
		}
		return v, nil
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
	return withAppMail(ctx, name, dir, mailOutbox, stderr, fn)
}

// withAppMail is withApp with mail going where mode (--mail) says.
func withAppMail(ctx context.Context, name, dir, mode string, stderr io.Writer, fn func(a *app) int) int {
	if _, err := os.Stat(dbPath(dir)); err != nil {
		return fail(stderr, "%s: no Loupe data in %s (run loupe serve or loupe import first, or pass --data)", name, dir)
	}
	db, err := openDB(dir)
	if err != nil {
		return fail(stderr, "%s: %v", name, err)
	}
	defer db.Close()
	a, err := newApp(db, dir, "", slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return fail(stderr, "%s: %v", name, err)
	}
	if err := a.useMail(ctx, mode); err != nil {
		return fail(stderr, "%s: %v", name, err)
	}
	a.subscribe()
	if err := db.DeliverPending(ctx); err != nil {
		return fail(stderr, "%s: deliver pending changes: %v", name, err)
	}
	status := fn(a)
	if err := db.DeliverPending(ctx); err != nil {
		return fail(stderr, "%s: deliver pending changes: %v", name, err)
	}
	return status
}

// scheduleEvery is how often serve runs the daily touchpoint job: each store's
// local today, so a store's day starts within the hour after its midnight.
// Running a day again sends nothing twice.
const scheduleEvery = time.Hour

// runSchedule is the local stand-in for the EventBridge schedule: it runs the
// touchpoint job for every store's local today, and the inspections' morning
// mails, at once and then every period until ctx ends. Failures are logged
// (ids only) and retried next period.
func (a *app) runSchedule(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		if err := ctx.Err(); err != nil {
			return
		}
		if res, err := a.planner.RunToday(ctx, a.mail); err != nil {
			a.logger.Error("daily touchpoints", "err", err)
		} else if res.Sent > 0 {
			a.logger.Info("daily touchpoints", "sent", res.Sent)
		}
		if n, err := a.compliance.RunMorning(ctx, time.Now(), a.mail); err != nil {
			a.logger.Error("inspection mornings", "err", err)
		} else if n > 0 {
			a.logger.Info("inspection mornings", "sent", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
