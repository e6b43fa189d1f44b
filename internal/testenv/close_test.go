package testenv

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

func TestClose(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name       string
		got, want  []float64
		atol, rtol float64
		ok         bool
	}{
		{"equal", []float64{1, -2, 0}, []float64{1, -2, 0}, 0, 0, true},
		{"within atol", []float64{1.5}, []float64{1}, 0.5, 0, true},
		{"just over atol", []float64{1.5000001}, []float64{1}, 0.5, 0, false},
		{"within rtol of want", []float64{110}, []float64{100}, 0, 0.1, true},
		{"rtol scales want, not got", []float64{100}, []float64{110}, 0, 0.05, false},
		{"atol + rtol add", []float64{111}, []float64{100}, 1, 0.1, true},
		{"NaN matches NaN", []float64{nan}, []float64{nan}, 0, 0, true},
		{"NaN got fails", []float64{nan}, []float64{1}, 1e9, 1e9, false},
		{"NaN want fails", []float64{1}, []float64{nan}, 1e9, 1e9, false},
		{"Inf matches Inf", []float64{inf}, []float64{inf}, 0, 0, true},
		{"Inf against finite fails", []float64{inf}, []float64{1}, 1e9, 1e9, false},
		{"-Inf against Inf fails", []float64{-inf}, []float64{inf}, 1e9, 1e9, false},
		{"length differs", []float64{1, 2}, []float64{1}, 1, 1, false},
	}
	for _, c := range cases {
		err := Close(c.got, c.want, c.atol, c.rtol)
		if (err == nil) != c.ok {
			t.Errorf("%s: Close(%v, %v, atol %g, rtol %g) = %v, want ok=%v", c.name, c.got, c.want, c.atol, c.rtol, err, c.ok)
		}
	}
}

func TestCloseReportsCountAndWorst(t *testing.T) {
	t.Parallel()
	got := []float32{1, 2.5, 3, 9}
	want := []float32{1, 2, 3, 4}
	err := Close(got, want, 0.1, 0)
	if err == nil {
		t.Fatal("no error")
	}
	for _, s := range []string{"2 of 4 values", "[1] got 2.5 want 2", "worst [3] got 9 want 4"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
}

// recorder is a testing.TB that records Errorf instead of failing.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func TestAllCloseFailsTheTest(t *testing.T) {
	t.Parallel()
	r := &recorder{TB: t}
	if !AllClose(r, []float64{1}, []float64{1}, 0, 0, "same") || len(r.msgs) != 0 {
		t.Fatalf("equal values: %v", r.msgs)
	}
	if AllClose(r, []float32{1}, []float32{2}, 0.5, 0, "logits of %s", "res01") {
		t.Fatal("AllClose(1, 2, atol 0.5) = true")
	}
	if len(r.msgs) != 1 || !strings.HasPrefix(r.msgs[0], "logits of res01: 1 of 1 values") {
		t.Fatalf("messages %q", r.msgs)
	}
	a := graph.NewFloat32([]int{2}, []float32{1, 2})
	b := graph.NewFloat32([]int{1, 2}, []float32{1, 2})
	if AllCloseTensor(r, a, b, 1, 1) {
		t.Fatal("shapes [2] and [1 2] compared equal")
	}
}

func TestCloseTensor(t *testing.T) {
	t.Parallel()
	f := func(v ...float32) *graph.Tensor { return graph.NewFloat32([]int{len(v)}, v) }
	i := func(v ...int64) *graph.Tensor { return graph.NewInt64([]int{len(v)}, v) }
	cases := []struct {
		name      string
		got, want *graph.Tensor
		ok        bool
	}{
		{"float within", f(1, 2.05), f(1, 2), true},
		{"float outside", f(1, 2.2), f(1, 2), false},
		{"int equal", i(3, 4), i(3, 4), true},
		{"int differs (tolerance ignored)", i(3, 5), i(3, 4), false},
		{"dtype differs", f(3, 4), i(3, 4), false},
		{"missing", nil, f(1), false},
	}
	for _, c := range cases {
		// atol 0.1: "within" and "outside" sit either side of it.
		if err := CloseTensor(c.got, c.want, 0.1, 0); (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

func TestCompareTensorsOrder(t *testing.T) {
	t.Parallel()
	got := Float32("y", []int64{1}, []float32{101})
	want := Float32("y", []int64{1}, []float32{100})
	// |diff| 1: atol 1 passes; rtol 1e-3 (0.1 here) alone does not. With the
	// arguments swapped the two results would swap too.
	if err := CompareTensors(got, want, 1, 0); err != nil {
		t.Errorf("atol 1: %v", err)
	}
	if err := CompareTensors(got, want, 0, 1e-3); err == nil {
		t.Error("rtol 1e-3 accepted a difference of 1 at 100")
	}
}
