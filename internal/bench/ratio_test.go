package bench

import (
	"testing"
	"time"
)

func TestPairedRatios(t *testing.T) {
	t.Parallel()
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x) * time.Millisecond
		}
		return d
	}
	for _, c := range []struct {
		name     string
		num, den []time.Duration
		want     Spread
	}{
		{"none", nil, ms(1), Spread{}},
		{"one round", ms(30), ms(10), Spread{3, 3, 3, 1}},
		// Ratios 2, 1, 4: the median pairs round by round, it is not
		// median(num)/median(den) (20/10 = 2 here too, but see below).
		{"odd", ms(20, 10, 40), ms(10, 10, 10), Spread{2, 1, 4, 3}},
		// Ratios 1, 4, 1.5, 2: median (1.5+2)/2; median(num)/median(den)
		// would be 25/12.5 = 2.
		{"even", ms(10, 40, 30, 20), ms(10, 10, 20, 10), Spread{1.75, 1, 4, 4}},
		{"uneven lengths pair the common rounds", ms(10, 20, 99), ms(10, 10), Spread{1.5, 1, 2, 2}},
		{"a zero time is left out", ms(10, 0, 30), ms(10, 10, 10), Spread{2, 1, 3, 2}},
	} {
		if got := PairedRatios(c.num, c.den); got != c.want {
			t.Errorf("%s: PairedRatios = %+v, want %+v", c.name, got, c.want)
		}
	}
}
