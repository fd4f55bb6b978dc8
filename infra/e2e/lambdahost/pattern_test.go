package lambdahost

import "testing"

func TestPatternMatch(t *testing.T) {
	const staff = `{"dynamodb":{"Keys":{"PK":{"S":[{"prefix":"ASSOC#"}]}}}}`
	const repairs = `{"eventName":["INSERT"],"dynamodb":{"Keys":{"PK":{"S":[{"prefix":"REPAIR#"}]}}}}`
	const ses = `{"source":["aws.ses"],"detail-type":["Email Bounced","Email Complaint Received"],"detail":{"mail":{"tags":{"ses:configuration-set":["cs"]}}}}`
	rec := func(name, pk string) string {
		return `{"eventName":"` + name + `","dynamodb":{"Keys":{"PK":{"S":"` + pk + `"},"SK":{"S":"X"}}}}`
	}
	tests := []struct {
		name, pattern, event string
		want                 bool
	}{
		{"prefix matches", staff, rec("MODIFY", "ASSOC#a1"), true},
		{"prefix misses", staff, rec("MODIFY", "CUST#c1"), false},
		{"event name and prefix", repairs, rec("INSERT", "REPAIR#r1"), true},
		{"event name misses", repairs, rec("MODIFY", "REPAIR#r1"), false},
		{"array value: any element", ses, `{"source":"aws.ses","detail-type":"Email Bounced","detail":{"mail":{"tags":{"ses:configuration-set":["cs"]}}}}`, true},
		{"array value: other set", ses, `{"source":"aws.ses","detail-type":"Email Bounced","detail":{"mail":{"tags":{"ses:configuration-set":["other"]}}}}`, false},
		{"missing field", ses, `{"source":"aws.ses","detail-type":"Email Bounced"}`, false},
		{"exists true", `{"a":[{"exists":true}]}`, `{"a":1}`, true},
		{"exists false", `{"a":[{"exists":false}]}`, `{"b":1}`, true},
		{"exists false but present", `{"a":[{"exists":false}]}`, `{"a":"x"}`, false},
		{"anything-but list", `{"a":[{"anything-but":["x","y"]}]}`, `{"a":"z"}`, true},
		{"anything-but hit", `{"a":[{"anything-but":"x"}]}`, `{"a":"x"}`, false},
		{"anything-but prefix", `{"a":[{"anything-but":{"prefix":"CUST#"}}]}`, `{"a":"ASSOC#1"}`, true},
		{"number", `{"n":[3]}`, `{"n":3}`, true},
		{"suffix", `{"a":[{"suffix":".csv"}]}`, `{"a":"x.csv"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePattern(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Match([]byte(tt.event)); got != tt.want {
				t.Errorf("Match: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParsePatternRejects(t *testing.T) {
	for name, p := range map[string]string{
		"not json":         `{`,
		"unknown operator": `{"a":[{"numeric":[">",1]}]}`,
		"scalar value":     `{"a":"x"}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParsePattern(p); err == nil {
				t.Errorf("ParsePattern(%s): got nil error, want one", p)
			}
		})
	}
}
