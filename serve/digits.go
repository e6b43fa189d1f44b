package serve

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

// MaxDigits bounds n of /api/digits.
const MaxDigits = 64

// digitSet loads the MNIST test digits once, on first use, for the
// completion view.
type digitSet struct {
	load func() (*dataset.Images, error)
	geo  sample.Geometry
	once sync.Once
	im   *dataset.Images
	err  error
}

func newDigitSet(load func() (*dataset.Images, error), geo sample.Geometry) *digitSet {
	return &digitSet{load: load, geo: geo}
}

func (d *digitSet) get() (*dataset.Images, error) {
	d.once.Do(func() {
		switch {
		case d.load == nil:
			d.err = fmt.Errorf("%w: the server has no test digits", errNotFound)
		case d.geo.Q > 256:
			d.err = fmt.Errorf("%w: the model has q = %d levels; MNIST quantizes to at most 256", errNotFound, d.geo.Q)
		default:
			im, err := d.load()
			switch {
			case err != nil:
				d.err = fmt.Errorf("%w: test digits: %v", errNotFound, err)
			case im.H != d.geo.H || im.W != d.geo.W:
				d.err = fmt.Errorf("%w: test digits are %dx%d, the model's images %dx%d", errNotFound, im.H, im.W, d.geo.H, d.geo.W)
			default:
				d.im = im
			}
		}
	})
	return d.im, d.err
}

// count is how many digits /api/digits can serve (0 when none).
func (d *digitSet) count() int {
	im, err := d.get()
	if err != nil {
		return 0
	}
	return im.N
}

// Digits is the answer of /api/digits: test digits quantized to the
// model's levels, n×H×W.
type Digits struct {
	First  int         `json:"first"`
	Total  int         `json:"total"`
	Levels [][][]int32 `json:"levels"`
}

func (s *Server) digitsAPI(w http.ResponseWriter, r *http.Request) (any, error) {
	im, err := s.digits.get()
	if err != nil {
		return nil, err
	}
	q := newQuery(r.URL.Query(), "first", "n")
	first := q.intIn("first", 0, 0, im.N-1)
	n := q.intIn("n", 1, 1, MaxDigits)
	if q.err != nil {
		return nil, q.err
	}
	n = min(n, im.N-first)
	px := s.geo.H * s.geo.W
	flat := make([]int32, n*px)
	for i := range flat {
		flat[i] = int32(dataset.Level(im.Pix[first*px+i], s.geo.Q))
	}
	return Digits{First: first, Total: im.N, Levels: Nest(flat, n, s.geo.H, s.geo.W)}, nil
}
