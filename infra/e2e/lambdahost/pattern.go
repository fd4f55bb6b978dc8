package lambdahost

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Pattern is an EventBridge-style event pattern, the language of Lambda's
// event filtering (FilterCriteria) and of EventBridge rules. It supports the
// subset the template uses plus the usual neighbours: exact values (string,
// number, boolean, null), {"prefix": s}, {"suffix": s}, {"exists": bool} and
// {"anything-but": value or [values] or {"prefix": s}}.
type Pattern struct {
	root map[string]any
}

// ParsePattern parses a JSON pattern. Returns an error when it is not a JSON
// object or uses an operator Pattern does not implement.
func ParsePattern(s string) (*Pattern, error) {
	var root map[string]any
	if err := json.Unmarshal([]byte(s), &root); err != nil {
		return nil, fmt.Errorf("parse pattern: %w", err)
	}
	if err := checkPattern(root); err != nil {
		return nil, fmt.Errorf("parse pattern %s: %w", s, err)
	}
	return &Pattern{root: root}, nil
}

func checkPattern(m map[string]any) error {
	for k, v := range m {
		switch v := v.(type) {
		case map[string]any:
			if err := checkPattern(v); err != nil {
				return err
			}
		case []any:
			for _, c := range v {
				if op, ok := c.(map[string]any); ok {
					for name := range op {
						switch name {
						case "prefix", "suffix", "exists", "anything-but":
						default:
							return fmt.Errorf("%s: operator %q is not supported", k, name)
						}
					}
				}
			}
		default:
			return fmt.Errorf("%s: a pattern value must be an object or an array", k)
		}
	}
	return nil
}

// Match reports whether the JSON object event matches p. An event that is not
// a JSON object matches nothing.
func (p *Pattern) Match(event []byte) bool {
	var ev map[string]any
	if json.Unmarshal(event, &ev) != nil {
		return false
	}
	return matchObject(p.root, ev)
}

// MatchAny reports whether event matches at least one of patterns (Lambda
// ORs the filters of one mapping). No patterns match everything.
func MatchAny(patterns []*Pattern, event []byte) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if p.Match(event) {
			return true
		}
	}
	return false
}

func matchObject(pat, ev map[string]any) bool {
	for k, pv := range pat {
		v, present := ev[k]
		switch pv := pv.(type) {
		case map[string]any:
			sub, ok := v.(map[string]any)
			if !ok {
				return false
			}
			if !matchObject(pv, sub) {
				return false
			}
		case []any:
			if !matchLeaf(pv, v, present) {
				return false
			}
		}
	}
	return true
}

// matchLeaf: the event value (or any element of an event array) matches one
// of the conditions.
func matchLeaf(conds []any, v any, present bool) bool {
	for _, c := range conds {
		if op, ok := c.(map[string]any); ok {
			if ex, ok := op["exists"].(bool); ok {
				if ex == (present && v != nil) {
					return true
				}
				continue
			}
		}
		if !present {
			continue
		}
		values := []any{v}
		if arr, ok := v.([]any); ok {
			values = arr
		}
		for _, x := range values {
			if matchValue(c, x) {
				return true
			}
		}
	}
	return false
}

func matchValue(cond, v any) bool {
	op, ok := cond.(map[string]any)
	if !ok {
		return equalJSON(cond, v)
	}
	s, isString := v.(string)
	if p, ok := op["prefix"].(string); ok {
		return isString && strings.HasPrefix(s, p)
	}
	if p, ok := op["suffix"].(string); ok {
		return isString && strings.HasSuffix(s, p)
	}
	if ab, ok := op["anything-but"]; ok {
		switch ab := ab.(type) {
		case []any:
			for _, x := range ab {
				if equalJSON(x, v) {
					return false
				}
			}
			return true
		case map[string]any:
			if p, ok := ab["prefix"].(string); ok {
				return isString && !strings.HasPrefix(s, p)
			}
			return false
		default:
			return !equalJSON(ab, v)
		}
	}
	return false
}

func equalJSON(a, b any) bool {
	switch a := a.(type) {
	case string, bool, nil:
		return a == b
	case float64:
		f, ok := b.(float64)
		return ok && f == a
	}
	return false
}
