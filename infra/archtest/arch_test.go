package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// module is the import path every package of the tree starts with.
const module = "github.com/loupehq/loupe"

// role is what a package is for; docs/architecture.md lists them.
type role string

const (
	domain  role = "domain"
	adapter role = "adapter"
	wiring  role = "wiring"
	testKit role = "test kit"
	entry   role = "entry point"
	infra   role = "infra"
)

// roles is the table of docs/architecture.md: a package path relative to the
// module ("/..." means the package and every package under it) and its role.
// A listed package that does not exist is skipped. A new package under
// shared/ must be added here (and to docs/architecture.md) or the test fails.
var roles = []struct {
	pkg  string
	role role
}{
	{"shared/loupe", domain},
	{"shared/compliance/...", domain}, // a sub-package named *test is a test kit, see roleOf
	{"shared/csvimport", domain},
	{"shared/demo", domain},
	{"shared/emailcheck", domain},
	{"shared/mail", domain},
	{"shared/match", domain},
	{"shared/pos", domain},
	{"shared/reassign", domain},
	{"shared/touch", domain},
	{"shared/contact", domain},
	{"shared/staff", domain},
	{"shared/today", domain},
	{"shared/unsub", domain},
	{"shared/webhook", domain},
	{"shared/progress", domain},
	{"shared/pace", domain},
	{"shared/webpage", domain},
	{"shared/textmsg", domain},
	{"shared/textin", domain},

	{"shared/dynamo", adapter},     // DynamoDB
	{"shared/embedded", adapter},   // bbolt file
	{"shared/sesmail", adapter},    // SES v2
	{"shared/smsvoice", adapter},   // End User Messaging SMS and Voice v2
	{"shared/outbox", adapter},     // local .eml files
	{"shared/phone", adapter},      // libphonenumber metadata
	{"shared/sqsqueue", adapter},   // SQS send queue
	{"shared/emf", adapter},        // CloudWatch embedded metric format
	{"shared/httpapi", adapter},    // HTTP
	{"shared/lambdahttp", adapter}, // API Gateway payload 2.0 to http.Handler
	{"shared/secrets", adapter},    // Secrets Manager
	{"shared/linktoken", adapter},  // Loupe's own staff tokens (go-jose)
	{"shared/oidcauth", adapter},   // OpenID Connect ID tokens (go-oidc)

	{"shared/wire/...", wiring},

	{"shared/testkit/...", testKit},

	{"functions/...", entry},
	{"cmd/...", entry},

	{"infra/...", infra},
}

// roleOf returns the role of the package at rel (a path relative to the
// module), and false when the table has none.
func roleOf(rel string) (role, bool) {
	if strings.HasPrefix(rel, "shared/compliance/") && strings.HasSuffix(path.Base(rel), "test") {
		return testKit, true
	}
	for _, r := range roles {
		if prefix, ok := strings.CutSuffix(r.pkg, "/..."); ok {
			if rel == prefix || strings.HasPrefix(rel, prefix+"/") {
				return r.role, true
			}
		} else if rel == r.pkg {
			return r.role, true
		}
	}
	return "", false
}

// service is a domain service, or the constructor of one, that only the
// wiring packages may build (rule 5).
type service struct {
	pkg  string // relative to the module
	name string
	fn   bool // a function to call, not a type to build with a composite literal
}

var services = []service{
	{"shared/compliance", "Service", false},
	{"shared/touch", "Planner", false},
	{"shared/pos", "Service", false},
	{"shared/reassign", "Service", false},
	{"shared/reassign", "New", true},
	{"shared/today", "Service", false},
	{"shared/httpapi", "New", true},
	{"shared/unsub", "New", true},
}

// listedPackage is the part of `go list -json` the checker reads.
type listedPackage struct {
	ImportPath     string
	Dir            string
	Name           string
	GoFiles        []string
	CgoFiles       []string
	IgnoredGoFiles []string
	Imports        []string
	Error          *struct{ Err string }
}

// tree is the module as the checker sees it.
type tree struct {
	root     string // module root directory
	pkgs     []*pkg
	notes    []string // what the checker could not read, for the log
	fset     *token.FileSet
	pkgNames map[string]string // import path -> package name
}

// pkg is one listed package with its non-test files parsed.
type pkg struct {
	listedPackage
	rel      string
	role     role
	known    bool
	files    []*ast.File
	fileName map[*ast.File]string // relative to the module root
	importBy map[string][]string  // import path -> files importing it
	imports  map[string]struct{}  // every import of a non-test file
}

