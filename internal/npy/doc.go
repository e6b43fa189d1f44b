// Package npy reads and writes NumPy's .npy files (format versions 1.0,
// 2.0 and 3.0, NEP 1) as graph tensors, so `pixelgraph run` and `pixelgraph
// tensor` speak the array format a Python user has at hand.
//
// It is written here rather than taken from codeberg.org/sbinet/npyio
// (v0.14.0): that module requires gonum v0.17 and newer x/text, which would
// move the whole module's gonum (plot, the pure-Go SGEMM) for a format of a
// magic string, a one-line Python dict and raw little-endian data.
//
// Invariants:
//   - Write emits version 1.0, C order, little-endian, the header padded
//     with spaces to a multiple of 64 bytes and ended by '\n', as numpy.save
//     does; the same tensor always gives the same bytes.
//   - Read accepts C-order arrays of '<f4', '<f8', '<i8', '<i4', '<i2',
//     '|i1', '|u1' and '|b1' (and '=' or '<' for the native little-endian
//     order); anything else is an error naming the header field. The data
//     size the header declares is checked against the bytes present before
//     the tensor is allocated.
package npy
