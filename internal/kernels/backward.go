package kernels

import "fmt"

// Backward computes the gradients of Forward with Fuse{ReluIn: reluIn}
// (bias included), for n images:
//
//	dx  (N,C,H,W) = ∂L/∂x: col2im of wpᵀ·dy over the live taps, times (x > 0) with reluIn
//	dwp (O, C·T)  = Σ_images dy·colᵀ: packed like wp; Unpack gives OIHW with dead taps exactly 0
//	db  (O)       = Σ_images,pixels dy
//
// dy is (N,O,OH,OW), x (N,C,H,W), wp (O, C·T) from Pack. Each of dx, dwp, db
// may be nil to skip it; the others are overwritten, not accumulated.
// A fused ReluOut is the caller's: pass dy already multiplied by (y > 0)
// (ReluGrad); a fused Accumulate passes dy on to the accumulated input as is.
// Work is split by image across ws.Threads (default GOMAXPROCS) goroutines, each summing its own
// partial dwp and db.
func (pl *ConvPlan) Backward(ws *Workspace, dx, dwp, db, dy, x, wp []float32, n int, reluIn bool) {
	pl.backward(ws, dx, dwp, db, dy, x, wp, nil, n, reluIn)
}

// BackwardX is Backward's input gradient plus another term:
//
//	dx = (Wᵀ·dy, col2im'd) ⊙ (x > 0 with reluIn) + dres
//
// dres (N,C,H,W) is the gradient that reaches x by another path (x is also
// a residual Add's operand), added in the same pass; nil adds nothing.
// Bit for bit Backward's dx followed by dx += dres.
func (pl *ConvPlan) BackwardX(ws *Workspace, dx, dy, x, wp, dres []float32, n int, reluIn bool) {
	if dres != nil && len(dres) != len(x) {
		panic(fmt.Sprintf("kernels.BackwardX: dres has %d elements, x has %d", len(dres), len(x)))
	}
	pl.backward(ws, dx, nil, nil, dy, x, wp, dres, n, reluIn)
}

func (pl *ConvPlan) backward(ws *Workspace, dx, dwp, db, dy, x, wp, dres []float32, n int, reluIn bool) {
	pl.checkForward(dy, x, wp, nil, n)
	switch {
	case dx != nil && len(dx) != len(x):
		panic(fmt.Sprintf("kernels: dx has %d elements, x has %d", len(dx), len(x)))
	case dwp != nil && len(dwp) != pl.PackedSize():
		panic(fmt.Sprintf("kernels: dwp has %d elements, (O,K)=(%d,%d) needs %d",
			len(dwp), pl.p.Out, pl.K, pl.PackedSize()))
	case db != nil && len(db) != pl.p.Out:
		panic(fmt.Sprintf("kernels: db has %d elements, want O=%d", len(db), pl.p.Out))
	}
	workers := max(1, min(ws.threads(), n))
	for w := 0; w < workers; w++ {
		wb := ws.worker(w)
		wb.dw, wb.db = dwp, db // worker 0 sums straight into the caller's buffers
		if w > 0 {
			if dwp != nil {
				wb.dw = grow(wb.dw0, len(dwp))
				wb.dw0 = wb.dw
			}
			if db != nil {
				wb.db = grow(wb.db0, len(db))
				wb.db0 = wb.db
			}
		}
		clear(wb.dw)
		clear(wb.db)
	}
	j := &ws.bwd
	*j = bwdJob{pl: pl, ws: ws, dx: dx, dy: dy, x: x, wp: wp, dres: dres, reluIn: reluIn}
	if dx != nil && simd() { // wpᵀ packed once per call for packedGemm
		ws.apack = packA(ws.apack, wp, true, pl.K, pl.p.Out, pl.K)
		j.apT = ws.apack
	}
	parallelFor(n, workers, j)
	*j = bwdJob{}
	for w := 1; w < workers; w++ {
		wb := ws.worker(w)
		addTo(dwp, wb.dw)
		addTo(db, wb.db)
	}
	for w := 0; w < workers; w++ {
		wb := ws.worker(w)
		wb.dw, wb.db = nil, nil
	}
}

