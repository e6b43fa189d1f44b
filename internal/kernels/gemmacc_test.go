package kernels

import (
	"fmt"
	"testing"
)

// TestGemmAcc checks GemmAcc (assembly blocks and their Go edges, at every
// level) against the float64 reference within closeTo's bound, on sizes
// with and without remainders, and with zero inputs that gemmAccGo skips.
func TestGemmAcc(t *testing.T) {
	for _, sz := range [][3]int{{4, 8, 16}, {8, 37, 64}, {5, 3, 17}, {3, 1, 4}, {16, 9, 33}, {1, 1, 1}, {4, 0, 16}} {
		n, ci, co := sz[0], sz[1], sz[2]
		for _, l := range levels() {
			t.Run(fmt.Sprintf("n%d_ci%d_co%d/%s", n, ci, co, l), func(t *testing.T) {
				defer setLevel(l)()
				dst, src, w := randSlice(1, n*co), randSlice(2, n*ci), randSlice(3, ci*co)
				if len(src) > 0 {
					src[0] = 0
				}
				for i := 0; i < min(4, n) && ci > 1; i++ { // channel 1 zero in a whole block of 4
					src[i*ci+1] = 0
				}
				want, s := refGemm(false, false, n, co, ci, 1, src, ci, w, co, 1, dst, co)
				GemmAcc(dst, src, w, n, ci, co)
				closeTo(t, "dst", dst, want, s, ci)
			})
		}
	}
}
