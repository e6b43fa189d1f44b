package dataset

import "fmt"

// CheckLevels reports whether q is a usable number of levels (2..256).
func CheckLevels(q int) error {
	if q < 2 || q > 256 {
		return fmt.Errorf("levels must be in 2..256, got %d", q)
	}
	return nil
}

// Level quantizes one 8-bit pixel into q levels: floor(pixel·q/256).
func Level(pixel uint8, q int) uint8 { return uint8(int(pixel) * q / 256) }

// Quantize writes the level of every pixel of src into dst (same length).
func Quantize(dst, src []uint8, q int) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("dataset.Quantize: %d destination bytes for %d pixels", len(dst), len(src)))
	}
	for i, p := range src {
		dst[i] = uint8(int(p) * q / 256)
	}
}

// Scale writes the model input level/(q−1) of every level into dst.
func Scale(dst []float32, levels []uint8, q int) {
	if len(dst) != len(levels) {
		panic(fmt.Sprintf("dataset.Scale: %d destination values for %d levels", len(dst), len(levels)))
	}
	den := float32(q - 1)
	for i, l := range levels {
		dst[i] = float32(l) / den
	}
}
