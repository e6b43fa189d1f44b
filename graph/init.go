package graph

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
)

// initializer draws initial weights. Each parameter has its own stream,
// derived from the seed and the parameter's name, so adding a layer does not
// change the others and the values never depend on build order.
type initializer struct{ seed uint64 }

func newInitializer(seed uint64) *initializer { return &initializer{seed: seed} }

func (in *initializer) stream(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(in.seed, h.Sum64()))
}

// glorot returns Glorot-uniform weights for an (out, in, kh, kw) kernel:
// U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), fan = channels·kh·kw.
func (in *initializer) glorot(name string, out, inC, kh, kw int) []float32 {
	fanIn, fanOut := float64(inC*kh*kw), float64(out*kh*kw)
	a := math.Sqrt(6 / (fanIn + fanOut))
	return in.uniform(name, out*inC*kh*kw, a)
}

// bias returns U(-1/sqrt(fan_in), 1/sqrt(fan_in)) biases (PyTorch's default),
// so that no bias starts as an exact zero and layout bugs cannot hide.
func (in *initializer) bias(name string, fanIn, n int) []float32 {
	return in.uniform(name, n, 1/math.Sqrt(float64(fanIn)))
}

func (in *initializer) uniform(name string, n int, a float64) []float32 {
	r := in.stream(name)
	w := make([]float32, n)
	for i := range w {
		w[i] = float32((2*r.Float64() - 1) * a)
	}
	return w
}
