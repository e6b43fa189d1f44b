package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

func TestSampleMatchesGoSampler(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{})
	for _, c := range []struct {
		query string
		n     int
		seed  uint64
		temp  float64
	}{
		{"n=4&seed=1", 4, 1, 1},
		{"n=3&seed=18446744073709551615&temperature=0.5", 3, 1<<64 - 1, 0.5},
		{"", 1, 1, 1}, // defaults
	} {
		code, b := get(t, ts.URL+"/api/sample?"+c.query)
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", c.query, code, b)
		}
		got := decode[Drawn](t, b)
		want, err := sample.Sample(context.Background(), s.g, sample.Options{N: c.n, Seed: c.seed, Temperature: c.temp})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Levels) != c.n || len(got.Levels[0]) != 28 || len(got.Levels[0][0]) != 28 {
			t.Fatalf("%s: levels not %d×28×28", c.query, c.n)
		}
		if !slices.Equal(flat(got.Levels), want.Levels) {
			t.Errorf("%s: levels differ from sample.Sample with the same options", c.query)
		}
		if got.Seed != c.seed || got.Temperature != c.temp || got.Method != "cached" {
			t.Errorf("%s: echoed seed %d temperature %g method %s", c.query, got.Seed, got.Temperature, got.Method)
		}
	}
}

func TestSamplePNG(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{})
	r, err := http.Get(ts.URL + "/api/sample?n=4&seed=2&format=png&scale=3")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("%d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	img, err := png.Decode(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	// The grid of sample.SampleGrid: 2x2 cells of 28·3 pixels plus gaps.
	if b := img.Bounds(); b.Dx() < 2*28*3 || b.Dy() < 2*28*3 {
		t.Errorf("grid is %v, want at least 168x168", b)
	}
}

// TestBadRequests: every bound answers 400 with the field it is about.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{MaxN: 8, MaxBody: 4096, Digits: testDigits})
	row := "[" + strings.TrimSuffix(strings.Repeat("0,", 28), ",") + "]"
	rows := func(k int) string { return "[" + strings.TrimSuffix(strings.Repeat(row+",", k), ",") + "]" }
	for _, c := range []struct{ name, method, path, body, field string }{
		{"n zero", "GET", "/api/sample?n=0", "", "n"},
		{"n over max", "GET", "/api/sample?n=9", "", "n"},
		{"n not a number", "GET", "/api/sample?n=four", "", "n"},
		{"negative seed", "GET", "/api/sample?seed=-1", "", "seed"},
		{"seed past uint64", "GET", "/api/sample?seed=18446744073709551616", "", "seed"},
		{"temperature zero", "GET", "/api/sample?temperature=0", "", "temperature"},
		{"temperature NaN", "GET", "/api/sample?temperature=NaN", "", "temperature"},
		{"temperature huge", "GET", "/api/sample?temperature=1e9", "", "temperature"},
		{"class on an unconditional model", "GET", "/api/sample?class=3", "", "class"},
		{"format", "GET", "/api/sample?format=gif", "", "format"},
		{"scale", "GET", "/api/sample?format=png&scale=100", "", "scale"},
		{"unknown parameter (a typo)", "GET", "/api/sample?seeed=2", "", "seeed"},
		{"repeated parameter", "GET", "/api/sample?n=1&n=2", "", "n"},
		{"no rows", "POST", "/api/complete", `{"levels":[]}`, "rows"},
		{"rows past the height", "POST", "/api/complete", `{"levels":` + rows(28) + `,"rows":29}`, "rows"},
		{"fewer rows than kept", "POST", "/api/complete", `{"levels":` + rows(3) + `,"rows":4}`, "levels"},
		{"short row", "POST", "/api/complete", `{"levels":[[0,1]],"rows":1}`, "levels[0]"},
		{"level out of range", "POST", "/api/complete", `{"levels":[` + strings.Replace(row, "0", "4", 1) + `],"rows":1}`, "levels[0][0]"},
		{"n over max in the body", "POST", "/api/complete", `{"levels":[],"rows":0,"n":9}`, "n"},
		{"class in the body", "POST", "/api/complete", `{"levels":[],"rows":0,"class":1}`, "class"},
		{"unknown field", "POST", "/api/complete", `{"levels":[],"rows":0,"seeds":1}`, "seeds"},
		{"wrong type", "POST", "/api/complete", `{"levels":[],"rows":"all"}`, "rows"},
		{"body too large", "POST", "/api/complete", `{"levels":` + rows(28) + `,"rows":28, "n":1` + strings.Repeat(" ", 4096) + `}`, "body"},
		{"not JSON", "POST", "/api/complete", `levels=1`, "body"},
		{"two values", "POST", "/api/complete", `{"rows":0}{"rows":0}`, "body"},
		{"empty body", "POST", "/api/complete", ``, "body"},
		{"digits n", "GET", "/api/digits?n=1000", "", "n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var (
				code int
				b    []byte
			)
			if c.method == "GET" {
				code, b = get(t, ts.URL+c.path)
			} else {
				code, b = post(t, ts.URL+c.path, c.body)
			}
			if code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", code, b)
			}
			e := decode[errorBody](t, b)
			if e.Field != c.field || !strings.HasPrefix(e.Error, c.field+": ") {
				t.Errorf("error %+v, want field %q named first", e, c.field)
			}
		})
	}
}

