package kernels

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// level is an instruction set the kernels run at. Higher levels include
// the lower ones.
type level int32

const (
	levelGeneric level = iota // pure Go
	levelAVX2                 // AVX2 + FMA, 16 YMM registers
	levelAVX512               // AVX-512F (+ FMA), 32 ZMM registers and opmasks
)

var levelNames = [...]string{levelGeneric: "generic", levelAVX2: "avx2", levelAVX512: "avx512"}

func (l level) String() string { return levelNames[l] }

// EnvCPU is the environment variable that forces a lower level than the
// CPU allows, read once when the package loads: "avx512", "avx2" or
// "generic" (pure Go). A level above what the CPU and build allow, or an
// unknown value, leaves the best level in force; Describe says so.
const EnvCPU = "PIXELGRAPH_CPU"

var (
	maxLevel  level        // what the CPU and the build allow
	cur       atomic.Int32 // the level in force
	envNote   string       // what became of PIXELGRAPH_CPU, for Describe
	cpuFlags  []string     // features seen, for Describe
	envForced string
)

func init() {
	maxLevel = detect()
	l, note := chooseLevel(maxLevel, os.Getenv(EnvCPU))
	cur.Store(int32(l))
	envNote, envForced = note, os.Getenv(EnvCPU)
}

// detect is the one CPU-feature check of the package (golang.org/x/sys/cpu,
// which also checks that the OS saves the YMM/ZMM and opmask registers).
// Without assembly in the build (purego, other architectures) it is
// generic.
func detect() level {
	x := cpu.X86
	for _, f := range []struct {
		on   bool
		name string
	}{{x.HasAVX2, "avx2"}, {x.HasFMA, "fma"}, {x.HasAVX512F, "avx512f"}} {
		if f.on {
			cpuFlags = append(cpuFlags, f.name)
		}
	}
	switch {
	case !asmBuilt:
		return levelGeneric
	case x.HasAVX512F && x.HasFMA && x.HasAVX2:
		return levelAVX512
	case x.HasAVX2 && x.HasFMA:
		return levelAVX2
	}
	return levelGeneric
}

// chooseLevel applies the PIXELGRAPH_CPU request env to the best level max.
func chooseLevel(max level, env string) (level, string) {
	if env == "" {
		return max, ""
	}
	for l, name := range levelNames {
		if strings.EqualFold(env, name) {
			if level(l) > max {
				return max, fmt.Sprintf("%s=%s asked for more than this CPU and build allow (%s)", EnvCPU, env, max)
			}
			return level(l), fmt.Sprintf("forced by %s=%s", EnvCPU, env)
		}
	}
	return max, fmt.Sprintf("%s=%q not understood (want avx512, avx2 or generic): ignored", EnvCPU, env)
}

func curLevel() level { return level(cur.Load()) }

// simd reports whether the assembly kernels (AVX2 or AVX-512) run.
func simd() bool { return curLevel() >= levelAVX2 }

// setLevel forces level l (at most maxLevel) and returns the function that
// restores the previous one: the test hook behind PIXELGRAPH_CPU.
func setLevel(l level) (restore func()) {
	if l > maxLevel {
		panic(fmt.Sprintf("kernels: level %s above this CPU's %s", l, maxLevel))
	}
	old := cur.Swap(int32(l))
	return func() { cur.Store(old) }
}

// Info describes the kernels in force (for pixelgraph version and bench).
type Info struct {
	Level    string   // "avx512", "avx2" or "generic": what runs
	Max      string   // the best level this CPU and build allow
	Features []string // CPU features seen among avx2, fma, avx512f
	Env      string   // PIXELGRAPH_CPU as set, "" when unset
	Note     string   // what became of Env, "" when unset
	SGEMM    string   // Backend()
	Conv     string   // the channels-last conv kernel (ForwardNHWC)
}

// CPU returns what runs and why.
func CPU() Info {
	return Info{Level: curLevel().String(), Max: maxLevel.String(), Features: append([]string(nil), cpuFlags...),
		Env: envForced, Note: envNote, SGEMM: Backend(), Conv: directName()}
}

// Describe is CPU() on one line, for example
//
//	avx512 (conv: direct AVX-512; sgemm: avx512; cpu: avx2 fma avx512f)
//	avx2 (conv: direct AVX2; sgemm: avx2; cpu: avx2 fma avx512f; forced by PIXELGRAPH_CPU=avx2)
func Describe() string {
	i := CPU()
	s := fmt.Sprintf("%s (conv: %s; sgemm: %s; cpu: %s", i.Level, i.Conv, i.SGEMM, strings.Join(i.Features, " "))
	if len(i.Features) == 0 {
		s += "none of avx2 fma avx512f"
	}
	if i.Note != "" {
		s += "; " + i.Note
	}
	return s + ")"
}

// directName names the kernel ForwardNHWC runs.
func directName() string {
	switch curLevel() {
	case levelAVX512:
		return "direct AVX-512"
	case levelAVX2:
		return "direct AVX2"
	}
	return "direct Go"
}
