package sample_test

import (
	"context"
	"fmt"
	"log"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

// Sample four images with the cached sampler, then check that the naive
// reference draws the same ones from the same seed.
func ExampleSample() {
	cfg := graph.DefaultConfig()
	cfg.Height, cfg.Width, cfg.Filters, cfg.Hidden, cfg.Blocks, cfg.Head = 8, 8, 16, 8, 2, 16
	g, err := graph.PixelCNN(cfg)
	if err != nil {
		log.Fatal(err)
	}
	fast, err := sample.Sample(context.Background(), g, sample.Options{N: 4, Seed: 7})
	if err != nil {
		log.Fatal(err)
	}
	ref, err := sample.Sample(context.Background(), g, sample.Options{N: 4, Seed: 7, Method: sample.Naive})
	if err != nil {
		log.Fatal(err)
	}
	same := true
	for i := range fast.Levels {
		same = same && fast.Levels[i] == ref.Levels[i]
	}
	fmt.Println(fast.Method, ref.Method, len(fast.Levels), "levels, identical:", same)
	// Output: cached naive 256 levels, identical: true
}

// Audit a model whose first layer sees its own pixel.
func ExampleAudit() {
	cfg := graph.DefaultConfig()
	cfg.Height, cfg.Width, cfg.Filters, cfg.Hidden, cfg.Blocks, cfg.Head = 8, 8, 16, 8, 1, 16
	g, err := graph.PixelCNN(cfg)
	if err != nil {
		log.Fatal(err)
	}
	w := g.Init("in/W")
	w.Mask = graph.MaskNone
	w.Const.F32[3*7+3] = 0.5 // centre tap of output channel 0
	r, err := sample.Audit(context.Background(), g, sample.AuditOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Causal)
	fmt.Println(r.Structural)
	// Output:
	// false
	// node in (Conv) tap (3,3) reads pixels at offset (+0,+0): the output pixel sees its own input pixel (the first layer needs mask A)
}
