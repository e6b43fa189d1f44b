// Package onnxgo holds the compatibility tests of pixelgraph's ONNX files
// with github.com/owulveryck/onnx-go v0.5.0 (gorgonnx backend). It is a
// separate module so that onnx-go's older gorgonia never enters the main
// module's build list. See README.md.
package onnxgo
