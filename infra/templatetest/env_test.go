package templatetest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// requiredEnv documents what each function needs beyond TABLE_NAME, which
// every function gets. The scan below adds whatever the code actually reads
// (every function reads all of wire.Config through lambdawire.Boot, so the
// non-secret settings are in Globals).
var requiredEnv = map[string][]string{
	"PosWebhookFunction":   {"LOUPE_WEBHOOK_SECRET_ID", "LOUPE_UNSUBSCRIBE_SECRET_ID"},
	"DashboardApiFunction": {"LOUPE_ALLOWED_EMAIL_DOMAINS", "LOUPE_FATIGUE_CAP_DAYS"},
	"StaffStreamFunction":  {"SEND_QUEUE_URL", "LOUPE_BASE_URL"},
	"RepairStreamFunction": {"LOUPE_ALLOWED_EMAIL_DOMAINS"},
	"TouchpointsFunction":  {"SEND_QUEUE_URL", "LOUPE_FATIGUE_CAP_DAYS", "LOUPE_PLAN_HOUR"},
	"SenderFunction":       {"LOUPE_SES_CONFIGURATION_SET", "LOUPE_BASE_URL", "LOUPE_UNSUBSCRIBE_SECRET_ID", "LOUPE_SENDER_MAX_RATE"},
	"SesFeedbackFunction":  nil,
}

// secretEnv name Secrets Manager secrets (never hold their values; the
// function reads them at start-up), and are set only on the functions that
// need them, with the name parameter of that secret.
var secretEnv = map[string]struct {
	param string
	fns   []string
}{
	"LOUPE_WEBHOOK_SECRET_ID":     {"WebhookSecretName", []string{"PosWebhookFunction"}},
	"LOUPE_UNSUBSCRIBE_SECRET_ID": {"UnsubscribeSecretName", []string{"PosWebhookFunction", "SenderFunction"}},
	"LOUPE_API_TOKEN_SECRET_ID":   {"ApiTokenSecretName", []string{"DashboardApiFunction"}},
	"LOUPE_SIGNIN_KEY_SECRET_ID":  {"SigninKeySecretName", []string{"DashboardApiFunction"}},
}

// notFromTemplate are variables Go code may read that the template must not
// (or need not) set: the Lambda runtime's own, and local-only settings.
func notFromTemplate(name string) bool {
	switch {
	case strings.HasPrefix(name, "AWS_"), strings.HasPrefix(name, "_"), strings.HasPrefix(name, "LAMBDA_"):
		return true // set by Lambda or read by the SDK
	case name == "LOUPE_WEBHOOK_SECRET", name == "LOUPE_UNSUBSCRIBE_SECRET", name == "LOUPE_API_TOKEN", name == "LOUPE_SIGNIN_KEY":
		return true // local values; in AWS the *_SECRET_ID secrets (TestSecretsAreNotInEnvironment)
	}
	return false
}

func TestEnvironmentVariables(t *testing.T) {
	tpl := loadTemplate(t)
	for _, id := range tpl.Functions() {
		t.Run(id, func(t *testing.T) {
			env := tpl.EnvVars(id)
			if got := refTarget(env["TABLE_NAME"]); got != "Table" {
				t.Errorf("TABLE_NAME = !Ref %q, want !Ref Table", got)
			}
			for _, name := range requiredEnv[id] {
				if _, ok := env[name]; !ok {
					t.Errorf("%s not set", name)
				}
			}
			for name, sec := range secretEnv {
				_, set := env[name]
				if set && !slices.Contains(sec.fns, id) {
					t.Errorf("%s is set but %s does not need the secret", name, id)
				}
			}
		})
	}
}

// secretARN is the only resource a function's GetSecretValue may name: the
// secret of one name parameter, with the six random characters Secrets
// Manager appends to its ARN.
func secretARN(param string) string {
	return "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${" + param + "}-??????"
}

// TestSecretsAreNotInEnvironment checks that no secret value reaches a
// function's configuration (lambda:GetFunctionConfiguration shows every
// variable): no variable holds a dynamic reference or is named like a secret
// value (*_SECRET), each secret is passed as its name parameter (*_SECRET_ID:
// !Ref <Name>SecretName), and the function may read exactly the secrets it
// is given.
func TestSecretsAreNotInEnvironment(t *testing.T) {
	tpl := loadTemplate(t)
	params := get(tpl.Root, "Parameters")
	for _, id := range tpl.Functions() {
		t.Run(id, func(t *testing.T) {
			env := tpl.EnvVars(id)
			var want []string // ARNs the function may read
			names := make([]string, 0, len(env))
			for name := range env {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				for _, v := range scalars(env[name]) {
					if strings.Contains(v, "{{resolve:secretsmanager") || strings.Contains(v, "{{resolve:ssm-secure") {
						t.Errorf("%s = %q: a dynamic reference puts the secret's value in the function's configuration; pass the secret name (%s_ID) instead", name, v, name)
					}
				}
				if strings.HasSuffix(name, "_SECRET") || strings.HasSuffix(name, "_SECRETS") {
					t.Errorf("%s is set: a secret value in the environment; pass the Secrets Manager secret name as %s_ID", name, strings.TrimSuffix(name, "S"))
				}
				sec, ok := secretEnv[name]
				if !ok {
					continue
				}
				if got := refTarget(env[name]); got != sec.param {
					t.Errorf("%s = !Ref %q, want !Ref %s", name, got, sec.param)
					continue
				}
				if p := get(params, sec.param); p == nil {
					t.Errorf("%s: %s is not a template parameter", name, sec.param)
				} else if get(p, "Default") != nil {
					t.Errorf("parameter %s: a secret name parameter should have no default", sec.param)
				}
				want = append(want, secretARN(sec.param))
			}
			var got []string
			for _, st := range functionStatements(tpl, id) {
				actions := seqOrOne(get(st, "Action"))
				if !slices.ContainsFunc(actions, func(a *yaml.Node) bool { return strings.HasPrefix(str(a), "secretsmanager:") }) {
					continue
				}
				if len(actions) != 1 || str(actions[0]) != "secretsmanager:GetSecretValue" || str(get(st, "Effect")) != "Allow" {
					t.Errorf("a statement grants %v: allow secretsmanager:GetSecretValue alone", scalars(get(st, "Action")))
				}
				for _, r := range seqOrOne(get(st, "Resource")) {
					got = append(got, subString(r))
				}
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("secretsmanager:GetSecretValue on %q, want exactly %q (the secrets its *_SECRET_ID variables name)", got, want)
			}
		})
	}
	// No parameter may carry a secret value itself.
	for _, name := range keys(params) {
		lower := strings.ToLower(name)
		if strings.Contains(lower, "secret") && !strings.HasSuffix(name, "SecretName") && name != "SecretsRevision" {
			t.Errorf("parameter %s looks like a secret value; pass the Secrets Manager secret name instead", name)
		}
	}
}

