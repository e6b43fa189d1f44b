package serve

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

// TestREADMEBounds: the bounds README and docs/SERVING.md state are the
// ones the server enforces.
func TestREADMEBounds(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	serving, err := os.ReadFile("../docs/SERVING.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ doc, claim string }{
		{string(readme), fmt.Sprintf("n in 1..%d (`--max-n`)", DefaultMaxN)},
		{string(readme), fmt.Sprintf("temperature in (0, %d]", MaxTemperature)},
		{string(readme), fmt.Sprintf("a %d MiB body", DefaultMaxBody>>20)},
		{string(readme), fmt.Sprintf("pixels per level, 1..%d", MaxScale)},
		{string(readme), fmt.Sprintf("(n ≤ %d)", MaxDigits)},
		{string(serving), fmt.Sprintf("(largest batch per request, %d)", DefaultMaxN)},
		{string(serving), fmt.Sprintf("`--queue` (jobs that may wait, %d)", DefaultQueue)},
		{string(serving), fmt.Sprintf("included, %d s)", int(DefaultTimeout.Seconds()))},
		{string(serving), fmt.Sprintf("within %s of a CDF boundary", strings.Replace(fmt.Sprintf("%.0e", sample.BoundaryEps), "e-0", "e-", 1))},
	} {
		if !strings.Contains(c.doc, c.claim) {
			t.Errorf("docs do not say %q", c.claim)
		}
	}
}
