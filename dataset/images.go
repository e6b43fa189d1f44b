package dataset

import "fmt"

// Images is a set of grey images with their labels.
type Images struct {
	N, H, W int
	Pix     []uint8 // N×H×W, row-major, 0 = black ... 255 = white
	Labels  []uint8 // N labels 0..9, or nil
}

// Image returns the pixels of image i (H×W, shared with the set).
func (im *Images) Image(i int) []uint8 {
	n := im.H * im.W
	return im.Pix[i*n : (i+1)*n]
}

// Slice returns images [i, j) sharing the pixels.
func (im *Images) Slice(i, j int) *Images {
	if i < 0 || j > im.N || i > j {
		panic(fmt.Sprintf("dataset: slice [%d:%d] of %d images", i, j, im.N))
	}
	n := im.H * im.W
	s := &Images{N: j - i, H: im.H, W: im.W, Pix: im.Pix[i*n : j*n]}
	if im.Labels != nil {
		s.Labels = im.Labels[i:j]
	}
	return s
}

// Crop returns a copy holding the h×w window at (top, left) of every image.
func (im *Images) Crop(top, left, h, w int) (*Images, error) {
	if top < 0 || left < 0 || h <= 0 || w <= 0 || top+h > im.H || left+w > im.W {
		return nil, fmt.Errorf("dataset: crop %dx%d at (%d,%d) does not fit %dx%d images", h, w, top, left, im.H, im.W)
	}
	c := &Images{N: im.N, H: h, W: w, Pix: make([]uint8, im.N*h*w), Labels: im.Labels}
	for i := 0; i < im.N; i++ {
		src := im.Image(i)
		dst := c.Image(i)
		for r := 0; r < h; r++ {
			copy(dst[r*w:(r+1)*w], src[(top+r)*im.W+left:])
		}
	}
	return c, nil
}
