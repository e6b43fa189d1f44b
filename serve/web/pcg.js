// The draws of runtime/sample, in JavaScript, bit for bit:
//   uniforms: Go's math/rand/v2 PCG (128-bit LCG, DXSM output) seeded
//             PCG(seed, image) and Rand.Float64 (the low 53 bits / 2^53);
//   categorical: the smallest k with u < cdf(k) of softmax(logits/T) in
//             float64, and whether u lies within eps of an inner boundary.
// Only Math.exp may differ from Go's math.Exp in the last bit; that can
// flip a draw only within eps of a boundary, which is reported.

const M64 = (1n << 64n) - 1n;
const M128 = (1n << 128n) - 1n;
const MUL = (2549297995355413924n << 64n) | 4865540595714422341n;
const INC = (6364136223846793005n << 64n) | 1442695040888963407n;
const CHEAP_MUL = 0xda942042e4dd58b5n;
const M53 = (1n << 53n) - 1n;
const TWO53 = 9007199254740992;

// uniforms(seed BigInt, image, count) is sample.Uniforms(seed, image, count).
export function uniforms(seed, image, count) {
  let state = ((BigInt.asUintN(64, seed)) << 64n) | BigInt(image);
  const out = new Float64Array(count);
  for (let p = 0; p < count; p++) {
    state = (state * MUL + INC) & M128;
    let hi = state >> 64n;
    const lo = state & M64;
    hi ^= hi >> 32n;
    hi = (hi * CHEAP_MUL) & M64;
    hi ^= hi >> 48n;
    hi = (hi * (lo | 1n)) & M64;
    out[p] = Number(hi & M53) / TWO53;
  }
  return out;
}

// categorical is sample.Categorical: logits[off + k*stride] for k < q.
export function categorical(logits, off, stride, q, temperature, u, eps) {
  let m = -Infinity;
  for (let k = 0; k < q; k++) m = Math.max(m, logits[off + k * stride]);
  const ex = new Float64Array(q);
  let s = 0;
  for (let k = 0; k < q; k++) {
    ex[k] = Math.exp((logits[off + k * stride] - m) / temperature);
    s += ex[k];
  }
  let level = q - 1, c = 0, near = false;
  for (let k = 0; k < q - 1; k++) {
    c += ex[k] / s;
    if (Math.abs(u - c) < eps) near = true;
    if (u < c && level === q - 1) level = k;
  }
  return [level, near];
}

// logProbs is sample's logProbs: float32(log(p)) of a probabilities column.
export function logProbs(probs, off, stride, q, buf) {
  for (let k = 0; k < q; k++) buf[k] = Math.fround(Math.log(probs[off + k * stride]));
  return buf;
}
