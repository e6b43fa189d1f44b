package runtime

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/layers"
)

// Program is a graph prepared for repeated runs: ops, opsets and attributes
// are validated and constant weights packed once. It is safe for concurrent
// use: what it learns at run time (conv plans per input size, the chain's
// buffers, kept for reuse: about one set of activations for up to 4 images
// per goroutine that ran it) is guarded.
type Program struct {
	g       *graph.Graph
	opset   int
	nslots  int
	inputs  []inputSlot
	consts  []constSlot
	steps   []step
	outputs []outputSlot
	opts    Options
	plan    *layers.Plan // the folded graph's layers (internal/layers), whether or not the chain runs them
	chain   *chain       // the fast path, or nil (see chain.go)
	// When the chain runs the layers of a graph that has other nodes too:
	// the slot of each of its exports, and which steps it runs (skipped by
	// the generic loop).
	exportSlots []int
	layered     []bool
}

type inputSlot struct {
	v    *graph.Value
	slot int
}

type constSlot struct {
	t    *graph.Tensor
	slot int
}

type step struct {
	node *graph.Node
	k    *compiled
	in   []int // -1 for an omitted optional input
	out  []int // one per node output; -1 for an omitted output
	free []int // root slots recycled after this step (their last reader)
}

type outputSlot struct {
	name     string
	slot     int
	borrowed bool // may share memory with an input, initializer or another output
}

// Run compiles g and runs it once. Use Compile to run a graph many times.
func Run(ctx context.Context, g *graph.Graph, inputs map[string]*graph.Tensor) (map[string]*graph.Tensor, error) {
	p, err := Compile(g)
	if err != nil {
		return nil, err
	}
	return p.Run(ctx, inputs)
}

// Opset returns the default-domain opset the program follows.
func (p *Program) Opset() int { return p.opset }

// Compile checks that every node of g is supported at g's opset and prepares
// it to run. Errors for unsupported ops, opsets or attributes are
// *UnsupportedError; invalid attribute values are *NodeError.
func Compile(g *graph.Graph) (*Program, error) { return CompileWith(g, Options{}) }

// CompileWith is Compile with options.
func CompileWith(g *graph.Graph, opts Options) (*Program, error) {
	if g == nil {
		return nil, errors.New("runtime: nil graph")
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("runtime: invalid graph: %w", err)
	}
	opset := graph.OpsetOf(g)
	// Constant subgraphs are evaluated here, once; the program runs the rest.
	g, ks, _, err := fold(g, opset, true)
	if err != nil {
		return nil, err
	}
	g, ks = prune(g, ks)
	p := &Program{g: g, opset: opset, opts: opts}
	slots := map[*graph.Value]int{}
	borrowed := map[int]bool{}
	newSlot := func(v *graph.Value) int {
		s := p.nslots
		p.nslots++
		slots[v] = s
		return s
	}
	for _, v := range g.Inputs {
		s := newSlot(v)
		borrowed[s] = true
		p.inputs = append(p.inputs, inputSlot{v, s})
	}
	for _, v := range g.Inits {
		s := newSlot(v)
		borrowed[s] = true
		p.consts = append(p.consts, constSlot{v.Const, s})
	}
	// Every slot has a root: the slot that owns its memory (a view's root is
	// its input's root). A root is recycled after the last step that reads
	// it or any of its views, unless it is borrowed (input, initializer,
	// Constant) or reaches a graph output.
	root := make([]int, p.nslots, p.nslots+len(g.Nodes))
	for s := range root {
		root[s] = s
	}
	end := map[int]int{} // root -> index of the last step touching it
	for i, n := range g.Nodes {
		k := ks[i]
		st := step{node: n, k: k}
		for _, in := range n.Inputs {
			if in == nil {
				st.in = append(st.in, -1)
				continue
			}
			s := slots[in]
			st.in = append(st.in, s)
			end[root[s]] = i
		}
		for j, o := range n.Outputs {
			if o == nil {
				st.out = append(st.out, -1)
				continue
			}
			s := newSlot(o)
			st.out = append(st.out, s)
			r := s
			if j == 0 && k.def.view {
				r = root[st.in[0]]
			}
			// Views and Constant data are copied before they are returned.
			borrowed[s] = j == 0 && (k.def.view || k.def.constant)
			root = append(root, r)
			end[r] = max(end[r], i)
		}
		p.steps = append(p.steps, st)
	}
	keep := map[int]bool{} // roots that reach a graph output
	seen := map[int]bool{}
	for _, v := range g.Outputs {
		s := slots[v]
		keep[root[s]] = true
		// A value listed twice as output is returned twice: copy the second.
		p.outputs = append(p.outputs, outputSlot{name: v.Name, slot: s, borrowed: borrowed[s] || seen[s]})
		seen[s] = true
	}
	for r, i := range end {
		if !keep[r] && !borrowed[r] {
			p.steps[i].free = append(p.steps[i].free, r)
		}
	}
	for i := range p.steps {
		sort.Ints(p.steps[i].free)
	}
	direct := kernels.HasDirect() && !opts.NoDirect
	pl, err := layers.Build(g, layers.Options{Fuse: chainFusions(!opts.NoFusion, direct)})
	if err != nil {
		return nil, err
	}
	p.chain = compileChain(pl, direct)
	p.plan = pl
	if p.chain != nil && !pl.Fast {
		for _, id := range pl.Exports {
			p.exportSlots = append(p.exportSlots, slots[pl.Values[id].V])
		}
		p.layered = make([]bool, len(p.steps))
		for i, r := range pl.Routes[:len(p.steps)] {
			p.layered[i] = r.Path == layers.PathLayer || r.Path == layers.PathFused
		}
	}
	return p, nil
}

