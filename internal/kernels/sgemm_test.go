package kernels

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// refGemm is c = alpha·op(a)·op(b) + beta·c in float64, with the sum of
// |terms| per element for closeTo.
func refGemm(transA, transB bool, m, n, k int, alpha float64, a []float32, lda int, b []float32, ldb int, beta float64, c []float32, ldc int) (want, s []float64) {
	want, s = make([]float64, m*n), make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var acc, abs float64
			for l := 0; l < k; l++ {
				ai, bi := i*lda+l, l*ldb+j
				if transA {
					ai = l*lda + i
				}
				if transB {
					bi = j*ldb + l
				}
				av, bv := a[ai], b[bi]
				t := alpha * float64(av) * float64(bv)
				acc += t
				abs += math.Abs(t)
			}
			if beta != 0 {
				acc += beta * float64(c[i*ldc+j])
				abs += math.Abs(beta * float64(c[i*ldc+j]))
			}
			want[i*n+j], s[i*n+j] = acc, abs
		}
	}
	return want, s
}

func TestSgemm(t *testing.T) {
	for _, tc := range []struct {
		m, n, k, pad int // pad: extra columns in every leading dimension
		alpha, beta  float32
	}{
		{3, 5, 7, 0, 1, 0}, {1, 1, 1, 0, 1, 0}, {17, 33, 9, 2, 0.5, 1}, {64, 300, 70, 3, 1, 0.25},
		{4, 6, 0, 0, 1, 0.5},       // k = 0: c = beta·c
		{128, 784, 96, 0, 1, 0},    // big enough to split across threads
		{200, 50, 300, 1, -1.5, 2}, // more rows than gemmMC, more k than gemmKC; alpha, beta
		{9, 2500, 3, 0, 1, 1},      // more columns than gemmNC
		{13, 37, 517, 5, 1, 0},     // k across several blocks, odd edges
	} {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, tt := range gemmImpls(2) {
				threads := tt.threads
				name := fmt.Sprintf("%dx%dx%d/pad%d/tA=%v/tB=%v/t%d/%s", tc.m, tc.n, tc.k, tc.pad, tr[0], tr[1], threads, tt.level)
				t.Run(name, func(t *testing.T) {
					defer setLevel(tt.level)()
					ar, ac, br, bc := tc.m, tc.k, tc.k, tc.n
					if tr[0] {
						ar, ac = ac, ar
					}
					if tr[1] {
						br, bc = bc, br
					}
					lda, ldb, ldc := max(1, ac+tc.pad), max(1, bc+tc.pad), tc.n+tc.pad // BLAS: ld ≥ max(1, columns)
					a := randSlice(1, max(0, (ar-1)*lda+ac))
					b := randSlice(2, max(0, (br-1)*ldb+bc))
					c := randSlice(3, (tc.m-1)*ldc+tc.n)
					want, s := refGemm(tr[0], tr[1], tc.m, tc.n, tc.k, float64(tc.alpha), a, lda, b, ldb, float64(tc.beta), c, ldc)
					Sgemm(threads, tr[0], tr[1], tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
					got := make([]float32, 0, tc.m*tc.n)
					for i := 0; i < tc.m; i++ {
						got = append(got, c[i*ldc:i*ldc+tc.n]...)
					}
					closeTo(t, "c", got, want, s, tc.k)
				})
			}
		}
	}
}

func TestSgemmBadSizesPanic(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "kernels.Sgemm") {
			t.Errorf("recover() = %v, want a kernels.Sgemm panic", r)
		}
	}()
	Sgemm(1, false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
}

func TestBackend(t *testing.T) {
	for _, l := range levels() {
		restore := setLevel(l)
		b := Backend()
		restore()
		want := map[level]string{levelGeneric: "gonum (pure Go)", levelAVX2: "avx2", levelAVX512: "avx512"}[l]
		if openblasOn {
			if !strings.HasPrefix(b, "openblas ") {
				t.Errorf("level %s, openblas tag: Backend() = %q, want openblas <core>", l, b)
			}
		} else if b != want {
			t.Errorf("level %s: Backend() = %q, want %q", l, b, want)
		}
	}
	t.Logf("backend: %s; %s", Backend(), Describe())
}