// violation is one broken rule.
type violation struct {
	rule int
	pkg  string // relative to the module
	file string // relative to the module root; "" when the package as a whole breaks the rule
	line int
	msg  string
}

func (v violation) String() string {
	where := v.pkg
	if v.file != "" {
		where = v.file
		if v.line > 0 {
			where += ":" + strconv.Itoa(v.line)
		}
	}
	return fmt.Sprintf("%s: %s (rule %d, docs/architecture.md)", where, v.msg, v.rule)
}

// moduleRoot returns the directory holding go.mod, from the test's directory up.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test directory")
		}
		dir = parent
	}
}

// load lists the module at root (with the overlay file, when not empty) and
// parses every non-test file of every package. Source of a file the overlay
// replaces is read from the overlay's backing file.
func load(root, overlay string) (*tree, error) {
	args := []string{"list", "-e", "-deps=false",
		"-json=ImportPath,Dir,Name,GoFiles,CgoFiles,IgnoredGoFiles,Imports,Error"}
	replace := map[string]string{}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
		b, err := os.ReadFile(overlay)
		if err != nil {
			return nil, fmt.Errorf("read overlay: %w", err)
		}
		var o struct{ Replace map[string]string }
		if err := json.Unmarshal(b, &o); err != nil {
			return nil, fmt.Errorf("decode overlay %s: %w", overlay, err)
		}
		replace = o.Replace
	}
	args = append(args, "./...")
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOPROXY=off") // no network, whatever the caller's settings
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	tr := &tree{root: root, fset: token.NewFileSet(), pkgNames: map[string]string{}}
	dec := json.NewDecoder(&stdout)
	for {
		var lp listedPackage
		if err := dec.Decode(&lp); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("decode go list output: %w", err)
		}
		p := &pkg{listedPackage: lp, rel: rel(lp.ImportPath), fileName: map[*ast.File]string{},
			importBy: map[string][]string{}, imports: map[string]struct{}{}}
		p.role, p.known = roleOf(p.rel)
		if lp.Error != nil {
			tr.notes = append(tr.notes, fmt.Sprintf("%s does not build (checked with the imports go list reports): %s", p.rel, firstLine(lp.Error.Err)))
		}
		tr.pkgs = append(tr.pkgs, p)
		if lp.Name != "" {
			tr.pkgNames[lp.ImportPath] = lp.Name
		}
	}
	for _, p := range tr.pkgs {
		tr.parse(p, replace)
	}
	return tr, nil
}

// parse parses p's non-test files: the ones this build uses and the ones its
// build constraints leave out (a Lambda builds for linux/arm64 with
// lambda.norpc), and records which file imports what.
func (tr *tree) parse(p *pkg, replace map[string]string) {
	for _, name := range p.Imports {
		p.imports[name] = struct{}{}
	}
	var names []string
	names = append(names, p.GoFiles...)
	names = append(names, p.CgoFiles...)
	for _, n := range p.IgnoredGoFiles {
		if strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			names = append(names, n)
		}
	}
	for i, name := range names {
		ignored := i >= len(p.GoFiles)+len(p.CgoFiles)
		abs := filepath.Join(p.Dir, name)
		src, err := os.ReadFile(orElse(replace[abs], abs))
		if err != nil {
			tr.notes = append(tr.notes, fmt.Sprintf("%s: not read: %v", tr.relFile(abs), err))
			continue
		}
		f, err := parser.ParseFile(tr.fset, abs, src, parser.SkipObjectResolution)
		if err != nil {
			tr.notes = append(tr.notes, fmt.Sprintf("%s: does not parse, checked as far as it does: %s", tr.relFile(abs), firstLine(err.Error())))
		}
		if f == nil {
			continue
		}
		if ignored && f.Name.Name != p.Name && p.Name != "" {
			continue // a file of another package, such as a //go:build ignore generator
		}
		p.files = append(p.files, f)
		p.fileName[f] = tr.relFile(abs)
		for _, spec := range f.Imports {
			ip, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				continue
			}
			p.importBy[ip] = append(p.importBy[ip], p.fileName[f])
			if ignored {
				p.imports[ip] = struct{}{}
			}
		}
	}
}

