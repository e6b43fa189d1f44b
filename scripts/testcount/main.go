// Command testcount reads `go test -json` events on stdin, prints what
// `go test` without -json would print (package result lines, build errors,
// the output of failed tests; everything with -v), and counts the
// top-level tests that passed, failed and were skipped. scripts/test.sh
// pipes each go test run through it and prints the sum as its last line.
//
//	go test -json ./... | testcount [-v] [-counts FILE]
//
// With -counts it appends "passed failed skipped brokenpkgs" to FILE, one
// line per run; brokenpkgs counts packages that failed without a failing
// test (a build error, a panic in TestMain, a timeout). It exits 0: the
// caller keeps go test's own exit status.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json's TestEvent).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail events
	Test       string
	Output     string
}

// counts are the tallies of one run.
type counts struct {
	passed, failed, skipped, brokenPkgs int
}

func main() {
	verbose := flag.Bool("v", false, "print every test's output, as go test -v")
	countsFile := flag.String("counts", "", "append the counts of this run to this file")
	flag.Parse()
	c, err := summarize(os.Stdin, os.Stdout, *verbose)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testcount:", err)
	}
	if *countsFile != "" {
		f, err := os.OpenFile(*countsFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testcount:", err)
			return
		}
		fmt.Fprintf(f, "%d %d %d %d\n", c.passed, c.failed, c.skipped, c.brokenPkgs)
		f.Close()
	}
}

// summarize copies the human-readable part of the event stream r to w and
// counts results. A top-level test's output (its subtests' included) is
// kept until it ends and printed only if it failed. Lines that are not JSON
// (the go command's own messages) are copied as they are.
func summarize(r io.Reader, w io.Writer, verbose bool) (counts, error) {
	var c counts
	buf := map[string]*strings.Builder{} // by package and top-level test
	failedTests := map[string]bool{}     // packages with a failing test
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(w, "%s\n", line)
			continue
		}
		top, _, _ := strings.Cut(e.Test, "/")
		key := e.Package + " " + top
		switch {
		case e.Action == "build-output":
			io.WriteString(w, e.Output)
		case e.Action == "output" && (verbose || e.Test == ""):
			// Package-level lines: "ok  pkg 1.2s", "FAIL pkg", panics,
			// timeouts; without -v, go test's bare PASS/FAIL are left out.
			if verbose || !(e.Output == "PASS\n" || e.Output == "FAIL\n") {
				io.WriteString(w, e.Output)
			}
		case e.Action == "output":
			if buf[key] == nil {
				buf[key] = &strings.Builder{}
			}
			buf[key].WriteString(e.Output)
		case e.Test == "": // a package's start, pass, fail, skip
			if e.Action == "fail" && !failedTests[e.Package] {
				c.brokenPkgs++
			}
		case e.Test != top: // a subtest's result: its parent's decides
		case e.Action == "pass":
			c.passed++
			delete(buf, key)
		case e.Action == "skip":
			c.skipped++
			delete(buf, key)
		case e.Action == "fail":
			c.failed++
			failedTests[e.Package] = true
			if b := buf[key]; b != nil {
				io.WriteString(w, b.String())
			}
			delete(buf, key)
		}
	}
	return c, sc.Err()
}
