package testenv

import (
	"os"
	"os/exec"
	"testing"

	"github.com/pixelgraph/pixelgraph/internal/deps"
)

// EnvChromium overrides the headless browser the browser tests drive.
const EnvChromium = "PIXELGRAPH_CHROMIUM"

// ChromiumNames are the Debian browsers tried, in order, on PATH.
var ChromiumNames = []string{"chromium-headless-shell", "chromium"}

// ChromiumFlags are the command-line switches that work on this project's
// machines (root, no GPU, no network): with a fresh --user-data-dir each run.
var ChromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync"}

// Chromium returns the path of a headless Chromium ($PIXELGRAPH_CHROMIUM,
// else the first of ChromiumNames on PATH), or ends the test through
// Unavailable.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvChromium); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			Unavailable(t, "headless Chromium", EnvChromium+"="+p+": "+err.Error(), installHint)
		}
		return p
	}
	for _, n := range ChromiumNames {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	Unavailable(t, "headless Chromium", "none of chromium-headless-shell, chromium on PATH", installHint+" (Debian package chromium-headless-shell)")
	return ""
}

// ORTWeb returns onnxruntime-web's dist folder (see deps.ORTWebDir), or
// ends the test through Unavailable.
func ORTWeb(t testing.TB) string {
	t.Helper()
	d, err := deps.ORTWebDir()
	if err != nil {
		Unavailable(t, "onnxruntime-web "+deps.ORTWebVersion, err.Error(), installHint)
	}
	return d
}
