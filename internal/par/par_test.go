package par

import (
	"sync/atomic"
	"testing"
)

func TestDo(t *testing.T) {
	for _, n := range []int{-1, 0, 1, 2, 5} {
		var calls atomic.Int32
		var next atomic.Int32
		done := make([]bool, 100)
		Do(n, func() {
			calls.Add(1)
			for i := int(next.Add(1)) - 1; i < len(done); i = int(next.Add(1)) - 1 {
				done[i] = true
			}
		})
		if want := int32(max(n, 1)); calls.Load() != want {
			t.Errorf("n=%d: work ran %d times, want %d", n, calls.Load(), want)
		}
		for i, d := range done {
			if !d {
				t.Fatalf("n=%d: item %d not done", n, i)
			}
		}
	}
}
