package train

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestAdamStateEncoding: a trained state round-trips through WriteTo and
// ReadAdamState bit for bit, encodes deterministically, and a damaged
// encoding is an error.
func TestAdamStateEncoding(t *testing.T) {
	t.Parallel()
	tr, err := New(tinyGraph(t), Options{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	for s := 0; s < 3; s++ {
		if _, err := tr.stepLevels(randomLevels(uint64(s), 50, 3)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := tr.AdamState()
	if err != nil {
		t.Fatal(err)
	}
	if st.Step != 3 || len(st.M) != len(tr.l.params) {
		t.Fatalf("state at step %d with %d parameters", st.Step, len(st.M))
	}
	var a, b bytes.Buffer
	if _, err := st.WriteTo(&a); err != nil {
		t.Fatal(err)
	}
	st.WriteTo(&b)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two encodings of one state differ")
	}
	back, err := ReadAdamState(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var c bytes.Buffer
	back.WriteTo(&c)
	if !bytes.Equal(a.Bytes(), c.Bytes()) || back.Step != 3 {
		t.Fatal("decode → encode changed the state")
	}
	// The decoded state loads into a trainer and reads back the same.
	tr2, err := New(tinyGraph(t), Options{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr2.SetAdamState(back); err != nil {
		t.Fatal(err)
	}
	again, err := tr2.AdamState()
	if err != nil {
		t.Fatal(err)
	}
	var d bytes.Buffer
	again.WriteTo(&d)
	if !bytes.Equal(a.Bytes(), d.Bytes()) {
		t.Fatal("SetAdamState → AdamState changed the state")
	}
	for _, cut := range []int{0, 5, len(adamMagic) + 8, a.Len() - 1} {
		if _, err := ReadAdamState(bytes.NewReader(a.Bytes()[:cut])); err == nil {
			t.Errorf("truncated to %d bytes: no error", cut)
		}
	}
	if _, err := ReadAdamState(bytes.NewReader(append(a.Bytes(), 0))); err == nil {
		t.Error("trailing byte: no error")
	}
	// A state for another graph is refused.
	back.M["nope/W"], back.V["nope/W"] = []float32{1}, []float32{1}
	if err := tr2.SetAdamState(back); err == nil {
		t.Error("state with an unknown parameter: no error")
	}
}

// TestFitCancel: cancelling the context stops Fit after the current step,
// with the weights written back.
func TestFitCancel(t *testing.T) {
	t.Parallel()
	train, _ := mnistSlice(t)
	g := mustPixelCNN(t, testenv.SmallConfig())
	tr, err := New(g, Options{Batch: 4, Epochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err = tr.Fit(ctx, train, nil, func(p Progress) {
		if p.Step == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || tr.Steps() != 2 {
		t.Fatalf("Fit returned %v after %d steps; want context.Canceled after 2", err, tr.Steps())
	}
	if w := tr.Weights()["in/B"]; w[0] != g.Init("in/B").Const.F32[0] {
		t.Error("weights not written back on cancel")
	}
}
