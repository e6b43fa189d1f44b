package bench

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestMeasureMinRepsAndBudget(t *testing.T) {
	calls := 0
	r, err := Measure(Options{MinReps: 3}, func() error { calls++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if r.Reps != 3 || calls != 4 || len(r.Wall) != 3 || len(r.CPU) != 3 {
		t.Fatalf("reps %d, calls %d (want 3 timed + 1 warm-up)", r.Reps, calls)
	}
	r, err = Measure(Options{Budget: 20 * time.Millisecond, MaxReps: 500}, func() error {
		time.Sleep(time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Reps < 5 || r.Reps >= 500 {
		t.Fatalf("budget of 20ms at ~1ms a run gave %d reps", r.Reps)
	}
	if r.Median < time.Millisecond {
		t.Fatalf("median %v < the 1ms sleep", r.Median)
	}
}

func TestInterleaveAlternatesAndStopsOnError(t *testing.T) {
	var order []int
	f := func(i int) func() error { return func() error { order = append(order, i); return nil } }
	rs, err := Interleave(Options{Warmup: -1, MinReps: 2, MaxReps: 2}, f(0), f(1))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 1, 0}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	if rs[0].Reps != 2 || rs[1].Reps != 2 {
		t.Fatalf("reps %d, %d", rs[0].Reps, rs[1].Reps)
	}
	boom := errors.New("boom")
	if _, err := Measure(Options{}, func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []time.Duration
		want time.Duration
	}{{nil, 0}, {[]time.Duration{3}, 3}, {[]time.Duration{5, 1, 3}, 3}, {[]time.Duration{4, 1, 2, 3}, 2}} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestProc(t *testing.T) {
	if _, ok := LoadAvg(); !ok {
		t.Skip("no /proc/loadavg")
	}
	if PeakRSS() <= 0 || RSS() <= 0 || MemAvailable() <= 0 {
		t.Fatalf("peak %d, rss %d, available %d", PeakRSS(), RSS(), MemAvailable())
	}
	if ResetPeakRSS() && PeakRSS() < RSS()/2 {
		t.Fatalf("after reset peak %d < rss %d", PeakRSS(), RSS())
	}
}
