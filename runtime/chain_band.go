package runtime

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/layers"
)

// Row bands: when a chunk has more threads than images (batch 1 at two
// threads, the latency case), the channels-last chain cuts each image into
// bands of rows, one goroutine per band, and every goroutine runs every
// layer on its band. That replaces a fork and join per conv (the convs'
// own split of output pixels) by one per chunk, and runs the pointwise
// layers in parallel too.
//
// It needs every layer to be row-causal: each output row reads its inputs
// at rows above or on it only (PixelCNN's masked convs, 1x1 convs and
// pointwise layers; a conv whose live taps reach a row below does not
// qualify), and every value to have the input's height and width. Then a
// band depends on the bands above only, and the bands run as a pipeline:
//
//   - before a layer that reads rows above its band (a conv with a live tap
//     at dy < 0), a band waits until the bands above have written that
//     input (their progress has passed its producer);
//   - before a layer writes a buffer that held an earlier value, a band
//     waits until the bands below have finished the layers that read that
//     value's rows above their own band (the buffers are shared, and the
//     bands below read our last rows).
//
// Each band computes exactly what the whole-image pass computes for its
// pixels (the direct kernel sums each output pixel the same way whatever
// the range; pointwise layers are per element), so the results are
// bit-identical to it (TestChainRowBands).

// bandPlan is a chainSpec's schedule for row bands, nil when the chain is
// not row-causal.
type bandPlan struct {
	h, w int
	// above[i] > 0: before op i, the bands above must have completed that
	// many ops. below[i] > 0: the same for the bands below.
	above, below []int32
}

// planBands returns the row-band schedule of s for values of the given
// shapes, or nil when some layer is not row-causal or some value's size
// differs from the input's.
func (s *chainSpec) planBands(shape [][3]int) *bandPlan {
	c := s.c
	if !c.direct {
		return nil
	}
	h, w := shape[c.input][1], shape[c.input][2]
	for _, d := range shape {
		if d[0] > 0 && (d[1] != h || d[2] != w) {
			return nil
		}
	}
	bp := &bandPlan{h: h, w: w, above: make([]int32, len(c.ops)), below: make([]int32, len(c.ops))}
	crossReaders := make([][]int, c.nvals) // value -> ops reading its rows above their band
	for i, op := range c.ops {
		l := op.l
		if l.Kind != layers.Conv {
			continue
		}
		if !l.Conv.Aligned() {
			return nil
		}
		up := false
		for _, t := range l.Conv.Taps {
			switch dy := l.Conv.Offset(t).Dy; {
			case dy > 0:
				return nil // reads a row below: not row-causal
			case dy < 0:
				up = true
			}
		}
		if up {
			v := op.in[0]
			crossReaders[v] = append(crossReaders[v], i)
			bp.above[i] = int32(c.plan.Values[v].Producer + 1) // the input (-1) needs nothing
		}
	}
	// The value each buffer holds, in op order: before op i writes value o
	// into buffer B, the bands below must be done with the cross-band reads
	// of B's previous value.
	holder := map[int]int{} // buffer -> value it holds now
	if b := s.buf[c.input]; b >= 0 {
		holder[b] = c.input
	}
	for i, op := range c.ops {
		for _, o := range []int{op.out, op.relu} {
			b := -1
			if o >= 0 {
				b = s.buf[o]
			}
			if b < 0 {
				continue
			}
			if prev, ok := holder[b]; ok && prev != o {
				for _, r := range crossReaders[prev] {
					if r < i {
						bp.below[i] = max(bp.below[i], int32(r+1))
					}
				}
			}
			holder[b] = o
		}
	}
	return bp
}

// bands returns the pixel range [p0, p1) of band k of n over an image.
func (bp *bandPlan) band(k, n int) (p0, p1 int) {
	return k * bp.h / n * bp.w, (k + 1) * bp.h / n * bp.w
}

