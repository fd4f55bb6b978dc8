package templatetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// wantFunctions is every function Loupe deploys, logical id -> folder.
var wantFunctions = map[string]string{
	"PosWebhookFunction":   "pos-webhook",
	"DashboardApiFunction": "dashboard-api",
	"StaffStreamFunction":  "staff-stream",
	"RepairStreamFunction": "repair-stream",
	"TouchpointsFunction":  "touchpoints",
	"SenderFunction":       "sender",
	"SesFeedbackFunction":  "ses-feedback",
	"SmsInboundFunction":   "sms-inbound",
	"SmsEventsFunction":    "sms-events",
}

func TestTemplateDeclaresEveryFunction(t *testing.T) {
	tpl := loadTemplate(t)
	got := map[string]bool{}
	for _, id := range tpl.Functions() {
		got[id] = true
		if _, ok := wantFunctions[id]; !ok {
			t.Errorf("template declares %s, which is not one of Loupe's functions (update wantFunctions)", id)
		}
		if dir := conventionalDir(id); dir != wantFunctions[id] && wantFunctions[id] != "" {
			t.Errorf("%s: conventional folder %q, want %q", id, dir, wantFunctions[id])
		}
	}
	for id := range wantFunctions {
		if !got[id] {
			t.Errorf("template does not declare %s", id)
		}
	}
}

func TestFunctionBuildSettings(t *testing.T) {
	tpl := loadTemplate(t)
	for _, id := range tpl.Functions() {
		t.Run(id, func(t *testing.T) {
			res := tpl.Resources[id]
			checks := []struct{ what, got, want string }{
				{"Metadata.BuildMethod", str(get(res, "Metadata", "BuildMethod")), "makefile"},
				{"CodeUri", str(tpl.Prop(id, "CodeUri")), "."},
				{"Runtime", str(tpl.Prop(id, "Runtime")), "provided.al2023"},
				{"Handler", str(tpl.Prop(id, "Handler")), "bootstrap"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
				}
			}
			arch := tpl.Prop(id, "Architectures")
			if arch == nil || len(arch.Content) != 1 || str(arch.Content[0]) != "arm64" {
				t.Errorf("Architectures: want [arm64]")
			}
			if v, ok := intValue(tpl.Prop(id, "Timeout")); !ok || v < 1 || v > 900 {
				t.Errorf("Timeout = %v, want 1..900 seconds", v)
			}
		})
	}
}

// TestFunctionCodeAndBuildTargets checks, for each function whose folder
// exists, that the Makefile maps it and that `make build-<LogicalId>` builds
// that folder into $(ARTIFACTS_DIR)/bootstrap. Missing folders are listed by
// TestAllFunctionFoldersExist.
func TestFunctionCodeAndBuildTargets(t *testing.T) {
	tpl := loadTemplate(t)
	root := repoRoot(t)
	mk := makefileFunctions(t)
	for _, id := range tpl.Functions() {
		dir := functionDir(id, mk)
		if !fileExists(filepath.Join(root, "functions", dir, "main.go")) {
			t.Logf("%s: functions/%s/main.go does not exist yet; not checked (see TestAllFunctionFoldersExist)", id, dir)
			continue
		}
		t.Run(id, func(t *testing.T) {
			if got, ok := mk[id]; !ok {
				t.Errorf("Makefile FUNCTIONS lacks %s:%s", id, dir)
			} else if got != dir {
				t.Errorf("Makefile FUNCTIONS maps %s to %q, want %q", id, got, dir)
			}
			checkBuildTarget(t, root, id, dir)
		})
	}
}

// checkBuildTarget dry-runs `make build-<id>` and checks the command builds
// ./functions/<dir> into $(ARTIFACTS_DIR)/bootstrap.
func checkBuildTarget(t *testing.T, root, id, dir string) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skipf("make not installed: cannot dry-run build-%s", id)
	}
	artifacts := t.TempDir()
	cmd := exec.Command("make", "-s", "-n", "build-"+id, "ARTIFACTS_DIR="+artifacts)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("make -n build-%s: %v\n%s", id, err, out)
		return
	}
	for _, want := range []string{"./functions/" + dir, filepath.Join(artifacts, "bootstrap")} {
		if !strings.Contains(string(out), want) {
			t.Errorf("make -n build-%s prints %q, want it to mention %q", id, strings.TrimSpace(string(out)), want)
		}
	}
}

// TestEveryFolderAndMakefileEntryIsDeployed is the reverse direction: no
// function folder and no Makefile entry without a template function.
func TestEveryFolderAndMakefileEntryIsDeployed(t *testing.T) {
	tpl := loadTemplate(t)
	root := repoRoot(t)
	mk := makefileFunctions(t)
	declared := map[string]bool{}
	dirs := map[string]string{} // folder -> logical id
	for _, id := range tpl.Functions() {
		declared[id] = true
		dirs[functionDir(id, mk)] = id
	}
	for id, dir := range mk {
		if !declared[id] {
			t.Errorf("Makefile FUNCTIONS lists %s:%s, which template.yaml does not declare", id, dir)
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("read functions/: %v", err)
	}
	for _, e := range entries {
		if !e.IsDir() || !fileExists(filepath.Join(root, "functions", e.Name(), "main.go")) {
			continue
		}
		if _, ok := dirs[e.Name()]; !ok {
			t.Errorf("functions/%s has a main.go but no AWS::Serverless::Function in template.yaml maps to it", e.Name())
		}
	}
}

// TestAllFunctionFoldersExist lists every function without code or without
// a Makefile entry. Every function has its folder now, so it always runs
// (LOUPE_TEMPLATE_STRICT is no longer needed).
func TestAllFunctionFoldersExist(t *testing.T) {
	tpl := loadTemplate(t)
	root := repoRoot(t)
	mk := makefileFunctions(t)
	var missing []string
	for _, id := range tpl.Functions() {
		dir := functionDir(id, mk)
		if !fileExists(filepath.Join(root, "functions", dir, "main.go")) {
			missing = append(missing, "functions/"+dir+"/main.go (for "+id+")")
		}
		if _, ok := mk[id]; !ok {
			missing = append(missing, "Makefile FUNCTIONS entry "+id+":"+dir)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("missing:\n  %s", strings.Join(missing, "\n  "))
	}
}
