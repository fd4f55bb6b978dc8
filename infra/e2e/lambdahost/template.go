package lambdahost

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Function is one AWS::Serverless::Function of template.yaml as the harness
// runs it: its build folder, settings and event sources.
type Function struct {
	LogicalID string // e.g. "PosWebhookFunction"
	// Dir is the folder under functions/ its Makefile target build-<LogicalID>
	// builds ("pos-webhook"); from the Makefile's FUNCTIONS list, else the
	// LogicalID in kebab case without "Function" (the repository's convention).
	Dir        string
	InMakefile bool // whether FUNCTIONS lists it
	Timeout    int  // seconds (Globals, then the function)
	MemorySize int  // MB
	// Env holds Globals.Function.Environment.Variables and the function's own,
	// unresolved (intrinsics and dynamic references still in the nodes).
	Env    map[string]*yaml.Node
	Events []Event
}

// Event is one entry of a function's Events.
type Event struct {
	Name string // e.g. "PosEvents"
	Type string // HttpApi, DynamoDB, SQS, ScheduleV2, EventBridgeRule
	// HttpApi
	Method, Path, Authorizer string
	// DynamoDB and SQS
	BatchSize             int
	FilterPatterns        []string // FilterCriteria.Filters[].Pattern, JSON
	ReportBatchFailures   bool     // FunctionResponseTypes holds ReportBatchItemFailures
	MaximumRetryAttempts  int      // DynamoDB; -1 when absent (infinite in AWS)
	EventBridgePatternRaw *yaml.Node
}

// Template is template.yaml reduced to what the harness needs.
type Template struct {
	Functions  []Function
	Parameters map[string]string // parameter defaults
}

// Function returns the function with logical id id, or nil.
func (t *Template) Function(id string) *Function {
	for i := range t.Functions {
		if t.Functions[i].LogicalID == id {
			return &t.Functions[i]
		}
	}
	return nil
}

// LoadTemplate reads root/template.yaml and root/Makefile. It returns an error
// when either does not read or parse.
func LoadTemplate(root string) (*Template, error) {
	b, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, fmt.Errorf("load template: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("load template: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("load template: not one YAML document")
	}
	top := doc.Content[0]
	dirs, err := makefileFunctions(filepath.Join(root, "Makefile"))
	if err != nil {
		return nil, err
	}
	t := &Template{Parameters: map[string]string{}}
	for name, p := range pairs(get(top, "Parameters")) {
		if d := get(p, "Default"); d != nil && d.Kind == yaml.ScalarNode {
			t.Parameters[name] = d.Value
		}
	}
	gfn := get(get(top, "Globals"), "Function")
	gTimeout, _ := strconv.Atoi(scalar(get(gfn, "Timeout")))
	gMem, _ := strconv.Atoi(scalar(get(gfn, "MemorySize")))
	genv := get(get(gfn, "Environment"), "Variables")

	for id, res := range pairs(get(top, "Resources")) {
		if scalar(get(res, "Type")) != "AWS::Serverless::Function" {
			continue
		}
		props := get(res, "Properties")
		f := Function{LogicalID: id, Timeout: gTimeout, MemorySize: gMem, Env: map[string]*yaml.Node{}}
		if d, ok := dirs[id]; ok {
			f.Dir, f.InMakefile = d, true
		} else {
			f.Dir = kebab(strings.TrimSuffix(id, "Function"))
		}
		if v, err := strconv.Atoi(scalar(get(props, "Timeout"))); err == nil {
			f.Timeout = v
		}
		if v, err := strconv.Atoi(scalar(get(props, "MemorySize"))); err == nil {
			f.MemorySize = v
		}
		for k, v := range pairs(genv) {
			f.Env[k] = v
		}
		for k, v := range pairs(get(get(props, "Environment"), "Variables")) {
			f.Env[k] = v
		}
		for name, ev := range pairs(get(props, "Events")) {
			f.Events = append(f.Events, parseEvent(name, ev))
		}
		sort.Slice(f.Events, func(i, j int) bool { return f.Events[i].Name < f.Events[j].Name })
		t.Functions = append(t.Functions, f)
	}
	sort.Slice(t.Functions, func(i, j int) bool { return t.Functions[i].LogicalID < t.Functions[j].LogicalID })
	return t, nil
}

func parseEvent(name string, ev *yaml.Node) Event {
	p := get(ev, "Properties")
	e := Event{Name: name, Type: scalar(get(ev, "Type")), MaximumRetryAttempts: -1}
	e.Method = strings.ToUpper(scalar(get(p, "Method")))
	e.Path = scalar(get(p, "Path"))
	e.Authorizer = scalar(get(get(p, "Auth"), "Authorizer"))
	e.BatchSize, _ = strconv.Atoi(scalar(get(p, "BatchSize")))
	if v, err := strconv.Atoi(scalar(get(p, "MaximumRetryAttempts"))); err == nil {
		e.MaximumRetryAttempts = v
	}
	if filters := get(get(p, "FilterCriteria"), "Filters"); filters != nil {
		for _, f := range filters.Content {
			e.FilterPatterns = append(e.FilterPatterns, scalar(get(f, "Pattern")))
		}
	}
	if types := get(p, "FunctionResponseTypes"); types != nil {
		for _, n := range types.Content {
			if n.Value == "ReportBatchItemFailures" {
				e.ReportBatchFailures = true
			}
		}
	}
	e.EventBridgePatternRaw = get(p, "Pattern")
	return e
}

