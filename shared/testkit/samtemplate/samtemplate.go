// Package samtemplate reads the repository's SAM template.yaml (in yaml.Node
// form, so the short intrinsic tags !Ref, !GetAtt, !Sub and !If survive) and
// the Makefile's FUNCTIONS list, for the tests that check the template
// (infra/templatetest) and the harness that runs its functions
// (infra/e2e/lambdahost). It is the one reader of both files.
package samtemplate

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is template.yaml decoded.
type Template struct {
	Root      *yaml.Node            // the top-level mapping
	Resources map[string]*yaml.Node // logical id -> resource mapping node
	Globals   *yaml.Node            // Globals.Function, or nil
}

// Load reads root/template.yaml. Returns an error when it does not read or
// is not one YAML document holding a mapping.
func Load(root string) (*Template, error) {
	b, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, fmt.Errorf("load template: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("load template: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("load template: template.yaml is not one YAML mapping")
	}
	top := doc.Content[0]
	t := &Template{Root: top, Resources: map[string]*yaml.Node{}, Globals: Get(top, "Globals", "Function")}
	res := Get(top, "Resources")
	for _, id := range Keys(res) {
		t.Resources[id] = Get(res, id)
	}
	return t, nil
}

// Get walks mapping keys from n; it returns nil as soon as a key is missing
// or a node on the way is not a mapping.
func Get(n *yaml.Node, keys ...string) *yaml.Node {
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

// Keys returns the keys of a mapping node in document order (nil for
// anything else).
func Keys(n *yaml.Node) []string {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]string, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, n.Content[i].Value)
	}
	return out
}

// Scalar returns the value of a scalar node, whatever its tag; "" for nil or
// another kind.
func Scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// OfType returns the logical ids of the resources of type typ, sorted.
func (t *Template) OfType(typ string) []string {
	var ids []string
	for id, res := range t.Resources {
		if Scalar(Get(res, "Type")) == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Functions returns the logical ids of every AWS::Serverless::Function,
// sorted.
func (t *Template) Functions() []string { return t.OfType("AWS::Serverless::Function") }

// Prop returns a property of function id, falling back to Globals.Function;
// nil when neither sets it.
func (t *Template) Prop(id string, keys ...string) *yaml.Node {
	if n := Get(t.Resources[id], append([]string{"Properties"}, keys...)...); n != nil {
		return n
	}
	return Get(t.Globals, keys...)
}

// EnvVars returns the environment variables of function id, Globals merged
// with the function's own, mapped to their unresolved value nodes.
func (t *Template) EnvVars(id string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for _, vars := range []*yaml.Node{
		Get(t.Globals, "Environment", "Variables"),
		Get(t.Resources[id], "Properties", "Environment", "Variables"),
	} {
		for _, k := range Keys(vars) {
			out[k] = Get(vars, k)
		}
	}
	return out
}

// Event is one entry of a function's Events.
type Event struct {
	Function, Name, Type string
	Props                *yaml.Node // its Properties
}

// Events returns every event of every function, by function id then in
// document order.
func (t *Template) Events() []Event {
	var out []Event
	for _, fn := range t.Functions() {
		evs := Get(t.Resources[fn], "Properties", "Events")
		for _, name := range Keys(evs) {
			ev := Get(evs, name)
			out = append(out, Event{Function: fn, Name: name, Type: Scalar(Get(ev, "Type")), Props: Get(ev, "Properties")})
		}
	}
	return out
}

var functionsVar = regexp.MustCompile(`^FUNCTIONS\s*(?::=|::=|\+=|=|\?=)\s*(.*)$`)

// MakefileFunctions parses root/Makefile's `FUNCTIONS := LogicalId:folder ...`
// variable (continuation lines, `+=` and trailing comments included) into
// logical id -> folder under functions/; empty when there is none. Returns an
// error when the Makefile does not read or an entry is not LogicalId:folder.
func MakefileFunctions(root string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		return nil, fmt.Errorf("read makefile: %w", err)
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
	out := map[string]string{}
	var bad []string
	for _, line := range lines {
		m := functionsVar.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		if i := strings.Index(m[1], "#"); i >= 0 {
			m[1] = m[1][:i]
		}
		for _, f := range strings.Fields(m[1]) {
			id, dir, ok := strings.Cut(f, ":")
			if !ok {
				bad = append(bad, f)
				continue
			}
			out[id] = dir
		}
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("read makefile: FUNCTIONS entries %q: want LogicalId:folder", bad)
	}
	return out, nil
}

// ConventionalDir maps PosWebhookFunction to pos-webhook: the repository's
// folder name for a function the Makefile does not list (yet).
func ConventionalDir(id string) string {
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

// FunctionDir returns the folder under functions/ of logical id: mk's (from
// MakefileFunctions) when it lists id, ConventionalDir otherwise.
func FunctionDir(id string, mk map[string]string) string {
	if dir, ok := mk[id]; ok {
		return dir
	}
	return ConventionalDir(id)
}
