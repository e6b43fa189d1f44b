package bench

import (
	"errors"
	goruntime "runtime"
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
	// The budget, checked on the run's own timings (never against the
	// clock, which a loaded machine stretches): repetitions continue while
	// the time spent is under the budget, and stop once it is reached. A run
	// sleeps at least 1 ms, so 20 ms of budget allow at most 20 runs.
	const budget = 20 * time.Millisecond
	r, err = Measure(Options{Budget: budget, MaxReps: 500}, func() error {
		time.Sleep(time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var before time.Duration // spent before the last repetition
	for _, w := range r.Wall[:r.Reps-1] {
		before += w
	}
	if r.Reps < 3 || r.Reps > 20 || before >= budget || before+r.Wall[r.Reps-1] < budget {
		t.Fatalf("budget %v at >= 1 ms a run: %d reps, %v spent before the last, %v after", budget, r.Reps, before, before+r.Wall[r.Reps-1])
	}
	if r.Median < time.Millisecond {
		t.Fatalf("median %v < the 1ms sleep", r.Median)
	}
	// The gaps count toward the budget: 10 ms of gap before each run of a
	// no-op ends a 20 ms budget after at most 2 runs past the minimum of 1.
	r, err = Measure(Options{Budget: budget, MinReps: 1, Gap: 10 * time.Millisecond}, func() error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if r.Reps > 2 {
		t.Fatalf("10 ms gaps, 20 ms budget: %d reps, want <= 2", r.Reps)
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
	if goruntime.GOOS != "linux" {
		t.Skip("reads /proc (Linux only; proc_other.go returns zeros)")
	}
	if _, ok := LoadAvg(); !ok {
		t.Fatal("no /proc/loadavg")
	}
	if PeakRSS() <= 0 || RSS() <= 0 || MemAvailable() <= 0 {
		t.Fatalf("peak %d, rss %d, available %d", PeakRSS(), RSS(), MemAvailable())
	}
	if ResetPeakRSS() && PeakRSS() < RSS()/2 {
		t.Fatalf("after reset peak %d < rss %d", PeakRSS(), RSS())
	}
}