// functionStatements returns the inline IAM statements of function id.
func functionStatements(tpl *samTemplate, id string) []*yaml.Node {
	var out []*yaml.Node
	for _, p := range seqOrOne(get(tpl.Resources[id], "Properties", "Policies")) {
		out = append(out, seqOrOne(get(p, "Statement"))...)
	}
	return out
}

// scalars returns the values of every scalar under n, n included: the
// strings an intrinsic function (!Sub, !Join, !If ...) is made of.
func scalars(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, scalars(c)...)
	}
	return out
}

// envRead is one os.Getenv / os.LookupEnv call with a constant argument.
type envRead struct {
	name, pos string
}

// TestCodeReadsOnlyTemplateEnv scans functions/<dir>/*.go and every package
// of this module they import (transitively) for os.Getenv / os.LookupEnv
// with a constant argument, and checks the template sets each variable.
func TestCodeReadsOnlyTemplateEnv(t *testing.T) {
	tpl := loadTemplate(t)
	root := repoRoot(t)
	module := modulePath(t, root)
	mk := makefileFunctions(t)
	for _, id := range tpl.Functions() {
		dir := filepath.Join(root, "functions", functionDir(id, mk))
		if !fileExists(filepath.Join(dir, "main.go")) {
			continue
		}
		t.Run(id, func(t *testing.T) {
			env := tpl.EnvVars(id)
			reads := scanEnvReads(t, root, module, dir)
			for _, r := range reads {
				// wire.FromEnv reads every secret id in every function; a
				// function gets only the ones it needs (secretEnv, checked
				// above), and lambdawire.Boot requires those at start.
				if _, secret := secretEnv[r.name]; notFromTemplate(r.name) || secret {
					continue
				}
				if _, ok := env[r.name]; !ok {
					t.Errorf("%s reads %s (%s) but template.yaml does not set it", id, r.name, r.pos)
				}
			}
		})
	}
}

func modulePath(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatalf("read go.mod: %v", err)
	}
	m := regexp.MustCompile(`(?m)^module\s+(\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("go.mod has no module line")
	}
	return string(m[1])
}

// scanEnvReads parses the package in dir and the module packages it imports,
// test files excluded, and returns every constant env read, sorted.
func scanEnvReads(t *testing.T, root, module, dir string) []envRead {
	t.Helper()
	fset := token.NewFileSet()
	seen := map[string]bool{}
	var reads []envRead
	queue := []string{dir}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if seen[d] {
			continue
		}
		seen[d] = true
		files, err := filepath.Glob(filepath.Join(d, "*.go"))
		if err != nil {
			t.Fatalf("list %s: %v", d, err)
		}
		var parsed []*ast.File
		consts := map[string]string{}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Errorf("parse %s: %v", f, err)
				continue
			}
			parsed = append(parsed, af)
			collectStringConsts(af, consts)
			for _, imp := range af.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if rel, ok := strings.CutPrefix(p, module+"/"); ok {
					queue = append(queue, filepath.Join(root, filepath.FromSlash(rel)))
				}
			}
		}
		for _, af := range parsed {
			ast.Inspect(af, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) == 0 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				pkg, ok := sel.X.(*ast.Ident)
				if !ok || pkg.Name != "os" || (sel.Sel.Name != "Getenv" && sel.Sel.Name != "LookupEnv") {
					return true
				}
				var name string
				switch a := call.Args[0].(type) {
				case *ast.BasicLit:
					name, _ = strconv.Unquote(a.Value)
				case *ast.Ident:
					name = consts[a.Name]
				}
				if name != "" {
					pos := fset.Position(call.Pos())
					rel, _ := filepath.Rel(root, pos.Filename)
					reads = append(reads, envRead{name: name, pos: rel + ":" + strconv.Itoa(pos.Line)})
				}
				return true
			})
		}
	}
	sort.Slice(reads, func(i, j int) bool { return reads[i].pos < reads[j].pos })
	return reads
}

// collectStringConsts records package-level `const X = "..."` declarations.
func collectStringConsts(f *ast.File, out map[string]string) {
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					out[n.Name], _ = strconv.Unquote(lit.Value)
				}
			}
		}
	}
}