var functionsLine = regexp.MustCompile(`(?m)^FUNCTIONS\s*:?=(.*)$`)

// makefileFunctions reads FUNCTIONS := LogicalId:folder ... from the Makefile.
func makefileFunctions(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read makefile: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := functionsLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		for _, pair := range strings.Fields(m[1]) {
			id, dir, ok := strings.Cut(pair, ":")
			if ok {
				out[id] = dir
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read makefile: %w", err)
	}
	if len(out) == 0 {
		return nil, errors.New("read makefile: no FUNCTIONS list")
	}
	return out, nil
}

// kebab turns "PosWebhook" into "pos-webhook".
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
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

// get returns the value of key in mapping node m, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// pairs returns the entries of mapping node m (nil: none).
func pairs(m *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if m == nil || m.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		out[m.Content[i].Value] = m.Content[i+1]
	}
	return out
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// Resolver resolves the intrinsic functions the template's environment
// variables use: !Ref, !Sub (with ${Name} and ${AWS::...}), !If, !GetAtt, and
// {{resolve:secretsmanager:NAME:SecretString}} dynamic references.
type Resolver struct {
	Refs       map[string]string // !Ref / ${} names: parameters, resources, AWS::Region ...
	Conditions map[string]bool
	Secrets    map[string]string // Secrets Manager secret name -> value
}

// errNoValue marks AWS::NoValue: the variable is left out.
var errNoValue = errors.New("AWS::NoValue")

// Env resolves every variable of f. A variable resolving to AWS::NoValue is
// left out. Returns an error naming the variable for anything it cannot
// resolve, so a template change the harness does not know fails loudly.
func (r *Resolver) Env(f *Function) (map[string]string, error) {
	out := map[string]string{}
	for k, n := range f.Env {
		v, err := r.resolve(n)
		if errors.Is(err, errNoValue) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s env %s: %w", f.LogicalID, k, err)
		}
		out[k] = v
	}
	return out, nil
}

var (
	subVar    = regexp.MustCompile(`\$\{([A-Za-z0-9:.]+)\}`)
	dynRefVar = regexp.MustCompile(`\{\{resolve:secretsmanager:([^:}]+):SecretString\}\}`)
)

func (r *Resolver) resolve(n *yaml.Node) (string, error) {
	switch n.Tag {
	case "!Ref":
		if n.Value == "AWS::NoValue" {
			return "", errNoValue
		}
		v, ok := r.Refs[n.Value]
		if !ok {
			return "", fmt.Errorf("unknown !Ref %s", n.Value)
		}
		return v, nil
	case "!GetAtt":
		name := n.Value
		if n.Kind == yaml.SequenceNode && len(n.Content) == 2 {
			name = n.Content[0].Value + "." + n.Content[1].Value
		}
		v, ok := r.Refs[name]
		if !ok {
			return "", fmt.Errorf("unknown !GetAtt %s", name)
		}
		return v, nil
	case "!Sub":
		if n.Kind != yaml.ScalarNode {
			return "", errors.New("!Sub with a variable map is not supported")
		}
		var missing []string
		s := subVar.ReplaceAllStringFunc(n.Value, func(m string) string {
			name := m[2 : len(m)-1]
			v, ok := r.Refs[name]
			if !ok {
				missing = append(missing, name)
			}
			return v
		})
		if len(missing) > 0 {
			return "", fmt.Errorf("unknown !Sub names %v", missing)
		}
		return r.dynamic(s)
	case "!If":
		if n.Kind != yaml.SequenceNode || len(n.Content) != 3 {
			return "", errors.New("malformed !If")
		}
		cond, ok := r.Conditions[n.Content[0].Value]
		if !ok {
			return "", fmt.Errorf("unknown condition %s", n.Content[0].Value)
		}
		if cond {
			return r.resolve(n.Content[1])
		}
		return r.resolve(n.Content[2])
	}
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("unsupported node %s", n.Tag)
	}
	return r.dynamic(n.Value)
}

func (r *Resolver) dynamic(s string) (string, error) {
	var missing []string
	s = dynRefVar.ReplaceAllStringFunc(s, func(m string) string {
		name := dynRefVar.FindStringSubmatch(m)[1]
		v, ok := r.Secrets[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("unknown secrets %v", missing)
	}
	return s, nil
}

// JSON resolves n (a mapping, sequence or scalar, intrinsics included) into
// its JSON value, e.g. an EventBridge rule Pattern. Scalars stay strings.
// Returns an error for anything it cannot resolve.
func (r *Resolver) JSON(n *yaml.Node) (any, error) {
	if n == nil {
		return nil, nil
	}
	if n.Tag == "" || !strings.HasPrefix(n.Tag, "!") || n.Tag == "!!map" || n.Tag == "!!seq" {
		switch n.Kind {
		case yaml.MappingNode:
			out := map[string]any{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				v, err := r.JSON(n.Content[i+1])
				if err != nil {
					return nil, err
				}
				out[n.Content[i].Value] = v
			}
			return out, nil
		case yaml.SequenceNode:
			out := []any{}
			for _, c := range n.Content {
				v, err := r.JSON(c)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			return out, nil
		}
	}
	return r.resolve(n)
}