func (tr *tree) relFile(abs string) string {
	if r, err := filepath.Rel(tr.root, abs); err == nil {
		return filepath.ToSlash(r)
	}
	return abs
}

// rel returns the import path relative to the module, or the path itself for
// a package outside it.
func rel(importPath string) string {
	if importPath == module {
		return "."
	}
	if r, ok := strings.CutPrefix(importPath, module+"/"); ok {
		return r
	}
	return importPath
}

// orElse returns a, or b when a is empty.
func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// check returns every violation of rules 1 to 5 in tr, in package order.
func (tr *tree) check() []violation {
	var out []violation
	for _, p := range tr.pkgs {
		out = append(out, tr.checkRole(p)...)
		out = append(out, tr.checkImports(p)...)
		out = append(out, tr.checkServices(p)...)
	}
	return out
}

// checkRole is rule 4: every package has a role in the table.
func (tr *tree) checkRole(p *pkg) []violation {
	if p.known {
		return nil
	}
	return []violation{{rule: 4, pkg: p.rel, msg: fmt.Sprintf(
		"%s has no role: add it to the roles table in infra/archtest/arch_test.go "+
			"(domain, adapter named for its technology, wiring or test kit) and to the table in docs/architecture.md",
		p.rel)}}
}

// checkImports is rules 1 to 3, on the imports of p's non-test files.
func (tr *tree) checkImports(p *pkg) []violation {
	if !p.known || p.role == infra || p.role == entry {
		return nil
	}
	var out []violation
	for _, ip := range slices.Sorted(mapKeys(p.imports)) {
		rule, why := tr.importRule(p, ip)
		if rule == 0 {
			continue
		}
		v := violation{rule: rule, pkg: p.rel}
		what := ip
		if r, ok := tr.roleOfImport(ip); ok {
			what = fmt.Sprintf("%s (%s)", rel(ip), r)
		}
		files := slices.Compact(slices.Sorted(slices.Values(p.importBy[ip])))
		if len(files) > 0 {
			v.file = files[0]
			v.line = tr.importLine(p, files[0], ip)
		}
		v.msg = fmt.Sprintf("%s (%s) imports %s: %s", p.rel, p.role, what, why)
		if len(files) > 1 {
			v.msg += fmt.Sprintf(" (also in %s)", strings.Join(files[1:], ", "))
		}
		out = append(out, v)
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// roleOfImport returns the role of a package of the module.
func (tr *tree) roleOfImport(ip string) (role, bool) {
	if ip != module && !strings.HasPrefix(ip, module+"/") {
		return "", false
	}
	return roleOf(rel(ip))
}

func (tr *tree) importLine(p *pkg, file, ip string) int {
	for _, f := range p.files {
		if p.fileName[f] != file {
			continue
		}
		for _, spec := range f.Imports {
			if s, _ := strconv.Unquote(spec.Path.Value); s == ip {
				return tr.fset.Position(spec.Pos()).Line
			}
		}
	}
	return 0
}

// importRule returns the rule p breaks by importing ip and what to do about
// it, or 0.
func (tr *tree) importRule(p *pkg, ip string) (int, string) {
	target, internal := tr.roleOfImport(ip)
	if strings.HasPrefix(p.rel, "shared/") && internal && (target == entry || target == infra) {
		return 3, "shared/ is the library that entry points and infra build on, never the reverse; move what it needs into shared/"
	}
	switch p.role {
	case domain:
		switch {
		case internal && target == adapter:
			return 1, "a domain package declares the port it needs and an adapter implements it"
		case internal && target == wiring:
			return 1, "the domain does not know how it is wired; shared/wire imports the domain, never the reverse"
		case internal && target == testKit:
			return 1, "a test kit is for _test.go files; import it from a test, or move what the domain needs into it"
		case ip == "github.com/aws" || strings.HasPrefix(ip, "github.com/aws/"):
			return 1, "the domain does not speak AWS; declare a port with the SDK's method signatures and implement it in an adapter (shared/dynamo, shared/sesmail, shared/sqsqueue, ...)"
		case ip == "go.etcd.io/bbolt" || strings.HasPrefix(ip, "go.etcd.io/bbolt/"):
			return 1, "bbolt belongs to shared/embedded; the domain declares the port and the embedded adapter implements it"
		}
	case adapter:
		switch {
		case internal && target == adapter:
			return 2, "adapters do not know one another; depend on a domain port and let shared/wire hand one adapter to the other"
		case internal && target == wiring:
			return 2, "wiring builds adapters, never the reverse; take what the adapter needs as a parameter or Config field"
		case internal && target == testKit:
			return 2, "a test kit is for _test.go files; import it from a test"
		}
	case testKit:
		if internal && target == wiring {
			return 3, "a test kit builds what it tests from domain and adapter packages, not through shared/wire"
		}
	}
	return 0, ""
}

// checkServices is rule 5: outside the wiring packages and the service's own
// package, no non-test file builds a domain service.
func (tr *tree) checkServices(p *pkg) []violation {
	if !p.known || p.role == wiring || p.role == infra {
		return nil
	}
	var out []violation
	for _, f := range p.files {
		for _, b := range servicesBuilt(tr.fset, f, tr.pkgNames) {
			if b.svc.pkg == p.rel {
				continue
			}
			out = append(out, violation{rule: 5, pkg: p.rel, file: p.fileName[f], line: b.line, msg: fmt.Sprintf(
				"%s (%s) %s: only the wiring packages build domain services, from one Config read once; "+
					"get it from shared/wire (a Lambda through shared/wire/lambdawire) instead",
				p.rel, p.role, b.what)})
		}
	}
	return out
}

// built is one place a file builds a service.
type built struct {
	svc  service
	line int
	what string // "builds &touch.Planner{...}", "calls reassign.New"
}

// servicesBuilt returns every composite literal of a service type (also
// &T{...} and elements whose type is elided in a slice, array or map
// literal) and every call of a service constructor in f. Import names are
// resolved through f's imports, renamed and dot imports included; names maps
// an import path to its package name where known.
func servicesBuilt(fset *token.FileSet, f *ast.File, names map[string]string) []built {
	local := map[string]string{} // local import name -> import path
	var dot []string             // dot-imported paths
	for _, spec := range f.Imports {
		ip, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue
		}
		switch {
		case spec.Name == nil:
			local[orElse(names[ip], path.Base(ip))] = ip
		case spec.Name.Name == ".":
			dot = append(dot, ip)
		case spec.Name.Name != "_":
			local[spec.Name.Name] = ip
		}
	}
	// resolve returns the service e names, how to say it ("touch.Planner")
	// and how the file spells it when that differs (" (imported as tp)").
	resolve := func(e ast.Expr, fn bool) (s service, said, note string, ok bool) {
		for {
			switch x := e.(type) {
			case *ast.ParenExpr:
				e = x.X
				continue
			case *ast.IndexExpr: // a generic instantiation
				e = x.X
				continue
			case *ast.IndexListExpr:
				e = x.X
				continue
			}
			break
		}
		var paths []string
		var name string
		switch x := e.(type) {
		case *ast.SelectorExpr:
			id, isIdent := x.X.(*ast.Ident)
			if !isIdent || local[id.Name] == "" {
				return service{}, "", "", false
			}
			paths, name = []string{local[id.Name]}, x.Sel.Name
			if pn := orElse(names[paths[0]], path.Base(paths[0])); id.Name != pn {
				note = " (imported as " + id.Name + ")"
			}
		case *ast.Ident:
			paths, name, note = dot, x.Name, " (dot import)"
		default:
			return service{}, "", "", false
		}
		for _, ip := range paths {
			for _, s := range services {
				if s.fn == fn && s.name == name && module+"/"+s.pkg == ip {
					return s, orElse(names[ip], path.Base(ip)) + "." + name, note, true
				}
			}
		}
		return service{}, "", "", false
	}
	var out []built
	seen := map[*ast.CompositeLit]bool{}
	add := func(s service, n ast.Node, what string) {
		out = append(out, built{svc: s, line: fset.Position(n.Pos()).Line, what: what})
	}
	// elided reports the literals inside lit whose type is elided and is a service.
	elided := func(lit *ast.CompositeLit) {
		var elt ast.Expr
		switch t := lit.Type.(type) {
		case *ast.ArrayType:
			elt = t.Elt
		case *ast.MapType:
			elt = t.Value
		default:
			return
		}
		amp := ""
		if star, ok := elt.(*ast.StarExpr); ok {
			elt, amp = star.X, "&"
		}
		s, said, note, ok := resolve(elt, false)
		if !ok {
			return
		}
		for _, e := range lit.Elts {
			if kv, ok := e.(*ast.KeyValueExpr); ok {
				e = kv.Value
			}
			if inner, ok := e.(*ast.CompositeLit); ok && inner.Type == nil {
				seen[inner] = true
				add(s, inner, "builds "+amp+said+"{...}"+note+" (type elided in a composite literal)")
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.UnaryExpr:
			if lit, ok := x.X.(*ast.CompositeLit); ok && x.Op == token.AND && lit.Type != nil {
				if s, said, note, ok := resolve(lit.Type, false); ok {
					seen[lit] = true
					add(s, x, "builds &"+said+"{...}"+note)
				}
			}
		case *ast.CompositeLit:
			if x.Type != nil && !seen[x] {
				if s, said, note, ok := resolve(x.Type, false); ok {
					add(s, x, "builds "+said+"{...}"+note)
				}
			}
			if x.Type != nil {
				elided(x)
			}
		case *ast.CallExpr:
			if s, said, note, ok := resolve(x.Fun, true); ok {
				add(s, x, "calls "+said+note)
			}
		}
		return true
	})
	return out
}

// readDirs reads every directory go list would look in, so that go test's
// result cache, which sees what the test process itself opens but not what
// go list reads, is invalidated by a new file or package anywhere in the tree.
func readDirs(root string) error {
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root {
			if n := d.Name(); n == "node_modules" || n == "testdata" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
				return filepath.SkipDir
			}
		}
		return nil
	})
}

