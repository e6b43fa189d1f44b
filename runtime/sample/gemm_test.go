package sample

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestGemmAcc checks the assembly blocks and their Go edges against a plain
// triple loop, on sizes with and without remainders: 1e-5 absolute, sums of
// at most 37 products of values in [-1, 1) in a different order.
func TestGemmAcc(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.Float64()*2 - 1)
		}
		return x
	}
	for _, sz := range [][3]int{{4, 8, 16}, {8, 37, 64}, {5, 3, 17}, {3, 1, 4}, {16, 9, 33}, {1, 1, 1}} {
		n, ci, co := sz[0], sz[1], sz[2]
		t.Run(fmt.Sprintf("n%d_ci%d_co%d", n, ci, co), func(t *testing.T) {
			dst, src, w := fill(n*co), fill(n*ci), fill(ci*co)
			src[0] = 0 // exercise the zero skip
			want := append([]float32(nil), dst...)
			for i := 0; i < n; i++ {
				for k := 0; k < ci; k++ {
					for j := 0; j < co; j++ {
						want[i*co+j] += src[i*ci+k] * w[k*co+j]
					}
				}
			}
			gemmAcc(dst, src, w, n, ci, co)
			testenv.AllClose(t, dst, want, 1e-5, 0, "gemmAcc")
		})
	}
}
