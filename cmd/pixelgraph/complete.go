package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

func init() {
	register(&command{
		name:  "complete",
		args:  "-m MODEL -o FILE.png [--rows R -n N --samples K --first I --dataset mnist|fashion --data DIR --cond NAME=V | --class K --seed S --temperature T --method auto|cached|naive --scale K --threads T -q]",
		short: "keep the top rows of test images and sample the rest (original | occluded | completions); a class-conditional model on each image's own label",
		run:   runComplete,
	})
}

func runComplete(ctx context.Context, e *env, args []string) error {
	c := commands["complete"]
	fs := newFlagSet(c, e)
	var sf samplerFlags
	sf.register(fs)
	rows := fs.Int("rows", 14, "rows to keep at the top of each digit")
	n := fs.Int("n", 8, "test digits to complete")
	k := fs.Int("samples", 3, "completions per digit")
	first := fs.Int("first", 0, "index of the first test digit")
	var data dataFlags
	data.register(fs)
	var cf condFlags
	cf.register(fs, "condition every completion on class K (default: each test image's own label)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *n < 1 || *n > 1024:
		return usagef("-n must be in 1..1024, got %d", *n)
	case *k < 1 || *k > 64:
		return usagef("--samples must be in 1..64, got %d", *k)
	case *first < 0:
		return usagef("--first must be >= 0, got %d", *first)
	case *rows < 0:
		return usagef("--rows must be >= 0, got %d", *rows)
	}
	g, opts, err := sf.check(pos)
	if err != nil {
		return err
	}
	geo, err := sample.GeometryOf(g)
	if err != nil {
		return err
	}
	if *rows > geo.H {
		return usagef("--rows must be at most the image height %d, got %d", geo.H, *rows)
	}
	if geo.Q > 256 {
		return fmt.Errorf("model has q = %d levels; MNIST quantizes to at most 256", geo.Q)
	}
	conds, _, _, err := cf.fixed(g, false)
	if err != nil {
		return err
	}
	im, err := data.load(dataset.Test)
	if err != nil {
		return err
	}
	if im.H != geo.H || im.W != geo.W {
		return fmt.Errorf("model images are %dx%d, MNIST digits %dx%d", geo.H, geo.W, im.H, im.W)
	}
	if *first+*n > im.N {
		return usagef("--first %d -n %d: the test set has %d digits", *first, *n, im.N)
	}
	px := geo.H * geo.W
	originals := make([]int32, *n*px)
	for i := range originals {
		originals[i] = int32(dataset.Level(im.Pix[*first*px+i], geo.Q))
	}
	batch := make([]int32, 0, *n**k*px)
	for i := 0; i < *n; i++ {
		for j := 0; j < *k; j++ {
			batch = append(batch, originals[i*px:(i+1)*px]...)
		}
	}
	// A conditioning input left free takes each digit's own label.
	own := ""
	for _, v := range graph.CondInputs(g) {
		if slices.ContainsFunc(conds, func(c sample.Cond) bool { return c.Name == v.Name }) {
			continue
		}
		if own != "" {
			return missing(g, conds, own)
		}
		if err := checkClasses(g, im); err != nil {
			return err
		}
		own = v.Name
		vals := make([]int64, 0, *n**k)
		for i := 0; i < *n; i++ {
			vals = append(vals, slices.Repeat([]int64{int64(im.Labels[*first+i])}, *k)...)
		}
		conds = append(conds, sample.Cond{Name: own, Values: vals})
	}
	opts.Cond = conds
	opts.Method = announce(e, g, opts.Method)
	if err := e.checkSampler(g, geo, *n**k, opts.Method, fmt.Sprintf("-n %d --samples %d", *n, *k), "completing"); err != nil {
		return err
	}
	pr := newPixelProgress(e.stderr, "completing", sf.quiet)
	opts.Progress = pr.update
	note := condNote(conds, own, nil)
	if own != "" {
		note += fmt.Sprintf(", %s = each digit's own label", own)
	}
	fmt.Fprintf(e.stderr, "completing %d test digits from %d..%d, %d samples each, keeping %d of %d rows, q=%d, method %v, seed %d%s\n",
		*n, *first, *first+*n-1, *k, *rows, geo.H, geo.Q, opts.Method, opts.Seed, note)
	res, err := sample.Complete(ctx, g, batch, *rows, opts)
	pr.finish()
	if err != nil {
		return err
	}
	img, err := sample.CompletionGrid(originals, *rows, res, *k, sample.GridOptions{Scale: sf.scale})
	if err != nil {
		return err
	}
	if err := writeGrid(sf.out, img); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s: %d rows of original | occluded | %d completions in %v\n", sf.out, *n, *k, pr.elapsed())
	if note := nearNote(res); note != "" && !sf.quiet {
		fmt.Fprintln(e.stderr, note)
	}
	return nil
}
