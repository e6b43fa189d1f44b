package serve

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

// TestConditionalServe: a class-conditional Gated PixelCNN is served with
// its classes; /api/sample?class=K draws what sample.Sample draws for label
// K with the same seed, another class other images, and a missing or out
// of range class is a 400 naming the field.
func TestConditionalServe(t *testing.T) {
	t.Parallel()
	c := testenv.GatedConfig(10)
	c.Height, c.Width = 28, 28
	g, err := graph.GatedPixelCNN(c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := export.Marshal(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g, err = export.Unmarshal(b, nil); err != nil {
		t.Fatal(err)
	}
	s, err := New(g, Options{Model: b, Name: "gated.onnx", Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	if in := decode[Info](t, mustGet(t, ts.URL+"/api/info")); in.Classes != 10 || !slices.Equal(in.Inputs, []string{"pixels", "label"}) {
		t.Errorf("info: classes %d, inputs %v", in.Classes, in.Inputs)
	}
	drawn := func(class int) Drawn {
		code, body := get(t, ts.URL+"/api/sample?n=2&seed=5&class="+string(rune('0'+class)))
		if code != http.StatusOK {
			t.Fatalf("class %d: %d %s", class, code, body)
		}
		return decode[Drawn](t, body)
	}
	want, err := sample.Sample(context.Background(), g, sample.Options{N: 2, Seed: 5, Cond: []sample.Cond{{Name: "label", Values: []int64{3}}}})
	if err != nil {
		t.Fatal(err)
	}
	three, seven := drawn(3), drawn(7)
	if !slices.Equal(flat(three.Levels), want.Levels) {
		t.Error("class 3: levels differ from sample.Sample with label 3")
	}
	if slices.Equal(flat(three.Levels), flat(seven.Levels)) {
		t.Error("classes 3 and 7 drew the same images")
	}
	for _, q := range []string{"n=2", "n=2&class=10", "n=2&class=-1"} {
		code, body := get(t, ts.URL+"/api/sample?"+q)
		if code != http.StatusBadRequest || !strings.Contains(string(body), "class") {
			t.Errorf("%s: %d %s", q, code, body)
		}
	}
}

func mustGet(t *testing.T, url string) []byte {
	t.Helper()
	code, body := get(t, url)
	if code != http.StatusOK {
		t.Fatalf("%s: %d %s", url, code, body)
	}
	return body
}
