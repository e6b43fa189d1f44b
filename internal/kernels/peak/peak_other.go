//go:build !amd64 || purego

package peak

// loops is the portable loop only: no assembly in this build.
func loops() []loop { return []loop{goScalar} }

// best is the portable loop.
func best() loop { return goScalar }
