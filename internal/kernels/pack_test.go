package kernels

import (
	"fmt"
	"testing"
)

// TestPackPanels checks packPanels (the SGEMM's and packedGemm's packing,
// with transpose8 at the SIMD levels) against its definition, for both
// orientations, panel widths 8, 24 and 48, offsets and ragged edges:
// dst[p·cols·w + kk·w + i] = M[r0+p·w+i, c0+kk], zero past the last row.
func TestPackPanels(t *testing.T) {
	for _, l := range levels() {
		for _, xT := range []bool{false, true} {
			for _, w := range []int{8, 24, 48} {
				for _, sz := range [][4]int{{0, 8, 0, 8}, {3, 21, 2, 19}, {1, 50, 5, 33}, {0, 7, 0, 3}, {2, 48, 1, 64}} {
					r0, rows, c0, cols := sz[0], sz[1], sz[2], sz[3]
					t.Run(fmt.Sprintf("%s/xT=%v/w%d/%v", l, xT, w, sz), func(t *testing.T) {
						defer setLevel(l)()
						nr, nc := r0+rows+1, c0+cols+2 // M is (nr, nc)
						ld := nc + 3
						if xT {
							ld = nr + 3
						}
						x := randSlice(5, ld*max(nr, nc))
						m := func(i, j int) float32 {
							if xT {
								return x[j*ld+i]
							}
							return x[i*ld+j]
						}
						dst := packPanels(randSlice(6, 10), x, xT, r0, rows, c0, cols, ld, w)
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
									if got := dst[p*cols*w+kk*w+i]; got != want {
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
