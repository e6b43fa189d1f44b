package main

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// renderLoss draws bits/dim per step (and a running mean over 50 steps) as
// PNG bytes.
func renderLoss(bits []float64, firstStep int) ([]byte, error) {
	if len(bits) == 0 {
		return nil, fmt.Errorf("no steps to draw")
	}
	p := plot.New()
	p.Title.Text = "PixelCNN training loss"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "bits/dim (batch)"
	raw := make(plotter.XYs, len(bits))
	mean := make(plotter.XYs, len(bits))
	const window = 50
	sum := 0.0
	for i, b := range bits {
		raw[i].X, raw[i].Y = float64(firstStep+i+1), b
		sum += b
		if i >= window {
			sum -= bits[i-window]
		}
		mean[i].X, mean[i].Y = raw[i].X, sum/float64(min(i+1, window))
	}
	l1, err := plotter.NewLine(raw)
	if err != nil {
		return nil, err
	}
	l1.Color = plotterGrey
	l2, err := plotter.NewLine(mean)
	if err != nil {
		return nil, err
	}
	l2.Width = vg.Points(2)
	p.Add(plotter.NewGrid(), l1, l2)
	p.Legend.Add("batch", l1)
	p.Legend.Add(fmt.Sprintf("mean of %d", window), l2)
	p.Legend.Top = true
	// The first steps fall from ~log2(q) to a fraction of it, flattening the
	// rest of the curve into one line: frame the running mean after its
	// first 5% of steps, and say in the title how high the clipped start was.
	lo, hi, top := mean[0].Y, 0.0, 0.0
	for i, m := range mean {
		lo, top = min(lo, raw[i].Y, m.Y), max(top, raw[i].Y)
		if i >= len(mean)/20 {
			hi = max(hi, m.Y)
		}
	}
	if hi *= 1.5; len(bits) >= 100 && top > hi {
		p.Y.Min, p.Y.Max = lo*0.95, hi
		p.Title.Text += fmt.Sprintf(" (clipped: the first steps reach %.3g)", top)
	}
	wt, err := p.WriterTo(8*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var plotterGrey = color.Gray{Y: 170}
