package main

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/atomicfile"
	"github.com/pixelgraph/pixelgraph/runtime"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

func init() {
	register(&command{
		name:  "agreement",
		args:  "-m MODEL [--classifier FILE] [-n N] [--seed S --temperature T --method auto|cached|naive] [-o grid.png --scale K] [--threads T] [--json -q]",
		short: "class agreement of a class-conditional model: sample N images per class and count those a digit classifier assigns to the class asked for",
		run:   runAgreement,
	})
}

// embeddedClassifier is the default digit classifier, trained by
// classifier/make_classifier.py (MNIST at q = 4; classifier/README.md) and
// built into the binary, so agreement works from any folder.
//
//go:embed classifier/mnist_q4.onnx
var embeddedClassifier []byte

// agreementResult is the command's JSON line.
type agreementResult struct {
	Agreement float64 `json:"agreement"` // share of samples classified as their class
	Images    int     `json:"images"`
	PerClass  []int   `json:"per_class"` // samples of each class classified as it, of N
	N         int     `json:"n"`         // samples per class
	Seed      uint64  `json:"seed"`
	Temp      float64 `json:"temperature"`
	// Confusion[k][j] counts the samples of class k classified as j.
	Confusion [][]int `json:"confusion"`
}

func runAgreement(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(commands["agreement"], e)
	model := fs.String("m", "", "class-conditional model: an ONNX file with one conditioning input (required)")
	clf := fs.String("classifier", "", "digit classifier: ONNX, input (N,1,H,W) level/(q-1), output (N,classes) logits (default: the built-in MNIST q = 4 classifier, classifier/README.md)")
	n := fs.Int("n", 10, "samples per class")
	seed := fs.Uint64("seed", 1, "seed of the uniforms (see sample)")
	temp := fs.Float64("temperature", 1, "softmax temperature, > 0")
	method := fs.String("method", "auto", "auto, cached or naive (see sample)")
	out := fs.String("o", "", "also write the samples as a PNG grid, one row per class")
	scale := fs.Int("scale", 2, "draw each pixel as KxK in the PNG")
	asJSON := fs.Bool("json", false, `print one JSON line {"agreement":…,"images":…,"per_class":[…],…}`)
	quiet := fs.Bool("q", false, "no progress on stderr")
	var threads threadsFlag
	threads.register(fs, "sampling and classifying")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("unexpected argument %q", pos[0])
	case *model == "":
		return usagef("-m MODEL is required")
	case *n < 1 || *n > 1000:
		return usagef("-n must be in 1..1000, got %d", *n)
	case !(*temp > 0):
		return usagef("--temperature must be > 0, got %g", *temp)
	case *scale < 1 || *scale > 64:
		return usagef("--scale must be in 1..64, got %d", *scale)
	}
	m, err := sample.ParseMethod(*method)
	if err != nil {
		return usagef("--method: %v", err)
	}
	if err := threads.check(); err != nil {
		return err
	}
	g, err := export.DecodeFile(*model, nil)
	if err != nil {
		return err
	}
	k := graph.Classes(g)
	if k == 0 {
		return usagef("-m %s: not a class-conditional model (it needs one conditioning input, e.g. export --arch gated --classes 10)", *model)
	}
	c, err := loadClassifier(*clf)
	if err != nil {
		return fmt.Errorf("--classifier: %w", err)
	}
	geo, err := sample.GeometryOf(g)
	if err != nil {
		return err
	}
	if err := checkClassifier(c, geo, k); err != nil {
		return fmt.Errorf("--classifier %s: %w", clfName(*clf), err)
	}
	if *out != "" {
		if err := atomicfile.CheckWritable(*out); err != nil {
			return err
		}
	}
	labels := make([]int64, 0, k**n)
	for class := range k {
		labels = append(labels, slices.Repeat([]int64{int64(class)}, *n)...)
	}
	opts := sample.Options{N: k * *n, Seed: *seed, Temperature: *temp, Method: announce(e, g, m), Threads: int(threads),
		Cond: []sample.Cond{{Name: graph.CondInputs(g)[0].Name, Values: labels}}}
	if err := e.checkSampler(g, geo, opts.N, opts.Method, fmt.Sprintf("-n %d", *n), "sampling"); err != nil {
		return err
	}
	pr := newPixelProgress(e.stderr, "sampling", *quiet || *asJSON)
	opts.Progress = pr.update
	res, err := sample.Sample(ctx, g, opts)
	pr.finish()
	if err != nil {
		return err
	}
	got, err := classify(ctx, c, res, int(threads))
	if err != nil {
		return fmt.Errorf("--classifier %s: %w", clfName(*clf), err)
	}
	r := agreementResult{Images: res.N, N: *n, Seed: *seed, Temp: *temp, PerClass: make([]int, k), Confusion: make([][]int, k)}
	for class := range k {
		r.Confusion[class] = make([]int, classifierClasses(c))
	}
	hits := 0
	for i, j := range got {
		class := int(labels[i])
		r.Confusion[class][j]++
		if j == class {
			r.PerClass[class]++
			hits++
		}
	}
	r.Agreement = float64(hits) / float64(res.N)
	if *out != "" {
		if err := writeGrid(*out, sample.SampleGrid(res, sample.GridOptions{Cols: *n, Scale: *scale})); err != nil {
			return err
		}
	}
	if *asJSON {
		return printJSON(e.stdout, r)
	}
	fmt.Fprintf(e.stdout, "%s: %d of %d samples (%.1f%%) are the class asked for (%d per class, seed %d, temperature %g)\n",
		*model, hits, res.N, 100*r.Agreement, *n, *seed, *temp)
	var parts []string
	for class, h := range r.PerClass {
		parts = append(parts, fmt.Sprintf("%d: %d/%d", class, h, *n))
	}
	fmt.Fprintf(e.stdout, "per class: %s\n", strings.Join(parts, ", "))
	return nil
}

