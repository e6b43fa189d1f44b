package kernels

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Every test that runs a kernel runs it at each level in levels(): the Go
// twins (generic) and each assembly level up to what this CPU and build
// allow (maxLevel), all against the same float64 references. A level above
// maxLevel cannot run here, so its kernels go untested on this machine: the
// tests say so, never silently.

// untestedLevels lists the levels this CPU and build cannot run.
func untestedLevels() []level {
	var ls []level
	for l := maxLevel + 1; int(l) < len(levelNames); l++ {
		ls = append(ls, l)
	}
	return ls
}

// levelsReport names the levels the tests ran and those they could not.
func levelsReport() string {
	names := func(ls []level) string {
		s := make([]string, len(ls))
		for i, l := range ls {
			s[i] = l.String()
		}
		return strings.Join(s, ", ")
	}
	r := fmt.Sprintf("kernels: tests ran the levels %s (CPU features %v, assembly built %v)", names(levels()), cpuFlags, asmBuilt)
	if u := untestedLevels(); len(u) > 0 {
		r += fmt.Sprintf("; NOT TESTED here: %s (this CPU or build cannot run it); run the tests on a machine that can", names(u))
	}
	return r
}

// TestMain prints the report after the tests whenever a level went
// untested, outside any test, so that it shows in go test's output and in
// scripts/test.sh's (which prints every package-level line), pass or fail.
func TestMain(m *testing.M) {
	code := m.Run()
	if len(untestedLevels()) > 0 {
		fmt.Println(levelsReport())
	}
	os.Exit(code)
}

// TestKernelLevels logs the report (go test -v) and checks the level list it
// is built from: generic always, and the levels up to maxLevel in order.
func TestKernelLevels(t *testing.T) {
	ls := levels()
	if len(ls) == 0 || ls[0] != levelGeneric || ls[len(ls)-1] != maxLevel || len(ls)+len(untestedLevels()) != len(levelNames) {
		t.Errorf("levels() = %v, untested %v, maxLevel %v: the tests do not cover every level once", ls, untestedLevels(), maxLevel)
	}
	t.Log(levelsReport())
}
