package templatetest

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// starOnlyActions are the only actions a statement may grant on Resource "*".
// Each one has no resource type in IAM, so "*" is the only legal resource.
// When the action supports a condition key that narrows it, the key is
// required here and the statement must carry it.
var starOnlyActions = map[string]string{
	// SES v2 GetAccount: sending quota and maximum send rate for the sender's
	// pacing. No resource type, no narrowing condition key.
	"ses:GetAccount": "",
	// CloudWatch custom metrics: no resource type; narrow to our namespace.
	"cloudwatch:PutMetricData": "cloudwatch:namespace",
	// X-Ray tracing (if Tracing is turned on by hand): no resource type.
	"xray:PutTraceSegments":    "",
	"xray:PutTelemetryRecords": "",
	// Logs are NOT here: log actions can be scoped to log group ARNs.
}

// samPolicyTemplates are the SAM policy templates the template may use, each
// with the parameter that scopes it to one of our resources.
var samPolicyTemplates = map[string]string{
	"DynamoDBCrudPolicy":       "TableName",
	"DynamoDBReadPolicy":       "TableName",
	"DynamoDBWritePolicy":      "TableName",
	"DynamoDBStreamReadPolicy": "TableName",
	"SQSSendMessagePolicy":     "QueueName",
	"SQSPollerPolicy":          "QueueName",
	"SNSPublishMessagePolicy":  "TopicName",
}

// seqOrOne returns the items of a sequence node, or the node itself.
func seqOrOne(n *yaml.Node) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.SequenceNode && !isIntrinsic(n) {
		return n.Content
	}
	return []*yaml.Node{n}
}

// checkStatements checks an IAM statement list against the rules above.
func checkStatements(t *testing.T, where string, stmts *yaml.Node) {
	t.Helper()
	for i, st := range seqOrOne(stmts) {
		if str(get(st, "Effect")) != "Allow" {
			continue
		}
		if get(st, "NotResource") != nil || get(st, "NotAction") != nil {
			t.Errorf("%s statement %d: NotResource/NotAction grant more than they say; list resources and actions", where, i)
		}
		var actions []string
		for _, a := range seqOrOne(get(st, "Action")) {
			actions = append(actions, str(a))
			if s := str(a); s == "*" || strings.HasSuffix(s, ":*") {
				t.Errorf("%s statement %d: action %q is a wildcard", where, i, s)
			}
		}
		star := false
		for _, r := range seqOrOne(get(st, "Resource")) {
			if str(r) == "*" {
				star = true
			}
			if s := subString(r); strings.HasSuffix(s, ":*") || strings.HasSuffix(s, "/*") && !strings.Contains(s, "/index/") {
				t.Errorf("%s statement %d: resource %q ends in a wildcard", where, i, s)
			}
		}
		if !star {
			continue
		}
		for _, a := range actions {
			key, ok := starOnlyActions[a]
			if !ok {
				t.Errorf(`%s statement %d: %q on Resource "*"; scope it to a resource ARN`, where, i, a)
				continue
			}
			if key != "" && get(st, "Condition") == nil {
				t.Errorf(`%s statement %d: %q on Resource "*" needs a Condition on %s`, where, i, a, key)
			}
		}
	}
}

func TestPoliciesAreScoped(t *testing.T) {
	tpl := loadTemplate(t)
	for _, id := range tpl.Functions() {
		t.Run(id, func(t *testing.T) {
			if get(tpl.Resources[id], "Properties", "Role") != nil {
				t.Errorf("Role: give functions Policies, not a shared role")
			}
			for i, p := range seqOrOne(get(tpl.Resources[id], "Properties", "Policies")) {
				switch {
				case p.Kind == yaml.ScalarNode:
					t.Errorf("policy %d: managed policy %q; use a SAM policy template or an inline statement", i, p.Value)
				case get(p, "Statement") != nil:
					checkStatements(t, id, get(p, "Statement"))
				default:
					for _, name := range keys(p) {
						param, known := samPolicyTemplates[name]
						if !known {
							t.Errorf("policy %d: SAM policy template %s is not in the reviewed list", i, name)
							continue
						}
						v := get(p, name, param)
						if refTarget(v) == "" && getAttTarget(v) == "" {
							t.Errorf("policy %d: %s.%s must reference a resource of this template", i, name, param)
						} else if r := refTarget(v) + getAttTarget(v); tpl.Resources[strings.SplitN(r, ".", 2)[0]] == nil {
							t.Errorf("policy %d: %s.%s references %q, which is not a resource of this template", i, name, param, r)
						}
					}
				}
			}
		})
	}
	for _, typ := range []string{"AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for _, id := range tpl.OfType(typ) {
			props := get(tpl.Resources[id], "Properties")
			checkStatements(t, id, get(props, "PolicyDocument", "Statement"))
			for _, p := range seqOrOne(get(props, "Policies")) {
				checkStatements(t, id, get(p, "PolicyDocument", "Statement"))
			}
		}
	}
}