func TestComplete(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{Digits: testDigits})
	code, b := get(t, ts.URL+"/api/digits?first=5&n=2")
	if code != 200 {
		t.Fatalf("%d %s", code, b)
	}
	d := decode[Digits](t, b)
	im, err := testDigits()
	if err != nil {
		t.Fatal(err)
	}
	if d.Total != im.N || d.First != 5 || len(d.Levels) != 2 {
		t.Fatalf("digits: first %d total %d, %d images", d.First, d.Total, len(d.Levels))
	}
	for k, l := range flat(d.Levels[:1]) {
		if want := int32(dataset.Level(im.Pix[5*784+k], 4)); l != want {
			t.Fatalf("digit 5 pixel %d: level %d, want %d", k, l, want)
		}
	}
	body := fmt.Sprintf(`{"levels": %s, "rows": 12, "n": 3, "seed": 9, "temperature": 0.8}`, mustJSON(t, d.Levels[0][:12]))
	code, b = post(t, ts.URL+"/api/complete", body)
	if code != 200 {
		t.Fatalf("%d %s", code, b)
	}
	got := decode[Drawn](t, b)
	batch := make([]int32, 0, 3*784)
	for range 3 {
		batch = append(batch, flat(d.Levels[:1])...)
	}
	want, err := sample.Complete(context.Background(), s.g, batch, 12, sample.Options{Seed: 9, Temperature: 0.8})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(flat(got.Levels), want.Levels) {
		t.Fatal("completion differs from sample.Complete with the same image, rows and seed")
	}
	for i := range 3 {
		if !slices.Equal(flat(got.Levels[i : i+1])[:12*28], batch[:12*28]) {
			t.Errorf("completion %d changed the kept rows", i)
		}
	}
}

func TestModelInfoHealth(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, Options{})
	r, err := http.Get(ts.URL + "/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(r.Body)
	r.Body.Close()
	if !bytes.Equal(buf.Bytes(), s.opts.Model) {
		t.Errorf("/model.onnx: %d bytes differ from the file's %d", buf.Len(), len(s.opts.Model))
	}
	for _, h := range []string{"Cross-Origin-Opener-Policy", "Cross-Origin-Embedder-Policy"} {
		if r.Header.Get(h) == "" {
			t.Errorf("no %s header: the page cannot be cross-origin isolated", h)
		}
	}
	code, b := get(t, ts.URL+"/healthz")
	if code != 200 || !strings.Contains(string(b), `"ok"`) {
		t.Errorf("healthz: %d %s", code, b)
	}
	code, b = get(t, ts.URL+"/api/info")
	if code != 200 {
		t.Fatal(code)
	}
	in := decode[Info](t, b)
	if in.Levels != 4 || in.Height != 28 || in.Classes != 0 || !slices.Equal(in.Inputs, []string{"pixels"}) ||
		in.Config == nil || in.Config.Blocks != 2 || in.Method != "cached" || in.Limits.N != DefaultMaxN {
		t.Errorf("info: %s", b)
	}
	// No --ort-web files given: the engine is off and says how to add it.
	if in.Engines.ORTWeb || !strings.Contains(in.Engines.ORTWebMissing, "install-test-deps") {
		t.Errorf("engines: %+v", in.Engines)
	}
	if code, b := get(t, ts.URL+"/ort/"+ortEntry); code != 404 || !strings.Contains(string(b), "onnxruntime-web") {
		t.Errorf("/ort/ without files: %d %s", code, b)
	}
	if code, _ := get(t, ts.URL+"/api/nothing"); code != 404 {
		t.Errorf("unknown API route: %d", code)
	}
	code, b = get(t, ts.URL+"/")
	if code != 200 || !bytes.Contains(b, []byte(`data-state="loading"`)) || !bytes.Contains(b, []byte(`id="browser-levels"`)) {
		t.Errorf("page: %d", code)
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
