package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/demo"
	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/wire"
)

// demoMarker is the file demo writes into a data directory it created; only
// such a directory is wiped by the next demo.
const demoMarker = "DEMO"

const defaultDemoDir = ".loupe/demo"

// runDemo is loupe demo [--addr ADDR] [--data DIR]: seed a fresh demo chain,
// then serve it.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := newFlagSet("demo", stderr, "[--addr 127.0.0.1:8080] [--data DIR] [--reset] [--mail outbox|ses] [--sms outbox|aws]")
	addr := fset.String("addr", defaultAddr, "address to listen on (host:port; port 0 picks a free one)")
	dataDir := fset.String("data", defaultDemoDir, "demo data directory; seeded on first use, kept across restarts")
	reset := fset.Bool("reset", false, "wipe the demo data directory and seed a fresh chain")
	mailMode := mailFlag(fset)
	smsMode := smsFlag(fset)
	if err := fset.Parse(args); err != nil {
		return flagStatus(err)
	}
	if fset.NArg() > 0 {
		fset.Usage()
		return exitUsage
	}
	if msg := checkMailMode(*mailMode) + checkSMSMode(*smsMode); msg != "" {
		return usageError(stderr, "demo: %s", msg)
	}
	seeded := fileExists(filepath.Join(*dataDir, demoMarker)) && fileExists(filepath.Join(*dataDir, demoSeeded))
	if *reset || !seeded {
		if err := resetDemoDir(*dataDir); err != nil {
			return fail(stderr, "demo: %v", err)
		}
	}
	db, err := openDB(*dataDir)
	if err != nil {
		return fail(stderr, "demo: %v", err)
	}
	defer db.Close()
	cfg, err := wire.FromEnv()
	if err != nil {
		return fail(stderr, "demo: %v", err)
	}
	secrets := cfg.WebhookSecrets
	secretShown := "from " + wire.EnvWebhookSecret
	if len(secrets) == 0 {
		secret, err := dirSecret(*dataDir, "", "webhook-secret")
		if err != nil {
			return fail(stderr, "demo: %v", err)
		}
		secrets, secretShown = []string{secret}, secret
	}
	serve := func() int {
		return serveDB(ctx, db, cfg, serveOptions{
			addr:    *addr,
			dir:     *dataDir,
			secrets: secrets,
			mail:    *mailMode,
			sms:     *smsMode,
			ready: func(url, token string, signin func(string) (string, error)) {
				fmt.Fprintf(stdout, "webhook secret: %s\n\n%s", secretShown, demoWalkthrough(url, token, secrets[0]))
				fmt.Fprintf(stdout, "\nSign in to the staff app (each link works once, for 15 minutes; for another, POST %s/auth/link with {\"email\"} and open the mail in %s):\n",
					url, filepath.Join(*dataDir, "outbox"))
				for _, p := range demoPeople(ctx, db) {
					link, err := signin(p.Email)
					if err != nil {
						fmt.Fprintf(stdout, "  %s (%s): %v\n", p.Role, p.Email, err)
						continue
					}
					fmt.Fprintf(stdout, "  %s (%s): %s\n", p.Role, p.Email, link)
				}
			},
		}, stdout, stderr)
	}
	if seeded && !*reset {
		fmt.Fprintf(stdout, "serving the demo chain already in %s (loupe demo --reset starts over)\n", *dataDir)
		return serve()
	}

	start := time.Now()
	fmt.Fprintf(stdout, "seeding the demo chain into %s ...\n", dbPath(*dataDir))
	var sum demo.Summary
	err = db.BulkLoad(func() (err error) {
		sum, err = demo.Seed(ctx, db, start)
		return err
	})
	if err != nil {
		return fail(stderr, "demo: %v", err)
	}
	fmt.Fprintf(stdout, "seeded %d stores, %d associates, %d clients, %d repair take-ins (%d with a well-formed email), %d purchases in %s\n",
		sum.Stores, sum.Associates, sum.Customers, sum.Repairs, sum.RepairsWithEmail, sum.Purchases, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "associate %s was terminated, leaving %d clients to reassign\n",
		sum.TerminatedAssociateID, sum.OrphanedClients)

	if err := os.WriteFile(filepath.Join(*dataDir, demoSeeded), []byte(start.UTC().Format(time.RFC3339)+"\n"), 0o600); err != nil {
		return fail(stderr, "demo: %v", err)
	}
	return serve()
}

