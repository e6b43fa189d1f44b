package sample

import "math"

// logProbs turns q probabilities (stride apart) into log-probabilities in
// buf, the logits Categorical expects; 0 becomes −Inf, which draws never pick.
func logProbs(probs []float32, stride, q int, buf []float32) []float32 {
	for k := 0; k < q; k++ {
		buf[k] = float32(math.Log(float64(probs[k*stride])))
	}
	return buf
}
