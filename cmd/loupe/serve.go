package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/wire"
)

const defaultAddr = "127.0.0.1:8080"

// shutdownTimeout bounds how long in-flight requests may finish after SIGINT/SIGTERM.
const shutdownTimeout = 10 * time.Second

// runServe is loupe serve [--addr ADDR] [--data DIR].
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", stderr, "[--addr 127.0.0.1:8080] [--data DIR] [--mail outbox|ses] [--sms outbox|aws]")
	addr := fs.String("addr", defaultAddr, "address to listen on (host:port; port 0 picks a free one)")
	dataDir := fs.String("data", defaultDataDir, "data directory, created if missing")
	mailMode := mailFlag(fs)
	smsMode := smsFlag(fs)
	if err := fs.Parse(args); err != nil {
		return flagStatus(err)
	}
	if fs.NArg() > 0 {
		return usageWhy(fs, stderr, "serve: unexpected argument %q", fs.Arg(0))
	}
	if msg := checkMailMode(*mailMode) + checkSMSMode(*smsMode); msg != "" {
		return usageError(stderr, "serve: %s", msg)
	}
	// Bind before creating anything: a busy port leaves no data directory.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(stderr, "serve: %v", err)
	}
	defer ln.Close()
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return fail(stderr, "serve: %v", err)
	}
	db, err := openDB(*dataDir)
	if err != nil {
		return fail(stderr, "serve: %v", err)
	}
	defer db.Close()
	cfg, err := wire.FromEnv()
	if err != nil {
		return fail(stderr, "serve: %v", err)
	}
	if len(cfg.WebhookSecrets) == 0 {
		fmt.Fprintf(stdout, "%s is not set: POST /pos/events answers 503 until it is\n", wire.EnvWebhookSecret)
	}
	return serveDB(ctx, db, cfg, serveOptions{addr: *addr, ln: ln, dir: *dataDir, mail: *mailMode, sms: *smsMode}, stdout, stderr)
}

type serveOptions struct {
	addr    string
	ln      net.Listener // when set, serve on it instead of listening on addr
	dir     string       // data directory: outbox and kept secrets live there
	secrets []string     // when set, replace LOUPE_WEBHOOK_SECRET (the demo's kept one)
	mail    string       // --mail: mailOutbox ("" too) or mailSES
	sms     string       // --sms: smsOutbox ("" too) or smsAWS
	// ready, when set, is called with the base URL, the API token and a
	// function making a one-time sign-in link, once listening (demo prints
	// its walkthrough there).
	ready func(url, token string, signin func(email string) (string, error))
}

// serveDB serves the routes and runs the change feed and the hourly schedule
// on db, with the services of cfg, until ctx ends,
// then shuts down gracefully; the caller closes db. It prints the URL and the API token on stdout
// and logs to stderr. Returns the exit status.
func serveDB(ctx context.Context, db *embedded.DB, cfg wire.Config, o serveOptions, stdout, stderr io.Writer) int {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	token := cfg.APIToken
	generated := token == ""
	if generated {
		token = randomHex(24)
	}
	ln := o.ln
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", o.addr); err != nil {
			return fail(stderr, "serve: %v", err)
		}
	}
	url := "http://" + ln.Addr().String()

	a, err := newApp(ctx, db, o.dir, cfg, appOptions{serveURL: url, mail: o.mail, sms: o.sms, secrets: o.secrets}, logger)
	if err != nil {
		ln.Close()
		return fail(stderr, "serve: %v", err)
	}
	a.svc.Subscribe(db)

	feedCtx, stopFeed := context.WithCancel(context.WithoutCancel(ctx))
	feedDone := make(chan error, 1)
	go func() { feedDone <- db.RunFeed(feedCtx) }()
	scheduleDone := make(chan struct{})
	go func() { defer close(scheduleDone); a.runSchedule(feedCtx, time.Now) }()

	srv := &http.Server{
		Handler:           a.svc.HTTP(token),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	fmt.Fprintf(stdout, "loupe: listening on %s\n", url)
	if generated {
		fmt.Fprintf(stdout, "API token (set %s to choose one): %s\n", wire.EnvAPIToken, token)
	} else {
		fmt.Fprintf(stdout, "API token: from %s\n", wire.EnvAPIToken)
	}
	if o.ready != nil {
		o.ready(url, token, func(email string) (string, error) {
			if a.svc.Links == nil {
				return "", fmt.Errorf("sign-in links are off (OIDC mode)")
			}
			return a.svc.Links.Link(ctx, email)
		})
	}

	status := exitOK
	select {
	case <-ctx.Done():
		logger.Info("shutting down", "reason", context.Cause(ctx))
	case err := <-served:
		status = fail(stderr, "serve: %v", err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		status = fail(stderr, "serve: shutdown: %v", err)
	}
	stopFeed()
	<-scheduleDone
	if err := <-feedDone; err != nil && !errors.Is(err, context.Canceled) {
		status = fail(stderr, "serve: change feed: %v", err)
	}
	return status
}

// randomHex returns n random bytes as hex. crypto/rand.Read never fails.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
