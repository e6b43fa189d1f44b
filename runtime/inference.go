package runtime

import (
	"fmt"
	"math"

	"github.com/pixelgraph/pixelgraph/graph"
)

// BatchNormalization and Dropout as they run in inference. Training forms
// run where they are deterministic (BatchNormalization-14's training_mode,
// Dropout with ratio 0); the others (is_test=0 before opset 7, random
// dropout) are refused.

// compileBatchNorm: y = (x − mean)/sqrt(var + epsilon)·scale + B per channel
// (dim 1; a 1-D input is one channel). Before opset 9, spatial=0 gives every
// activation its own parameters (shaped like one sample: C, D1, ...).
// From opset 14, training_mode=1 normalizes with the batch's statistics
// (mean and population variance over every dim but 1) and returns the
// updated running_mean and running_var (input·momentum + batch·(1−momentum)),
// as BatchNormalization-14 defines them; before 14 training (is_test=0, or
// the statistics outputs of opsets 7..13, whose saved_* outputs changed
// meaning across versions) is refused.
func compileBatchNorm(c *nodeCtx) (kernelN, error) {
	c.legacyConsumedInputs()
	eps := float64(c.float("epsilon", 1e-5))
	momentum := float64(c.float("momentum", 0.9))
	spatial := true
	if c.opset < 9 {
		spatial = c.int("spatial", 1) != 0
	}
	train := false
	refuse, attr := "", ""
	extra := false // a statistics output requested
	for i := 1; i < len(c.n.Outputs); i++ {
		extra = extra || c.wantOut(i)
	}
	switch {
	case c.opset < 7:
		if c.int("is_test", 0) == 0 {
			refuse, attr = "is_test=0 (training mode)", "is_test"
		}
	case c.opset >= 14:
		train = c.int("training_mode", 0) != 0
		if len(c.n.Outputs) > 3 {
			return nil, c.errf("%d outputs, want 1 to 3 from opset 14", len(c.n.Outputs))
		}
		if extra && !train {
			return nil, c.errf("outputs running_mean and running_var need training_mode=1")
		}
	}
	if refuse == "" && extra && !train {
		refuse = "outputs beyond Y (the running statistics) are training outputs"
	}
	if c.err != nil {
		return nil, c.err
	}
	if refuse != "" {
		return nil, c.unsupported(attr, refuse+": only inference (and training_mode from opset 14) is supported")
	}
	c.infer = func(ins []static) ([]static, error) {
		outs := []static{{dtype: ins[0].dtype, shape: ins[0].shape}}
		for i := 1; i < len(c.n.Outputs); i++ {
			outs = append(outs, static{dtype: ins[3+i-1].dtype, shape: ins[3+i-1].shape})
		}
		return outs, nil
	}
	return func(rc *runCtx, ins []*graph.Tensor) ([]*graph.Tensor, error) {
		x := ins[0]
		if err := checkData(x, "input X"); err != nil {
			return nil, err
		}
		if !isFloat(x.DType) || len(x.Shape) == 0 {
			return nil, fmt.Errorf("input X is %v%v, want a float tensor (N, C, ...)", x.DType, x.Shape)
		}
		// Parameters cover one channel each (spatial) or one sample.
		ch := 1
		if len(x.Shape) > 1 {
			ch = x.Shape[1]
		}
		inner := graph.NumElements(x.Shape[min(2, len(x.Shape)):])
		n := ch
		want := []int{ch}
		if !spatial {
			n = ch * inner
			want = x.Shape[1:]
		}
		var p [4][]float64
		for k, name := range []string{"scale", "B", "mean", "var"} {
			t := ins[k+1]
			if err := checkData(t, "input "+name); err != nil {
				return nil, err
			}
			if !isFloat(t.DType) || t.Len() != n {
				return nil, fmt.Errorf("input %s is %v%v, want a float tensor of shape %v", name, t.DType, t.Shape, want)
			}
			p[k] = floats64(t)
		}
		per := inner // consecutive elements sharing one parameter
		if !spatial {
			per = 1
		}
		mean, vr := p[2], p[3]
		outs := make([]*graph.Tensor, len(c.n.Outputs))
		if train {
			mean, vr = batchStats(x, n, per)
			for k, s := range [][2][]float64{{p[2], mean}, {p[3], vr}} {
				if !c.wantOut(k + 1) {
					continue
				}
				in := ins[3+k]
				r := newTensor(in.DType, in.Shape)
				for i := range s[0] {
					v := s[0][i]*momentum + s[1][i]*(1-momentum)
					if r.DType == graph.Float32 {
						r.F32[i] = float32(v)
					} else {
						r.F64[i] = v
					}
				}
				outs[k+1] = r
			}
		}
		// y = x·a + b with a = scale/sqrt(var+eps), b = B − mean·a.
		a, b := make([]float64, n), make([]float64, n)
		for i := range a {
			a[i] = p[0][i] / math.Sqrt(vr[i]+eps)
			b[i] = p[1][i] - mean[i]*a[i]
		}
		out := rc.newTensor(x.DType, x.Shape)
		for i := 0; i < x.Len(); i++ {
			j := (i / per) % n
			if x.DType == graph.Float32 {
				out.F32[i] = float32(float64(x.F32[i])*a[j] + b[j])
			} else {
				out.F64[i] = x.F64[i]*a[j] + b[j]
			}
		}
		outs[0] = out
		return outs, nil
	}, nil
}