// checkClassifier checks that c takes the model's images and gives at
// least k classes.
func checkClassifier(c *graph.Graph, geo sample.Geometry, k int) error {
	in, err := graph.ImageInput(c)
	if err != nil {
		return err
	}
	if len(in.Shape) != 4 || in.Shape[1] != 1 || in.Shape[2] != geo.H || in.Shape[3] != geo.W {
		return fmt.Errorf("input %s is %s; the model's images are 1x%dx%d", in.Name, in.TypeString(), geo.H, geo.W)
	}
	if kc := classifierClasses(c); kc < k {
		return fmt.Errorf("output %s gives %d classes; the model has %d", c.Outputs[0].Name, kc, k)
	}
	return nil
}

// classifierClasses is the width of a classifier's (N, classes) output.
func classifierClasses(c *graph.Graph) int {
	if s := c.Outputs[0].Shape; len(s) == 2 {
		return s[1]
	}
	return 0
}

// classify returns the classifier's class (argmax) of every sampled image,
// fed as level/(q−1).
func classify(ctx context.Context, c *graph.Graph, res *sample.Result, threads int) ([]int, error) {
	in, err := graph.ImageInput(c)
	if err != nil {
		return nil, err
	}
	x := graph.NewFloat32([]int{res.N, 1, res.H, res.W}, nil)
	for i, l := range res.Levels {
		x.F32[i] = float32(l) / float32(res.Q-1)
	}
	p, err := runtime.CompileWith(c, runtime.Options{Threads: threads})
	if err != nil {
		return nil, err
	}
	outs, err := p.Run(ctx, map[string]*graph.Tensor{in.Name: x})
	if err != nil {
		return nil, err
	}
	y := outs[c.Outputs[0].Name]
	if y == nil || y.DType != graph.Float32 || len(y.Shape) != 2 || y.Shape[0] != res.N {
		return nil, fmt.Errorf("output is not float32 (%d, classes)", res.N)
	}
	kc := y.Shape[1]
	got := make([]int, res.N)
	for i := range got {
		row := y.F32[i*kc : (i+1)*kc]
		for j, v := range row {
			if v > row[got[i]] {
				got[i] = j
			}
		}
	}
	return got, nil
}

// loadClassifier decodes the classifier at path, or the built-in one when
// path is "".
func loadClassifier(path string) (*graph.Graph, error) {
	if path == "" {
		return export.Decode(bytes.NewReader(embeddedClassifier), nil)
	}
	return export.DecodeFile(path, nil)
}

func clfName(path string) string {
	if path == "" {
		return "(built in)"
	}
	return path
}
