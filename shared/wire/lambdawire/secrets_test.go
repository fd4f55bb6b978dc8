package lambdawire

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/testkit/secretstest"
	"github.com/loupehq/loupe/shared/unsub"
	"github.com/loupehq/loupe/shared/webhook"
	"github.com/loupehq/loupe/shared/wire"
)

const (
	webhookID = "loupe/test/webhook-secret"
	unsubID   = "loupe/test/unsubscribe-secret"

	webhookOld = "whsec_old_5f0c2a"
	webhookNew = "whsec_new_9d41be"
	unsubOld   = "unsub_old_0123456789abcdef"
	unsubNew   = "unsub_new_fedcba9876543210"
)

// allValues are every secret value the tests put: none may reach a log line
// or an error.
var allValues = []string{webhookOld, webhookNew, unsubOld, unsubNew}

// secretsEnv sets the environment a function with both secrets gets from
// template.yaml, its SDK pointed at a Secrets Manager stand-in through
// AWS_ENDPOINT_URL_SECRETS_MANAGER, and returns the stand-in.
func secretsEnv(t *testing.T) *secretstest.Server {
	t.Helper()
	lambdaEnv(t)
	sm := secretstest.Start(t)
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", sm.URL)
	t.Setenv(wire.EnvTableName, "loupe-test")
	t.Setenv(wire.EnvWebhookSecret, "")
	t.Setenv(wire.EnvUnsubscribeSecret, "")
	t.Setenv(wire.EnvWebhookSecretID, webhookID)
	t.Setenv(wire.EnvUnsubscribeSecretID, unsubID)
	return sm
}

// configure runs Boot's configuration step: the real SDK client over the
// AWSConfig of the environment.
func configure(t *testing.T, needs ...string) (wire.Config, error) {
	t.Helper()
	cfg, err := AWSConfig()
	if err != nil {
		t.Fatal(err)
	}
	return Configure(context.Background(), secretsmanager.NewFromConfig(cfg), append([]string{wire.EnvTableName}, needs...)...)
}