// Run executes the program. inputs maps each graph input name to a tensor
// whose dtype and fixed dims match the declaration; the result maps each
// graph output name to a fresh tensor.
func (p *Program) Run(ctx context.Context, inputs map[string]*graph.Tensor) (map[string]*graph.Tensor, error) {
	if err := p.checkInputs(inputs); err != nil {
		return nil, err
	}
	var exported []*graph.Tensor // the chain's exports, when it ran
	if p.chain != nil {
		outs, ok, err := p.runChain(ctx, inputs)
		switch {
		case ok && err != nil:
			return nil, err
		case ok && p.plan.Fast: // the exports are the outputs
			res := make(map[string]*graph.Tensor, len(outs))
			for k, t := range outs {
				res[p.outputs[k].name] = t
			}
			return res, nil
		case ok:
			exported = outs
		}
	}
	slots := make([]*graph.Tensor, p.nslots)
	for k, t := range exported {
		slots[p.exportSlots[k]] = t
	}
	for _, in := range p.inputs {
		slots[in.slot] = inputs[in.v.Name]
	}
	for _, c := range p.consts {
		slots[c.slot] = c.t
	}
	rc := &runCtx{nthr: p.opts.Threads}
	ins := make([]*graph.Tensor, 0, 8)
	for i, st := range p.steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if exported != nil && p.layered[i] {
			continue // the chain ran it
		}
		ins = ins[:0]
		for _, s := range st.in {
			if s < 0 {
				ins = append(ins, nil)
				continue
			}
			ins = append(ins, slots[s])
		}
		outs, err := st.k.run(rc, ins)
		if err != nil {
			var ue *UnsupportedError
			if errors.As(err, &ue) {
				return nil, err
			}
			return nil, &NodeError{Node: st.node.Name, Op: st.node.Op, Err: err}
		}
		for j, s := range st.out {
			if s >= 0 {
				slots[s] = outs[j]
			}
		}
		for _, s := range st.free {
			rc.release(slots[s])
			slots[s] = nil
		}
	}
	res := make(map[string]*graph.Tensor, len(p.outputs))
	for _, o := range p.outputs {
		t := slots[o.slot]
		if o.borrowed {
			t = t.Clone()
		}
		res[o.name] = t
	}
	return res, nil
}

// checkInputs matches inputs against the graph's declared inputs.
func (p *Program) checkInputs(inputs map[string]*graph.Tensor) error {
	declared := map[string]bool{}
	dims := map[string]int{}       // symbolic dim name -> bound size
	dimFrom := map[string]string{} // symbolic dim name -> input that bound it
	for _, in := range p.inputs {
		v := in.v
		declared[v.Name] = true
		t, ok := inputs[v.Name]
		if !ok || t == nil {
			return &InputError{Input: v.Name, Msg: fmt.Sprintf("missing (want %s)", v.TypeString())}
		}
		if err := t.Check(); err != nil {
			return &InputError{Input: v.Name, Msg: err.Error()}
		}
		if v.DType != graph.Undefined && t.DType != v.DType {
			return &InputError{Input: v.Name, Msg: fmt.Sprintf("dtype %v, want %s", t.DType, v.TypeString())}
		}
		if v.Shape == nil {
			continue
		}
		if len(t.Shape) != len(v.Shape) {
			return &InputError{Input: v.Name, Msg: fmt.Sprintf("shape %v has rank %d, want %s", t.Shape, len(t.Shape), v.TypeString())}
		}
		for i, d := range v.Shape {
			if d >= 0 && t.Shape[i] != d {
				return &InputError{Input: v.Name, Msg: fmt.Sprintf("shape %v: dim %d is %d, want %d (%s)", t.Shape, i, t.Shape[i], d, v.TypeString())}
			}
			if d < 0 && i < len(v.DimNames) && v.DimNames[i] != "" {
				name := v.DimNames[i]
				if b, ok := dims[name]; ok && b != t.Shape[i] {
					return &InputError{Input: v.Name, Msg: fmt.Sprintf("shape %v: dim %d (%s) is %d, but %s bound %s to %d",
						t.Shape, i, name, t.Shape[i], dimFrom[name], name, b)}
				}
				dims[name] = t.Shape[i]
				dimFrom[name] = v.Name
			}
		}
	}
	var unknown []string
	for name := range inputs {
		if !declared[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return &InputError{Input: unknown[0], Msg: "not an input of the graph"}
	}
	return nil
}
