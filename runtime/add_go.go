//go:build !cgo || purego

package runtime

// addF32 sets y = a + b elementwise; y may be a or b.
func addF32(y, a, b []float32) { addF32Go(y, a, b) }

// addReluF32 sets y = a + b and r = max(y, 0); y and r may each be a or b.
func addReluF32(y, r, a, b []float32) { addReluF32Go(y, r, a, b) }
