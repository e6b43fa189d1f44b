package train

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
)

// Metadata keys of a checkpoint, beside pixelgraph's own (export.Meta*).
const (
	// MetaStep holds the optimizer steps taken, in decimal.
	MetaStep = "pixelgraph.train.step"
	// MetaOptions holds the JSON of the effective Options (defaults filled
	// in: the decay, clip norm and betas that ran, never zero placeholders).
	MetaOptions = "pixelgraph.train.options"
	// MetaAdamState holds the optimizer state, AdamState.WriteTo's bytes in
	// standard base64, inside the model file: one checkpoint is one file.
	// Other runtimes ignore model metadata, so the file still loads anywhere.
	MetaAdamState = "pixelgraph.train.adam_state"
	// MetaAdamFile is how checkpoints before MetaAdamState kept the state:
	// the name of a file beside the model (MODEL.onnx.adam). LoadCheckpoint
	// still reads them; SaveCheckpoint never writes it.
	MetaAdamFile = "pixelgraph.train.adam"
)

// Checkpoint is a model and the training state LoadCheckpoint read with it.
type Checkpoint struct {
	Graph *graph.Graph // config, masks and weights; our train metadata removed except MetaStep and MetaOptions
	// Adam is the optimizer state to give Trainer.SetAdamState; never nil.
	// Its moments are nil when the file carries none (Note says so).
	Adam *AdamState
	// Options are the options recorded in MetaOptions (nil when absent).
	Options *Options
	// Note, when not empty, tells what resuming from this file will not
	// restore (a file with no optimizer state) or how it was read (an old
	// two-file checkpoint).
	Note string
}

// SaveCheckpoint writes the trainer's model (weights written back first),
// its step, effective options and Adam state as one ONNX file at path,
// atomically: a kill at any moment leaves either the previous checkpoint or
// this one, each complete. A state file of an older checkpoint at path
// (path + ".adam", if it holds a pixelgraph Adam state) is removed after the
// write, since the new file no longer names it.
func SaveCheckpoint(path string, t *Trainer) error {
	if err := t.WriteBack(); err != nil {
		return err
	}
	st, err := t.AdamState()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := st.WriteTo(&buf); err != nil {
		return err
	}
	oj, err := json.Marshal(t.Options())
	if err != nil {
		return err
	}
	g := *t.Graph() // a shallow copy: only its metadata differs
	g.Metadata = withMeta(t.Graph().Metadata, MetaAdamFile, "")
	g.Metadata = withMeta(g.Metadata, MetaStep, strconv.Itoa(t.Steps()))
	g.Metadata = withMeta(g.Metadata, MetaOptions, string(oj))
	g.Metadata = withMeta(g.Metadata, MetaAdamState, base64.StdEncoding.EncodeToString(buf.Bytes()))
	if err := export.WriteFile(path, &g, nil); err != nil {
		return err
	}
	removeOldState(path + ".adam")
	return nil
}

// withMeta returns md with key set to value (appended if new), or removed
// when value is empty. md itself is not changed.
func withMeta(md []graph.KV, key, value string) []graph.KV {
	out := make([]graph.KV, 0, len(md)+1)
	found := false
	for _, kv := range md {
		if kv.Key == key {
			found = true
			if value == "" {
				continue
			}
			kv.Value = value
		}
		out = append(out, kv)
	}
	if !found && value != "" {
		out = append(out, graph.KV{Key: key, Value: value})
	}
	return out
}

func metaValue(md []graph.KV, key string) (string, bool) {
	for _, kv := range md {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// removeOldState deletes a two-file checkpoint's state file, but only when
// it is one (it starts with the Adam state's magic).
func removeOldState(path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	magic := make([]byte, len(adamMagic))
	_, err = f.Read(magic)
	f.Close()
	if err == nil && string(magic) == adamMagic {
		os.Remove(path)
	}
}

// LoadCheckpoint reads a file pixelgraph wrote (an export of a PixelCNN, or
// a checkpoint of any graph, one trained from an imported model included:
// see Import) to resume training:
//   - a checkpoint of SaveCheckpoint: weights, step and Adam state from the
//     one file, whatever it has been renamed or copied to;
//   - an older two-file checkpoint (MetaAdamFile): the state from the file
//     its metadata names, or else from path + ".adam", beside path; a
//     missing or mismatched state file is an error saying which;
//   - a file with no state (an export): fresh Adam moments at the step its
//     metadata records (0 for an export), and a Note saying so.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	g, err := export.DecodeFile(path, nil)
	if err != nil {
		return nil, err
	}
	if _, trained := metaValue(g.Metadata, MetaStep); g.Config == nil && !trained {
		return nil, fmt.Errorf("%s has no %s metadata and no %s: a checkpoint is a file pixelgraph wrote (train --init starts from any ONNX model)",
			path, export.MetaConfig, MetaStep)
	}
	ck := &Checkpoint{Graph: g}
	step := 0
	if s, ok := metaValue(g.Metadata, MetaStep); ok {
		if step, err = strconv.Atoi(s); err != nil || step < 0 {
			return nil, fmt.Errorf("%s: metadata %s = %q is not a step count", path, MetaStep, s)
		}
	}
	if s, ok := metaValue(g.Metadata, MetaOptions); ok {
		var o Options
		if err := json.Unmarshal([]byte(s), &o); err != nil {
			return nil, fmt.Errorf("%s: metadata %s: %v", path, MetaOptions, err)
		}
		ck.Options = &o
	}
	blob, inFile := metaValue(g.Metadata, MetaAdamState)
	name, inPair := metaValue(g.Metadata, MetaAdamFile)
	g.Metadata = withMeta(withMeta(g.Metadata, MetaAdamState, ""), MetaAdamFile, "")
	switch {
	case inFile:
		b, err := base64.StdEncoding.DecodeString(blob)
		if err != nil {
			return nil, fmt.Errorf("%s: metadata %s is not base64: %v", path, MetaAdamState, err)
		}
		if ck.Adam, err = ReadAdamState(bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("%s: metadata %s: %w", path, MetaAdamState, err)
		}
		if ck.Adam.Step != step {
			return nil, fmt.Errorf("%s: metadata %s is step %d but %s is at step %d", path, MetaStep, step, MetaAdamState, ck.Adam.Step)
		}
	case inPair:
		if ck.Adam, err = readStateFile(path, name, step); err != nil {
			return nil, err
		}
		ck.Note = fmt.Sprintf("%s is a two-file checkpoint (state in %s); the next checkpoint keeps the state inside the model file", path, name)
	default:
		ck.Adam = &AdamState{Step: step}
		ck.Note = fmt.Sprintf("%s carries no optimizer state: Adam starts with zero moments at step %d", path, step)
	}
	return ck, nil
}

// readStateFile reads the state of an older two-file checkpoint: the file
// named in its metadata, else path + ".adam" (a renamed pair), both beside
// path.
func readStateFile(path, name string, step int) (*AdamState, error) {
	cands := []string{filepath.Join(filepath.Dir(path), filepath.Base(name))}
	if c := path + ".adam"; c != cands[0] {
		cands = append(cands, c)
	}
	for _, c := range cands {
		b, err := os.ReadFile(c)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		st, err := ReadAdamState(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c, err)
		}
		if st.Step != step {
			return nil, fmt.Errorf("%s is at step %d but %s is at step %d: they are not from the same checkpoint", path, step, c, st.Step)
		}
		return st, nil
	}
	return nil, fmt.Errorf("%s is a two-file checkpoint whose optimizer state (%s, named in metadata %s) is missing: put it beside the model as %s",
		path, cands[0], MetaAdamFile, cands[len(cands)-1])
}
