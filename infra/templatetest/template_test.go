package templatetest

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/loupehq/loupe/shared/testkit/repo"
	"github.com/loupehq/loupe/shared/testkit/samtemplate"
)

// samTemplate is template.yaml as samtemplate decodes it (yaml.Node form, so
// the short intrinsic tags !Ref, !GetAtt, !Sub and !If survive and can be
// checked).
type samTemplate = samtemplate.Template

var (
	loadOnce sync.Once
	loaded   *samTemplate
	loadErr  error
)

// repoRoot returns the directory holding go.mod, or fails t.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// loadTemplate decodes template.yaml once per test binary, or fails t.
func loadTemplate(t *testing.T) *samTemplate {
	t.Helper()
	root := repoRoot(t)
	loadOnce.Do(func() { loaded, loadErr = samtemplate.Load(root) })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

var (
	get             = samtemplate.Get
	keys            = samtemplate.Keys
	conventionalDir = samtemplate.ConventionalDir
	functionDir     = samtemplate.FunctionDir
)

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

// makefileFunctions returns the Makefile's FUNCTIONS list, logical id ->
// folder; a malformed entry fails t (the others are still returned).
func makefileFunctions(t *testing.T) map[string]string {
	t.Helper()
	mk, err := samtemplate.MakefileFunctions(repoRoot(t))
	if err != nil {
		t.Error(err)
	}
	return mk
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
