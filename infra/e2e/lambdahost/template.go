package lambdahost

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/loupehq/loupe/shared/testkit/samtemplate"
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
	// unresolved (intrinsics still in the nodes).
	Env    map[string]*yaml.Node
	Events []Event
}

// Event is one entry of a function's Events.
type Event struct {
	Name string // e.g. "PosEvents"
	Type string // HttpApi, DynamoDB, SQS, ScheduleV2, EventBridgeRule, SNS
	// HttpApi
	Method, Path, Authorizer string
	// DynamoDB and SQS
	BatchSize             int
	FilterPatterns        []string // FilterCriteria.Filters[].Pattern, JSON
	ReportBatchFailures   bool     // FunctionResponseTypes holds ReportBatchItemFailures
	MaximumRetryAttempts  int      // DynamoDB; -1 when absent (infinite in AWS)
	EventBridgePatternRaw *yaml.Node
	// SNS: the logical id of the topic (Topic: !Ref <id>)
	Topic string
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

// LoadTemplate reads root/template.yaml and root/Makefile through
// samtemplate. It returns an error when either does not read or parse, or
// the Makefile has no FUNCTIONS list.
func LoadTemplate(root string) (*Template, error) {
	tpl, err := samtemplate.Load(root)
	if err != nil {
		return nil, err
	}
	dirs, err := samtemplate.MakefileFunctions(root)
	if err != nil {
		return nil, err
	}
	if len(dirs) == 0 {
		return nil, errors.New("read makefile: no FUNCTIONS list")
	}
	t := &Template{Parameters: map[string]string{}}
	params := samtemplate.Get(tpl.Root, "Parameters")
	for _, name := range samtemplate.Keys(params) {
		if d := samtemplate.Get(params, name, "Default"); d != nil && d.Kind == yaml.ScalarNode {
			t.Parameters[name] = d.Value
		}
	}
	for _, id := range tpl.Functions() {
		f := Function{LogicalID: id, Dir: samtemplate.FunctionDir(id, dirs), Env: tpl.EnvVars(id)}
		_, f.InMakefile = dirs[id]
		f.Timeout, _ = strconv.Atoi(samtemplate.Scalar(tpl.Prop(id, "Timeout")))
		f.MemorySize, _ = strconv.Atoi(samtemplate.Scalar(tpl.Prop(id, "MemorySize")))
		evs := samtemplate.Get(tpl.Resources[id], "Properties", "Events")
		for _, name := range samtemplate.Keys(evs) {
			f.Events = append(f.Events, parseEvent(name, samtemplate.Get(evs, name)))
		}
		sort.Slice(f.Events, func(i, j int) bool { return f.Events[i].Name < f.Events[j].Name })
		t.Functions = append(t.Functions, f)
	}
	return t, nil
}

func parseEvent(name string, ev *yaml.Node) Event {
	get, scalar := samtemplate.Get, samtemplate.Scalar
	p := get(ev, "Properties")
	e := Event{Name: name, Type: scalar(get(ev, "Type")), MaximumRetryAttempts: -1}
	e.Method = strings.ToUpper(scalar(get(p, "Method")))
	e.Path = scalar(get(p, "Path"))
	e.Authorizer = scalar(get(p, "Auth", "Authorizer"))
	e.BatchSize, _ = strconv.Atoi(scalar(get(p, "BatchSize")))
	if v, err := strconv.Atoi(scalar(get(p, "MaximumRetryAttempts"))); err == nil {
		e.MaximumRetryAttempts = v
	}
	if filters := get(p, "FilterCriteria", "Filters"); filters != nil {
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
	if t := get(p, "Topic"); t != nil && t.Tag == "!Ref" {
		e.Topic = t.Value
	}
	return e
}

// Resolver resolves the intrinsic functions the template's environment
// variables use: !Ref, !Sub (with ${Name} and ${AWS::...}), !If and !GetAtt.
// It refuses {{resolve:...}} dynamic references: the template passes secret
// names (LOUPE_*_SECRET_ID) and the functions read the values from Secrets
// Manager, which the harness stands in for (package secretstest).
type Resolver struct {
	Refs       map[string]string // !Ref / ${} names: parameters, resources, AWS::Region ...
	Conditions map[string]bool
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

var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9:.]+)\}`)

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

// dynamic returns s, or an error when it holds a dynamic reference.
func (r *Resolver) dynamic(s string) (string, error) {
	if strings.Contains(s, "{{resolve:") {
		return "", fmt.Errorf("dynamic reference %q: pass the secret name, the function reads the value", s)
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
