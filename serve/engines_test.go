package serve

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

// browserServer serves the tiny model with both in-browser engines.
func browserServer(t *testing.T) (*Server, string) {
	t.Helper()
	ortDir := testenv.ORTWeb(t)
	wasmDir := builtWASM(t)
	g, b := tinyModel(t, tinyConfig(4))
	s, err := New(g, Options{Model: b, Name: "tiny.onnx", ORTWeb: os.DirFS(ortDir), WASM: os.DirFS(wasmDir), Digits: testDigits, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if ort, wasm := s.Engines(); !ort || !wasm {
		t.Fatalf("engines: onnxruntime-web %v, wasm %v", ort, wasm)
	}
	return s, listen(t, s)
}

// TestBrowserEngines drives headless Chromium through the page: the
// JavaScript uniforms and categorical rule equal Go's, and for the same seed
// onnxruntime-web's pixel-by-pixel sampler (?mode=browser) and our WASM
// cached sampler (?mode=wasm) draw the server's levels, for samples and
// completions.
func TestBrowserEngines(t *testing.T) {
	s, base := browserServer(t)
	ctx := newBrowser(t)
	px := s.geo.H * s.geo.W

	t.Run("uniforms", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/")); err != nil {
			t.Fatal(err)
		}
		// COOP/COEP took effect: onnxruntime-web may use WASM threads.
		if !eval[bool](t, ctx, `self.crossOriginIsolated`) {
			t.Error("the page is not cross-origin isolated")
		}
		for _, seed := range []uint64{0, 1, 42, 1<<63 + 5, math.MaxUint64} {
			for _, img := range []int{0, 3} {
				got := eval[[]float64](t, ctx, fmt.Sprintf(`import("/static/pcg.js").then(m => Array.from(m.uniforms(%dn, %d, 100)))`, seed, img))
				if want := sample.Uniforms(seed, img, 100); !slices.Equal(got, want) {
					t.Fatalf("seed %d image %d: JavaScript uniforms %v..., Go %v...", seed, img, got[:3], want[:3])
				}
			}
		}
	})

	t.Run("categorical", func(t *testing.T) {
		// Random float32 logits, temperatures and uniforms through both
		// implementations; a level may differ only near a boundary.
		r := rand.New(rand.NewPCG(5, 6))
		type draw struct {
			Logits []float32 `json:"logits"`
			T, U   float64
		}
		var cases []draw
		for range 400 {
			q := []int{2, 4, 16, 256}[r.IntN(4)]
			d := draw{Logits: make([]float32, q), T: []float64{1, 0.5, 2}[r.IntN(3)], U: r.Float64()}
			for k := range d.Logits {
				d.Logits[k] = float32(r.NormFloat64() * 3)
			}
			cases = append(cases, d)
		}
		got := eval[[][2]any](t, ctx, fmt.Sprintf(`import("/static/pcg.js").then(m => %s.map(d => m.categorical(d.logits, 0, 1, d.logits.length, d.T, d.U, %g)))`,
			mustJSON(t, cases), sample.BoundaryEps))
		for i, d := range cases {
			l, near := sample.Categorical(d.Logits, 1, len(d.Logits), d.T, d.U)
			if jl := int(got[i][0].(float64)); jl != l && !near {
				t.Errorf("case %d (q=%d T=%g u=%g): JavaScript draws %d, Go %d", i, len(d.Logits), d.T, d.U, jl, l)
			}
			if got[i][1].(bool) != near {
				t.Logf("case %d: near-boundary flags differ (JS %v, Go %v): Math.exp vs math.Exp rounding", i, got[i][1], near)
			}
		}
	})

	for _, mode := range []string{"browser", "wasm"} {
		for _, c := range []struct {
			seed uint64
			temp float64
		}{{1, 1}, {7, 0.7}} {
			t.Run(fmt.Sprintf("%s/seed%d", mode, c.seed), func(t *testing.T) {
				url := fmt.Sprintf("%s/?mode=%s&n=3&seed=%d&temperature=%g", base, mode, c.seed, c.temp)
				got := pageResult(t, ctx, url, 3*time.Minute)
				want, err := sample.Sample(context.Background(), s.g, sample.Options{N: 3, Seed: c.seed, Temperature: c.temp})
				if err != nil {
					t.Fatal(err)
				}
				if got.Engine != mode || len(got.Levels) != 3 || len(got.Levels[0]) != s.geo.H || len(got.Levels[0][0]) != s.geo.W {
					t.Fatalf("#browser-levels: engine %q, %d images", got.Engine, len(got.Levels))
				}
				if flips := compareDraws(t, mode+" vs server", flat(got.Levels), want.Levels, got.NearBoundary, want.NearBoundary, px); flips != 0 {
					t.Errorf("%d boundary flips (expected 0 for these fixed seeds)", flips)
				}
				t.Logf("%s: %d images in %.0f ms (server %.0f ms)", mode, len(got.Levels), got.MS, got.ServerMS)
			})
		}
	}

	t.Run("complete", func(t *testing.T) {
		im, err := testDigits()
		if err != nil {
			t.Fatal(err)
		}
		const n, rows, seed = 2, 10, 11
		known := make([]int32, n*px)
		for i := range known {
			known[i] = int32(im.Pix[3*px+i%px]) * 4 / 256 // digit 3, twice, at q = 4
		}
		want, err := sample.Complete(context.Background(), s.g, known, rows, sample.Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		for _, eng := range []string{"ortDraw", "wasmDraw", "serverDraw"} {
			type drawn struct {
				Levels []int32 `json:"levels"`
				Near   []int   `json:"near"`
			}
			expr := fmt.Sprintf(`Promise.all([import("/static/engines.js"), fetch("/api/info").then(r => r.json())]).then(async ([m, info]) => {
				const r = await m.%s(info, {n: %d, seed: "%d", temperature: 1, rows: %d, known: Int32Array.from(%s)}, () => {});
				return {levels: Array.from(r.levels), near: r.near};
			})`, eng, n, seed, rows, mustJSON(t, known))
			got := eval[drawn](t, ctx, expr)
			if flips := compareDraws(t, eng+" completion vs Go", got.Levels, want.Levels, got.Near, want.NearBoundary, px); flips != 0 {
				t.Errorf("%d boundary flips (expected 0 for this fixed seed)", flips)
			}
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		path, url := *screenshot, base
		if path == "" {
			path = filepath.Join(t.TempDir(), "serve.png")
		}
		if *screenshotModel != "" {
			b, err := os.ReadFile(*screenshotModel)
			if err != nil {
				t.Fatal(err)
			}
			g, err := export.Unmarshal(b, nil)
			if err != nil {
				t.Fatal(err)
			}
			ms, err := New(g, Options{Model: b, Name: filepath.Base(*screenshotModel), ORTWeb: s.ortWeb, WASM: s.wasm, Digits: testDigits, Logf: t.Logf})
			if err != nil {
				t.Fatal(err)
			}
			url = listen(t, ms)
		}
		pageResult(t, ctx, url+"/?mode=wasm&n=16&seed=1", 5*time.Minute)
		writeScreenshot(t, ctx, path)
	})
}

// TestBrowserPageErrors: a page whose engine is missing or whose mode is
// unknown ends in data-state="error" with a message, never "done".
func TestBrowserPageErrors(t *testing.T) {
	g, b := tinyModel(t, tinyConfig(4))
	// No engine files (an empty WASM folder: even when go generate embedded one).
	s, err := New(g, Options{Model: b, Name: "tiny.onnx", WASM: fstest.MapFS{}, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	base := listen(t, s)
	ctx := newBrowser(t)
	for _, c := range []struct{ query, want string }{
		{"?mode=browser&n=1", "onnxruntime-web"},
		{"?mode=wasm&n=1", "WASM engine"},
		{"?mode=gpu&n=1", "unknown mode"},
		{"?n=1000", "n: must be in 1..64"},
	} {
		st := pageState(t, ctx, base+"/"+c.query, time.Minute)
		state, msg := st[0], st[1]
		if state != "error" || !strings.Contains(msg, c.want) {
			t.Errorf("%s: state %q, error %q; want error containing %q", c.query, state, msg, c.want)
		}
	}
}
