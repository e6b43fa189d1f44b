package kernels

// LiveTaps returns the row-major indices (ky·kw+kx) of the non-zero entries
// of a kh×kw mask grid, such as graph.Mask(kind, kh, kw) returns (the
// engines take a weight's live taps from the layer plan, layers.Taps):
//
//	kernels.LiveTaps(graph.Mask(graph.MaskB, 3, 3)) // [0 1 2 3 4]
func LiveTaps(mask []float32) []int {
	var taps []int
	for t, m := range mask {
		if m != 0 {
			taps = append(taps, t)
		}
	}
	return taps
}
