//go:build !cgo

package main

import (
	"errors"

	"github.com/pixelgraph/pixelgraph/graph"
)

func newORTEngine(lib string, model []byte, threads int, cfg graph.Config) (forwardEngine, error) {
	return nil, errors.New("this pixelgraph was built without cgo (CGO_ENABLED=0): ONNX Runtime needs cgo")
}
