// Package deps locates the files that scripts/install-test-deps.sh installs
// under .deps/ of a checkout (never committed), for the commands and tests
// that use them when present.
//
// Invariant: lookups only read the file system; nothing is downloaded.
package deps

import (
	"fmt"
	"os"
	"path/filepath"
)

// ORTWebVersion is the onnxruntime-web npm package the install script installs.
const ORTWebVersion = "1.30.0"

// ORTWebRelPath is where the install script puts onnxruntime-web's dist
// files, relative to the module root.
const ORTWebRelPath = ".deps/ort-web/node_modules/onnxruntime-web/dist"

// EnvORTWeb overrides the onnxruntime-web dist directory.
const EnvORTWeb = "PIXELGRAPH_ORT_WEB"

// ORTWebEntry is the file of the dist directory a page imports.
const ORTWebEntry = "ort.wasm.min.mjs"

// ORTWebDir returns $PIXELGRAPH_ORT_WEB, or ORTWebRelPath under the nearest
// directory at or above the working directory that has it.
func ORTWebDir() (string, error) {
	if d := os.Getenv(EnvORTWeb); d != "" {
		return d, checkFile(filepath.Join(d, ORTWebEntry), EnvORTWeb+"="+d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		d := filepath.Join(dir, filepath.FromSlash(ORTWebRelPath))
		if checkFile(filepath.Join(d, ORTWebEntry), "") == nil {
			return d, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no %s in %s or any parent directory (and %s is not set)", ORTWebRelPath, wd, EnvORTWeb)
		}
		dir = parent
	}
}

func checkFile(p, what string) error {
	fi, err := os.Stat(p)
	if err == nil && fi.Mode().IsRegular() {
		return nil
	}
	if what != "" {
		return fmt.Errorf("%s: %s is not a file", what, p)
	}
	return fmt.Errorf("%s is not a file", p)
}