// The real tree, listed and parsed once for every test.
var (
	realOnce sync.Once
	realTree *tree
	realErr  error
)

func loadReal(t *testing.T) *tree {
	t.Helper()
	root := moduleRoot(t)
	realOnce.Do(func() {
		if realErr = readDirs(root); realErr == nil {
			realTree, realErr = load(root, "")
		}
	})
	if realErr != nil {
		t.Fatal(realErr)
	}
	return realTree
}

func byRule(vs []violation, rules ...int) []violation {
	var out []violation
	for _, v := range vs {
		if slices.Contains(rules, v.rule) {
			out = append(out, v)
		}
	}
	return out
}

// TestTreeIsListed checks that the checker sees the tree it guards: one
// package of every role, and the table's packages that do not exist (yet, or
// any more) are logged, not failed.
func TestTreeIsListed(t *testing.T) {
	tr := loadReal(t)
	for _, n := range tr.notes {
		t.Log(n)
	}
	count := map[role]int{}
	for _, p := range tr.pkgs {
		count[p.role]++
	}
	for _, r := range []role{domain, adapter, wiring, testKit, entry} {
		if count[r] == 0 {
			t.Errorf("no %s package listed: the roles table or the go list call is wrong", r)
		}
	}
	for _, r := range roles {
		prefix, sub := strings.CutSuffix(r.pkg, "/...")
		found := false
		for _, p := range tr.pkgs {
			if p.rel == prefix || sub && strings.HasPrefix(p.rel, prefix+"/") {
				found = true
				break
			}
		}
		if !found {
			t.Logf("%s (%s) is in the roles table but has no Go package; skipped", r.pkg, r.role)
		}
	}
}

