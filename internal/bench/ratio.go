package bench

import (
	"slices"
	"time"
)

// Spread summarizes per-round ratios of two engines timed in the same
// rounds: their median, min and max, and how many rounds were paired.
type Spread struct {
	Median, Min, Max float64
	Rounds           int
}

// PairedRatios divides num[i] by den[i] round by round (both slices in
// round order, as Interleave's Result.Wall keeps them) and summarizes the
// ratios; rounds past the shorter slice, or with a zero time, are left out.
// For a speed ratio of engine A over B pass B's times as num and A's as
// den: A twice as fast gives 2.
func PairedRatios(num, den []time.Duration) Spread {
	var r []float64
	for i := range min(len(num), len(den)) {
		if num[i] > 0 && den[i] > 0 {
			r = append(r, float64(num[i])/float64(den[i]))
		}
	}
	return SpreadOf(r)
}

// SpreadOf summarizes ratios: median (the mean of the middle two for an
// even count), min, max; the zero Spread for none.
func SpreadOf(r []float64) Spread {
	if len(r) == 0 {
		return Spread{}
	}
	s := slices.Clone(r)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Spread{Median: m, Min: s[0], Max: s[len(s)-1], Rounds: len(s)}
}