// batchStats returns the mean and population variance of x for each of the
// n parameters, element i belonging to parameter (i/per)%n.
func batchStats(x *graph.Tensor, n, per int) (mean, vr []float64) {
	mean, vr = make([]float64, n), make([]float64, n)
	count := make([]float64, n)
	at := func(i int) float64 {
		if x.DType == graph.Float32 {
			return float64(x.F32[i])
		}
		return x.F64[i]
	}
	for i := 0; i < x.Len(); i++ {
		j := (i / per) % n
		mean[j] += at(i)
		count[j]++
	}
	for j := range mean {
		mean[j] /= max(count[j], 1)
	}
	for i := 0; i < x.Len(); i++ {
		j := (i / per) % n
		d := at(i) - mean[j]
		vr[j] += d * d
	}
	for j := range vr {
		vr[j] /= max(count[j], 1)
	}
	return mean, vr
}

// floats64 returns a float tensor's values as float64.
func floats64(t *graph.Tensor) []float64 {
	if t.DType == graph.Float64 {
		return t.F64
	}
	v := make([]float64, len(t.F32))
	for i, f := range t.F32 {
		v[i] = float64(f)
	}
	return v
}

// compileDropout: the output is the input and the optional mask is all ones
// (data's type before opset 10, bool from 10). Before opset 7, is_test=0
// asks for training and is refused; from 12, training_mode (an optional
// bool input) must be false, or ratio 0 (then nothing is dropped either).
// ratio and seed only concern training and are read and ignored.
func compileDropout(c *nodeCtx) (kernelN, error) {
	c.legacyConsumedInputs()
	if c.opset < 12 {
		c.float("ratio", 0.5)
		if len(c.n.Inputs) > 1 {
			return nil, c.errf("ratio and training_mode are inputs from opset 12")
		}
	} else {
		c.int("seed", 0)
	}
	if c.opset < 7 && c.int("is_test", 0) == 0 {
		return nil, c.unsupported("is_test", "is_test=0 (training mode): only inference is supported")
	}
	maskType := graph.Bool
	if c.opset < 10 {
		maskType = graph.Undefined // data's type
	}
	wantMask := c.wantOut(1)
	c.infer = func(ins []static) ([]static, error) {
		s, _ := passThrough(ins)
		mt := maskType
		if mt == graph.Undefined {
			mt = ins[0].dtype
		}
		return append(s, static{dtype: mt, shape: ins[0].shape})[:len(c.n.Outputs)], nil
	}
	return func(rc *runCtx, ins []*graph.Tensor) ([]*graph.Tensor, error) {
		x := ins[0]
		if err := checkData(x, "input data"); err != nil {
			return nil, err
		}
		if len(ins) > 2 && ins[2] != nil {
			tm := ins[2]
			if err := checkData(tm, "input training_mode"); err != nil {
				return nil, err
			}
			if tm.DType != graph.Bool || tm.Len() != 1 {
				return nil, fmt.Errorf("input training_mode is %v%v, want one bool", tm.DType, tm.Shape)
			}
			if tm.I64[0] != 0 && !zeroRatio(ins) {
				return nil, fmt.Errorf("input training_mode is true and ratio is not 0: random dropout (training) is not supported")
			}
		}
		outs := make([]*graph.Tensor, len(c.n.Outputs))
		outs[0] = view(x, append([]int{}, x.Shape...))
		if wantMask {
			mt := maskType
			if mt == graph.Undefined {
				mt = x.DType
			}
			m := newTensor(mt, x.Shape)
			for i := range m.F32 {
				m.F32[i] = 1
			}
			for i := range m.F64 {
				m.F64[i] = 1
			}
			for i := range m.I64 {
				m.I64[i] = 1
			}
			outs[1] = m
		}
		return outs, nil
	}, nil
}

// zeroRatio reports whether Dropout's ratio input is present and 0.
func zeroRatio(ins []*graph.Tensor) bool {
	if len(ins) < 2 || ins[1] == nil || ins[1].Len() != 1 {
		return false
	}
	r := ins[1]
	switch r.DType {
	case graph.Float32:
		return r.F32[0] == 0
	case graph.Float64:
		return r.F64[0] == 0
	}
	return false
}
