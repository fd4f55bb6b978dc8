package textin

import "testing"

func TestClassify(t *testing.T) {
	cases := []struct {
		body, intent, word string
	}{
		{"STOP", IntentStop, "STOP"},
		{"stop", IntentStop, "STOP"},
		{"  Stop please, no more", IntentStop, "STOP"},
		{"Stop.", IntentStop, "STOP"},
		{"STOP2", IntentStop, "STOP"},
		{"stopall", IntentStop, "STOPALL"},
		{"STOP ALL", IntentStop, "STOP"},
		{"Unsubscribe me", IntentStop, "UNSUBSCRIBE"},
		{"cancel", IntentStop, "CANCEL"},
		{"End", IntentStop, "END"},
		{"quit!", IntentStop, "QUIT"},
		{"Revoke", IntentStop, "REVOKE"},
		{"optout", IntentStop, "OPTOUT"},
		{"Opt-Out", IntentStop, "OPT-OUT"},
		{"opt out", IntentStop, "OPT OUT"},
		{"OPT   OUT thanks", IntentStop, "OPT OUT"},
		{"\nSTOP\n", IntentStop, "STOP"},
		{"STOPPING", IntentNone, ""},
		{"Stopped by the store today", IntentNone, ""},
		{"Endless love", IntentNone, ""},
		{"Quitting", IntentNone, ""},
		{"Cancelled my order?", IntentNone, ""},
		{"optional", IntentNone, ""},
		{"OPT OUTSIDE", IntentNone, ""},
		{"Please stop", IntentNone, ""},
		{"", IntentNone, ""},
		{"HELP", IntentHelp, "HELP"},
		{"help me", IntentHelp, "HELP"},
		{"Info?", IntentHelp, "INFO"},
		{"helpful", IntentNone, ""},
		{"START", IntentStart, "START"},
		{"unstop", IntentStart, "UNSTOP"},
		{"Started", IntentNone, ""},
		{"Thanks, see you Saturday", IntentNone, ""},
	}
	for _, tc := range cases {
		intent, word := Classify(tc.body)
		if intent != tc.intent || word != tc.word {
			t.Errorf("Classify(%q) = %q, %q; want %q, %q", tc.body, intent, word, tc.intent, tc.word)
		}
	}
}
