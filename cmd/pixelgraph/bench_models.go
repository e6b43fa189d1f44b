package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pixelgraph/pixelgraph/graph"
)

// benchModel is a model --config names, and its PyTorch twin: the network
// testdata/pytorch_bench.py builds under TWINS[twin] from the JSON that
// build returns, with the same parameters under the same names (the train
// bench checks that on every run: parameter count, one forward pass on our
// weights). A new model is one entry in benchModels and one twin in the
// script.
type benchModel struct {
	name, help string // --config's value, and what it is for its usage
	// build returns the graph at q levels and the config its twin is built from.
	build func(levels int) (g *graph.Graph, twinConfig any, err error)
	twin  string
	// goals replace issue 14's goals (benchGoals) for this model's ratios.
	goals map[[2]string]benchGoal
}

// benchModels are the models --config names, the default first.
var benchModels = []benchModel{
	pixelCNNBench("seed", "graph.DefaultConfig", graph.DefaultConfig),
	// The small model: pixelgraph train --filters 32 --hidden 16 --blocks 3.
	pixelCNNBench("small", "filters 32, hidden 16, blocks 3", func() graph.Config {
		c := graph.DefaultConfig()
		c.Filters, c.Hidden, c.Blocks = 32, 16, 3
		return c
	}),
	// A model for tests of the command itself: seconds for everything.
	pixelCNNBench("tiny", "filters 8, hidden 4, blocks 1, head 8, 8x8; for tests", func() graph.Config {
		c := graph.DefaultConfig()
		c.Filters, c.Hidden, c.Blocks, c.Head, c.Height, c.Width = 8, 4, 1, 8, 8, 8
		return c
	}),
	// The Gated PixelCNN export --arch gated writes, unconditional: the
	// class conditioning adds two table rows per layer to the gates, which
	// the bench leaves out so every engine takes one image input.
	gatedBench("gated", "graph.DefaultGatedConfig: 12 gated layers of 48 channels", graph.DefaultGatedConfig),
	gatedBench("gated-tiny", "gated, filters 4, layers 2, head 8, 8x8; for tests", func() graph.Config {
		c := graph.DefaultGatedConfig()
		c.Filters, c.Layers, c.Head, c.Height, c.Width = 4, 2, 8, 8, 8
		return c
	}),
}

// gatedBench is a graph.GatedPixelCNN of the given config; its twin is
// "gated".
func gatedBench(name, help string, mk func() graph.Config) benchModel {
	return benchModel{name: name, help: help, twin: "gated", goals: gatedGoals, build: func(levels int) (*graph.Graph, any, error) {
		c := mk()
		c.Levels = levels
		g, err := graph.GatedPixelCNN(c)
		return g, c, err
	}}
}

// pixelCNNBench is a graph.PixelCNN of the given config; its twin is
// "pixelcnn", built from the same graph.Config.
func pixelCNNBench(name, help string, mk func() graph.Config) benchModel {
	return benchModel{name: name, help: help, twin: "pixelcnn", build: func(levels int) (*graph.Graph, any, error) {
		c := mk()
		c.Levels = levels
		g, err := graph.PixelCNN(c)
		return g, c, err
	}}
}

// findBenchModel returns the model --config names.
func findBenchModel(name string) (benchModel, bool) {
	i := slices.IndexFunc(benchModels, func(m benchModel) bool { return m.name == name })
	if i < 0 {
		return benchModel{}, false
	}
	return benchModels[i], true
}

// describe names the sizes of a built model for the table's title.
func (m benchModel) describe(g *graph.Graph) string {
	if c := g.Config; c != nil && c.Gated() {
		return fmt.Sprintf("gated: filters %d, layers %d, head %d, %dx%d", c.Filters, c.Layers, c.Head, c.Height, c.Width)
	} else if c != nil {
		return fmt.Sprintf("filters %d, hidden %d, blocks %d, head %d, %dx%d", c.Filters, c.Hidden, c.Blocks, c.Head, c.Height, c.Width)
	}
	return fmt.Sprintf("%d nodes", len(g.Nodes))
}

// benchModelNames lists --config's values: "seed, small or tiny".
func benchModelNames() string {
	var names []string
	for _, m := range benchModels {
		names = append(names, m.name)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// benchModelHelp is --config's usage: each name and what it is.
func benchModelHelp() string {
	var parts []string
	for _, m := range benchModels {
		parts = append(parts, m.name+" ("+m.help+")")
	}
	return strings.Join(parts, ", ")
}

// joinInts formats a list of sizes: "16,64".
func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
