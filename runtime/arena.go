package runtime

import (
	goruntime "runtime"

	"github.com/pixelgraph/pixelgraph/graph"
)

// runCtx is the state of one Run: a free list of float32 buffers released by
// values that are dead, so a forward pass reuses activation memory instead of
// allocating every layer anew. Buffers come back dirty: kernels that take one
// overwrite every element.
type runCtx struct {
	free map[int][][]float32 // by length
	nthr int                 // goroutines this run may use; 0 means GOMAXPROCS
}

// threads is the goroutine budget of the run.
func (rc *runCtx) threads() int {
	if rc != nil && rc.nthr > 0 {
		return rc.nthr
	}
	return goruntime.GOMAXPROCS(0)
}

// f32 returns a float32 buffer of length n, recycled when one is free.
func (rc *runCtx) f32(n int) []float32 {
	if rc != nil {
		if l := rc.free[n]; len(l) > 0 {
			b := l[len(l)-1]
			rc.free[n] = l[:len(l)-1]
			return b
		}
	}
	return make([]float32, n)
}

// newTensor is newTensor with a recycled float32 buffer (not zeroed).
func (rc *runCtx) newTensor(dt graph.DType, shape []int) *graph.Tensor {
	if dt != graph.Float32 {
		return newTensor(dt, shape)
	}
	return &graph.Tensor{DType: dt, Shape: append([]int{}, shape...), F32: rc.f32(graph.NumElements(shape))}
}

// release returns a dead tensor's float32 buffer to the free list.
func (rc *runCtx) release(t *graph.Tensor) {
	if t == nil || t.DType != graph.Float32 || len(t.F32) == 0 {
		return
	}
	if rc.free == nil {
		rc.free = map[int][][]float32{}
	}
	rc.free[len(t.F32)] = append(rc.free[len(t.F32)], t.F32)
}
