//go:build !cgo

package ortlib

import "errors"

// ErrNoCgo is Init's error in a CGO_ENABLED=0 build.
var ErrNoCgo = errors.New("this build has no cgo (CGO_ENABLED=0): ONNX Runtime needs cgo")

// Init fails: ONNX Runtime cannot be loaded without cgo.
func Init(lib string) error { return ErrNoCgo }

// Loaded returns "": nothing is ever loaded without cgo.
func Loaded() string { return "" }

// Version returns "": nothing is ever loaded without cgo.
func Version() string { return "" }
