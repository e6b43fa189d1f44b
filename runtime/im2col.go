package runtime

// im2col fills col (len(rows) or Cg·taps rows, each of oD·oH·oW values) with
// the input taps of one group: x is (Cg, D, H, W); row r = (c, kd, kh, kw) in
// row-major order over (Cg, kD, kH, kW); rows == nil means every row.
// Positions in the padding read as 0.
func im2col[T float32 | float64](g *convGeom, x []T, rows []int, col []T) {
	taps := g.taps()
	nrows := g.cg * taps
	if rows != nil {
		nrows = len(rows)
	}
	inP, outP := g.inPlane(), g.outPlane()
	for ri := 0; ri < nrows; ri++ {
		r := ri
		if rows != nil {
			r = rows[ri]
		}
		c, t := r/taps, r%taps
		kd, kh, kw := t/(g.k[1]*g.k[2]), (t/g.k[2])%g.k[1], t%g.k[2]
		src := x[c*inP : (c+1)*inP]
		dst := col[ri*outP : (ri+1)*outP]
		// Output columns ow whose input column iw = ow·s - pb + kw·d lies in [0, W).
		s2, off2 := g.stride[2], kw*g.dil[2]-g.padB[2]
		lo, hi := colRange(off2, s2, g.in[2], g.out[2])
		p := 0
		for od := 0; od < g.out[0]; od++ {
			id := od*g.stride[0] - g.padB[0] + kd*g.dil[0]
			for oh := 0; oh < g.out[1]; oh++ {
				ih := oh*g.stride[1] - g.padB[1] + kh*g.dil[1]
				row := dst[p : p+g.out[2]]
				p += g.out[2]
				if id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1] || lo >= hi {
					clear(row)
					continue
				}
				srow := src[(id*g.in[1]+ih)*g.in[2] : (id*g.in[1]+ih+1)*g.in[2]]
				clear(row[:lo])
				clear(row[hi:])
				if s2 == 1 {
					copy(row[lo:hi], srow[lo+off2:hi+off2])
				} else {
					for ow := lo; ow < hi; ow++ {
						row[ow] = srow[ow*s2+off2]
					}
				}
			}
		}
	}
}

// colRange returns the output positions [lo, hi) whose input position
// o·s + off lies in [0, n), clamped to [0, out).
func colRange(off, s, n, out int) (lo, hi int) {
	// o·s + off >= 0  <=>  o >= ceil(-off/s)
	if off < 0 {
		lo = (-off + s - 1) / s
	}
	// o·s + off <= n-1  <=>  o <= floor((n-1-off)/s)
	if n-1-off < 0 {
		return 0, 0
	}
	hi = (n-1-off)/s + 1
	lo, hi = min(lo, out), min(hi, out)
	if lo > hi {
		lo = hi
	}
	return lo, hi
}
