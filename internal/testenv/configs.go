package testenv

import "github.com/pixelgraph/pixelgraph/graph"

// The shared small models of the tests, smallest first. Each is the seed
// PixelCNN (graph.DefaultConfig: q = 4, mask A 7x7, mask B 3x3, seed 1) with
// fewer, narrower layers; a test that needs another size or seed changes the
// fields it needs on a copy.

// TinyConfig is an 8x8 PixelCNN of 2 blocks, 8 filters, 4 hidden and a head
// of 8: every layer kind, a full forward in well under a millisecond. For
// tests of encoding, decoding, the runtime's programs and the CLI.
func TinyConfig() graph.Config {
	c := graph.DefaultConfig()
	c.Height, c.Width = 8, 8
	c.Filters, c.Hidden, c.Blocks, c.Head = 8, 4, 2, 8
	return c
}

// SmallConfig is a 28x28 (MNIST-sized) PixelCNN of 2 blocks, 16 filters, 8
// hidden and a head of 16: small enough for training steps and hundreds of
// naive sampling passes in seconds. For training and sampling tests.
func SmallConfig() graph.Config {
	c := graph.DefaultConfig()
	c.Filters, c.Hidden, c.Blocks, c.Head = 16, 8, 2, 16
	return c
}

// Q256Config is the README's small model (`pixelgraph export --filters 32
// --hidden 16 --blocks 3 --levels 256`): 28x28, q = 256, 3 blocks, 32
// filters, 16 hidden, the seed's head of 128. For the interop oracles, which
// compare the seed model and this one across engines.
func Q256Config() graph.Config {
	c := graph.DefaultConfig()
	c.Filters, c.Hidden, c.Blocks, c.Levels = 32, 16, 3, 256
	return c
}

// GatedConfig is a small Gated PixelCNN (graph.DefaultGatedConfig: q = 4,
// 7x7/1x7 first layer, 3x3/1x3 after) on 8x8 images: 3 gated layers of 8
// channels, a head of 8, classes label classes (0: unconditional). For
// encoding, interop, sampling and the CLI.
func GatedConfig(classes int) graph.Config {
	c := graph.DefaultGatedConfig()
	c.Height, c.Width = 8, 8
	c.Filters, c.Layers, c.Head, c.Classes = 8, 3, 8, classes
	return c
}
