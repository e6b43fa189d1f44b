//go:build !cgo

package main

import (
	"github.com/pixelgraph/pixelgraph/internal/ortlib"
)

// newORTEngine fails with ortlib.ErrNoCgo: ONNX Runtime needs cgo.
func newORTEngine(lib string, model []byte, threads int, geo benchGeo) (forwardEngine, error) {
	return nil, ortlib.Init(lib)
}
