package testenv

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

// The one closeness rule of the tests: |got−want| <= atol + rtol·|want| for
// every element, NaN matching only NaN and ±Inf only itself. Every caller
// states, at the call site, why its atol and rtol.

// Float is the element type of the slices AllClose compares.
type Float interface{ ~float32 | ~float64 }

// maxShown is how many mismatches an error lists.
const maxShown = 5

// Close returns nil when got and want have the same length and every element
// is within atol + rtol·|want|; otherwise an error counting the mismatches
// and listing the first few and the worst.
func Close[T Float](got, want []T, atol, rtol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d values, want %d", len(got), len(want))
	}
	var bad []string
	count, worst, worstAt := 0, 0.0, -1
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if elementClose(g, w, atol, rtol) {
			continue
		}
		count++
		if len(bad) < maxShown {
			bad = append(bad, fmt.Sprintf("[%d] got %g want %g", i, g, w))
		}
		if d := math.Abs(g - w); worstAt < 0 || d > worst || math.IsNaN(d) && !math.IsNaN(worst) {
			worst, worstAt = d, i
		}
	}
	if count == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d values differ by more than atol %g + rtol %g·|want|: %s; worst [%d] got %g want %g (|diff| %g)",
		count, len(want), atol, rtol, strings.Join(bad, ", "), worstAt, float64(got[worstAt]), float64(want[worstAt]), worst)
}

func elementClose(g, w, atol, rtol float64) bool {
	if g == w || math.IsNaN(g) && math.IsNaN(w) {
		return true
	}
	if math.IsInf(g, 0) || math.IsInf(w, 0) {
		return false // an infinity matches only itself (rtol·|Inf| would accept anything)
	}
	return math.Abs(g-w) <= atol+rtol*math.Abs(w) // false when one is NaN
}

// AllClose reports whether got is close to want (see Close); when it is not,
// it marks the test failed (t.Errorf) with the mismatches, prefixed by what
// (a format and its arguments, optional) when given. The caller decides
// whether to stop: if !AllClose(...) { t.FailNow() }.
func AllClose[T Float](t testing.TB, got, want []T, atol, rtol float64, what ...any) bool {
	t.Helper()
	if err := Close(got, want, atol, rtol); err != nil {
		t.Errorf("%s%v", prefix(what), err)
		return false
	}
	return true
}

// CloseTensor is Close for graph tensors: same dtype and shape, floats within
// atol + rtol·|want|, integers equal.
func CloseTensor(got, want *graph.Tensor, atol, rtol float64) error {
	switch {
	case got == nil || want == nil:
		return fmt.Errorf("got %v, want %v", got, want)
	case got.DType != want.DType || !slices.Equal(got.Shape, want.Shape):
		return fmt.Errorf("got %v%v, want %v%v", got.DType, got.Shape, want.DType, want.Shape)
	case want.DType == graph.Float32 || want.DType == graph.Float16: // float16 values live in F32
		return Close(got.F32, want.F32, atol, rtol)
	case want.DType == graph.Float64:
		return Close(got.F64, want.F64, atol, rtol)
	case want.DType.IsInteger(): // integers and bool live in I64
		return equalInts(got.I64, want.I64)
	}
	return fmt.Errorf("comparing %v tensors is not implemented", want.DType)
}

// AllCloseTensor is AllClose for graph tensors (see CloseTensor).
func AllCloseTensor(t testing.TB, got, want *graph.Tensor, atol, rtol float64, what ...any) bool {
	t.Helper()
	if err := CloseTensor(got, want, atol, rtol); err != nil {
		t.Errorf("%s%v", prefix(what), err)
		return false
	}
	return true
}

func equalInts(got, want []int64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d values, want %d", len(got), len(want))
	}
	var bad []string
	count := 0
	for i := range want {
		if got[i] != want[i] {
			count++
			if len(bad) < maxShown {
				bad = append(bad, fmt.Sprintf("[%d] got %d want %d", i, got[i], want[i]))
			}
		}
	}
	if count > 0 {
		return fmt.Errorf("%d of %d values differ: %s", count, len(want), strings.Join(bad, ", "))
	}
	return nil
}

// prefix formats AllClose's optional what ("format", args...) as "what: ".
func prefix(what []any) string {
	if len(what) == 0 {
		return ""
	}
	if f, ok := what[0].(string); ok {
		return fmt.Sprintf(f, what[1:]...) + ": "
	}
	return fmt.Sprint(what...) + ": "
}
