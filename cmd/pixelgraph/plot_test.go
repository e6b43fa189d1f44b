package main

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestPlotLoss draws a typical curve (a steep start, then a slow decline)
// and a short one; both must be valid PNGs. PIXELGRAPH_KEEP_PLOT=DIR keeps
// them for a look.
func TestPlotLoss(t *testing.T) {
	dir := t.TempDir()
	if d := os.Getenv("PIXELGRAPH_KEEP_PLOT"); d != "" {
		dir = d
	}
	long := make([]float64, 3000)
	for i := range long {
		long[i] = 0.22 + 1.8*math.Exp(-float64(i)/40) + 0.04*math.Exp(-float64(i)/2000) + 0.01*math.Sin(float64(i)*1.7)
	}
	for name, bits := range map[string][]float64{"long.png": long, "short.png": long[:30]} {
		b, err := renderLoss(bits, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err = png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	if _, err := renderLoss(nil, 0); err == nil {
		t.Error("no steps: no error")
	}
}
