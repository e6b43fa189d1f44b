package serve

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

var (
	screenshot      = flag.String("screenshot", "", "TestBrowserEngines: also write the page's screenshot to this PNG file (docs/images/serve.png for README)")
	screenshotModel = flag.String("screenshot-model", "", "TestBrowserEngines/screenshot: the ONNX file the screenshot shows (default: the tiny test model)")
)

var wasmBuild struct {
	once sync.Once
	dir  string
	err  error
}

// builtWASM builds the WASM engine once per test binary with the same
// command `go generate ./serve` runs, into a temporary folder.
func builtWASM(t testing.TB) string {
	t.Helper()
	wasmBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "pixelgraph-wasm-")
		if err != nil {
			wasmBuild.err = err
			return
		}
		out, err := exec.Command("go", "run", "./internal/buildwasm", dir).CombinedOutput()
		if err != nil {
			wasmBuild.err = fmt.Errorf("go run ./internal/buildwasm: %v\n%s", err, out)
		}
		wasmBuild.dir = dir
	})
	if wasmBuild.err != nil {
		t.Fatal(wasmBuild.err)
	}
	return wasmBuild.dir
}

// listen serves s on a loopback port, as `pixelgraph serve` does, and
// returns its base URL.
func listen(t testing.TB, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return "http://" + ln.Addr().String()
}

// newBrowser starts headless Chromium (one per test) and returns a tab
// context; console messages and exceptions go to the test log.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	path := testenv.Chromium(t)
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 1100)}
	for _, f := range testenv.ChromiumFlags {
		opts = append(opts, chromedp.Flag(strings.TrimPrefix(f, "--"), true))
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf), chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			t.Logf("console.%s: %s", ev.Type, strings.Join(parts, " "))
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			desc := ""
			if d.Exception != nil {
				desc = d.Exception.Description
			}
			t.Logf("page exception: %s %s", d.Text, desc)
		}
	}))
	t.Cleanup(cancel2)
	if err := chromedp.Do(ctx); err != nil {
		testenv.Unavailable(t, "headless Chromium", fmt.Sprintf("%s does not start: %v", path, err), "apt-get install chromium-headless-shell")
	}
	return ctx
}

// eval evaluates a JavaScript expression, awaiting a promise, into a T.
func eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%v\nevaluating %.300s", err, expr)
	}
	return v
}

// pageResult waits until <body data-state> leaves "loading" and returns
// #browser-levels' JSON; an "error" state fails with the page's message.
func pageResult(t testing.TB, ctx context.Context, url string, limit time.Duration) browserLevels {
	t.Helper()
	state := pageState(t, ctx, url, limit)
	if state[0] != "done" {
		t.Fatalf("%s: data-state=%q: %s", url, state[0], state[1])
	}
	text := eval[string](t, ctx, `document.getElementById("browser-levels").textContent`)
	var r browserLevels
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		t.Fatalf("%s: #browser-levels: %v: %q", url, err, text)
	}
	return r
}

// pageState loads url, waits until data-state leaves "loading" and returns
// the state and the text of #error.
func pageState(t testing.TB, ctx context.Context, url string, limit time.Duration) [2]string {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	err := chromedp.Do(cctx, chromedp.Navigate(url),
		chromedp.Poll[chromedp.Void](`document.body.dataset.state !== "loading"`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(limit)))
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return eval[[2]string](t, ctx, `[document.body.dataset.state, document.getElementById("error").textContent]`)
}

// browserLevels is what the page writes into #browser-levels: the API's
// Drawn (by the browser's engine) and the engine's name.
type browserLevels struct {
	Drawn
	Engine   string  `json:"engine"`
	ServerMS float64 `json:"server_ms"`
}

// compareDraws fails unless a and b hold the same levels, except that an
// image may diverge after a draw near a CDF boundary (in either); it
// returns how many images did (the rule of runtime/sample's Go == ORT test).
func compareDraws(t testing.TB, what string, a, b []int32, nearA, nearB []int, px int) int {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d vs %d levels", what, len(a), len(b))
	}
	near := map[int]bool{}
	for _, k := range append(append([]int{}, nearA...), nearB...) {
		near[k] = true
	}
	flips := 0
	for i := 0; i < len(a)/px; i++ {
		for p := 0; p < px; p++ {
			k := i*px + p
			if a[k] == b[k] {
				continue
			}
			if near[k] {
				t.Logf("%s: image %d pixel %d: %d vs %d at a near-boundary draw (allowed; counted)", what, i, p, a[k], b[k])
				flips++
			} else {
				t.Errorf("%s: image %d first differs at pixel %d: %d vs %d (not near a boundary)", what, i, p, a[k], b[k])
			}
			break
		}
	}
	t.Logf("%s: %d+%d draws near a boundary, %d images diverged there", what, len(nearA), len(nearB), flips)
	return flips
}

func writeScreenshot(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err = os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(png))
}
