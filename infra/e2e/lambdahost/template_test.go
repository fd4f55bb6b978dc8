package lambdahost

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/loupehq/loupe/shared/testkit/repo"
)

func TestLoadTemplateResolvesEveryFunction(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := LoadTemplate(root)
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]string{"Table": "tbl", "SendQueue": "http://q", "HttpApi": "api", "AWS::Region": "us-east-1",
		"AWS::URLSuffix": "amazonaws.com", "ConfigurationSet": "cs", "SmsConfigurationSet": "sms", "AWS::StackName": "st"}
	for k, v := range tmpl.Parameters {
		refs[k] = v
	}
	refs["WebhookSecretName"], refs["UnsubscribeSecretName"] = "wh", "un"
	refs["ApiTokenSecretName"], refs["SigninKeySecretName"] = "api", "signin"
	r := &Resolver{Refs: refs,
		Conditions: map[string]bool{"IsProd": false, "HasPublicBaseUrl": false, "HasSenderMaxRate": false, "HasAlarmEmail": false,
			"CreatesStaffUserPool": false}}
	if len(tmpl.Functions) == 0 {
		t.Fatal("no functions in template.yaml")
	}
	for _, f := range tmpl.Functions {
		env, err := r.Env(&f)
		if err != nil {
			t.Errorf("%s: %v", f.LogicalID, err)
			continue
		}
		if env["TABLE_NAME"] != "tbl" {
			t.Errorf("%s TABLE_NAME: got %q, want tbl (from Globals)", f.LogicalID, env["TABLE_NAME"])
		}
		if f.Dir == "" || strings.ContainsAny(f.Dir, "/ ") {
			t.Errorf("%s folder: got %q", f.LogicalID, f.Dir)
		}
		if f.Timeout <= 0 {
			t.Errorf("%s timeout: got %d", f.LogicalID, f.Timeout)
		}
	}
	wh := tmpl.Function("PosWebhookFunction")
	if wh == nil {
		t.Fatal("PosWebhookFunction missing")
	}
	env, _ := r.Env(wh)
	if got := env["LOUPE_WEBHOOK_SECRET_ID"]; got != "wh" {
		t.Errorf("LOUPE_WEBHOOK_SECRET_ID: got %q, want the secret's name", got)
	}
	if _, err := r.Env(&Function{LogicalID: "F", Env: map[string]*yaml.Node{
		"X": {Kind: yaml.ScalarNode, Tag: "!Sub", Value: "{{resolve:secretsmanager:${WebhookSecretName}:SecretString}}"}}}); err == nil {
		t.Error("a dynamic reference resolved: want an error, the functions read secrets themselves")
	}
	dash := tmpl.Function("DashboardApiFunction")
	if dash == nil {
		t.Fatal("DashboardApiFunction missing")
	}
	env, _ = r.Env(dash)
	for k, want := range map[string]string{"LOUPE_API_TOKEN_SECRET_ID": "api", "LOUPE_SIGNIN_KEY_SECRET_ID": "signin", "SEND_QUEUE_URL": "http://q"} {
		if got := env[k]; got != want {
			t.Errorf("DashboardApiFunction %s: got %q, want %q", k, got, want)
		}
	}
	if wh.Dir != "pos-webhook" || !wh.InMakefile {
		t.Errorf("PosWebhookFunction folder: got %q (in Makefile %v), want pos-webhook from FUNCTIONS", wh.Dir, wh.InMakefile)
	}
}
