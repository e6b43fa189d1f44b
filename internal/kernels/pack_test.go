package kernels

import (
	"fmt"
	"math"
	"testing"
)

// TestPackPanels checks packPanels (the SGEMM's and packedGemm's packing,
// with transpose8, transpose6 and transpose8Relu at the SIMD levels)
// against its definition, for both orientations, panel widths 6, 8, 16, 24
// and 48, with and without ReLU, offsets and ragged edges:
// dst[p·cols·w + kk·w + i] = relu?(M[r0+p·w+i, c0+kk]), zero past the last
// row.
func TestPackPanels(t *testing.T) {
	for _, l := range levels() {
		for _, xT := range []bool{false, true} {
			for _, w := range []int{6, 8, 16, 24, 48} {
				for _, sz := range [][4]int{{0, 8, 0, 8}, {3, 21, 2, 19}, {1, 50, 5, 33}, {0, 7, 0, 3}, {2, 48, 1, 64}, {0, 12, 0, 16}} {
					for _, relu := range []bool{false, true} {
						r0, rows, c0, cols := sz[0], sz[1], sz[2], sz[3]
						t.Run(fmt.Sprintf("%s/xT=%v/w%d/%v/relu=%v", l, xT, w, sz, relu), func(t *testing.T) {
							defer setLevel(l)()
							nr, nc := r0+rows+1, c0+cols+2 // M is (nr, nc)
							ld := nc + 3
							if xT {
								ld = nr + 3
							}
							x := randSlice(5, ld*max(nr, nc))
							x[0] = float32(math.NaN()) // NaN stays NaN under ReLU
							m := func(i, j int) float32 {
								v := x[i*ld+j]
								if xT {
									v = x[j*ld+i]
								}
								if relu {
									v = max(v, 0)
								}
								return v
							}
							dst := packPanels(randSlice(6, 10), x, xT, relu, r0, rows, c0, cols, ld, w)
							np := (rows + w - 1) / w
							if len(dst) != np*w*cols {
								t.Fatalf("len = %d, want %d", len(dst), np*w*cols)
							}
							for p := 0; p < np; p++ {
								for kk := 0; kk < cols; kk++ {
									for i := 0; i < w; i++ {
										want := float32(0)
										if p*w+i < rows {
											want = m(r0+p*w+i, c0+kk)
										}
										if got := dst[p*cols*w+kk*w+i]; got != want && !(got != got && want != want) {
											t.Fatalf("panel %d, column %d, row %d: %g, want %g", p, kk, i, got, want)
										}
									}
								}
							}
						})
					}
				}
			}
		}
	}
}
