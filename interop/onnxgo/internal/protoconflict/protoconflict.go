// Package protoconflict lets pixelgraph's ONNX types and onnx-go's live in
// one binary. Both are generated from onnx.proto with the proto package
// name "onnx", so each registers onnx.ModelProto, onnx.TensorProto, ... in
// the global protobuf registry, and google.golang.org/protobuf panics at
// start-up on the second registration ("proto: message
// onnx.AttributeProto is already registered").
//
// Importing this package for its side effect sets
// GOLANG_PROTOBUF_REGISTRATION_CONFLICT=ignore (unless already set) before
// either registers. That is safe here: neither side looks messages up in the
// global registry by name (no Any, no text format of foreign types); each
// decodes with its own generated Go types.
//
// Why it runs first: Go initializes packages in import-path order among those
// whose imports are initialized. This package imports only os, so it is ready
// as soon as os is, and its path (github.com/pixelgraph/...) sorts before
// google.golang.org/protobuf/..., which every registering package waits for.
// TestRegistrationOrder in the parent package checks it still works.
package protoconflict

import "os"

// Env is the variable google.golang.org/protobuf reads on a conflict.
const Env = "GOLANG_PROTOBUF_REGISTRATION_CONFLICT"

// Set reports whether this package set Env (false: it was already set).
var Set bool

func init() {
	if os.Getenv(Env) == "" {
		os.Setenv(Env, "ignore")
		Set = true
	}
}
