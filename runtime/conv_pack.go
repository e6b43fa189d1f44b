package runtime

import "github.com/pixelgraph/pixelgraph/graph"

// packed holds a weight (O, Cg, k...) per group as the GEMM's left matrix.
type packed[T float32 | float64] struct {
	k    int     // rows of the full im2col matrix: Cg·prod(kernel)
	rows [][]int // per group: live im2col rows (nil: all K rows)
	mats [][]T   // per group: (Og, len(rows)) row-major
	og   int     // output channels per group
}

// packWeights splits w into per-group matrices; with prune it drops rows
// whose weights are zero for every output channel of the group.
func packWeights[T float32 | float64](w []T, shape []int, group int, prune bool) *packed[T] {
	o := shape[0]
	kk := graph.NumElements(shape[1:])
	og := o / group
	p := &packed[T]{k: kk, og: og, rows: make([][]int, group), mats: make([][]T, group)}
	for g := 0; g < group; g++ {
		wg := w[g*og*kk : (g+1)*og*kk]
		p.mats[g] = wg
		if !prune {
			continue
		}
		var live []int
		for j := 0; j < kk; j++ {
			for i := 0; i < og; i++ {
				if wg[i*kk+j] != 0 {
					live = append(live, j)
					break
				}
			}
		}
		if len(live) == kk {
			continue
		}
		if live == nil {
			live = []int{}
		}
		m := make([]T, og*len(live))
		for i := 0; i < og; i++ {
			for r, j := range live {
				m[i*len(live)+r] = wg[i*kk+j]
			}
		}
		p.rows[g], p.mats[g] = live, m
	}
	return p
}