// TestEveryPackageHasARole is rule 4.
func TestEveryPackageHasARole(t *testing.T) {
	for _, v := range byRule(loadReal(t).check(), 4) {
		t.Error(v)
	}
}

// TestImportRules is rules 1 to 3: domain, adapter and test-kit imports.
func TestImportRules(t *testing.T) {
	for _, v := range byRule(loadReal(t).check(), 1, 2, 3) {
		t.Error(v)
	}
}

// TestOnlyWiringBuildsServices is rule 5, one subtest per package that
// builds a service outside the wiring.
func TestOnlyWiringBuildsServices(t *testing.T) {
	vs := byRule(loadReal(t).check(), 5)
	var pkgs []string
	for _, v := range vs {
		if !slices.Contains(pkgs, v.pkg) {
			pkgs = append(pkgs, v.pkg)
		}
	}
	for _, p := range pkgs {
		t.Run(p, func(t *testing.T) {
			for _, v := range vs {
				if v.pkg == p {
					t.Error(v)
				}
			}
		})
	}
}

// TestCheckerCatchesPlantedViolations plants one violation at a time with
// go list -overlay, so the real toolchain lists the planted file, and checks
// the checker reports it, naming the package and the rule, and that the
// tree without the overlay does not have it. The planted import of
// shared/dynamo into shared/touch is also an import cycle (dynamo imports
// touch), so it shows the checker reading a package that does not build.
func TestCheckerCatchesPlantedViolations(t *testing.T) {
	real := loadReal(t)
	// A function package that exists today, for the planted main.
	entryDir := "cmd/loupe"
	for _, p := range real.pkgs {
		if strings.HasPrefix(p.rel, "functions/") && p.Name == "main" {
			entryDir = p.rel
			break
		}
	}
	cases := []struct {
		name     string
		dir      string // relative to the module root
		src      string
		rule     int
		pkg      string
		contains []string
	}{
		{
			name: "domain imports adapter",
			dir:  "shared/touch",
			src:  "package touch\n\nimport _ \"" + module + "/shared/dynamo\"\n",
			rule: 1, pkg: "shared/touch",
			contains: []string{"shared/touch (domain) imports shared/dynamo (adapter)", "declares the port", "rule 1"},
		},
		{
			name: "entry point builds a planner",
			dir:  entryDir,
			src:  "package main\n\nimport tp \"" + module + "/shared/touch\"\n\nvar _ = &tp.Planner{}\n",
			rule: 5, pkg: entryDir,
			contains: []string{entryDir + " (entry point) builds &touch.Planner{...} (imported as tp)", "shared/wire", "rule 5"},
		},
		{
			name: "unclassified package",
			dir:  "shared/zzarchtestplanted",
			src:  "// Package zzarchtestplanted is planted by infra/archtest.\npackage zzarchtestplanted\n",
			rule: 4, pkg: "shared/zzarchtestplanted",
			contains: []string{"shared/zzarchtestplanted has no role", "docs/architecture.md", "rule 4"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			backing := filepath.Join(tmp, "planted.go")
			if err := os.WriteFile(backing, []byte(c.src), 0o644); err != nil {
				t.Fatal(err)
			}
			planted := filepath.Join(real.root, filepath.FromSlash(c.dir), "zz_archtest_planted.go")
			overlay, err := json.Marshal(map[string]map[string]string{"Replace": {planted: backing}})
			if err != nil {
				t.Fatal(err)
			}
			overlayFile := filepath.Join(tmp, "overlay.json")
			if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
				t.Fatal(err)
			}
			tr, err := load(real.root, overlayFile)
			if err != nil {
				t.Fatal(err)
			}
			plantedRel := c.dir + "/zz_archtest_planted.go"
			match := func(v violation) bool {
				if v.rule != c.rule || v.pkg != c.pkg {
					return false
				}
				// The planted import or literal is in the planted file; a
				// planted package is reported as a whole.
				return v.file == plantedRel || c.rule == 4
			}
			var found *violation
			for _, v := range tr.check() {
				if match(v) {
					found = &v
					break
				}
			}
			if found == nil {
				t.Fatalf("planted %s in %s: no rule %d violation reported for %s", c.name, plantedRel, c.rule, c.pkg)
			}
			t.Logf("reported: %s", found)
			for _, s := range c.contains {
				if !strings.Contains(found.String(), s) {
					t.Errorf("report %q does not say %q", found, s)
				}
			}
			for _, v := range real.check() {
				if match(v) {
					t.Errorf("without the overlay the tree already reports %s", v)
				}
			}
		})
	}
}

