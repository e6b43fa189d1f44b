package main

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/atomicfile"
	"github.com/pixelgraph/pixelgraph/internal/npy"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

func init() {
	register(&command{
		name:  "tensor",
		args:  "-o FILE.pb|FILE.npy [-m MODEL | --levels Q] [-n N --first I | --index I,J,... | --png FILE ...] [--data DIR]",
		short: "write MNIST test digits or PNG images as a model's float32 input [N,1,H,W] = level/(q-1) (TensorProto .pb or NumPy .npy)",
		run:   runTensor,
	})
}

func runTensor(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(commands["tensor"], e)
	out := fs.String("o", "", "output file: .pb (ONNX TensorProto, as `run -i` and the ONNX backend tests read) or .npy (NumPy) (required)")
	model := fs.String("m", "", "take q, the image size and the input name from this model (ours: its metadata; foreign: the output's channel count)")
	levels := fs.Int("levels", 0, "levels q of the quantization level = floor(byte*q/256) (default: the model's, else 4)")
	n := fs.Int("n", 1, "how many MNIST test digits, from --first")
	first := fs.Int("first", 0, "index of the first MNIST test digit")
	var index, pngs listFlag
	fs.Var(&index, "index", "MNIST test digit indexes, comma-separated or repeated (instead of -n/--first)")
	fs.Var(&pngs, "png", "a PNG image instead of MNIST digits (repeat for a batch; all of the model's size; colour is turned grey)")
	data := fs.String("data", "", "folder with MNIST IDX files (default: the "+dataset.Module+" module's data)")
	quiet := fs.Bool("q", false, "print nothing on success")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	ext := strings.ToLower(filepath.Ext(*out))
	switch {
	case len(pos) > 0:
		return usagef("unexpected argument %q", pos[0])
	case *out == "":
		return usagef("-o FILE is required")
	case ext != ".pb" && ext != ".npy":
		return usagef("-o %s: the name must end in .pb (TensorProto) or .npy (NumPy)", *out)
	case *levels != 0 && dataset.CheckLevels(*levels) != nil:
		return usagef("--levels: %v", dataset.CheckLevels(*levels))
	case *n < 1:
		return usagef("-n must be >= 1, got %d", *n)
	case *first < 0:
		return usagef("--first must be >= 0, got %d", *first)
	case len(pngs) > 0 && (len(index) > 0 || len(flagsSet(fs, "n", "first", "data")) > 0):
		return usagef("--png cannot be combined with the MNIST flags (-n, --first, --index, --data)")
	case len(index) > 0 && len(flagsSet(fs, "n", "first")) > 0:
		return usagef("--index cannot be combined with -n/--first")
	}
	var digits []int
	for _, s := range index {
		for _, f := range strings.Split(s, ",") {
			i, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || i < 0 {
				return usagef("--index: %q is not a digit index", f)
			}
			digits = append(digits, i)
		}
	}
	if err := atomicfile.CheckWritable(*out); err != nil {
		return err
	}

	// What the input must look like: from the model, else the flags.
	q, h, w, name := *levels, 0, 0, graph.InputName
	if *model != "" {
		g, err := export.DecodeFile(*model, nil)
		if err != nil {
			return err
		}
		geo, err := sample.GeometryOf(g)
		if err != nil {
			return fmt.Errorf("%s: %v", *model, err)
		}
		if q != 0 && q != geo.Q {
			return usagef("--levels %d disagrees with %s (q = %d)", q, *model, geo.Q)
		}
		if err := dataset.CheckLevels(geo.Q); err != nil {
			return fmt.Errorf("%s: %v (8-bit images cannot be quantized to it)", *model, err)
		}
		q, h, w, name = geo.Q, geo.H, geo.W, g.Inputs[0].Name
	}
	if q == 0 {
		q = graph.DefaultConfig().Levels
	}

	var im *dataset.Images
	what := ""
	if len(pngs) > 0 {
		if im, err = readPNGs(e, pngs, h, w); err != nil {
			return err
		}
		what = fmt.Sprintf("%d PNG image(s)", im.N)
	} else {
		test, err := dataset.Load(*data, dataset.Test)
		if err != nil {
			return err
		}
		if h != 0 {
			if test, err = cropTo(test, h, w); err != nil {
				return err
			}
		}
		if len(digits) == 0 {
			if *first+*n > test.N {
				return usagef("--first %d -n %d: the test set has %d digits", *first, *n, test.N)
			}
			for i := *first; i < *first+*n; i++ {
				digits = append(digits, i)
			}
			what = fmt.Sprintf("MNIST test digits %d..%d", *first, *first+*n-1)
		} else {
			what = "MNIST test digits " + strings.Join(index, ",")
		}
		if err := e.fits(float64(len(digits))*float64(test.H*test.W)*5, fmt.Sprintf("%d digits", len(digits)), "the tensor"); err != nil {
			return err
		}
		px := test.H * test.W
		im = &dataset.Images{N: len(digits), H: test.H, W: test.W, Pix: make([]uint8, len(digits)*px)}
		for k, i := range digits {
			if i >= test.N {
				return usagef("--index %d: the test set has %d digits", i, test.N)
			}
			copy(im.Pix[k*px:], test.Image(i))
		}
	}

	lv := make([]uint8, len(im.Pix))
	dataset.Quantize(lv, im.Pix, q)
	t := graph.NewFloat32([]int{im.N, 1, im.H, im.W}, nil)
	dataset.Scale(t.F32, lv, q)
	var b []byte
	if ext == ".npy" {
		var buf bytes.Buffer
		if err := npy.Write(&buf, t); err != nil {
			return err
		}
		b = buf.Bytes()
	} else if b, err = export.MarshalTensor(name, t); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(*out, b); err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(e.stderr, "wrote %s: %s float32[%d,1,%d,%d] = level/(q-1), q = %d, from %s\n", *out, name, im.N, im.H, im.W, q, what)
	}
	return nil
}

// readPNGs decodes PNG files into grey images, all of one size (h x w when
// given); sizes are read from the headers before any image is decoded.
func readPNGs(e *env, paths []string, h, w int) (*dataset.Images, error) {
	im := &dataset.Images{N: len(paths), H: h, W: w}
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if im.H == 0 {
			im.H, im.W = cfg.Height, cfg.Width
			// the decoded image (up to 8 bytes a pixel) and our copies
			if err := e.fits(float64(len(paths))*float64(im.H)*float64(im.W)*13, fmt.Sprintf("--png %s (%dx%d)", p, im.W, im.H), "decoding the images"); err != nil {
				return nil, err
			}
			im.Pix = make([]uint8, len(paths)*im.H*im.W)
		}
		if cfg.Height != im.H || cfg.Width != im.W {
			return nil, fmt.Errorf("%s is %dx%d (height x width), want %dx%d", p, cfg.Height, cfg.Width, im.H, im.W)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		r := img.Bounds()
		dst := im.Image(i)
		for y := 0; y < im.H; y++ {
			for x := 0; x < im.W; x++ {
				dst[y*im.W+x] = color.GrayModel.Convert(img.At(r.Min.X+x, r.Min.Y+y)).(color.Gray).Y
			}
		}
	}
	return im, nil
}
