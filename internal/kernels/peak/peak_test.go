package peak

import (
	"testing"
	"time"
)

// TestLoopsCountTheirFlops runs every loop this CPU has for a few
// iteration counts and reads back the accumulators: with every operand 1.0
// each lane of the sum is (accumulators) · iters, so a loop that skipped an
// FMA, a lane or an iteration gives another number. flopsPerIter follows
// from the same count: 2 · lanes · accumulators.
func TestLoopsCountTheirFlops(t *testing.T) {
	t.Parallel()
	ls := loops()
	t.Logf("loops on this CPU: %d (widest: %s)", len(ls), ls[0].name)
	for _, l := range ls {
		acc := l.flopsPerIter / (2 * l.lanes) // independent accumulators
		for _, iters := range []int{0, 1, 7, 1000} {
			var out [16]float32
			for i := range out {
				out[i] = -1 // a lane the loop does not write stays -1
			}
			l.run(iters, &out)
			for i := range l.lanes {
				if want := float32(acc * iters); out[i] != want {
					t.Errorf("%s, %d iterations: lane %d = %v, want %v (%d accumulators)", l.name, iters, i, out[i], want, acc)
				}
			}
			for i := l.lanes; i < len(out); i++ {
				if out[i] != -1 {
					t.Errorf("%s wrote lane %d of %d", l.name, i, l.lanes)
				}
			}
		}
	}
}

func TestFMAReportsTheWidestLoop(t *testing.T) {
	r := FMA(time.Millisecond)
	if r.Loop != best().name || r.Reps < 5 || !(r.GFLOPS > 0) {
		t.Fatalf("FMA = %+v, want loop %s, >= 5 reps, a positive rate", r, best().name)
	}
	t.Logf("peak %.1f GFLOP/s (%s, %d reps)", r.GFLOPS, r.Loop, r.Reps)
}
