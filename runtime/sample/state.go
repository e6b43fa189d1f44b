package sample

import "github.com/pixelgraph/pixelgraph/internal/kernels"

// state holds the activations of n images for a plan: per slot a ring of
// positions, each (n, channels); labels holds each conditioning input's
// value per image.
type state struct {
	pl     *plan
	n      int
	bufs   [][]float32
	labels [][]int64
	next   []int // per op, the next position to compute

	ws   kernels.Workspace // the convs' scratch (convOp.apply)
	offs []int32           // the convs' table of input offsets
}

func newState(pl *plan, n int, labels [][]int64) *state {
	s := &state{pl: pl, n: n, bufs: make([][]float32, len(pl.chans)), labels: labels, next: make([]int, len(pl.ops))}
	for i, c := range pl.chans {
		s.bufs[i] = make([]float32, pl.ring[i]*n*c)
	}
	return s
}

// at returns position p of slot i: (n, channels).
func (s *state) at(i, p int) []float32 {
	m := s.n * s.pl.chans[i]
	k := p % s.pl.ring[i]
	return s.bufs[i][k*m : (k+1)*m]
}

// advance runs the ops for time t (pixel t drawn and written; −1 before
// the first): every position q <= t − shift not yet computed, in layer
// order.
func (s *state) advance(t int) {
	last := s.pl.pixels - 1
	for k, st := range s.pl.ops {
		hi := min(t-st.shift, last)
		for ; s.next[k] <= hi; s.next[k]++ {
			st.op.apply(s, s.next[k])
		}
	}
}

// forward evaluates the plan on whole images x (n, C, H, W) position by
// position and returns the logits (n, outC, H, W): the cached evaluator as
// a plain forward pass, for tests and for checking a plan against a runtime.
func (pl *plan) forward(x []float32, n int, labels [][]int64) []float32 {
	s := newState(pl, n, labels)
	px := pl.pixels
	out := make([]float32, n*pl.outC*px)
	read := func(p int) {
		l := s.at(pl.output, p)
		for i := 0; i < n; i++ {
			for c := 0; c < pl.outC; c++ {
				out[(i*pl.outC+c)*px+p] = l[i*pl.outC+c]
			}
		}
	}
	s.advance(-1)
	for t := 0; t < px; t++ {
		read(t)
		in := s.at(pl.input, t)
		for i := 0; i < n; i++ {
			for c := 0; c < pl.inC; c++ {
				in[i*pl.inC+c] = x[(i*pl.inC+c)*px+t]
			}
		}
		s.advance(t)
	}
	return out
}
