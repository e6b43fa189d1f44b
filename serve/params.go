package serve

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
)

// FieldError is a request parameter or body field out of its bounds: the
// API answers it with 400 and {"error": Error(), "field": Field}.
type FieldError struct {
	Field string // query parameter or JSON field: "n", "levels[3][5]", "body"
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// MaxTemperature bounds temperature: past it every level is about equally
// likely, so larger values only hide a typo.
const MaxTemperature = 100

// MaxScale bounds scale of format=png (pixels per level cell side).
const MaxScale = 16

// drawParams are the parameters every sampler takes.
type drawParams struct {
	N           int
	Seed        uint64
	Temperature float64
	Class       *int // nil: none given
}

// sampleParams are /api/sample's query parameters.
type sampleParams struct {
	drawParams
	Format string // "json" or "png"
	Scale  int
}

// query reads a URL query strictly: each known key at most once, no unknown key.
type query struct {
	v   url.Values
	err error
}

func newQuery(v url.Values, known ...string) *query {
	q := &query{v: v}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch {
		case !slices.Contains(known, k):
			q.fail(k, fmt.Sprintf("unknown parameter (known: %v)", known))
		case len(v[k]) > 1:
			q.fail(k, fmt.Sprintf("given %d times", len(v[k])))
		}
	}
	return q
}

func (q *query) fail(field, msg string) {
	if q.err == nil {
		q.err = &FieldError{Field: field, Msg: msg}
	}
}

func (q *query) intIn(name string, def, lo, hi int) int {
	s, ok := q.v[name]
	if !ok || q.err != nil {
		return def
	}
	n, err := strconv.Atoi(s[0])
	switch {
	case err != nil:
		q.fail(name, fmt.Sprintf("%q is not an integer", s[0]))
	case n < lo || n > hi:
		q.fail(name, fmt.Sprintf("must be in %d..%d, got %d", lo, hi, n))
	}
	return n
}

func (q *query) uint64(name string, def uint64) uint64 {
	s, ok := q.v[name]
	if !ok || q.err != nil {
		return def
	}
	n, err := strconv.ParseUint(s[0], 10, 64)
	if err != nil {
		q.fail(name, fmt.Sprintf("%q is not an integer in 0..%d", s[0], uint64(math.MaxUint64)))
	}
	return n
}

func (q *query) float(name string, def float64) float64 {
	s, ok := q.v[name]
	if !ok || q.err != nil {
		return def
	}
	f, err := strconv.ParseFloat(s[0], 64)
	if err != nil {
		q.fail(name, fmt.Sprintf("%q is not a number", s[0]))
	}
	return f
}

func (q *query) oneOf(name, def string, allowed ...string) string {
	s, ok := q.v[name]
	if !ok || q.err != nil {
		return def
	}
	if !slices.Contains(allowed, s[0]) {
		q.fail(name, fmt.Sprintf("%q is not one of %v", s[0], allowed))
	}
	return s[0]
}

// optInt reads an optional integer (nil when absent); checkDraw bounds it.
func (q *query) optInt(name string) *int {
	if _, ok := q.v[name]; !ok || q.err != nil {
		return nil
	}
	c := q.intIn(name, 0, math.MinInt, math.MaxInt)
	return &c
}

// checkDraw validates the parameters every sampler shares.
func (s *Server) checkDraw(p *drawParams) error {
	if p.N < 1 || p.N > s.opts.MaxN {
		return &FieldError{"n", fmt.Sprintf("must be in 1..%d, got %d", s.opts.MaxN, p.N)}
	}
	if !(p.Temperature > 0 && p.Temperature <= MaxTemperature) {
		return &FieldError{"temperature", fmt.Sprintf("must be in (0, %d], got %g", MaxTemperature, p.Temperature)}
	}
	if p.Class == nil && s.classes > 0 {
		return &FieldError{"class", fmt.Sprintf("the model is conditional: give class=0..%d", s.classes-1)}
	}
	if p.Class != nil {
		if s.classes == 0 {
			return &FieldError{"class", "the model is unconditional (it has no class input)"}
		}
		if *p.Class < 0 || *p.Class >= s.classes {
			return &FieldError{"class", fmt.Sprintf("must be in 0..%d, got %d", s.classes-1, *p.Class)}
		}
	}
	return nil
}

// parseSample reads /api/sample's query.
func (s *Server) parseSample(v url.Values) (sampleParams, error) {
	q := newQuery(v, "n", "seed", "temperature", "class", "format", "scale")
	var p sampleParams
	p.N = q.intIn("n", 1, 1, s.opts.MaxN)
	p.Seed = q.uint64("seed", 1)
	p.Temperature = q.float("temperature", 1)
	p.Class = q.optInt("class")
	p.Format = q.oneOf("format", "json", "json", "png")
	p.Scale = q.intIn("scale", 2, 1, MaxScale)
	if q.err != nil {
		return p, q.err
	}
	return p, s.checkDraw(&p.drawParams)
}
