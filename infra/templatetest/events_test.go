package templatetest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// wantStreamFilters are the FilterCriteria patterns fixed in notes/keys.md.
var wantStreamFilters = map[string]string{
	"StaffStreamFunction":  `{"dynamodb":{"Keys":{"PK":{"S":[{"prefix":"ASSOC#"}]}}}}`,
	"RepairStreamFunction": `{"eventName":["INSERT"],"dynamodb":{"Keys":{"PK":{"S":[{"prefix":"REPAIR#"}]}}}}`,
}

func hasString(seq *yaml.Node, want string) bool {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return false
	}
	for _, c := range seq.Content {
		if str(c) == want {
			return true
		}
	}
	return false
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func TestStreamEventSources(t *testing.T) {
	tpl := loadTemplate(t)
	seen := map[string]bool{}
	for _, ev := range tpl.Events() {
		if ev.Type != "DynamoDB" {
			continue
		}
		seen[ev.Function] = true
		t.Run(ev.Function+"/"+ev.Name, func(t *testing.T) {
			p := ev.Props
			if got := getAttTarget(get(p, "Stream")); got != "Table.StreamArn" {
				t.Errorf("Stream = %q, want !GetAtt Table.StreamArn", got)
			}
			filters := get(p, "FilterCriteria", "Filters")
			if filters == nil || len(filters.Content) == 0 {
				t.Errorf("FilterCriteria.Filters: want at least one pattern")
			} else {
				for _, f := range filters.Content {
					pat := str(get(f, "Pattern"))
					var v any
					if err := json.Unmarshal([]byte(pat), &v); err != nil {
						t.Errorf("FilterCriteria pattern %q is not JSON: %v", pat, err)
					}
				}
				if want, ok := wantStreamFilters[ev.Function]; ok {
					if len(filters.Content) != 1 || !sameJSON(str(get(filters.Content[0], "Pattern")), want) {
						t.Errorf("FilterCriteria: want exactly the pattern %s from notes/keys.md", want)
					}
				}
			}
			if !hasString(get(p, "FunctionResponseTypes"), "ReportBatchItemFailures") {
				t.Errorf("FunctionResponseTypes: want [ReportBatchItemFailures]")
			}
			if got := str(get(p, "BisectBatchOnFunctionError")); got != "true" {
				t.Errorf("BisectBatchOnFunctionError = %q, want true", got)
			}
			if v, ok := intValue(get(p, "MaximumRetryAttempts")); !ok || v < 0 || v > 10 {
				t.Errorf("MaximumRetryAttempts = %q, want 0..10", str(get(p, "MaximumRetryAttempts")))
			}
			// -1 means "forever"; Lambda accepts 60..604800 otherwise.
			if v, ok := intValue(get(p, "MaximumRecordAgeInSeconds")); !ok || v < 60 || v > 604800 {
				t.Errorf("MaximumRecordAgeInSeconds = %q, want 60..604800", str(get(p, "MaximumRecordAgeInSeconds")))
			}
			dest := get(p, "DestinationConfig", "OnFailure", "Destination")
			if dest == nil {
				t.Errorf("DestinationConfig.OnFailure.Destination: want an SQS queue")
			} else if q := strings.TrimSuffix(getAttTarget(dest), ".Arn"); typeOf(tpl.Resources[q]) != "AWS::SQS::Queue" {
				t.Errorf("DestinationConfig.OnFailure.Destination = %q, want !GetAtt <SQS queue>.Arn", getAttTarget(dest))
			}
			if got := str(get(p, "DestinationConfig", "OnFailure", "Type")); got != "SQS" {
				t.Errorf("DestinationConfig.OnFailure.Type = %q, want SQS (so SAM grants sqs:SendMessage)", got)
			}
		})
	}
	for fn := range wantStreamFilters {
		if !seen[fn] {
			t.Errorf("%s has no DynamoDB stream event source", fn)
		}
	}
}

