// Command asm generates the amd64 assembly of package kernels with avo
// (github.com/mmcloughlin/avo). It lives in its own module so that avo is
// not a dependency of pixelgraph. Run through go generate in the parent
// package; -set picks which group of kernels one invocation writes:
//
//	go run . -set direct -out ../direct_amd64.s -stubs ../direct_stub_amd64.go -pkg kernels
//
// Each group's functions, their arguments and their contracts are described
// in the group's file here (direct.go, gemm.go, pointwise.go, pack.go,
// gate.go) and in
// the Go file of package kernels that calls them. Generated files are
// committed; kernels' TestGeneratedAsmIsFresh regenerates them and compares.
package main

import (
	"flag"
	"fmt"
	"os"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

var sets = map[string]func(){
	"direct":    direct,
	"gemm":      gemm,
	"pointwise": pointwise,
	"pack":      pack,
	"gate":      gate,
}

func main() {
	set := flag.String("set", "", "group of kernels to generate: direct, gemm, pointwise, pack or gate")
	flag.Parse()
	gen, ok := sets[*set]
	if !ok {
		fmt.Fprintf(os.Stderr, "asm: -set must be one of direct, gemm, pointwise, pack, gate; got %q\n", *set)
		os.Exit(2)
	}
	ConstraintExpr("!purego")
	gen()
	Generate()
}

// arg is the stack address of a function argument, for instructions that
// take a memory operand (CMOV, TEST, KMOVW, ADD) without a register.
func arg(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// labels makes function-unique label names.
var labelN int

func newLabel(prefix string) string {
	labelN++
	return fmt.Sprintf("%s%d", prefix, labelN)
}

// ifFlag emits body only when (flags & bit) != 0 at run time.
func ifFlag(flags Mem, bit int, body func()) {
	skip := newLabel("noflag")
	TESTQ(U32(bit), flags)
	JZ(LabelRef(skip))
	body()
	Label(skip)
}

// zeroVecs clears every register of vs: VPXORD for ZMM registers (AVX-512F;
// VXORPS on a ZMM would need AVX512DQ), VXORPS otherwise.
func zeroVecs(vs ...VecVirtual) {
	for _, v := range vs {
		if v.Size() == 64 {
			VPXORD(v, v, v)
		} else {
			VXORPS(v, v, v)
		}
	}
}

// relu sets v = max(0, v) with zero a register holding +0: MAXPS returns
// its second source operand when either is NaN, so NaN stays NaN, as in
// ONNX Relu and the Go kernels.
func relu(v, zero VecVirtual) { VMAXPS(v, zero, v) }
