package main

import (
	"context"
	"fmt"
	"io"
	goruntime "runtime"
	"runtime/debug"
	"strings"

	"golang.org/x/sys/cpu"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
)

func init() {
	register(&command{
		name:  "version",
		args:  "",
		short: "print the module version, Go version, the kernels that run and the CPU features seen (also --version)",
		run:   runVersion,
	})
}

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(commands["version"], e)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	writeVersion(e.stdout)
	return nil
}

// writeVersion prints one "name: value" line per fact.
func writeVersion(w io.Writer) {
	mod, rev := "(unknown: built without module information)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		mod = bi.Main.Path + " " + bi.Main.Version
		var r, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				r = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = ", modified"
				}
			}
		}
		if r != "" {
			rev = fmt.Sprintf(" (vcs %.12s%s)", r, modified)
		}
	}
	fmt.Fprintf(w, "pixelgraph: %s%s\n", mod, rev)
	fmt.Fprintf(w, "onnx files: producer %q %s\n", export.Producer, export.Version)
	fmt.Fprintf(w, "go: %s %s/%s\n", goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
	fmt.Fprintf(w, "kernels: %s\n", kernelsDescription())
	fmt.Fprintf(w, "cpu: %s\n", cpuFeatures())
}

// kernelsDescription says which kernels run (kernels.CPU): the
// channels-last conv of inference, the SGEMM, and the level (avx512, avx2
// or generic) with what became of PIXELGRAPH_CPU when it is set.
func kernelsDescription() string {
	i := kernels.CPU()
	s := fmt.Sprintf("conv: %s; sgemm: %s; level: %s", i.Conv, i.SGEMM, i.Level)
	if i.Note != "" {
		s += " (" + i.Note + ")"
	}
	return s
}

// cpuFeatures lists the SIMD features the CPU reports (golang.org/x/sys/cpu).
func cpuFeatures() string {
	var fs []string
	add := func(name string, has bool) {
		if has {
			fs = append(fs, name)
		}
	}
	switch goruntime.GOARCH {
	case "amd64", "386":
		x := cpu.X86
		add("sse4.1", x.HasSSE41)
		add("sse4.2", x.HasSSE42)
		add("avx", x.HasAVX)
		add("avx2", x.HasAVX2)
		add("fma", x.HasFMA)
		add("avx512f", x.HasAVX512F)
		add("avx512bw", x.HasAVX512BW)
		add("avx512dq", x.HasAVX512DQ)
		add("avx512vl", x.HasAVX512VL)
		add("avx512vnni", x.HasAVX512VNNI)
	case "arm64":
		a := cpu.ARM64
		add("asimd", a.HasASIMD)
		add("fphp", a.HasFPHP)
		add("asimddp", a.HasASIMDDP)
		add("sve", a.HasSVE)
		add("sve2", a.HasSVE2)
	}
	if len(fs) == 0 {
		return "(no SIMD features this build knows of)"
	}
	return strings.Join(fs, " ")
}