func TestQueueEventSources(t *testing.T) {
	tpl := loadTemplate(t)
	n := 0
	for _, ev := range tpl.Events() {
		if ev.Type != "SQS" {
			continue
		}
		n++
		t.Run(ev.Function+"/"+ev.Name, func(t *testing.T) {
			if !hasString(get(ev.Props, "FunctionResponseTypes"), "ReportBatchItemFailures") {
				t.Errorf("FunctionResponseTypes: want [ReportBatchItemFailures]")
			}
			q := strings.TrimSuffix(getAttTarget(get(ev.Props, "Queue")), ".Arn")
			queue := tpl.Resources[q]
			if typeOf(queue) != "AWS::SQS::Queue" {
				t.Fatalf("Queue = %q, want !GetAtt <SQS queue>.Arn", q)
			}
			dlq := strings.TrimSuffix(getAttTarget(get(queue, "Properties", "RedrivePolicy", "deadLetterTargetArn")), ".Arn")
			if typeOf(tpl.Resources[dlq]) != "AWS::SQS::Queue" {
				t.Errorf("queue %s: RedrivePolicy.deadLetterTargetArn: want a dead-letter queue", q)
			}
			if v, ok := intValue(get(queue, "Properties", "RedrivePolicy", "maxReceiveCount")); !ok || v < 1 || v > 10 {
				t.Errorf("queue %s: RedrivePolicy.maxReceiveCount: want 1..10", q)
			}
			// AWS: visibility timeout at least six times the function timeout.
			vis, _ := intValue(get(queue, "Properties", "VisibilityTimeout"))
			timeout, _ := intValue(tpl.Prop(ev.Function, "Timeout"))
			if vis < 6*timeout {
				t.Errorf("queue %s: VisibilityTimeout %d, want >= 6 x %s timeout (%d)", q, vis, ev.Function, 6*timeout)
			}
		})
	}
	if n == 0 {
		t.Errorf("no SQS event source: SenderFunction should drain the send queue")
	}
}

func TestSchedulesRetryIntoDeadLetterQueue(t *testing.T) {
	tpl := loadTemplate(t)
	n := 0
	for _, ev := range tpl.Events() {
		if ev.Type != "ScheduleV2" && ev.Type != "EventBridgeRule" && ev.Type != "Schedule" {
			continue
		}
		t.Run(ev.Function+"/"+ev.Name, func(t *testing.T) {
			if ev.Type == "Schedule" {
				t.Errorf("Type Schedule (EventBridge rule): use ScheduleV2 (EventBridge Scheduler)")
			}
			if ev.Type == "ScheduleV2" {
				n++
				if str(get(ev.Props, "ScheduleExpression")) == "" && refTarget(get(ev.Props, "ScheduleExpression")) == "" {
					t.Errorf("ScheduleExpression missing")
				}
				if got := str(get(ev.Props, "OmitName")); got != "true" {
					t.Errorf("OmitName = %q, want true: a fixed schedule name collides between dev and prod stacks in one account", got)
				}
			}
			rp := get(ev.Props, "RetryPolicy")
			if rp == nil {
				t.Errorf("RetryPolicy missing")
			} else {
				if _, ok := intValue(get(rp, "MaximumRetryAttempts")); !ok {
					t.Errorf("RetryPolicy.MaximumRetryAttempts: want a number")
				}
				if _, ok := intValue(get(rp, "MaximumEventAgeInSeconds")); !ok {
					t.Errorf("RetryPolicy.MaximumEventAgeInSeconds: want a number")
				}
			}
			dlc := get(ev.Props, "DeadLetterConfig")
			arn := strings.TrimSuffix(getAttTarget(get(dlc, "Arn")), ".Arn")
			switch {
			case dlc == nil:
				t.Errorf("DeadLetterConfig missing")
			case arn != "":
				if typeOf(tpl.Resources[arn]) != "AWS::SQS::Queue" {
					t.Errorf("DeadLetterConfig.Arn = %q, want !GetAtt <SQS queue>.Arn", arn)
				}
			case str(get(dlc, "Type")) != "SQS":
				t.Errorf("DeadLetterConfig: want Arn of an SQS queue or Type: SQS")
			}
		})
	}
	if n == 0 {
		t.Errorf("no ScheduleV2 event: TouchpointsFunction should run daily")
	}
}

func TestSESFeedbackWiring(t *testing.T) {
	tpl := loadTemplate(t)
	sets := tpl.OfType("AWS::SES::ConfigurationSet")
	if len(sets) != 1 {
		t.Fatalf("AWS::SES::ConfigurationSet resources = %v, want exactly one", sets)
	}
	var found bool
	for _, id := range tpl.OfType("AWS::SES::ConfigurationSetEventDestination") {
		p := get(tpl.Resources[id], "Properties")
		if refTarget(get(p, "ConfigurationSetName")) != sets[0] {
			continue
		}
		if get(p, "EventDestination", "EventBridgeDestination", "EventBusArn") == nil {
			t.Errorf("%s: want an EventBridgeDestination", id)
			continue
		}
		types := get(p, "EventDestination", "MatchingEventTypes")
		for _, want := range []string{"bounce", "complaint"} {
			if !hasString(types, want) {
				t.Errorf("%s: MatchingEventTypes lacks %q", id, want)
			}
		}
		found = true
	}
	if !found {
		t.Errorf("configuration set %s has no EventBridge event destination", sets[0])
	}
	var rule bool
	for _, ev := range tpl.Events() {
		if ev.Function == "SesFeedbackFunction" && ev.Type == "EventBridgeRule" {
			rule = hasString(get(ev.Props, "Pattern", "source"), "aws.ses")
		}
	}
	if !rule {
		t.Errorf("SesFeedbackFunction: want an EventBridgeRule event matching source aws.ses")
	}
}
