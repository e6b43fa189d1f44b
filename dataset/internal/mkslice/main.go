// Command mkslice writes the MNIST slice used by tests: the first -n images
// (and labels) of the training and the test set, as gzip'd IDX files with
// the original names, into -o (default testdata/mnist). The output is
// byte-for-byte reproducible (no gzip timestamp or name).
//
//	go run ./dataset/internal/mkslice            # from the repository root
package main

import (
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pixelgraph/pixelgraph/dataset"
)

func main() {
	src := flag.String("data", "", "MNIST directory (default: "+dataset.Module+" in the module cache)")
	out := flag.String("o", filepath.Join("testdata", "mnist"), "output directory")
	n := flag.Int("n", 256, "images per split")
	flag.Parse()
	if err := run(*src, *out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "mkslice:", err)
		os.Exit(1)
	}
}

func run(src, out string, n int) error {
	for _, split := range []dataset.Split{dataset.Train, dataset.Test} {
		im, err := dataset.Load(src, split)
		if err != nil {
			return err
		}
		s := im.Slice(0, min(n, im.N))
		imgName, lblName := split.FileNames()
		if err := write(filepath.Join(out, imgName+".gz"), []int{s.N, s.H, s.W}, s.Pix); err != nil {
			return err
		}
		if err := write(filepath.Join(out, lblName+".gz"), []int{s.N}, s.Labels); err != nil {
			return err
		}
	}
	return nil
}

func write(path string, dims []int, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	z, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err := dataset.WriteIDX(z, dims, data); err != nil {
		f.Close()
		return err
	}
	if err := z.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
