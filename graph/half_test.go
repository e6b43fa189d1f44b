package graph

import (
	"math"
	"testing"
)

func TestFloat16(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f    float64
		bits uint16
	}{
		{0, 0}, {math.Copysign(0, -1), 0x8000}, {1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff},
		{65519.99, 0x7bff}, {65520, 0x7c00}, {math.Inf(-1), 0xfc00},
		{0x1p-24, 0x0001}, {0x1p-14, 0x0400}, {0x1p-25, 0}, {0x1.8p-25, 0x0001}, // smallest subnormal, tie to even
		{1 + 0x1p-11, 0x3c00}, {1 + 0x1.8p-10, 0x3c02}, // ties to even
		{0.1, 0x2e66}, {2047.5, 0x6800}, // 2047.5 rounds up into the next binade (2048)
	} {
		if got := Float64ToFloat16(tc.f); got != tc.bits {
			t.Errorf("Float64ToFloat16(%g) = %#04x, want %#04x", tc.f, got, tc.bits)
		}
	}
	if b := Float64ToFloat16(math.NaN()); b&0x7c00 != 0x7c00 || b&0x3ff == 0 {
		t.Errorf("NaN encodes as %#04x", b)
	}
	// Every half round-trips through float32.
	for h := 0; h < 1<<16; h++ {
		f := Float16ToFloat32(uint16(h))
		if f != f {
			continue
		}
		if got := Float64ToFloat16(float64(f)); got != uint16(h) {
			t.Fatalf("%#04x -> %g -> %#04x", h, f, got)
		}
	}
}
