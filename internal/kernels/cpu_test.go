package kernels

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"
)

func TestChooseLevel(t *testing.T) {
	for _, tc := range []struct {
		max  level
		env  string
		want level
		note string // a substring of the note; "" means no note
	}{
		{levelAVX512, "", levelAVX512, ""},
		{levelAVX512, "avx2", levelAVX2, "forced by PIXELGRAPH_CPU=avx2"},
		{levelAVX512, "GENERIC", levelGeneric, "forced"},
		{levelAVX2, "avx512", levelAVX2, "more than this CPU and build allow (avx2)"},
		{levelGeneric, "avx2", levelGeneric, "more than"},
		{levelAVX2, "sse4", levelAVX2, "not understood"}, // named in Describe, never silent
	} {
		got, note := chooseLevel(tc.max, tc.env)
		if got != tc.want || (tc.note == "") != (note == "") || !strings.Contains(note, tc.note) {
			t.Errorf("chooseLevel(%s, %q) = %s, %q; want %s and a note with %q", tc.max, tc.env, got, note, tc.want, tc.note)
		}
	}
}

// TestDetect: the level is the best the CPU offers, whatever the cgo
// setting (the kernels need no C: CGO_ENABLED=0 gets AVX-512 too).
func TestDetect(t *testing.T) {
	want := levelGeneric
	switch x := cpu.X86; {
	case !asmBuilt:
	case x.HasAVX512F && x.HasFMA && x.HasAVX2:
		want = levelAVX512
	case x.HasAVX2 && x.HasFMA:
		want = levelAVX2
	}
	if maxLevel != want {
		t.Errorf("maxLevel = %s, want %s (features %v, assembly built %v)", maxLevel, want, cpuFlags, asmBuilt)
	}
	t.Logf("%s", Describe())
}

// TestEnvCPU runs this test binary again with PIXELGRAPH_CPU set: the level
// and Describe follow it.
func TestEnvCPU(t *testing.T) {
	if os.Getenv("PIXELGRAPH_PRINT_LEVEL") == "1" {
		os.Stdout.WriteString("level=" + curLevel().String() + "\n" + Describe() + "\n")
		return
	}
	for _, l := range levels() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnvCPU$")
		cmd.Env = append(os.Environ(), "PIXELGRAPH_PRINT_LEVEL=1", EnvCPU+"="+l.String())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s=%s: %v\n%s", EnvCPU, l, err, out)
		}
		if !strings.Contains(string(out), "level="+l.String()+"\n") || !strings.Contains(string(out), "forced by "+EnvCPU) {
			t.Errorf("%s=%s: got\n%s", EnvCPU, l, out)
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, l := range levels() {
		restore := setLevel(l)
		d, i, direct := Describe(), CPU(), HasDirect()
		restore()
		if !strings.HasPrefix(d, l.String()+" (") || i.Level != l.String() || !strings.Contains(d, i.SGEMM) || !strings.Contains(d, i.Conv) {
			t.Errorf("level %s: Describe() = %q, CPU() = %+v", l, d, i)
		}
		if direct != (l >= levelAVX2) {
			t.Errorf("level %s: HasDirect() = %v", l, direct)
		}
	}
}
