package sample

import (
	"bytes"
	"image/png"
	"testing"
)

func TestSampleGrid(t *testing.T) {
	t.Parallel()
	r := &Result{Geometry: Geometry{H: 2, W: 3, Q: 4}, N: 3, Levels: []int32{
		0, 1, 2, 3, 0, 0,
		3, 3, 3, 3, 3, 3,
		1, 1, 1, 2, 2, 2,
	}}
	img := SampleGrid(r, GridOptions{Cols: 2, Pad: 1})
	if b := img.Bounds(); b.Dx() != 2*(3+1)+1 || b.Dy() != 2*(2+1)+1 {
		t.Fatalf("bounds %v", b)
	}
	for _, c := range []struct{ x, y, want int }{
		{0, 0, PadGrey}, {1, 1, 0}, {2, 1, 85}, {3, 1, 170}, {1, 2, 255}, {5, 1, 255}, {1, 4, 85}, {3, 5, 170}, {6, 4, PadGrey},
	} {
		if got := img.GrayAt(c.x, c.y).Y; int(got) != c.want {
			t.Errorf("pixel (%d,%d) = %d, want %d", c.x, c.y, got, c.want)
		}
	}
	var buf bytes.Buffer
	if err := WritePNG(&buf, img); err != nil {
		t.Fatal(err)
	}
	back, err := png.Decode(&buf)
	if err != nil || back.Bounds() != img.Bounds() {
		t.Fatalf("decode: %v", err)
	}
}

func TestCompletionGrid(t *testing.T) {
	t.Parallel()
	orig := []int32{3, 3, 3, 3} // one 2x2 image
	comp := &Result{Geometry: Geometry{H: 2, W: 2, Q: 4}, N: 2, Levels: []int32{3, 3, 0, 0, 3, 3, 1, 1}}
	img, err := CompletionGrid(orig, 1, comp, 2, GridOptions{Pad: -1, Scale: 2})
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 4*4 || b.Dy() != 4 {
		t.Fatalf("bounds %v", b)
	}
	// occluded image: top row kept, bottom row grey
	if img.GrayAt(4, 0).Y != 255 || img.GrayAt(4, 3).Y != OccludedGrey || img.GrayAt(8, 3).Y != 0 || img.GrayAt(12, 3).Y != 85 {
		t.Errorf("unexpected pixels")
	}
	if _, err := CompletionGrid(orig, 1, comp, 3, GridOptions{}); err == nil {
		t.Error("k mismatch accepted")
	}
}
