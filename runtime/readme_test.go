package runtime

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestReadmeConformance: the README's conformance sentence states the
// figures TestConformance asserts — "N of N cases of the claimed ops pass"
// with N the sum of the per-suite minimums (conformanceMinPass), and "M are
// listed as out of scope" with M the entries of conformanceSkips, and the
// per-suite minimums where it lists them — and its
// list of claimed ops names every op of Ops(). A case that stops passing
// fails TestConformance; a table changed without the README fails here.
func TestReadmeConformance(t *testing.T) {
	t.Parallel()
	readme := testenv.DocText(t, "README.md")
	total := 0
	for _, n := range conformanceMinPass {
		total += n
	}
	m := regexp.MustCompile(`\*\*(\d+) of (\d+) cases of the claimed ops pass\*\*`).FindStringSubmatch(readme)
	if m == nil {
		t.Fatal(`README has no "**N of N cases of the claimed ops pass**"`)
	}
	if m[1] != strconv.Itoa(total) || m[2] != strconv.Itoa(total) {
		t.Errorf("README says %s of %s cases pass; TestConformance asserts at least %d (the sum of conformanceMinPass)", m[1], m[2], total)
	}
	// The per-suite figures, when the README gives them ("(node 283,
	// pytorch-converted 74, ...; TestConformance asserts these minimums)").
	if _, rest, ok := strings.Cut(readme, m[0]); ok {
		if per, _, ok := strings.Cut(rest, "asserts these minimums"); ok {
			for suite, n := range conformanceMinPass {
				f := regexp.MustCompile(`\b` + regexp.QuoteMeta(suite) + ` (\d+)\b`).FindStringSubmatch(per)
				if f == nil || f[1] != strconv.Itoa(n) {
					t.Errorf("README's per-suite figure for %s is %v; TestConformance asserts at least %d", suite, f, n)
				}
			}
		}
	}
	s := regexp.MustCompile(`; (\d+) are listed as out of scope`).FindStringSubmatch(readme)
	if s == nil {
		t.Fatal(`README has no "; M are listed as out of scope"`)
	}
	if s[1] != strconv.Itoa(len(conformanceSkips)) {
		t.Errorf("README says %s cases are out of scope; conformanceSkips lists %d", s[1], len(conformanceSkips))
	}
	_, claims, ok := strings.Cut(readme, "The Go runtime claims these ops")
	claims, _, ok2 := strings.Cut(claims, "Any other op fails")
	if !ok || !ok2 {
		t.Fatal(`README has no paragraph "The Go runtime claims these ops ... Any other op fails"`)
	}
	for _, op := range Ops() {
		if !regexp.MustCompile(`\b` + op + `\b`).MatchString(claims) {
			t.Errorf("README's list of claimed ops lacks %s (runtime.Ops)", op)
		}
	}
}
