//go:build openblas && !cgo

package openblas

// The openblas tag links OpenBLAS through cgo: with CGO_ENABLED=0 the build
// stops here rather than silently leaving OpenBLAS out.
var _ = the_openblas_build_tag_needs_cgo
