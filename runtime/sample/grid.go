package sample

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
)

// GridOptions lay out a PNG grid. The zero value of each field is its
// documented default.
type GridOptions struct {
	Cols  int // images per row for SampleGrid; default ceil(sqrt(N))
	Pad   int // pixels between images and around the grid; default 2, -1 for none
	Scale int // each pixel drawn as Scale×Scale; default 1
}

// Shades used by the grids besides the levels.
const (
	PadGrey      = 255 // padding between images
	OccludedGrey = 96  // hidden part of an occluded image
)

// Grey maps a level to a grey value: level·255/(q−1).
func Grey(level int32, q int) uint8 { return uint8(int(level) * 255 / (q - 1)) }

func (o GridOptions) norm() GridOptions {
	switch {
	case o.Pad == 0:
		o.Pad = 2
	case o.Pad < 0:
		o.Pad = 0
	}
	if o.Scale <= 0 {
		o.Scale = 1
	}
	return o
}

// cell is one image of a grid: h·w grey values, or nil for an empty cell.
type cell []uint8

func levelsCell(levels []int32, q int) cell {
	c := make(cell, len(levels))
	for i, l := range levels {
		c[i] = Grey(l, q)
	}
	return c
}

// tile draws rows of h×w cells.
func tile(rows [][]cell, h, w int, o GridOptions) *image.Gray {
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	ch, cw := h*o.Scale, w*o.Scale
	img := image.NewGray(image.Rect(0, 0, cols*(cw+o.Pad)+o.Pad, len(rows)*(ch+o.Pad)+o.Pad))
	for i := range img.Pix {
		img.Pix[i] = PadGrey
	}
	for ri, r := range rows {
		for ci, c := range r {
			if c == nil {
				continue
			}
			x0, y0 := o.Pad+ci*(cw+o.Pad), o.Pad+ri*(ch+o.Pad)
			for y := 0; y < ch; y++ {
				for x := 0; x < cw; x++ {
					img.SetGray(x0+x, y0+y, color.Gray{Y: c[(y/o.Scale)*w+x/o.Scale]})
				}
			}
		}
	}
	return img
}

// SampleGrid draws the images of r in rows of opts.Cols.
func SampleGrid(r *Result, opts GridOptions) *image.Gray {
	o := opts.norm()
	cols := o.Cols
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(r.N))))
	}
	px := r.H * r.W
	var rows [][]cell
	for i := 0; i < r.N; i++ {
		if i%cols == 0 {
			rows = append(rows, nil)
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], levelsCell(r.Levels[i*px:(i+1)*px], r.Q))
	}
	return tile(rows, r.H, r.W, o)
}

// CompletionGrid draws one row per original image: the original, the
// occluded image (rows at and below keep shown in OccludedGrey), then its
// completions. originals holds n images; completions holds n·k images, the
// k completions of original i at i·k..i·k+k−1.
func CompletionGrid(originals []int32, keep int, completions *Result, k int, opts GridOptions) (*image.Gray, error) {
	px := completions.H * completions.W
	n := len(originals) / px
	if n*px != len(originals) || completions.N != n*k {
		return nil, fmt.Errorf("completion grid: %d originals and %d completions, want k=%d each", len(originals)/px, completions.N, k)
	}
	var rows [][]cell
	for i := 0; i < n; i++ {
		orig := levelsCell(originals[i*px:(i+1)*px], completions.Q)
		occ := append(cell(nil), orig...)
		for p := keep * completions.W; p < px; p++ {
			occ[p] = OccludedGrey
		}
		row := []cell{orig, occ}
		for j := 0; j < k; j++ {
			c := i*k + j
			row = append(row, levelsCell(completions.Levels[c*px:(c+1)*px], completions.Q))
		}
		rows = append(rows, row)
	}
	return tile(rows, completions.H, completions.W, opts.norm()), nil
}

// WritePNG encodes img as PNG.
func WritePNG(w io.Writer, img image.Image) error {
	return png.Encode(w, img)
}