// runBands runs every op on images [i0, i1) in row bands, one goroutine per
// band (see bandPlan); the caller runs the first.
func (s *chainSpec) runBands(ctx context.Context, st *chainState, x []float32, labels [][]int64, outs []*graph.Tensor, i0, i1, bands int) {
	bp := s.bands
	bands = min(bands, bp.h)
	if s.inBuf >= 0 { // NCHW → NHWC
		nc, sz := i1-i0, s.vsize[s.c.input]
		transposeImages(st.bufs[s.inBuf][:nc*sz], x[i0*sz:i1*sz], nc, s.inC, sz/s.inC)
	}
	for len(st.bandWS) < bands {
		st.bandWS = append(st.bandWS, kernels.Workspace{Threads: 1})
	}
	sy := newBandSync(bands)
	run := func(k int) {
		p0, p1 := bp.band(k, bands)
		for i := range s.c.ops {
			if ctx.Err() != nil {
				sy.halt()
			}
			if !sy.wait(0, k, bp.above[i]) || !sy.wait(k+1, bands, bp.below[i]) {
				return
			}
			for j := i0; j < i1; j++ {
				s.runOp(i, st, &st.bandWS[k], x, labels, outs, j, j+1, p0, p1)
			}
			sy.done(k, int32(i+1))
		}
	}
	var wg sync.WaitGroup
	wg.Add(bands - 1)
	for k := 1; k < bands; k++ {
		go func() {
			defer wg.Done()
			run(k)
		}()
	}
	run(0)
	wg.Wait()
	if sy.stop.Load() {
		return
	}
	s.finish(st, outs, i0, i1)
}

// bandSync is the bands' progress: how many ops each band has completed.
// A band waiting for another spins a little (an op of a band takes about
// 0.1 ms, and the other band is usually about to finish its own), then
// sleeps on a condition variable, so that on a machine with fewer free
// cores than bands a waiting band gives its core to the one it waits for.
type bandSync struct {
	progress []atomic.Int32
	stop     atomic.Bool // a band saw the context done: everyone returns
	waiting  atomic.Int32
	mu       sync.Mutex
	cond     sync.Cond
}

func newBandSync(bands int) *bandSync {
	sy := &bandSync{progress: make([]atomic.Int32, bands)}
	sy.cond.L = &sy.mu
	return sy
}

// bandSpins is how many times a waiting band checks (yielding between
// checks) before it sleeps: about 0.3 ms of yields, longer than a layer's
// band takes on the seed model. Sleeping sooner costs a futex wake-up per
// layer: at 200 checks the seed model at batch 1 on 2 threads ran 99–117
// img/s in pixelgraph bench, at 5000 161–171 (the pure spin before it 171).
const bandSpins = 5000

// wait returns when bands [from, to) have each completed need ops (true),
// or when the run stopped (false).
func (sy *bandSync) wait(from, to int, need int32) bool {
	for j := from; j < to; j++ {
		for spins := 0; sy.progress[j].Load() < need; spins++ {
			if sy.stop.Load() {
				return false
			}
			if spins < bandSpins {
				runtime.Gosched()
				continue
			}
			sy.mu.Lock()
			sy.waiting.Add(1) // done sees it, or we see done's progress
			for sy.progress[j].Load() < need && !sy.stop.Load() {
				sy.cond.Wait()
			}
			sy.waiting.Add(-1)
			sy.mu.Unlock()
		}
	}
	return !sy.stop.Load()
}

// done records that band k has completed n ops and wakes the sleepers.
func (sy *bandSync) done(k int, n int32) {
	sy.progress[k].Store(n)
	sy.wake()
}

// halt stops every band at its next wait or op.
func (sy *bandSync) halt() {
	sy.stop.Store(true)
	sy.wake()
}

func (sy *bandSync) wake() {
	if sy.waiting.Load() > 0 {
		sy.mu.Lock()
		sy.cond.Broadcast()
		sy.mu.Unlock()
	}
}
