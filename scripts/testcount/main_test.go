package main

import (
	"strings"
	"testing"
)

// ev formats one go test -json event.
func ev(action, pkg, test, output string) string {
	s := `{"Action":"` + action + `","Package":"` + pkg + `"`
	if test != "" {
		s += `,"Test":"` + test + `"`
	}
	if output != "" {
		s += `,"Output":` + strings.ReplaceAll(strings.ReplaceAll(`"`+output+`"`, "\n", `\n`), "\t", `\t`)
	}
	return s + "}\n"
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	stream := strings.Join([]string{
		ev("start", "p", "", ""),
		ev("run", "p", "TestA", ""),
		ev("output", "p", "TestA", "=== RUN   TestA\n"),
		ev("output", "p", "TestA", "    a_test.go:3: quiet\n"),
		ev("pass", "p", "TestA", ""),
		ev("output", "p", "TestB", "=== RUN   TestB\n"),
		ev("output", "p", "TestB/x", "    b_test.go:9: x broke\n"),
		ev("fail", "p", "TestB/x", ""),
		ev("output", "p", "TestB/y", "    b_test.go:10: y fine\n"),
		ev("pass", "p", "TestB/y", ""),
		ev("output", "p", "TestB", "--- FAIL: TestB (0.00s)\n"),
		ev("fail", "p", "TestB", ""),
		ev("skip", "p", "TestC", ""),
		ev("output", "p", "", "FAIL\n"),
		ev("output", "p", "", "FAIL\tp\t0.01s\n"),
		ev("fail", "p", "", ""),
		`{"ImportPath":"q [q.test]","Action":"build-output","Output":"q/q.go:2: undefined: f\n"}` + "\n",
		ev("output", "q", "", "FAIL\tq [build failed]\n"),
		ev("fail", "q", "", ""),
		ev("output", "r", "", "ok  \tr\t0.5s\n"),
		ev("pass", "r", "", ""),
		"go: downloading example.com/m v1.0.0\n",
	}, "")
	var out strings.Builder
	c, err := summarize(strings.NewReader(stream), &out, false)
	if err != nil {
		t.Fatal(err)
	}
	if c != (counts{passed: 1, failed: 1, skipped: 1, brokenPkgs: 1}) {
		t.Errorf("counts %+v, want 1 passed, 1 failed, 1 skipped, 1 broken package", c)
	}
	want := "=== RUN   TestB\n    b_test.go:9: x broke\n    b_test.go:10: y fine\n--- FAIL: TestB (0.00s)\n" +
		"FAIL\tp\t0.01s\nq/q.go:2: undefined: f\nFAIL\tq [build failed]\nok  \tr\t0.5s\ngo: downloading example.com/m v1.0.0\n"
	if out.String() != want {
		t.Errorf("printed:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	summarize(strings.NewReader(stream), &out, true)
	if !strings.Contains(out.String(), "a_test.go:3: quiet") {
		t.Errorf("-v dropped a passing test's output:\n%s", out.String())
	}
}
