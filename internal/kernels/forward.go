package kernels

import "fmt"

// Fuse selects the pointwise work fused into a convolution. The zero value
// is a plain conv plus bias.
type Fuse struct {
	ReluIn     bool // convolve relu(x); x itself is not modified
	Accumulate bool // y += conv(x) + b instead of y = conv(x) + b: a fused residual Add
	ReluOut    bool // clamp y at 0 after bias and accumulation
}

// Forward computes, for n images,
//
//	y = reluOut(conv(reluIn(x), w) + b [+ y])
//
// x is (N,C,H,W), wp is the packed weight (O, C·T) made by Pack, b is (O) or
// nil, y is (N,O,OH,OW). Only live taps are gathered and multiplied. Work is
// split into (image, band of output rows) units across ws.Threads (default GOMAXPROCS) goroutines.
func (pl *ConvPlan) Forward(ws *Workspace, y, x, wp, b []float32, n int, f Fuse) {
	pl.forward(ws, y, x, wp, b, nil, n, f)
}

// ForwardResidual computes, for n images,
//
//	y = reluOut((conv(reluIn(x), w) + b) + r)
//
// a conv and a residual Add after it, rounded as the graph says ((W·x + b)
// + r, where Forward's Accumulate rounds (y + W·x) + b), with r (N,O,OH,OW)
// read beside y instead of from it: y is a buffer of its own, r left
// as it is. f.Accumulate must be false.
func (pl *ConvPlan) ForwardResidual(ws *Workspace, y, x, wp, b, r []float32, n int, f Fuse) {
	if f.Accumulate || len(r) != len(y) {
		panic(fmt.Sprintf("kernels.ForwardResidual: r has %d elements, y %d; Accumulate %v", len(r), len(y), f.Accumulate))
	}
	pl.forward(ws, y, x, wp, b, r, n, f)
}

func (pl *ConvPlan) forward(ws *Workspace, y, x, wp, b, r []float32, n int, f Fuse) {
	pl.checkForward(y, x, wp, b, n)
	threads := ws.threads()
	rows := pl.panelRows
	if n > 0 && n < threads { // fewer images than threads: cut images into bands
		rows = min(rows, (pl.OH*n+threads-1)/threads)
	}
	bands := (pl.OH + rows - 1) / rows
	workers := max(1, min(threads, n*bands))
	ws.worker(workers - 1) // allocate every worker's slot before they start
	j := &ws.fwd
	*j = fwdJob{pl: pl, ws: ws, y: y, x: x, wp: wp, b: b, r: r, f: f, rows: rows, bands: bands}
	if simd() { // the weight packed once per call for packedGemm
		ws.apack = packA(ws.apack, wp, false, pl.p.Out, pl.K, pl.K)
		j.ap = ws.apack
	}
	parallelFor(n*bands, workers, j)
	*j = fwdJob{} // drop references to the caller's slices
}

type fwdJob struct {
	pl    *ConvPlan
	ws    *Workspace
	y, x  []float32
	wp, b []float32
	r     []float32 // ForwardResidual's r, or nil
	ap    []float32 // wp packed for packedGemm, or nil: sgemm (generic level)
	f     Fuse
	rows  int // output rows per band
	bands int // bands per image
}

// run computes output rows [r0, r1) of one image: gather, one GEMM, epilogue.
func (j *fwdJob) run(w, u int) {
	pl := j.pl
	i, r0 := u/j.bands, (u%j.bands)*j.rows
	r1 := min(r0+j.rows, pl.OH)
	hw, cols := pl.OH*pl.OW, (r1-r0)*pl.OW
	x := j.x[i*pl.XSize() : (i+1)*pl.XSize()]
	y := j.y[i*pl.YSize()+r0*pl.OW:]
	var eo epiOps
	if j.r != nil {
		eo.r = j.r[i*pl.YSize()+r0*pl.OW:]
	}
	if j.ap != nil { // fused epilogue; a pointwise conv reads relu(x) in place
		reluB := pl.pointwise && j.f.ReluIn
		col, ldcol := x[r0*pl.OW:], hw
		if !pl.pointwise {
			col, ldcol = pl.gather(j.ws.worker(w), x, r0, r1, j.f.ReluIn)
		}
		packedGemm(pl.p.Out, cols, pl.K, j.ap, col, ldcol, y, hw, j.b, eo, j.f.Accumulate, j.f.ReluOut, reluB)
		return
	}
	col, ldcol := pl.gather(j.ws.worker(w), x, r0, r1, j.f.ReluIn)
	beta := float32(0)
	if j.f.Accumulate {
		beta = 1
	}
	// y[:, band] (O, cols) = wp (O, K) · col (K, cols)
	sgemm(false, false, pl.p.Out, cols, pl.K, 1, j.wp, pl.K, col, ldcol, beta, y, hw)
	if eo.r == nil {
		biasRelu(y, pl.p.Out, cols, hw, j.b, j.f.ReluOut)
		return
	}
	biasRelu(y, pl.p.Out, cols, hw, j.b, false)
	for o := 0; o < pl.p.Out; o++ { // (W·x + b) + r, then the ReLU
		yo := y[o*hw : o*hw+cols]
		addTo(yo, eo.r[o*hw:o*hw+cols])
		if j.f.ReluOut {
			reluCopy(yo, yo)
		}
	}
}

// gather returns the (K, cols) matrix of output rows [r0, r1) of one image x
// and its row stride: x itself for a pointwise conv without relu, else an
// im2col panel in wb.col.
func (pl *ConvPlan) gather(wb *workerBuf, x []float32, r0, r1 int, relu bool) ([]float32, int) {
	hw, cols := pl.OH*pl.OW, (r1-r0)*pl.OW
	if pl.pointwise && !relu {
		return x[r0*pl.OW:], hw
	}
	wb.col = grow(wb.col, pl.K*cols)
	if pl.pointwise {
		for c := 0; c < pl.p.In; c++ {
			reluCopy(wb.col[c*cols:(c+1)*cols], x[c*hw+r0*pl.OW:c*hw+r1*pl.OW])
		}
	} else {
		pl.im2col(wb.col, x, r0, r1, relu)
	}
	return wb.col, cols
}

func (pl *ConvPlan) checkForward(y, x, wp, b []float32, n int) {
	pl.checkShapes(y, x, b, n)
	if len(wp) != pl.PackedSize() {
		panic(fmt.Sprintf("kernels: packed weight has %d elements, (O,K)=(%d,%d) needs %d (use Pack)",
			len(wp), pl.p.Out, pl.K, pl.PackedSize()))
	}
}

// checkShapes panics unless x, y and b fit the plan and n images.
func (pl *ConvPlan) checkShapes(y, x, b []float32, n int) {
	switch {
	case n < 0:
		panic(fmt.Sprintf("kernels: batch %d < 0", n))
	case len(x) != n*pl.XSize():
		panic(fmt.Sprintf("kernels: x has %d elements, (N,C,H,W)=(%d,%d,%d,%d) needs %d",
			len(x), n, pl.p.In, pl.p.H, pl.p.W, n*pl.XSize()))
	case len(y) != n*pl.YSize():
		panic(fmt.Sprintf("kernels: y has %d elements, (N,O,OH,OW)=(%d,%d,%d,%d) needs %d",
			len(y), n, pl.p.Out, pl.OH, pl.OW, n*pl.YSize()))
	case b != nil && len(b) != pl.p.Out:
		panic(fmt.Sprintf("kernels: bias has %d elements, want O=%d", len(b), pl.p.Out))
	}
}
