//go:build cgo

package ortlib

import (
	"fmt"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

var state struct {
	once sync.Once
	lib  string
	err  error
}

// Init loads libonnxruntime from lib and initializes ONNX Runtime's
// environment (logging errors only), once per process: later calls return
// the first call's result, whatever lib they name.
func Init(lib string) error {
	state.once.Do(func() {
		state.lib = lib
		if ort.IsInitialized() {
			return // initialized by someone else in this process
		}
		ort.SetSharedLibraryPath(lib)
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			state.err = fmt.Errorf("initializing ONNX Runtime from %s: %w", lib, err)
		}
	})
	return state.err
}

// Loaded returns the library the first Init call named ("" before it).
func Loaded() string { return state.lib }

// Version returns the loaded ONNX Runtime's version, e.g. "1.30.0"; call it
// only after Init succeeded.
func Version() string { return ort.GetVersion() }
