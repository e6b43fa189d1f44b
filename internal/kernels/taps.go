package kernels

// LiveTaps returns the row-major indices (ky·kw+kx) of the non-zero entries
// of a kh×kw mask grid, such as graph.Mask(kind, kh, kw) returns:
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

// LiveTapsOf returns the taps of w (O,C,kh,kw) where some weight is non-zero:
// the zero pattern of an imported weight. Training must use the mask
// (LiveTaps) instead: a tap that happens to be zero still has a gradient.
func LiveTapsOf(w []float32, kh, kw int) []int {
	kk := kh * kw
	live := make([]bool, kk)
	for i, v := range w {
		if v != 0 {
			live[i%kk] = true
		}
	}
	var taps []int
	for t, l := range live {
		if l {
			taps = append(taps, t)
		}
	}
	return taps
}
