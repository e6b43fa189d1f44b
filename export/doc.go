// Package export encodes pixelgraph graphs as ONNX files and decodes ONNX
// files back into graphs.
//
// Files written by Encode:
//   - IR version 8 and default-domain opset 13 unless Options say otherwise
//     (13..17 is what Debian's onnx 1.12 checker can vouch for);
//   - plain Conv nodes with every attribute explicit and the masks already
//     multiplied into the weights (no Mul node, no custom op or attribute);
//   - initializers as little-endian raw_data, in build order;
//   - model-level metadata_props under pixelgraph.* (version, config,
//     levels, input scaling, which initializer carries which mask);
//   - the same graph always encodes to the same bytes.
//
// Decode reads IR versions 3..10 and opsets 1..21 (graph.MinOpset to
// graph.MaxOpset; DecodeOptions.MinOpset can raise the floor) from any
// exporter. It restores our Config and mask kinds
// from pixelgraph.* metadata and verifies the zero pattern; it checks every
// declared tensor size against the bytes present before allocating, and
// reads external data only from inside the model's folder. Errors are
// *FormatError (not valid ONNX) or *UnsupportedError (valid, outside what we
// run). For our files, Encode(Decode(Encode(g))) gives the same bytes.
package export
