package sample

import (
	"context"
	"fmt"
)

// naive is the reference sampler: for each pixel in raster order, one full
// forward pass of the batch, then one draw per image.
func naive(ctx context.Context, fwd Forward, geo Geometry, opts Options, known []int32, rows int) (*Result, error) {
	res, u := newResult(geo, opts, Naive)
	px, n, q := geo.H*geo.W, opts.N, geo.Q
	x := make([]float32, n*px) // (n, 1, H, W), zeros where not yet sampled
	scale := 1 / float32(q-1)
	start := rows * geo.W
	buf := make([]float32, q)
	for i := 0; i < n; i++ {
		for p := 0; p < start; p++ {
			l := known[i*px+p]
			res.Levels[i*px+p] = l
			x[i*px+p] = float32(l) * scale
		}
	}
	for p := start; p < px; p++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		logits, err := fwd(ctx, x, n)
		if err != nil {
			return nil, fmt.Errorf("pixel %d: %w", p, err)
		}
		if len(logits) != n*q*px {
			return nil, fmt.Errorf("forward pass returned %d logits, want %d (n=%d, q=%d, %dx%d)", len(logits), n*q*px, n, q, geo.H, geo.W)
		}
		for i := 0; i < n; i++ {
			col, stride := logits[i*q*px+p:], px
			if geo.Probs {
				col, stride = logProbs(col, px, q, buf), 1
			}
			l, near := Categorical(col, stride, q, opts.Temperature, u[i][p])
			if near {
				res.NearBoundary = append(res.NearBoundary, i*px+p)
			}
			res.Levels[i*px+p] = int32(l)
			x[i*px+p] = float32(l) * scale
		}
		if opts.Progress != nil {
			opts.Progress(p+1, px)
		}
	}
	return res, nil
}
