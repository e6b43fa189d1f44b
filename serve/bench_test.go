package serve

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// BenchmarkBrowserSeedModel times, in headless Chromium, one image of the
// seed model drawn by onnxruntime-web's pixel-by-pixel loop (784 forward
// passes) and by our cached sampler compiled to WASM, interleaved: each
// iteration loads ?mode=browser then ?mode=wasm. The page's own timers
// exclude loading the engines and the model. Run with -benchtime=3x.
func BenchmarkBrowserSeedModel(b *testing.B) {
	g, model := tinyModel(b, graph.DefaultConfig())
	s, err := New(g, Options{Model: model, Name: "seed.onnx", ORTWeb: os.DirFS(testenv.ORTWeb(b)), WASM: os.DirFS(builtWASM(b)), Logf: b.Logf})
	if err != nil {
		b.Fatal(err)
	}
	base := listen(b, s)
	ctx := newBrowser(b)
	var ort, wasm, server []float64
	for i := 0; b.Loop(); i++ {
		seed := i + 1
		ro := pageResult(b, ctx, fmt.Sprintf("%s/?mode=browser&n=1&seed=%d", base, seed), 10*time.Minute)
		ort, server = append(ort, ro.MS), append(server, ro.ServerMS)
		r := pageResult(b, ctx, fmt.Sprintf("%s/?mode=wasm&n=1&seed=%d", base, seed), 10*time.Minute)
		wasm = append(wasm, r.MS)
		// The two engines drew the same image (up to near-boundary draws).
		compareDraws(b, "onnxruntime-web vs WASM", flat(ro.Levels), flat(r.Levels), ro.NearBoundary, r.NearBoundary, s.geo.H*s.geo.W)
		b.Logf("seed %d: onnxruntime-web naive %.0f ms, WASM cached %.0f ms (%.1fx), server cached %.0f ms", seed, ort[i], wasm[i], ort[i]/wasm[i], r.ServerMS)
	}
	slices.Sort(ort)
	slices.Sort(wasm)
	slices.Sort(server)
	med := func(x []float64) float64 { return x[len(x)/2] }
	b.ReportMetric(med(ort), "ort-web-naive-ms")
	b.ReportMetric(med(wasm), "wasm-cached-ms")
	b.ReportMetric(med(server), "server-ms")
	b.ReportMetric(med(ort)/med(wasm), "ratio")
}

// BenchmarkSampleAPI sends /api/sample?n=1 requests for the seed model from
// 8 concurrent loopback clients and reports latency percentiles and
// requests per second (the server's default workers: GOMAXPROCS).
func BenchmarkSampleAPI(b *testing.B) {
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			g, model := tinyModel(b, graph.DefaultConfig())
			s, err := New(g, Options{Model: model, Name: "seed.onnx", Logf: b.Logf})
			if err != nil {
				b.Fatal(err)
			}
			base := listen(b, s)
			const clients = 8
			tr := &http.Transport{MaxIdleConnsPerHost: clients}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			var (
				next   atomic.Int64
				mu     sync.Mutex
				lat    []time.Duration
				failed atomic.Int64
				wg     sync.WaitGroup
			)
			total := int64(b.N)
			b.ResetTimer()
			t0 := time.Now()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := next.Add(1); k <= total; k = next.Add(1) {
						start := time.Now()
						r, err := client.Get(fmt.Sprintf("%s/api/sample?n=%d&seed=%d", base, n, k))
						if err != nil {
							failed.Add(1)
							continue
						}
						io.Copy(io.Discard, r.Body)
						r.Body.Close()
						if r.StatusCode != 200 {
							failed.Add(1)
						}
						d := time.Since(start)
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			wall := time.Since(t0)
			b.StopTimer()
			if f := failed.Load(); f > 0 {
				b.Fatalf("%d of %d requests failed", f, total)
			}
			slices.Sort(lat)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[(len(lat)*99)/100]), "p99-ms")
			b.ReportMetric(float64(total)/wall.Seconds(), "req/s")
		})
	}
}
