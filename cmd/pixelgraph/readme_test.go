package main

import (
	"os"
	"strings"
	"testing"
)

// readmeBlock returns the lines of the fenced blocks of language lang in
// the README section whose heading starts with heading.
func readmeBlock(t *testing.T, heading, lang string) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## "+heading)
	if !ok {
		t.Fatalf("README has no section %q", heading)
	}
	if i := strings.Index(sec, "\n## "); i >= 0 {
		sec = sec[:i]
	}
	var lines []string
	in := false
	for _, l := range strings.Split(sec, "\n") {
		switch {
		case !in && l == "```"+lang:
			in = true
		case in && l == "```":
			in = false
		case in:
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		t.Fatalf("README section %q has no %s block", heading, lang)
	}
	return lines
}

// shellWords splits a README command line: words separated by spaces, a
// trailing "# comment" dropped. Quotes are refused: the README's commands
// have none, and this is no shell.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	if strings.ContainsAny(line, `"'$|;&<>`+"`") {
		t.Fatalf("README command %q needs a shell; keep them plain", line)
	}
	return strings.Fields(line)
}

// TestReadmeORTSnippet: the README's ONNX Runtime snippet is, verbatim,
// code of examples/ort (whose test runs it against ONNX Runtime).
func TestReadmeORTSnippet(t *testing.T) {
	t.Parallel()
	block := strings.Join(readmeBlock(t, "Use the exported file in ONNX Runtime", "go"), "\n")
	src, err := os.ReadFile("../../examples/ort/main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), block) {
		t.Error("the README's ONNX Runtime snippet is not code of examples/ort/main.go; copy firstPixel again")
	}
	if !strings.Contains(block, `[]string{"pixels"}, []string{"logits"}`) {
		t.Error("the snippet no longer shows the input and output names")
	}
}
