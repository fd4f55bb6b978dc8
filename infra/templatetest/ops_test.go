package templatetest

import (
	"sort"
	"strings"
	"testing"
)

// TestLogging checks every function logs JSON into a log group of this
// template that has a retention, and the API's access logs too.
func TestLogging(t *testing.T) {
	tpl := loadTemplate(t)
	retained := func(id string) bool {
		res := tpl.Resources[id]
		return typeOf(res) == "AWS::Logs::LogGroup" && get(res, "Properties", "RetentionInDays") != nil
	}
	for _, id := range tpl.Functions() {
		t.Run(id, func(t *testing.T) {
			if got := str(tpl.Prop(id, "LoggingConfig", "LogFormat")); got != "JSON" {
				t.Errorf("LoggingConfig.LogFormat = %q, want JSON", got)
			}
			group := refTarget(get(tpl.Resources[id], "Properties", "LoggingConfig", "LogGroup"))
			if group == "" {
				group = refTarget(get(tpl.Globals, "LoggingConfig", "LogGroup"))
			}
			if group == "" {
				t.Fatalf("LoggingConfig.LogGroup: want !Ref of an AWS::Logs::LogGroup with RetentionInDays")
			}
			if !retained(group) {
				t.Errorf("log group %s: want an AWS::Logs::LogGroup with RetentionInDays", group)
			}
		})
	}
	for _, api := range tpl.OfType("AWS::Serverless::HttpApi") {
		dest := getAttTarget(get(tpl.Resources[api], "Properties", "AccessLogSettings", "DestinationArn"))
		if g := strings.TrimSuffix(dest, ".Arn"); !retained(g) {
			t.Errorf("%s AccessLogSettings.DestinationArn = %q, want !GetAtt <log group with retention>.Arn", api, dest)
		}
	}
}

// alarmKey identifies an alarm by namespace, metric and the resource named in
// its dimension.
type alarmKey struct{ metric, target string }

func alarms(tpl *samTemplate) map[alarmKey]bool {
	out := map[alarmKey]bool{}
	for _, id := range tpl.OfType("AWS::CloudWatch::Alarm") {
		p := get(tpl.Resources[id], "Properties")
		if len(seqOrOne(get(p, "AlarmActions"))) == 0 {
			continue
		}
		for _, d := range seqOrOne(get(p, "Dimensions")) {
			v := get(d, "Value")
			target := refTarget(v)
			if target == "" {
				target = strings.SplitN(getAttTarget(v), ".", 2)[0]
			}
			out[alarmKey{str(get(p, "Namespace")) + "/" + str(get(p, "MetricName")), target}] = true
		}
	}
	return out
}

// deadLetterQueues returns every queue the template uses to park failures:
// redrive targets, on-failure destinations and event dead-letter configs
// (including the queues SAM creates from QueueLogicalId).
func deadLetterQueues(tpl *samTemplate) []string {
	set := map[string]bool{}
	for _, id := range tpl.OfType("AWS::SQS::Queue") {
		if q := getAttTarget(get(tpl.Resources[id], "Properties", "RedrivePolicy", "deadLetterTargetArn")); q != "" {
			set[strings.TrimSuffix(q, ".Arn")] = true
		}
	}
	for _, id := range tpl.Functions() {
		if q := getAttTarget(get(tpl.Resources[id], "Properties", "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination")); q != "" {
			set[strings.TrimSuffix(q, ".Arn")] = true
		}
	}
	for _, ev := range tpl.Events() {
		for _, n := range []string{
			getAttTarget(get(ev.Props, "DestinationConfig", "OnFailure", "Destination")),
			getAttTarget(get(ev.Props, "DeadLetterConfig", "Arn")),
			str(get(ev.Props, "DeadLetterConfig", "QueueLogicalId")),
		} {
			if n != "" {
				set[strings.TrimSuffix(n, ".Arn")] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for q := range set {
		out = append(out, q)
	}
	sort.Strings(out)
	return out
}

// TestAlarms checks errors and throttles alarms on every function, iterator
// age on every stream consumer and depth on every dead-letter queue, all
// publishing to an SNS topic of the template.
func TestAlarms(t *testing.T) {
	tpl := loadTemplate(t)
	have := alarms(tpl)
	for _, id := range tpl.OfType("AWS::CloudWatch::Alarm") {
		for _, a := range seqOrOne(get(tpl.Resources[id], "Properties", "AlarmActions")) {
			if typeOf(tpl.Resources[refTarget(a)]) != "AWS::SNS::Topic" {
				t.Errorf("%s: AlarmActions should be !Ref of the alarm SNS topic", id)
			}
		}
	}
	var want []alarmKey
	for _, fn := range tpl.Functions() {
		want = append(want, alarmKey{"AWS/Lambda/Errors", fn}, alarmKey{"AWS/Lambda/Throttles", fn})
	}
	for _, ev := range tpl.Events() {
		if ev.Type == "DynamoDB" {
			want = append(want, alarmKey{"AWS/Lambda/IteratorAge", ev.Function})
		}
	}
	for _, q := range deadLetterQueues(tpl) {
		want = append(want, alarmKey{"AWS/SQS/ApproximateNumberOfMessagesVisible", q})
	}
	for _, k := range want {
		if !have[k] {
			t.Errorf("no alarm (with actions) on %s for %s", k.metric, k.target)
		}
	}
	params := get(tpl.Root, "Parameters")
	if get(params, "AlarmEmail") == nil {
		t.Errorf("parameter AlarmEmail missing (optional alarm notification address)")
	}
}

func TestOutputs(t *testing.T) {
	tpl := loadTemplate(t)
	out := get(tpl.Root, "Outputs")
	for _, name := range []string{"ApiUrl", "TableName", "SendQueueUrl", "ConfigurationSetName"} {
		if get(out, name, "Value") == nil {
			t.Errorf("output %s missing", name)
		}
	}
	if got := refTarget(get(out, "TableName", "Value")); got != "Table" {
		t.Errorf("TableName output = !Ref %q, want !Ref Table", got)
	}
	if s := subString(get(out, "ApiUrl", "Value")); !strings.Contains(s, "execute-api") {
		t.Errorf("ApiUrl output = %q, want the execute-api URL", s)
	}
}
