package templatetest

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// samTemplate is template.yaml decoded into yaml.Node form, so the short
// intrinsic tags (!Ref, !GetAtt, !Sub, !If) survive and can be checked.
type samTemplate struct {
	root      *yaml.Node
	resources map[string]*yaml.Node // logical id -> resource mapping node
	globals   *yaml.Node            // Globals.Function, or nil
}

var (
	loadOnce   sync.Once
	loaded     *samTemplate
	loadErr    error
	rootOnce   sync.Once
	rootDir    string
	rootDirErr error
)

// repoRoot returns the directory holding go.mod, walking up from the test's
// working directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			rootDirErr = err
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				rootDir = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootDirErr = os.ErrNotExist
				return
			}
			dir = parent
		}
	})
	if rootDirErr != nil {
		t.Fatalf("find repository root (go.mod): %v", rootDirErr)
	}
	return rootDir
}

// loadTemplate decodes template.yaml once per test binary.
func loadTemplate(t *testing.T) *samTemplate {
	t.Helper()
	root := repoRoot(t)
	loadOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join(root, "template.yaml"))
		if err != nil {
			loadErr = err
			return
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			loadErr = err
			return
		}
		if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
			loadErr = errNotMapping
			return
		}
		top := doc.Content[0]
		tpl := &samTemplate{root: top, resources: map[string]*yaml.Node{}}
		res := get(top, "Resources")
		for i := 0; res != nil && i+1 < len(res.Content); i += 2 {
			tpl.resources[res.Content[i].Value] = res.Content[i+1]
		}
		tpl.globals = get(top, "Globals", "Function")
		loaded = tpl
	})
	if loadErr != nil {
		t.Fatalf("load template.yaml: %v", loadErr)
	}
	return loaded
}

type constErr string

func (e constErr) Error() string { return string(e) }

const errNotMapping = constErr("template.yaml is not one YAML mapping")

// get walks mapping keys; it returns nil as soon as a key is missing or a
// node on the way is not a mapping.
func get(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}

// keys returns the keys of a mapping node in document order.
func keys(n *yaml.Node) []string {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]string, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, n.Content[i].Value)
	}
	return out
}

// str returns the value of an untagged scalar (or one with a plain YAML
// tag), "" otherwise.
func str(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || isIntrinsic(n) {
		return ""
	}
	return n.Value
}

func isIntrinsic(n *yaml.Node) bool {
	return n != nil && strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!")
}

// intValue returns the integer value of an untagged scalar.
func intValue(n *yaml.Node) (int, bool) {
	s := str(n)
	if s == "" {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	return v, err == nil
}

// refTarget returns X for `!Ref X` or `{Ref: X}`, "" otherwise.
func refTarget(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!Ref" {
		return n.Value
	}
	if r := get(n, "Ref"); r != nil {
		return r.Value
	}
	return ""
}

// getAttTarget returns "X.Attr" for `!GetAtt X.Attr`, `!GetAtt [X, Attr]` or
// `{Fn::GetAtt: [X, Attr]}`, "" otherwise.
func getAttTarget(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	seq := n
	if n.Tag != "!GetAtt" {
		seq = get(n, "Fn::GetAtt")
		if seq == nil {
			return ""
		}
	}
	switch seq.Kind {
	case yaml.ScalarNode:
		return seq.Value
	case yaml.SequenceNode:
		parts := make([]string, 0, len(seq.Content))
		for _, c := range seq.Content {
			parts = append(parts, c.Value)
		}
		return strings.Join(parts, ".")
	}
	return ""
}

// subString returns the format string of `!Sub "..."` or `!Sub ["...", {...}]`.
func subString(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	if n.Tag == "!Sub" {
		if n.Kind == yaml.ScalarNode {
			return n.Value
		}
		if n.Kind == yaml.SequenceNode && len(n.Content) > 0 {
			return n.Content[0].Value
		}
	}
	if s := get(n, "Fn::Sub"); s != nil {
		return subString(&yaml.Node{Kind: s.Kind, Tag: "!Sub", Value: s.Value, Content: s.Content})
	}
	return ""
}

// typeOf returns the resource's Type.
func typeOf(res *yaml.Node) string { return str(get(res, "Type")) }

// ofType returns the logical ids of resources of the given type, sorted.
func (tpl *samTemplate) ofType(typ string) []string {
	var ids []string
	for id, res := range tpl.resources {
		if typeOf(res) == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// functions returns the logical ids of every AWS::Serverless::Function.
func (tpl *samTemplate) functions() []string { return tpl.ofType("AWS::Serverless::Function") }

// prop returns a function property, falling back to Globals.Function.
func (tpl *samTemplate) prop(id string, keys ...string) *yaml.Node {
	if n := get(tpl.resources[id], append([]string{"Properties"}, keys...)...); n != nil {
		return n
	}
	return get(tpl.globals, keys...)
}

// event is one entry of a function's Events.
type event struct {
	function, name, typ string
	props               *yaml.Node
}

// events returns every event of every function, in a stable order.
func (tpl *samTemplate) events() []event {
	var out []event
	for _, fn := range tpl.functions() {
		evs := get(tpl.resources[fn], "Properties", "Events")
		for _, name := range keys(evs) {
			ev := get(evs, name)
			out = append(out, event{function: fn, name: name, typ: str(get(ev, "Type")), props: get(ev, "Properties")})
		}
	}
	return out
}

// envVars returns the environment variable names set for a function,
// Globals merged with the function's own, mapped to their value nodes.
func (tpl *samTemplate) envVars(id string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for _, vars := range []*yaml.Node{
		get(tpl.globals, "Environment", "Variables"),
		get(tpl.resources[id], "Properties", "Environment", "Variables"),
	} {
		for i := 0; vars != nil && i+1 < len(vars.Content); i += 2 {
			out[vars.Content[i].Value] = vars.Content[i+1]
		}
	}
	return out
}

// makefileFunctions parses the Makefile's `FUNCTIONS := Id:dir ...`
// variable (continuation lines and `+=` included) into logical id -> folder.
func makefileFunctions(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "Makefile"))
	if err != nil {
		t.Fatalf("read Makefile: %v", err)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	var cur strings.Builder
	for sc.Scan() {
		line := sc.Text()
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		cur.WriteString(line)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	re := regexp.MustCompile(`^FUNCTIONS\s*(?::=|::=|\+=|=|\?=)\s*(.*)$`)
	out := map[string]string{}
	for _, line := range lines {
		m := re.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		if i := strings.Index(m[1], "#"); i >= 0 {
			m[1] = m[1][:i]
		}
		for _, f := range strings.Fields(m[1]) {
			id, dir, ok := strings.Cut(f, ":")
			if !ok {
				t.Errorf("Makefile FUNCTIONS entry %q: want LogicalId:folder", f)
				continue
			}
			out[id] = dir
		}
	}
	return out
}

// conventionalDir maps PosWebhookFunction to pos-webhook: the folder name
// used for a function the Makefile does not list yet.
func conventionalDir(id string) string {
	base := strings.TrimSuffix(id, "Function")
	var b strings.Builder
	for i, r := range base {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// functionDir returns the folder under functions/ for a logical id: the
// Makefile's mapping when present, the naming convention otherwise.
func functionDir(id string, mk map[string]string) string {
	if dir, ok := mk[id]; ok {
		return dir
	}
	return conventionalDir(id)
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
