package sample

// state holds the activations of n images for a plan: per slot a ring of
// positions, each (n, channels).
type state struct {
	pl   *plan
	n    int
	bufs [][]float32
}

func newState(pl *plan, n int) *state {
	s := &state{pl: pl, n: n, bufs: make([][]float32, len(pl.chans))}
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

// forward evaluates the plan on whole images x (n, C, H, W) position by
// position and returns the logits (n, outC, H, W): the cached evaluator as
// a plain forward pass, for tests and for checking a plan against a runtime.
func (pl *plan) forward(x []float32, n int) []float32 {
	s := newState(pl, n)
	px := pl.pixels
	out := make([]float32, n*pl.outC*px)
	for p := 0; p < px; p++ {
		in := s.at(pl.input, p)
		for i := 0; i < n; i++ {
			for c := 0; c < pl.inC; c++ {
				in[i*pl.inC+c] = x[(i*pl.inC+c)*px+p]
			}
		}
		pl.step(s, p, func() {})
		l := s.at(pl.output, p)
		for i := 0; i < n; i++ {
			for c := 0; c < pl.outC; c++ {
				out[(i*pl.outC+c)*px+p] = l[i*pl.outC+c]
			}
		}
	}
	return out
}