// demoSeeded is written once the demo chain is fully seeded; without it the
// next demo seeds again.
const demoSeeded = "SEEDED"

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// resetDemoDir prepares dir for a fresh demo chain: it creates dir, or wipes
// the database and outbox of a directory an earlier demo created. It refuses
// a directory holding a database demo did not create.
func resetDemoDir(dir string) error {
	_, err := os.Stat(filepath.Join(dir, demoMarker))
	marked := err == nil
	if _, err := os.Stat(dbPath(dir)); err == nil {
		if !marked {
			return fmt.Errorf("%s holds a database that loupe demo did not create; refusing to wipe it (choose another --data)", dir)
		}
		// Opening takes the file lock: fail now if a server still uses it.
		db, err := openDB(dir)
		if err != nil {
			return err
		}
		if err := db.Close(); err != nil {
			return err
		}
		if err := os.Remove(dbPath(dir)); err != nil {
			return fmt.Errorf("wipe demo database: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if marked {
		os.Remove(filepath.Join(dir, demoSeeded))
		if err := os.RemoveAll(filepath.Join(dir, "outbox")); err != nil {
			return fmt.Errorf("wipe demo outbox: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	note := "Created by loupe demo. loupe demo --reset on this directory wipes loupe.db and outbox/.\n"
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte(note), 0o600)
}

// demoWalkthrough returns ready-to-paste shell commands that sign and send a
// customer.upserted event with openssl, then read the client back.
func demoWalkthrough(url, token, secret string) string {
	r := strings.NewReplacer("{URL}", url, "{TOKEN}", token, "{SECRET}", secret)
	return r.Replace(`Try it (bash; needs curl and openssl):

  SECRET='{SECRET}'
  TS=$(date +%s)
  BODY='{"id":"evt_demo_'$TS'","type":"customer.upserted","occurred_at":"'$(date -u +%Y-%m-%dT%H:%M:%SZ)'","data":{"customer_id":"c90001","home_store_id":"nyc","first_name":"Ada","last_name":"Byron","email":"ada.byron@example.com","birthday":"--12-10","preferences":["pearls"],"associate_id":"nyc-a01"}}'
  SIG=$(printf '%s.%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
  curl -sS -X POST {URL}/pos/events -H 'Content-Type: application/json' -H "Loupe-Signature: t=$TS,v1=$SIG" --data-binary "$BODY"
  curl -sS -H 'Authorization: Bearer {TOKEN}' {URL}/customers/c90001

Dashboard: {URL}/dashboard   (API token: {TOKEN})
`)
}

// demoPerson is someone `loupe demo` prints a sign-in link for.
type demoPerson struct{ Role, Email string }

// demoPeople returns the demo associate (of the first store, "nyc": the one
// who received the most of the departed colleague's clients, so their
// Today list starts with them; it waits up to reassignWait for the change
// feed to have reassigned the book) and the store's manager (its
// manager_email).
func demoPeople(ctx context.Context, db *embedded.DB) []demoPerson {
	stores, err := db.ListStores(ctx)
	if err != nil || len(stores) == 0 {
		return nil
	}
	st := stores[0]
	for _, s := range stores {
		if s.StoreID == "nyc" {
			st = s
		}
	}
	as, _ := db.ListAssociates(ctx, st.StoreID)
	for deadline := time.Now().Add(reassignWait); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if orphaned(ctx, db, as) == 0 {
			break
		}
	}
	var out []demoPerson
	best, most := -1, -1
	for i, a := range as {
		if !a.Active() || a.Email == "" {
			continue
		}
		book, _ := db.CustomersByAssociate(ctx, a.AssociateID)
		n := 0
		for _, c := range book {
			if c.IsNewTo(a.AssociateID) {
				n++
			}
		}
		if n > most {
			best, most = i, n
		}
	}
	if best >= 0 {
		a := as[best]
		role := "associate " + a.Name + " of " + st.Name
		if most > 0 {
			role += fmt.Sprintf(", who just received %d clients of a departed colleague", most)
		}
		out = append(out, demoPerson{role, a.Email})
	}
	if st.ManagerEmail != "" {
		out = append(out, demoPerson{"manager of " + st.Name, st.ManagerEmail})
	}
	return out
}

// reassignWait is how long demoPeople waits for the departed associate's
// book to be reassigned.
const reassignWait = 15 * time.Second

// orphaned counts the clients still in the books of terminated associates of as.
func orphaned(ctx context.Context, db *embedded.DB, as []loupe.Associate) int {
	n := 0
	for _, a := range as {
		if !a.Active() {
			book, _ := db.CustomersByAssociate(ctx, a.AssociateID)
			n += len(book)
		}
	}
	return n
}
