package serve

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// tinyConfig is testenv.SmallConfig (28x28, so the MNIST test digits fit;
// small enough for hundreds of requests and onnxruntime-web's
// pixel-by-pixel loop) with q levels.
func tinyConfig(q int) graph.Config {
	c := testenv.SmallConfig()
	c.Levels = q
	return c
}

// tinyModel returns the graph and its ONNX bytes.
func tinyModel(t testing.TB, c graph.Config) (*graph.Graph, []byte) {
	t.Helper()
	g, err := graph.PixelCNN(c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := export.Marshal(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Serve what a user's file decodes to, as the command does.
	g, err = export.Unmarshal(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g, b
}

// testDigits loads the 256 MNIST test digits kept in testdata/mnist.
func testDigits() (*dataset.Images, error) {
	return dataset.Load(filepath.Join("..", "testdata", "mnist"), dataset.Test)
}

func newTestServer(t testing.TB, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	g, b := tinyModel(t, tinyConfig(4))
	if opts.Model == nil {
		opts.Model = b
	}
	opts.Name = "tiny.onnx"
	opts.Logf = t.Logf
	s, err := New(g, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

// get returns status, body; it fails the test on a transport error.
func get(t testing.TB, url string) (int, []byte) {
	t.Helper()
	r, err := http.Get(url)
	return do(t, r, err)
}

func post(t testing.TB, url, body string) (int, []byte) {
	t.Helper()
	r, err := http.Post(url, "application/json", strings.NewReader(body))
	return do(t, r, err)
}

func do(t testing.TB, r *http.Response, err error) (int, []byte) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return r.StatusCode, b
}

func decode[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return v
}

// flat undoes Nest.
func flat(levels [][][]int32) []int32 {
	var out []int32
	for _, img := range levels {
		for _, row := range img {
			out = append(out, row...)
		}
	}
	return out
}
