package touch

import (
	"fmt"
	"html"
	"strings"
)

// The touchpoint templates are filled by this small renderer instead of
// text/template and html/template. Those packages call methods by name through
// reflection, and a binary that can do that keeps every exported method of
// every type in it: about 5 MB of unused AWS SDK operations in the sender,
// which renders touchpoint mail (docs/benchmarks.md, bootstrap sizes).
//
// The templates need four actions, and only these parse:
//
//	{{.Field}}                the field, escaped for HTML in .html files
//	{{if .Field}}...{{end}}   the part when the field is not empty
//	{{template "footer" .}}   the footer
//	{{define "footer"}}...{{end}}  (footer files only) the footer's body
//
// Every value is a string. In HTML every field is escaped with
// html.EscapeString except BodyHTML (staff-written, trusted), and fields only
// ever sit in element text or in a double-quoted attribute (the unsubscribe
// href, a URL Loupe builds), where that escaping is complete.

// node is one parsed piece of a template.
type node struct {
	text  string // literal text when field and kids are empty
	field string // {{.Field}}, or the condition of {{if}}
	cond  bool   // {{if .Field}}: kids render when field is not empty
	kids  []node
}

// fillTemplate is one parsed occasion template with its footer.
type fillTemplate struct {
	body   []node
	footer []node
	html   bool
}

// parseFill parses src (and the footer file's text, which must be one
// {{define "footer"}}...{{end}}). Returns an error naming the action it does
// not understand.
func parseFill(src, footerSrc string, isHTML bool) (*fillTemplate, error) {
	fsrc := strings.TrimSpace(footerSrc)
	const open, end = `{{define "footer"}}`, `{{end}}`
	if !strings.HasPrefix(fsrc, open) || !strings.HasSuffix(fsrc, end) {
		return nil, fmt.Errorf("footer: want one {{define \"footer\"}}...{{end}}")
	}
	footer, rest, err := parseNodes(fsrc[len(open):len(fsrc)-len(end)], false)
	if err != nil || rest != "" {
		return nil, fmt.Errorf("footer: %v %q", err, rest)
	}
	body, rest, err := parseNodes(src, false)
	if err != nil || rest != "" {
		return nil, fmt.Errorf("template: %v %q", err, rest)
	}
	return &fillTemplate{body: body, footer: footer, html: isHTML}, nil
}

// parseNodes parses s up to the end of s, or up to an {{end}} when inIf, and
// returns the nodes and the text after that {{end}}.
func parseNodes(s string, inIf bool) ([]node, string, error) {
	var out []node
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			if inIf {
				return nil, "", fmt.Errorf("{{if}} without {{end}}")
			}
			if s != "" {
				out = append(out, node{text: s})
			}
			return out, "", nil
		}
		if i > 0 {
			out = append(out, node{text: s[:i]})
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return nil, "", fmt.Errorf("unclosed action")
		}
		action := strings.TrimSpace(s[i+2 : i+j])
		s = s[i+j+2:]
		switch {
		case action == "end":
			if !inIf {
				return nil, "", fmt.Errorf("{{end}} without {{if}}")
			}
			return out, s, nil
		case action == `template "footer" .`:
			out = append(out, node{field: "footer"})
		case strings.HasPrefix(action, "if ."):
			kids, rest, err := parseNodes(s, true)
			if err != nil {
				return nil, "", err
			}
			out = append(out, node{field: strings.TrimPrefix(action, "if ."), cond: true, kids: kids})
			s = rest
		case strings.HasPrefix(action, ".") && !strings.ContainsAny(action, " |("):
			out = append(out, node{field: action[1:]})
		default:
			return nil, "", fmt.Errorf("unsupported action {{%s}}", action)
		}
	}
}

// value returns the named field of d, and false for an unknown name.
func (d mailData) value(name string) (string, bool) {
	switch name {
	case "FirstName":
		return d.FirstName, true
	case "StoreName":
		return d.StoreName, true
	case "Associate":
		return d.Associate, true
	case "PostalAddress":
		return d.PostalAddress, true
	case "UnsubscribeURL":
		return d.UnsubscribeURL, true
	case "OccasionDate":
		return d.OccasionDate, true
	case "CampaignName":
		return d.CampaignName, true
	case "BodyHTML":
		return d.BodyHTML, true
	case "BodyText":
		return d.BodyText, true
	}
	return "", false
}

// execute writes the template filled with d to b. Returns an error for a
// field mailData does not have.
func (t *fillTemplate) execute(b *strings.Builder, d mailData) error {
	return t.run(b, t.body, d)
}

func (t *fillTemplate) run(b *strings.Builder, nodes []node, d mailData) error {
	for _, n := range nodes {
		switch {
		case n.field == "":
			b.WriteString(n.text)
		case n.field == "footer" && !n.cond:
			if err := t.run(b, t.footer, d); err != nil {
				return err
			}
		case n.cond:
			v, ok := d.value(n.field)
			if !ok {
				return fmt.Errorf("unknown field %q", n.field)
			}
			if v != "" {
				if err := t.run(b, n.kids, d); err != nil {
					return err
				}
			}
		default:
			v, ok := d.value(n.field)
			if !ok {
				return fmt.Errorf("unknown field %q", n.field)
			}
			if t.html && n.field != "BodyHTML" {
				v = html.EscapeString(v)
			}
			b.WriteString(v)
		}
	}
	return nil
}
