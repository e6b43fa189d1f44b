//go:build !cgo

// Command ort needs cgo: github.com/yalue/onnxruntime_go loads ONNX Runtime
// through it. This build (CGO_ENABLED=0) only says so.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "ort: this example needs cgo (github.com/yalue/onnxruntime_go); build it with CGO_ENABLED=1")
	os.Exit(1)
}
