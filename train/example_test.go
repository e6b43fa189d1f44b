package train_test

import (
	"context"
	"fmt"
	"log"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/train"
)

// Train a small PixelCNN for 300 steps on MNIST from the module cache,
// then measure the test NLL.
func ExampleTrainer_Fit() {
	cfg := graph.DefaultConfig()
	cfg.Filters, cfg.Hidden, cfg.Blocks = 32, 16, 3
	g, err := graph.PixelCNN(cfg)
	if err != nil {
		log.Fatal(err)
	}
	trainSet, err := dataset.Load("", dataset.Train) // or a --data directory
	if err != nil {
		log.Fatal(err) // a *dataset.MissingError says how to get MNIST
	}
	testSet, err := dataset.Load("", dataset.Test)
	if err != nil {
		log.Fatal(err)
	}
	tr, err := train.New(g, train.Options{Batch: 16, Steps: 300})
	if err != nil {
		log.Fatal(err)
	}
	err = tr.Fit(context.Background(), trainSet, nil, func(p train.Progress) {
		if p.Step%100 == 0 {
			fmt.Printf("step %d: %.3f bits/dim\n", p.Step, p.BitsPerDim)
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	// Fit has written the weights back into g (masked taps still 0).
	r, err := train.Eval(context.Background(), g, testSet, train.EvalOptions{Limit: 1000})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("test: %.3f bits/dim, %.1f nats/image\n", r.BitsPerDim, r.NatsPerImage)
}