type bwdJob struct {
	pl        *ConvPlan
	ws        *Workspace
	dx, dy, x []float32
	wp        []float32
	dres      []float32 // BackwardX's term added to dx, or nil
	apT       []float32 // wpᵀ packed for packedGemm, or nil: sgemm (generic level)
	reluIn    bool
}

// run does one image: bias and weight gradients summed into worker w's
// partials, and that image's dx.
func (j *bwdJob) run(w, i int) {
	pl := j.pl
	wb := j.ws.worker(w)
	hw := pl.OH * pl.OW
	o := pl.p.Out
	x := j.x[i*pl.XSize() : (i+1)*pl.XSize()]
	dy := j.dy[i*pl.YSize() : (i+1)*pl.YSize()]
	if wb.db != nil {
		for c := 0; c < o; c++ {
			wb.db[c] += sum(dy[c*hw : (c+1)*hw])
		}
	}
	var dx, dres []float32
	fused := false // the relu mask and dres applied in packedGemm's epilogue
	if j.dx != nil {
		dx = j.dx[i*pl.XSize() : (i+1)*pl.XSize()]
		if j.dres != nil {
			dres = j.dres[i*pl.XSize() : (i+1)*pl.XSize()]
		}
		if pl.pointwise { // dx (C, HW) = wpᵀ (C, O) · dy (O, HW)
			if j.apT != nil {
				eo := epiOps{r: dres}
				if j.reluIn {
					eo.x = x
				}
				packedGemm(pl.K, hw, o, j.apT, dy, hw, dx, hw, nil, eo, false, false, false)
				fused = true
			} else {
				sgemm(true, false, pl.K, hw, o, 1, j.wp, pl.K, dy, hw, 0, dx, hw)
			}
		} else {
			clear(dx)
		}
	}
	for r0 := 0; r0 < pl.OH; r0 += pl.panelRows {
		r1 := min(r0+pl.panelRows, pl.OH)
		cols := (r1 - r0) * pl.OW
		dyb := dy[r0*pl.OW:]
		if wb.dw != nil { // dw (O, K) += dy[:, band] (O, cols) · colᵀ (cols, K)
			if pl.pointwise && simd() && !openblasOn { // col = relu?(x), made as the SGEMM packs it
				sgemmBlocked(&wb.gemm, false, true, j.reluIn, o, pl.K, cols, 1, dyb, hw, x[r0*pl.OW:], hw, 1, wb.dw, pl.K)
			} else {
				col, ld := pl.gather(wb, x, r0, r1, j.reluIn)
				sgemmWith(&wb.gemm, false, true, o, pl.K, cols, 1, dyb, hw, col, ld, 1, wb.dw, pl.K)
			}
		}
		if dx != nil && !pl.pointwise { // dcol (K, cols) = wpᵀ (K, O) · dy[:, band]
			wb.dcol = grow(wb.dcol, pl.K*cols)
			if j.apT != nil {
				packedGemm(pl.K, cols, o, j.apT, dyb, hw, wb.dcol, cols, nil, epiOps{}, false, false, false)
			} else {
				sgemm(true, false, pl.K, cols, o, 1, j.wp, pl.K, dyb, hw, 0, wb.dcol, cols)
			}
			pl.col2im(dx, wb.dcol, r0, r1)
		}
	}
	switch {
	case dx == nil || fused:
	case j.reluIn && dres != nil:
		reluGradAdd(dx, dx, x, dres)
	case j.reluIn:
		ReluGrad(dx, dx, x)
	case dres != nil:
		addTo(dx, dres)
	}
}

func sum(s []float32) float32 {
	var a0, a1, a2, a3 float32 // four chains: shorter rounding paths, more ILP
	for len(s) >= 4 {
		a0 += s[0]
		a1 += s[1]
		a2 += s[2]
		a3 += s[3]
		s = s[4:]
	}
	for _, v := range s {
		a0 += v
	}
	return (a0 + a1) + (a2 + a3)
}
