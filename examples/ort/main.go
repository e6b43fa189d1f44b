//go:build cgo

// Command ort runs a pixelgraph ONNX file in ONNX Runtime, through
// github.com/yalue/onnxruntime_go, and samples the first pixel of a batch:
// the file's contract, seen from ORT.
//
//   - input "pixels": float32 [N,1,H,W], each pixel level/(q-1) for a level
//     in 0..q-1 (8-bit images: level = floor(byte*q/256));
//   - output "logits": float32 [N,q,H,W]; a softmax over axis 1 gives the
//     distribution of each pixel's level, which depends only on the pixels
//     before it in raster order (row by row, left to right);
//   - q is in the metadata key "pixelgraph.levels" (and is the output's
//     channel count).
//
// Sampling a whole image repeats this for each pixel in raster order,
// writing each drawn level/(q-1) into the input before the next run.
// `pixelgraph sample` does exactly that, with a cached sampler.
//
// Usage:
//
//	go run ./cmd/pixelgraph export -o pixelcnn.onnx
//	go run ./examples/ort -lib .deps/ort/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1 -m pixelcnn.onnx
//
// TestExample (main_test.go) runs it against ONNX Runtime and checks its
// probabilities against pixelgraph's Go runtime.
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"

	ort "github.com/yalue/onnxruntime_go"
)

func main() {
	lib := flag.String("lib", os.Getenv("ONNXRUNTIME_LIB"), "path of libonnxruntime.so (default $ONNXRUNTIME_LIB)")
	model := flag.String("m", "pixelcnn.onnx", "a pixelgraph ONNX file")
	n := flag.Int("n", 4, "images in the batch")
	seed := flag.Uint64("seed", 1, "seed of the draws")
	flag.Parse()
	if *lib == "" {
		fmt.Fprintln(os.Stderr, "ort: -lib (or $ONNXRUNTIME_LIB) must name libonnxruntime.so")
		os.Exit(2)
	}
	if err := run(*lib, *model, *n, *seed, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ort:", err)
		os.Exit(1)
	}
}

// run initializes ONNX Runtime from lib, samples pixel (0,0) of n images
// and prints the result.
func run(lib, model string, n int, seed uint64, w io.Writer) error {
	if !ort.IsInitialized() {
		ort.SetSharedLibraryPath(lib)
		if err := ort.InitializeEnvironment(); err != nil {
			return err
		}
	}
	probs, levels, err := firstPixel(model, n, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: q = %d levels; p(level) of pixel (0,0) of image 0: %.4f\n", model, len(probs[0]), probs[0])
	fmt.Fprintf(w, "drawn levels of pixel (0,0) of %d images: %v\n", n, levels)
	return nil
}

// firstPixel runs model in ONNX Runtime on n images with no pixel known yet
// and draws the level of pixel (0,0) of each with uniforms from r.
func firstPixel(model string, n int, r *rand.Rand) (probs [][]float64, levels []int, err error) {
	md, err := ort.GetModelMetadata(model)
	if err != nil {
		return nil, nil, err
	}
	defer md.Destroy()
	qs, _, err := md.LookupCustomMetadataMap("pixelgraph.levels") // q, the levels per pixel
	if err != nil {
		return nil, nil, err
	}
	q, err := strconv.Atoi(qs)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: metadata pixelgraph.levels: %w", model, err)
	}
	ins, _, err := ort.GetInputOutputInfo(model)
	if err != nil {
		return nil, nil, err
	}
	h, w := ins[0].Dimensions[2], ins[0].Dimensions[3] // pixels is [N,1,H,W], N symbolic
	x, err := ort.NewTensor(ort.NewShape(int64(n), 1, h, w), make([]float32, int64(n)*h*w))
	if err != nil {
		return nil, nil, err
	}
	defer x.Destroy()
	y, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(n), int64(q), h, w))
	if err != nil {
		return nil, nil, err
	}
	defer y.Destroy()
	s, err := ort.NewAdvancedSession(model, []string{"pixels"}, []string{"logits"}, []ort.Value{x}, []ort.Value{y}, nil)
	if err != nil {
		return nil, nil, err
	}
	defer s.Destroy()
	if err := s.Run(); err != nil {
		return nil, nil, err
	}
	logits, px := y.GetData(), int(h*w)
	for i := range n {
		// Pixel (0,0) of image i: logits[i, k, 0, 0], k = 0..q-1; softmax over k.
		p, top, sum := make([]float64, q), math.Inf(-1), 0.0
		for k := range q {
			top = max(top, float64(logits[(i*q+k)*px]))
		}
		for k := range q {
			p[k] = math.Exp(float64(logits[(i*q+k)*px]) - top)
			sum += p[k]
		}
		u, level := r.Float64()*sum, q-1 // inverse CDF
		for k := range q {
			if u < p[k] {
				level = k
				break
			}
			u -= p[k]
		}
		for k := range q {
			p[k] /= sum
		}
		probs, levels = append(probs, p), append(levels, level)
		// The run for pixel (0,1) reads it: pixels[i,0,0,0] = level/(q-1).
		x.GetData()[i*px] = float32(level) / float32(q-1)
	}
	return probs, levels, nil
}
