// Package browsertest holds the browser tests' shared parts: the node
// scripts (browser.mjs and the scripts of each test, driven through
// playwright-core) and Chromium, the headless browser they run.
package browsertest

import (
	"os"
	"os/exec"
	"testing"
)

// Chromium returns the headless browser to test with: LOUPE_CHROMIUM, else
// chromium (or chromium-browser, google-chrome) on PATH. Without one the
// test is skipped, except when CI is "true": there it fails.
func Chromium(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("LOUPE_CHROMIUM"); bin != "" {
		return bin
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if bin, err := exec.LookPath(name); err == nil {
			return bin
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not on PATH (CI=true): install it or set LOUPE_CHROMIUM")
	}
	t.Skip("chromium is not on PATH; set LOUPE_CHROMIUM to run")
	return ""
}
