//go:build !cgo || purego

package runtime

// addF32 sets y = a + b elementwise; y may be a or b.
func addF32(y, a, b []float32) { addF32Go(y, a, b) }
