package train

import (
	"fmt"
	"reflect"
	"unsafe"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// AdamState is the optimizer state a checkpoint carries beside the weights:
// the number of steps taken (which also fixes the learning rate, LR·Decay^Step)
// and Adam's first and second moments per parameter, by initializer name.
type AdamState struct {
	Step int
	M, V map[string][]float32
}

// Each parameter has its own AdamSolver (Trainer.solvers), whose cache holds
// that parameter's moments alone.
//
// gorgonia v0.9.18's AdamSolver keeps its step count and moments in
// unexported fields (iter int; cache []*dualValue, whose embedded Value is
// the mean and field d the variance) and has no accessor. adamFields reaches
// them by name through reflect; if a gorgonia upgrade renames them this fails
// with an error (and TestAdamStateRoundTrip fails), never silently.
func adamFields(s *G.AdamSolver) (iter *int, cache reflect.Value, err error) {
	rv := reflect.ValueOf(s).Elem()
	fi, fc := rv.FieldByName("iter"), rv.FieldByName("cache")
	if !fi.IsValid() || fi.Kind() != reflect.Int || !fc.IsValid() || fc.Kind() != reflect.Slice {
		return nil, reflect.Value{}, fmt.Errorf("train: gorgonia.AdamSolver has no iter int and cache slice fields (gorgonia changed?)")
	}
	iter = (*int)(unsafe.Pointer(fi.UnsafeAddr()))
	cache = reflect.NewAt(fc.Type(), unsafe.Pointer(fc.UnsafeAddr())).Elem()
	dv := fc.Type().Elem() // *dualValue
	if dv.Kind() != reflect.Pointer || dv.Elem().Kind() != reflect.Struct {
		return nil, reflect.Value{}, fmt.Errorf("train: gorgonia.AdamSolver cache holds %v, want pointers to structs", dv)
	}
	if f, ok := dv.Elem().FieldByName("Value"); !ok || !f.Anonymous {
		return nil, reflect.Value{}, fmt.Errorf("train: gorgonia dualValue has no embedded Value")
	}
	if _, ok := dv.Elem().FieldByName("d"); !ok {
		return nil, reflect.Value{}, fmt.Errorf("train: gorgonia dualValue has no field d")
	}
	return iter, cache, nil
}

// moments returns the (mean, variance) fields of one *dualValue, settable.
func moments(dv reflect.Value) (m, v reflect.Value) {
	s := dv.Elem()
	fm, fv := s.FieldByName("Value"), s.FieldByName("d")
	m = reflect.NewAt(fm.Type(), unsafe.Pointer(fm.UnsafeAddr())).Elem()
	v = reflect.NewAt(fv.Type(), unsafe.Pointer(fv.UnsafeAddr())).Elem()
	return m, v
}

// AdamState returns a copy of the optimizer state. Before the first step the
// moments are absent (nil maps) and Step is the resumed step count.
func (t *Trainer) AdamState() (*AdamState, error) {
	st := &AdamState{Step: t.steps}
	for i, p := range t.l.params {
		iter, cache, err := adamFields(t.solvers[i])
		if err != nil {
			return nil, err
		}
		if *iter != 0 && *iter != t.steps {
			// a solver counts its own steps from 0 after a resume; we keep them in sync.
			return nil, fmt.Errorf("train: adam step %d of %s differs from trainer step %d", *iter, p.v.Name, t.steps)
		}
		if cache.Len() == 0 {
			if st.M != nil {
				return nil, fmt.Errorf("train: adam has no state for %s", p.v.Name)
			}
			continue
		}
		if st.M == nil {
			if i > 0 {
				return nil, fmt.Errorf("train: adam has no state for %s", t.l.params[0].v.Name)
			}
			st.M = map[string][]float32{}
			st.V = map[string][]float32{}
		}
		dv := cache.Index(0)
		if cache.Len() != 1 || dv.IsNil() {
			return nil, fmt.Errorf("train: adam has no state for %s", p.v.Name)
		}
		m, v := moments(dv)
		mt, ok1 := m.Interface().(tensor.Tensor)
		vt, ok2 := v.Interface().(tensor.Tensor)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("train: adam state of %s is not a tensor", p.v.Name)
		}
		n := len(p.v.Const.F32)
		st.M[p.v.Name] = make([]float32, n)
		st.V[p.v.Name] = make([]float32, n)
		copyOut(st.M[p.v.Name], mt)
		copyOut(st.V[p.v.Name], vt)
	}
	return st, nil
}

// SetAdamState restores the optimizer state, normally with the weights it
// belongs to already in the graph given to New. The next step is st.Step+1
// with learning rate LR·Decay^st.Step. Moments absent from st (nil maps)
// start at zero.
func (t *Trainer) SetAdamState(st *AdamState) error {
	if st == nil || st.Step < 0 {
		return fmt.Errorf("train: invalid adam state")
	}
	iters := make([]*int, len(t.solvers))
	caches := make([]reflect.Value, len(t.solvers))
	for i, s := range t.solvers {
		var err error
		if iters[i], caches[i], err = adamFields(s); err != nil {
			return err
		}
	}
	news := make([]reflect.Value, len(t.solvers))
	for i, p := range t.l.params {
		news[i] = reflect.Zero(caches[i].Type())
		if st.M == nil && st.V == nil {
			continue
		}
		ms, vs := st.M[p.v.Name], st.V[p.v.Name]
		n := len(p.v.Const.F32)
		if len(ms) != n || len(vs) != n {
			return fmt.Errorf("train: adam state for %s has %d and %d values, want %d", p.v.Name, len(ms), len(vs), n)
		}
		shape := p.node.Shape().Clone()
		mt := tensor.New(tensor.Of(t.l.dt), tensor.WithShape(shape...))
		vt := tensor.New(tensor.Of(t.l.dt), tensor.WithShape(shape...))
		copyIn(mt, ms)
		copyIn(vt, vs)
		dv := reflect.New(caches[i].Type().Elem().Elem())
		m, v := moments(dv)
		m.Set(reflect.ValueOf(G.Value(mt)))
		v.Set(reflect.ValueOf(G.Value(vt)))
		news[i] = reflect.MakeSlice(caches[i].Type(), 1, 1)
		news[i].Index(0).Set(dv)
	}
	for name := range st.M {
		if t.g.Init(name) == nil {
			return fmt.Errorf("train: adam state for %s, which the graph does not have", name)
		}
	}
	for i := range t.solvers {
		caches[i].Set(news[i])
		*iters[i] = st.Step
	}
	t.steps = st.Step
	return nil
}
