package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
	"github.com/pixelgraph/pixelgraph/train"
)

// TestReadmeFigures: the defaults and limits the README states are the
// code's. Each phrase is built from the constant it states, so changing
// either side alone fails here. (Measured figures are labelled with their
// command and date in the README instead; the conformance counts are
// checked in runtime, beside the table they come from.)
func TestReadmeFigures(t *testing.T) {
	t.Parallel()
	readme := testenv.DocText(t, "README.md")
	c, gd := graph.DefaultConfig(), graph.DefaultGatedConfig()
	for _, phrase := range []string{
		// the export row of the command table
		fmt.Sprintf("`--levels` (q, default %d)", c.Levels),
		fmt.Sprintf("`--filters` (2h, %d)", c.Filters),
		fmt.Sprintf("`--hidden` (h, %d)", c.Hidden),
		fmt.Sprintf("`--blocks` (%d)", c.Blocks),
		fmt.Sprintf("`--head` (width of the two output 1x1 convs, %d)", c.Head),
		fmt.Sprintf("`--height`/`--width` (%d)", c.Height),
		fmt.Sprintf("`--first-kernel` (%d, mask A)", c.FirstKernel),
		fmt.Sprintf("`--block-kernel` (%d, mask B)", c.BlockKernel),
		fmt.Sprintf("`--seed` (%d)", c.Seed),
		fmt.Sprintf("`--opset` (%d, %d..%d)", graph.DefaultOpset, minExportOpset, maxExportOpset),
		// the file format and the reader
		fmt.Sprintf("IR %d, opset %d (%d..%d with `--opset`)", export.IRVersion, graph.DefaultOpset, minExportOpset, maxExportOpset),
		fmt.Sprintf("reads IR versions %d..%d and opsets %d..%d", export.MinIRVersion, export.MaxIRVersion, graph.MinOpset, graph.MaxOpset),
		// training's defaults
		fmt.Sprintf("(Adam, lr %s × %g/step, global-norm clipping at %.1f)", sci(train.DefaultLR), train.DefaultDecay, train.DefaultClipNorm),
		// sampling's boundary note
		fmt.Sprintf("within %s of a level boundary", sci(sample.BoundaryEps)),
		// the library example and the model diagram
		fmt.Sprintf("the seed: q=%d, 2h=%d, h=%d, %d blocks", c.Levels, c.Filters, c.Hidden, c.Blocks),
		fmt.Sprintf("in %dx%d conv, mask A, 1 -> 2h", c.FirstKernel, c.FirstKernel),
		fmt.Sprintf("resNN x%d x + c(relu(b(relu(a(relu(x))))))", c.Blocks),
		fmt.Sprintf("b: %dx%d mask B h->h", c.BlockKernel, c.BlockKernel),
		fmt.Sprintf("out1 1x1 2h->%d -> relu -> out2 1x1 %d->%d -> logits 1x1 %d->q", c.Head, c.Head, c.Head, c.Head),
		// the Gated PixelCNN's defaults
		fmt.Sprintf("`--filters` (c, the channels of each stack, %d), `--layers` (%d)", gd.Filters, gd.Layers),
		fmt.Sprintf("`--head` (%d), `--first-kernel` (%d) and `--block-kernel` (%d)", gd.Head, gd.FirstKernel, gd.BlockKernel),
		fmt.Sprintf("are %d layers of c = %d channels", gd.Layers, gd.Filters),
		fmt.Sprintf("gNN x%d v = vertical kxk conv", gd.Layers),
		fmt.Sprintf("k is %d in layer 0 and %d after", gd.FirstKernel, gd.BlockKernel),
		fmt.Sprintf("head relu -> out 1x1 c->%d -> relu -> logits 1x1 %d->q", gd.Head, gd.Head),
	} {
		if !strings.Contains(readme, phrase) {
			t.Errorf("README does not say %q (what the code does): update one or the other", phrase)
		}
	}
}

// sci writes a small figure as the README does: 1e-3, 1e-5.
func sci(x float64) string {
	m, e, _ := strings.Cut(strconv.FormatFloat(x, 'e', -1, 64), "e")
	sign, digits := e[:1], strings.TrimLeft(e[1:], "0")
	if sign == "+" {
		sign = ""
	}
	return m + "e" + sign + digits
}
