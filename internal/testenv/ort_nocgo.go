//go:build !cgo

// ONNX Runtime needs cgo (github.com/yalue/onnxruntime_go loads
// libonnxruntime through it). In a CGO_ENABLED=0 build this file stands in
// for ort.go with the same API: everything that would load ONNX Runtime ends
// the test through Unavailable, i.e. it fails with a message saying the test
// needs a cgo build, skips only when PIXELGRAPH_NO_INTEROP=1, and always fails
// on CI (CI=true). This keeps the pure-Go build of the test packages working:
//
//	PIXELGRAPH_NO_INTEROP=1 CGO_ENABLED=0 go test ./...

package testenv

import (
	"errors"
	"testing"
)

// errNoCgo is returned by the session methods; NewORTSession never returns a
// session in this build, so only a zero ORTSession can report it.
var errNoCgo = errors.New("ONNX Runtime is not available in a CGO_ENABLED=0 build")

// InitORT ends the test: ONNX Runtime cannot be loaded without cgo (see
// Unavailable for when that is a failure and when a skip).
func InitORT(t testing.TB) {
	t.Helper()
	Unavailable(t, "ONNX Runtime (github.com/yalue/onnxruntime_go)",
		"this test binary was built with CGO_ENABLED=0, and onnxruntime_go needs cgo to load libonnxruntime",
		"run the tests in a cgo build (CGO_ENABLED=1, the default, with a C compiler such as Debian's gcc), e.g. scripts/test.sh")
}

// ORTVersion ends the test like InitORT.
func ORTVersion(t testing.TB) string {
	t.Helper()
	InitORT(t)
	return ""
}

// ORTElementType is a tensor element type as ONNX Runtime reports it
// (onnxruntime_go's TensorElementDataType in cgo builds).
type ORTElementType int

// ORTValueInfo describes a model input or output. Symbolic dimensions are -1.
type ORTValueInfo struct {
	Name  string
	Shape []int64
	Type  ORTElementType
}

// ORTSession is a reusable ONNX Runtime session; without cgo none can be
// created.
type ORTSession struct {
	Inputs  []ORTValueInfo
	Outputs []ORTValueInfo
}

// NewORTSession ends the test like InitORT; it returns only if a test
// helper's Fatal/Skip did not stop the goroutine.
func NewORTSession(t testing.TB, model []byte, opts ORTOptions) (*ORTSession, error) {
	t.Helper()
	InitORT(t)
	return nil, errNoCgo
}

// Close is a no-op.
func (s *ORTSession) Close() error { return nil }

// Run always fails: there is no ONNX Runtime in this build.
func (s *ORTSession) Run(inputs ...ORTTensor) ([]ORTTensor, error) {
	return nil, errNoCgo
}