// TestServicesBuilt checks the detection of rule 5 on single files, without
// the toolchain.
func TestServicesBuilt(t *testing.T) {
	names := map[string]string{module + "/shared/emf": "metrics"}
	cases := []struct {
		name string
		src  string
		want []string // what of each built, in order
	}{
		{"pointer literal", `import "` + module + `/shared/touch"
var _ = &touch.Planner{DB: nil}`, []string{"builds &touch.Planner{...}"}},
		{"value literal", `import "` + module + `/shared/compliance"
var _ = compliance.Service{}`, []string{"builds compliance.Service{...}"}},
		{"renamed import", `import c "` + module + `/shared/compliance"
var _ = &c.Service{}`, []string{"builds &compliance.Service{...} (imported as c)"}},
		{"dot import", `import . "` + module + `/shared/pos"
var _ = &Service{}`, []string{"builds &pos.Service{...} (dot import)"}},
		{"constructor calls", `import (
	"` + module + `/shared/reassign"
	"` + module + `/shared/httpapi"
	u "` + module + `/shared/unsub"
)
var _ = reassign.New(nil)
var _ = httpapi.New(httpapi.Config{})
var _ = u.New(nil)`, []string{"calls reassign.New", "calls httpapi.New", "calls unsub.New (imported as u)"}},
		{"elided element type", `import "` + module + `/shared/reassign"
var _ = []*reassign.Service{{}}`, []string{"builds &reassign.Service{...} (type elided in a composite literal)"}},
		{"other names of the same packages", `import (
	"` + module + `/shared/touch"
	"` + module + `/shared/compliance"
)
var _ = touch.Plan{}
var _ = compliance.New()
var _ = new(touch.Planner)`, nil},
		{"a package of the same name elsewhere", `import "example.com/touch"
var _ = &touch.Planner{}`, nil},
		{"the service's fields and methods", `import "` + module + `/shared/touch"
func f(p *touch.Planner) { p.Plan() }`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", "package x\n\n"+c.src+"\n", parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range servicesBuilt(fset, f, names) {
				got = append(got, b.what)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestRoleOf checks the table's lookups, the compliance test-kit exception
// included.
func TestRoleOf(t *testing.T) {
	cases := []struct {
		rel  string
		want role
		ok   bool
	}{
		{"shared/loupe", domain, true},
		{"shared/compliance", domain, true},
		{"shared/compliance/dashboard", domain, true},
		{"shared/compliance/compliancetest", testKit, true},
		{"shared/dynamo", adapter, true},
		{"shared/wire", wiring, true},
		{"shared/wire/lambdawire", wiring, true},
		{"shared/lambdaenv", "", false},
		{"shared/testkit/dynalite", testKit, true},
		{"functions/sender", entry, true},
		{"cmd/loupe", entry, true},
		{"infra/e2e/lambdahost", infra, true},
		{"shared/wirehouse", "", false},
		{"shared/touchy", "", false},
		{"shared/newthing", "", false},
	}
	for _, c := range cases {
		got, ok := roleOf(c.rel)
		if got != c.want || ok != c.ok {
			t.Errorf("roleOf(%q) = %q, %v; want %q, %v", c.rel, got, ok, c.want, c.ok)
		}
	}
}

// TestImportRule checks rules 1 to 3 edge by edge, without the toolchain.
func TestImportRule(t *testing.T) {
	tr := &tree{}
	cases := []struct {
		from, to string
		want     int
	}{
		{"shared/touch", module + "/shared/dynamo", 1},
		{"shared/touch", module + "/shared/wire", 1},
		{"shared/touch", module + "/shared/testkit/storetest", 1},
		{"shared/loupe", "github.com/aws/aws-sdk-go-v2/aws", 1},
		{"shared/pos", "github.com/aws/aws-lambda-go/events", 1},
		{"shared/touch", "go.etcd.io/bbolt", 1},
		{"shared/touch", "go.etcd.io/bbolt/errors", 1},
		{"shared/touch", module + "/shared/compliance", 0},
		{"shared/touch", "gopkg.in/yaml.v3", 0},
		{"shared/touch", "net/http", 0},
		{"shared/sqsqueue", module + "/shared/sesmail", 2},
		{"shared/dynamo", module + "/shared/wire/lambdawire", 2},
		{"shared/httpapi", module + "/shared/testkit/postest", 2},
		{"shared/dynamo", module + "/shared/touch", 0},
		{"shared/dynamo", "github.com/aws/aws-sdk-go-v2/service/dynamodb", 0},
		{"shared/touch", module + "/infra/e2e", 3},
		{"shared/dynamo", module + "/functions/sender", 3},
		{"shared/wire", module + "/cmd/loupe", 3},
		{"shared/testkit/storetest", module + "/shared/wire", 3},
		{"shared/testkit/storetest", module + "/shared/embedded", 0},
		{"shared/wire/lambdawire", module + "/shared/dynamo", 0},
		{"functions/sender", module + "/shared/sesmail", 0},
	}
	for _, c := range cases {
		p := &pkg{rel: c.from}
		p.role, p.known = roleOf(c.from)
		got, why := tr.importRule(p, c.to)
		if got != c.want {
			t.Errorf("%s imports %s: rule %d (%q), want rule %d", c.from, c.to, got, why, c.want)
		}
		if got != 0 && why == "" {
			t.Errorf("%s imports %s: rule %d says nothing about what to do", c.from, c.to, got)
		}
	}
}
