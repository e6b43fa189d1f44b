package sample

import "fmt"

// Method chooses how the per-pixel distributions are computed.
type Method int

const (
	// Auto uses Cached when the graph can be proven causal and evaluated
	// incrementally, and Naive otherwise (Result.Fallback says why).
	Auto Method = iota
	// Cached computes, at pixel p, every layer at position p only, reusing
	// the activations of earlier positions: about one forward pass per image.
	Cached
	// Naive runs one full forward pass of the batch per pixel: the reference.
	Naive
)

func (m Method) String() string {
	switch m {
	case Auto:
		return "auto"
	case Cached:
		return "cached"
	case Naive:
		return "naive"
	}
	return fmt.Sprintf("method(%d)", int(m))
}

// ParseMethod is the inverse of Method.String.
func ParseMethod(s string) (Method, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "cached":
		return Cached, nil
	case "naive":
		return Naive, nil
	}
	return Auto, fmt.Errorf("unknown method %q (want auto, cached or naive)", s)
}
