package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/pixelgraph/pixelgraph/graph"
)

// Sizes a user types (flags) or a file declares (shapes) are checked
// against the memory this process may use BEFORE anything big is
// allocated: a refusal is one line naming the flag or tensor and the size,
// never Go's "fatal error: runtime: out of memory" and its stack trace.
// The estimates (activations.go) count only buffers that must exist at once,
// so they err on the low side: a refusal means the work cannot fit, and
// work that passes may still need more (workspaces, the Go heap's slack).

// availableMemory returns the bytes the process may still allocate and where
// that figure comes from: MemAvailable of /proc/meminfo, lowered to the Go
// memory limit (GOMEMLIMIT) when that is set and smaller. 0 means unknown
// (no /proc/meminfo and no limit): then only sizes that overflow are refused.
func availableMemory() (int64, string) {
	avail, src := int64(0), ""
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				if err == nil {
					avail, src = kb<<10, "MemAvailable in /proc/meminfo"
				}
			}
		}
		f.Close()
	}
	if lim := debug.SetMemoryLimit(-1); lim < math.MaxInt64 && (avail == 0 || lim < avail) {
		avail, src = lim, "the Go memory limit (GOMEMLIMIT)"
	}
	return avail, src
}

// memory returns the budget: e.mem in tests, else availableMemory.
func (e *env) memory() (int64, string) {
	if e.mem != nil {
		return e.mem()
	}
	return availableMemory()
}

// tooBig is the error for work that needs more memory than available.
type tooBig struct {
	what         string // the flag or tensor and its size: "--filters 99999999"
	job          string // "building and writing the model"
	need, budget float64
	source       string
}

func (t *tooBig) Error() string {
	return fmt.Sprintf("%s: %s needs at least %s, more than the %s available (%s)",
		t.what, t.job, byteSize(t.need), byteSize(t.budget), t.source)
}

// fits returns nil when need bytes fit in the budget, else a *tooBig.
// Sizes past 2^62 bytes are refused whatever the budget (they overflow the
// lengths Go can allocate).
func (e *env) fits(need float64, what, job string) error {
	budget, src := e.memory()
	switch {
	case need >= 1<<62:
		return &tooBig{what, job, need, 1 << 62, "the largest size this program handles"}
	case budget > 0 && need > float64(budget):
		return &tooBig{what, job, need, float64(budget), src}
	}
	return nil
}

// byteSize formats a byte count with a binary unit: "23.4 GiB".
func byteSize(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", b)
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// setFlags formats the flags among names that the command line set, with
// their values ("--height 100000 --width 100000"); dflt when none was.
func setFlags(fs *flag.FlagSet, dflt string, names ...string) string {
	var parts []string
	for _, n := range flagsSet(fs, names...) {
		parts = append(parts, "--"+n+" "+fs.Lookup(n).Value.String())
	}
	if len(parts) == 0 {
		return dflt
	}
	return strings.Join(parts, " ")
}

// modelSizeFlags are the flags that size a PixelCNN.
var modelSizeFlags = []string{"arch", "levels", "filters", "hidden", "blocks", "layers", "classes", "head", "height", "width", "first-kernel", "block-kernel"}

// checkParams refuses a model whose parameters would not fit copies times
// (float32 each): a usage error naming the size flags given.
func (e *env) checkParams(fs *flag.FlagSet, cfg graph.Config, copies float64, job string) error {
	p := configParams(cfg)
	what := fmt.Sprintf("%s (%.3g parameters)", setFlags(fs, "the model flags", modelSizeFlags...), p)
	if err := e.fits(p*4*copies, what, job); err != nil {
		return &usageError{err.Error()}
	}
	return nil
}

// checkForward refuses a forward pass of n images of g, each also needing
// extra bytes of the command's own, that would not fit; job(k) describes
// the work for k images. When one image would fit, the error is a usage
// error naming nFlag ("-n 4096"); otherwise it names the graph's input and
// its shape (the file is too big to run here at all).
func (e *env) checkForward(g *graph.Graph, shapes map[string][]int, n int, extra float64, nFlag string, job func(k int) string) error {
	peak, _ := activations(g, shapes)
	per := peak*4 + extra
	err := e.fits(float64(n)*per, nFlag, job(n))
	if err == nil {
		return nil
	}
	if n > 1 && e.fits(per, nFlag, job(1)) == nil {
		return &usageError{err.Error()}
	}
	what := "the model"
	if len(g.Inputs) > 0 {
		in := g.Inputs[0]
		shape, names := in.Shape, in.DimNames
		if shapes[in.Name] != nil {
			shape, names = shapes[in.Name], nil
		}
		what = fmt.Sprintf("input %s %s%s", in.Name, in.DType, graph.ShapeString(shape, names))
	}
	return e.fits(per, what, job(1)) // fails: one image does not fit
}

// images formats an image count: "1 image", "16 images".
func images(k int) string {
	if k == 1 {
		return "1 image"
	}
	return fmt.Sprintf("%d images", k)
}

// checkBenchBatch refuses a bench --batch whose forward pass (and, when the
// training bench runs, training step) cannot fit.
func (e *env) checkBenchBatch(fs *flag.FlagSet, g *graph.Graph, batch int, training bool) error {
	if training {
		if err := e.checkTrainActivations(fs, g, batch); err != nil {
			return err
		}
	}
	job := func(k int) string { return "a forward pass of " + images(k) }
	return e.checkForward(g, nil, batch, 0, fmt.Sprintf("--batch %d", batch), job)
}