// handler returns the routes of the services of conf over an embedded file.
func handler(t *testing.T, conf wire.Config) (http.Handler, *wire.Services) {
	t.Helper()
	db, err := embedded.Open(filepath.Join(t.TempDir(), "loupe.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := wire.Build(conf, wire.Ports{Records: db, Compliance: db.Compliance(), Ledger: db.Ledger(), Logger: quiet})
	return s.HTTP(""), s
}

// status returns the status of a request to h.
func status(h http.Handler, r *http.Request) int {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// posEvent returns a customer event signed with secret.
func posEvent(id, secret string) *http.Request {
	body := `{"id":"` + id + `","type":"customer.upserted","occurred_at":"2026-11-20T15:04:05Z",` +
		`"data":{"customer_id":"c1","home_store_id":"s1","first_name":"Bea","email":"bea.marsh@example.com"}}`
	r := httptest.NewRequest(http.MethodPost, "/pos/events", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(webhook.Header, webhook.Sign(secret, []byte(body), time.Now()))
	return r
}

func TestConfigureDuringRotation(t *testing.T) {
	sm := secretsEnv(t)
	sm.Put(webhookID, webhookOld)
	sm.Put(webhookID, webhookNew+", whsec_second_current") // put-secret-value: the old one is AWSPREVIOUS now
	sm.Put(unsubID, unsubOld)
	sm.Put(unsubID, unsubNew)

	conf, err := configure(t, wire.EnvWebhookSecret, wire.EnvUnsubscribeSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := conf.WebhookSecrets, []string{webhookNew, "whsec_second_current", webhookOld}; !slices.Equal(got, want) {
		t.Errorf("WebhookSecrets = %q, want %q (current first)", got, want)
	}
	if conf.UnsubscribeSecret != unsubNew || !slices.Equal(conf.UnsubscribePrevious, []string{unsubOld}) {
		t.Errorf("unsubscribe keys = %q then %q, want the current key then the previous one", conf.UnsubscribeSecret, conf.UnsubscribePrevious)
	}
	if n := len(sm.Calls()); n != 4 {
		t.Errorf("%d GetSecretValue calls, want 4 (two secrets, two stages each)", n)
	}

	h, s := handler(t, conf)
	for _, tt := range []struct {
		name, id, secret string
		want             int
	}{
		{"signed with the previous secret", "evt_1", webhookOld, http.StatusAccepted},
		{"signed with the current secret", "evt_2", webhookNew, http.StatusAccepted},
		{"signed with an unknown secret", "evt_3", "whsec_unknown", http.StatusUnauthorized},
	} {
		if got := status(h, posEvent(tt.id, tt.secret)); got != tt.want {
			t.Errorf("POST /pos/events %s: status %d, want %d", tt.name, got, tt.want)
		}
	}

	oldToken := unsub.New([]byte(unsubOld)).Token("c1")
	unknownToken := unsub.New([]byte("unsub_unknown_0123456789")).Token("c1")
	for _, tt := range []struct {
		name, token string
		want        int
	}{
		{"link signed with the previous key", oldToken, http.StatusOK},
		{"link signed with an unknown key", unknownToken, http.StatusNotFound},
	} {
		if got := status(h, httptest.NewRequest(http.MethodGet, "/u/"+tt.token, nil)); got != tt.want {
			t.Errorf("GET /u/ %s: status %d, want %d", tt.name, got, tt.want)
		}
	}
	if got, want := s.Unsubscribe.Token("c1"), unsub.New([]byte(unsubNew)).Token("c1"); got != want {
		t.Errorf("new links signed as %q, want with the current key (%q)", got, want)
	}
	if _, err := unsub.New([]byte(unsubOld)).Verify(s.Unsubscribe.Token("c1")); err == nil {
		t.Error("a new link verifies under the previous key: it was signed with it")
	}
}

func TestConfigureWithoutPreviousStage(t *testing.T) {
	sm := secretsEnv(t)
	sm.Put(webhookID, webhookNew)
	sm.Put(unsubID, unsubNew)
	conf, err := configure(t, wire.EnvUnsubscribeSecret)
	if err != nil {
		t.Fatalf("never-rotated secrets: %v", err)
	}
	if !slices.Equal(conf.WebhookSecrets, []string{webhookNew}) || conf.UnsubscribeSecret != unsubNew || conf.UnsubscribePrevious != nil {
		t.Errorf("config %q, %q, %q: want the current values only", conf.WebhookSecrets, conf.UnsubscribeSecret, conf.UnsubscribePrevious)
	}
	var asked []string
	for _, c := range sm.Calls() {
		asked = append(asked, c.VersionStage)
	}
	if slices.Index(asked, secretstest.StagePrevious) < 0 {
		t.Errorf("stages asked %v: want AWSPREVIOUS asked too", asked)
	}
}

func TestConfigureErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, sm *secretstest.Server)
		names []string // what the error must name
	}{
		{"current webhook secret missing", func(t *testing.T, sm *secretstest.Server) {
			sm.Put(unsubID, unsubNew)
		}, []string{webhookID, "ResourceNotFoundException"}},
		{"unsubscribe secret access denied", func(t *testing.T, sm *secretstest.Server) {
			sm.Put(webhookID, webhookNew)
			sm.Put(unsubID, unsubNew)
			sm.Deny(unsubID)
		}, []string{unsubID, "AccessDeniedException"}},
		{"unsubscribe key too short", func(t *testing.T, sm *secretstest.Server) {
			sm.Put(webhookID, webhookNew)
			sm.Put(unsubID, "short")
		}, []string{unsubID, wire.EnvUnsubscribeSecretID}},
		{"webhook secret empty", func(t *testing.T, sm *secretstest.Server) {
			sm.Put(webhookID, " , ")
			sm.Put(unsubID, unsubNew)
		}, []string{webhookID}},
		{"value and id both set", func(t *testing.T, sm *secretstest.Server) {
			sm.Put(webhookID, webhookNew)
			sm.Put(unsubID, unsubNew)
			t.Setenv(wire.EnvWebhookSecret, webhookOld)
		}, []string{wire.EnvWebhookSecret, wire.EnvWebhookSecretID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm := secretsEnv(t)
			tt.setup(t, sm)
			_, err := configure(t, wire.EnvUnsubscribeSecret)
			if err == nil {
				t.Fatal("Configure succeeded, want an error")
			}
			for _, n := range tt.names {
				if !strings.Contains(err.Error(), n) {
					t.Errorf("error %q does not name %s", err, n)
				}
			}
			for _, v := range allValues {
				if strings.Contains(err.Error(), v) {
					t.Errorf("error %q holds a secret value", err)
				}
			}
		})
	}
}

// Plain values keep working where there is no Secrets Manager (tests, and
// `loupe serve` reads the same variables): no call is made.
func TestConfigurePlainValues(t *testing.T) {
	sm := secretsEnv(t)
	t.Setenv(wire.EnvWebhookSecretID, "")
	t.Setenv(wire.EnvUnsubscribeSecretID, "")
	t.Setenv(wire.EnvWebhookSecret, webhookNew+","+webhookOld)
	t.Setenv(wire.EnvUnsubscribeSecret, unsubNew)
	conf, err := configure(t, wire.EnvUnsubscribeSecret)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(conf.WebhookSecrets, []string{webhookNew, webhookOld}) || conf.UnsubscribeSecret != unsubNew {
		t.Errorf("config %q, %q: want the variables' values", conf.WebhookSecrets, conf.UnsubscribeSecret)
	}
	if calls := sm.Calls(); len(calls) != 0 {
		t.Errorf("Secrets Manager called %v without a secret id", calls)
	}
}

// bootChild is the environment variable that makes TestBootChild run Boot.
const bootChild = "LOUPE_TEST_BOOT_CHILD"

// TestBootChild is Boot in a child process of TestBoot; it is skipped
// otherwise.
func TestBootChild(t *testing.T) {
	if os.Getenv(bootChild) != "1" {
		t.Skip("run by TestBoot")
	}
	f := Boot("boot-test", wire.EnvUnsubscribeSecret)
	f.Logger.Info("booted", "webhook_secrets", len(f.Config.WebhookSecrets), "unsubscribe_previous", len(f.Config.UnsubscribePrevious))
}

// TestBoot runs Boot itself, in a child process since it exits on failure:
// with the secrets readable it starts and logs no value; with one missing it
// logs one line naming the secret id, never a value, and exits 1.
func TestBoot(t *testing.T) {
	if os.Getenv(bootChild) == "1" {
		t.Skip("in the child")
	}
	tests := []struct {
		name     string
		setup    func(sm *secretstest.Server)
		wantExit int
		want     []string // in the output
	}{
		{"secrets readable", func(sm *secretstest.Server) {
			sm.Put(webhookID, webhookOld)
			sm.Put(webhookID, webhookNew)
			sm.Put(unsubID, unsubOld)
			sm.Put(unsubID, unsubNew)
		}, 0, []string{`"message":"booted"`, `"webhook_secrets":2`, `"unsubscribe_previous":1`}},
		{"unsubscribe secret missing", func(sm *secretstest.Server) {
			sm.Put(webhookID, webhookNew)
		}, 1, []string{`"level":"ERROR"`, unsubID, "ResourceNotFoundException"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm := secretsEnv(t)
			tt.setup(sm)
			cmd := exec.Command(os.Args[0], "-test.run=^TestBootChild$")
			cmd.Env = append(os.Environ(), bootChild+"=1", "AWS_LAMBDA_LOG_FORMAT=JSON")
			out, err := cmd.CombinedOutput()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantExit {
				t.Fatalf("exit %d, want %d; output:\n%s", code, tt.wantExit, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output does not hold %s:\n%s", w, out)
				}
			}
			for _, v := range allValues {
				if strings.Contains(string(out), v) {
					t.Errorf("output holds a secret value:\n%s", out)
				}
			}
			if tt.wantExit != 0 {
				if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) != 1 {
					t.Errorf("%d lines, want one:\n%s", len(lines), out)
				}
			}
		})
	}
}
