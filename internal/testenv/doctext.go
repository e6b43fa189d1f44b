package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// DocText returns a documentation file of the module (rel is relative to the
// module root, e.g. "README.md" or "docs/BENCHMARKS.md") with every run of
// white space made one space, so that a test can look for a figure's phrase
// however the paragraph is wrapped. A missing file fails the test.
func DocText(t testing.TB, rel string) string {
	t.Helper()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(b)), " ")
}
