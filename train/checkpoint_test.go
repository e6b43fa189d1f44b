package train

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestCheckpointOneFile: SaveCheckpoint writes one file; a copy of it under
// another name, in another folder, resumes exactly where the run stopped
// (the next losses equal an uninterrupted run's), and it records the
// effective options.
func TestCheckpointOneFile(t *testing.T) {
	t.Parallel()
	opts := Options{Batch: 8, Seed: 3}
	full, err := New(mustPixelCNN(t, testenv.SmallConfig()), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := fitSteps(t, full, 5)

	dir := t.TempDir()
	first, err := New(mustPixelCNN(t, testenv.SmallConfig()), opts)
	if err != nil {
		t.Fatal(err)
	}
	fitSteps(t, first, 3)
	path := filepath.Join(dir, "m.onnx")
	if err := SaveCheckpoint(path, first); err != nil {
		t.Fatal(err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Fatalf("the checkpoint is %d files", len(es))
	}
	b, _ := os.ReadFile(path)
	other := filepath.Join(t.TempDir(), "renamed.onnx")
	if err := os.WriteFile(other, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ck, err := LoadCheckpoint(other)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Note != "" || ck.Adam.Step != 3 || len(ck.Adam.M) == 0 {
		t.Fatalf("loaded step %d, %d moments, note %q", ck.Adam.Step, len(ck.Adam.M), ck.Note)
	}
	if _, ok := metaValue(ck.Graph.Metadata, MetaAdamState); ok {
		t.Error("the loaded graph still carries the state blob")
	}
	eff := first.Options()
	if o := ck.Options; o == nil || *o != eff || o.Decay != 0.999995 || o.ClipNorm != 1 || o.Beta1 != 0.9 || o.Beta2 != 0.999 || o.Eps != 1e-8 {
		t.Fatalf("recorded options %+v, want the effective %+v", ck.Options, eff)
	}
	second, err := New(ck.Graph, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := second.SetAdamState(ck.Adam); err != nil {
		t.Fatal(err)
	}
	got := fitSteps(t, second, 2)
	// Same weights, moments and data order: the same float32 computation.
	testenv.AllClose(t, got, want[3:], 1e-6, 1e-6, "losses after resuming from a copied checkpoint")

	// Saving again over the copy keeps one file and one state.
	if err := SaveCheckpoint(other, second); err != nil {
		t.Fatal(err)
	}
	ck2, err := LoadCheckpoint(other)
	if err != nil || ck2.Adam.Step != 5 {
		t.Fatalf("second save: %v, step %v", err, ck2)
	}
}

// TestCheckpointFormats: older two-file checkpoints and plain exports still
// load (or fail saying why); damaged state is an error naming the key.
func TestCheckpointFormats(t *testing.T) {
	t.Parallel()
	tr, err := New(mustPixelCNN(t, testenv.SmallConfig()), Options{Batch: 8})
	if err != nil {
		t.Fatal(err)
	}
	fitSteps(t, tr, 2)
	st, _ := tr.AdamState()
	var sb bytes.Buffer
	st.WriteTo(&sb)
	state := sb.Bytes()

	// twoFile writes an old checkpoint: model at dir/name naming adamName,
	// with the state written to dir/stateAt (skipped when "").
	twoFile := func(dir, name, adamName, stateAt, step string) string {
		g := *tr.Graph()
		g.Metadata = withMeta(withMeta(nil, MetaStep, step), MetaAdamFile, adamName)
		p := filepath.Join(dir, name)
		if err := export.WriteFile(p, &g, nil); err != nil {
			t.Fatal(err)
		}
		if stateAt != "" {
			os.WriteFile(filepath.Join(dir, stateAt), state, 0o644)
		}
		return p
	}
	blob := func(dir, step, b64 string) string {
		g := *tr.Graph()
		g.Metadata = withMeta(withMeta(nil, MetaStep, step), MetaAdamState, b64)
		p := filepath.Join(dir, "m.onnx")
		if err := export.WriteFile(p, &g, nil); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name  string
		file  func(dir string) string
		step  int
		moms  bool
		note  string // in Note
		error string // in the error
	}{
		{"two files", func(d string) string { return twoFile(d, "m.onnx", "m.onnx.adam", "m.onnx.adam", "2") }, 2, true, "two-file checkpoint", ""},
		{"two files, both renamed", func(d string) string { return twoFile(d, "n.onnx", "m.onnx.adam", "n.onnx.adam", "2") }, 2, true, "two-file", ""},
		{"two files, state lost", func(d string) string { return twoFile(d, "m.onnx", "m.onnx.adam", "", "2") }, 0, false, "",
			"optimizer state (" + "%DIR%/m.onnx.adam, named in metadata pixelgraph.train.adam) is missing"},
		{"two files, other step", func(d string) string { return twoFile(d, "m.onnx", "m.onnx.adam", "m.onnx.adam", "7") }, 0, false, "",
			"is at step 7 but %DIR%/m.onnx.adam is at step 2: they are not from the same checkpoint"},
		{"an export", func(d string) string {
			p := filepath.Join(d, "e.onnx")
			export.WriteFile(p, mustPixelCNN(t, testenv.SmallConfig()), nil)
			return p
		}, 0, false, "carries no optimizer state: Adam starts with zero moments at step 0", ""},
		{"blob, other step", func(d string) string { return blob(d, "3", base64.StdEncoding.EncodeToString(state)) }, 0, false, "",
			"metadata pixelgraph.train.step is step 3 but pixelgraph.train.adam_state is at step 2"},
		{"blob not base64", func(d string) string { return blob(d, "2", "@@") }, 0, false, "", "pixelgraph.train.adam_state is not base64"},
		{"blob truncated", func(d string) string { return blob(d, "2", base64.StdEncoding.EncodeToString(state[:40])) }, 0, false, "",
			"metadata pixelgraph.train.adam_state: train: adam state:"},
		{"bad step", func(d string) string { return blob(d, "-1", "") }, 0, false, "", `pixelgraph.train.step = "-1" is not a step count`},
		{"not ours", func(d string) string { return "../testdata/torch/opset13_static/model.onnx" }, 0, false, "", "has no pixelgraph.config metadata"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			ck, err := LoadCheckpoint(c.file(dir))
			if c.error != "" {
				want := strings.ReplaceAll(c.error, "%DIR%", dir)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ck.Adam.Step != c.step || (ck.Adam.M != nil) != c.moms || !strings.Contains(ck.Note, c.note) {
				t.Fatalf("step %d, moments %v, note %q", ck.Adam.Step, ck.Adam.M != nil, ck.Note)
			}
			if _, ok := metaValue(ck.Graph.Metadata, MetaAdamFile); ok {
				t.Error("the loaded graph still names a state file")
			}
		})
	}
}

// TestCheckpointReplacesPair: saving over a two-file checkpoint removes its
// state file (and only a file that is one).
func TestCheckpointReplacesPair(t *testing.T) {
	t.Parallel()
	tr, err := New(mustPixelCNN(t, testenv.SmallConfig()), Options{Batch: 8})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, c := range []struct {
		content string
		removed bool
	}{{adamMagic + "rest", true}, {"a user's notes", false}} {
		p := filepath.Join(dir, "m.onnx")
		os.WriteFile(p+".adam", []byte(c.content), 0o644)
		if err := SaveCheckpoint(p, tr); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(p + ".adam"); (err != nil) != c.removed {
			t.Errorf("%q: removed %v, want %v", c.content, err != nil, c.removed)
		}
	}
	g, err := export.DecodeFile(filepath.Join(dir, "m.onnx"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := graph.CheckMasks(g); err != nil {
		t.Fatal(err)
	}
}
