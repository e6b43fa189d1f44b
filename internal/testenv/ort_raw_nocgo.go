//go:build !cgo

package testenv

import "testing"

// RunORTRaw ends the test like InitORT: no ONNX Runtime without cgo.
func RunORTRaw(t testing.TB, path string, inNames []string, inputs []RawTensor, outNames []string, outputs []RawTensor) error {
	t.Helper()
	InitORT(t)
	return errNoCgo
}
