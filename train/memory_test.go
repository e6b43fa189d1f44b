package train

import (
	"runtime"
	"testing"

	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestHeapFlat: the live Go heap after step 50 is within 10% (+4 MiB) of
// the heap after step 10: gorgonia reuses its buffers from step to step and
// nothing accumulates per step.
func TestHeapFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("60 training steps")
	}
	g := mustPixelCNN(t, testenv.SmallConfig())
	tr, err := New(g, Options{Batch: 8})
	if err != nil {
		t.Fatal(err)
	}
	hw := 28 * 28
	levels := randomLevels(1, 8*hw, 4)
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	var at10, at50 uint64
	for s := 1; s <= 50; s++ {
		if _, err := tr.stepLevels(levels); err != nil {
			t.Fatal(err)
		}
		switch s {
		case 10:
			at10 = heap()
		case 50:
			at50 = heap()
		}
	}
	t.Logf("live heap: %.1f MiB after step 10, %.1f MiB after step 50", float64(at10)/(1<<20), float64(at50)/(1<<20))
	if at50 > at10+at10/10+4<<20 {
		t.Errorf("heap grew from %d to %d bytes between steps 10 and 50", at10, at50)
	}
}
