package graph

import "math"

// IEEE 754 binary16 (ONNX FLOAT16). A Float16 tensor keeps its values in
// Tensor.F32, each exactly representable in half precision; these convert
// to and from the 16-bit encoding files hold. The standard library has no
// half type, hence this.

// Float16ToFloat32 widens a binary16 value (exactly: every half is a float32).
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // infinity or NaN (payload kept)
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign) // ±0
	case exp == 0: // subnormal: frac × 2⁻²⁴, exact in float32
		f := float32(frac) / (1 << 24)
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// Float64ToFloat16 rounds f to the nearest binary16 value, ties to even
// (overflow gives ±Inf, NaN stays NaN), and returns its encoding.
func Float64ToFloat16(f float64) uint16 {
	bits := math.Float64bits(f)
	sign := uint16(bits>>48) & 0x8000
	a := math.Abs(f)
	switch {
	case a != a:
		return sign | 0x7e00
	case a >= 65520: // the midpoint between the largest half (65504) and 2^16 rounds up
		return sign | 0x7c00
	case a < 0x1p-25: // below half the smallest subnormal: ±0 (0x1p-25 itself ties to even, 0)
		return sign
	}
	// Scale to an integer count of the target's ulp and round to even.
	e := math.Ilogb(a)
	if e < -14 {
		e = -14 // subnormals share the smallest exponent
	}
	ulp := math.Ldexp(1, e-10)
	m := math.RoundToEven(a / ulp) // 1024..2048 for normals, <1024 for subnormals
	if m == 2048 {                 // rounding carried into the next binade
		m, e = 1024, e+1
	}
	if e == -14 && m < 1024 { // subnormal
		return sign | uint16(m)
	}
	if e > 15 {
		return sign | 0x7c00
	}
	return sign | uint16(e+15)<<10 | (uint16(m) - 1024)
}

// RoundFloat16 is f rounded to binary16 precision, as a float32.
func RoundFloat16(f float64) float32 { return Float16ToFloat32(Float64ToFloat16(f)) }
