package templatetest

import (
	"path/filepath"
	"reflect"
	"testing"
)

func TestScanEnvReads(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("testdata", "envscan"))
	if err != nil {
		t.Fatal(err)
	}
	reads := scanEnvReads(t, root, "example.com/envscan", filepath.Join(root, "functions", "demo"))
	var got []string
	for _, r := range reads {
		got = append(got, r.name+"@"+r.pos)
	}
	want := []string{
		"TABLE_NAME@functions/demo/main.go:10",
		"SENDER_MAX_RATE@shared/settings/settings.go:8",
		"AWS_REGION@shared/settings/settings.go:9",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scanEnvReads = %q, want %q", got, want)
	}
	if !notFromTemplate("AWS_REGION") || notFromTemplate("SENDER_MAX_RATE") {
		t.Errorf("notFromTemplate: AWS_REGION is the runtime's, SENDER_MAX_RATE is the template's")
	}
}
