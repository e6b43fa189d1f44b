package sample

import (
	"context"
	"errors"
	"testing"
)

func TestAudit(t *testing.T) {
	t.Parallel()
	c := smallConfig(4, 7, 7, 8)
	for _, tc := range []struct {
		name   string
		causal bool
		node   string
		g      func() any
	}{
		{"built model", true, "", func() any { return mustPixelCNN(t, c) }},
		{"mask applied by Mul", true, "", func() any { return mulMasked(t, c) }},
		{"first conv sees its centre", false, "in", func() any { return leaky(t, c, "in", 3, 3) }},
		{"3x3 conv sees the row below", false, "res00/b", func() any { return leaky(t, c, "res00/b", 2, 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := tc.g().(interface{})
			_ = g
		})
	}
}

var _ = errors.New
var _ = context.Background
