package graph

import "fmt"

// Offset is a position relative to an output pixel: Dy rows down, Dx columns right.
type Offset struct{ Dy, Dx int }

// Less orders offsets in raster order: by row, then column. The order is
// compatible with addition (a < b implies a+c < b+c), so the last offset of
// a composed footprint is the sum of the parts' last offsets.
func (a Offset) Less(b Offset) bool { return a.Dy < b.Dy || a.Dy == b.Dy && a.Dx < b.Dx }

// Add returns a + b.
func (a Offset) Add(b Offset) Offset { return Offset{a.Dy + b.Dy, a.Dx + b.Dx} }

// ReceptiveField summarizes a footprint (the input offsets an output pixel
// depends on): how many input pixels it sees, how far up, left and right,
// and whether it is causal (every offset strictly before (0,0) in raster
// order). The footprint itself is computed on the layer plan
// (internal/layers).
type ReceptiveField struct {
	Pixels int
	// BlindSpot counts the earlier pixels (raster order) within the
	// footprint's span — rows Up above to the pixel's row, columns Left to
	// Right — that cannot influence the pixel: PixelCNN's masked stack
	// misses the ones up and to the right; a Gated PixelCNN misses none.
	// Offsets, as for a pixel away from the image's borders.
	BlindSpot         int
	Up, Down          int // rows above / below the output pixel (Down > 0 means not causal)
	Left, Right       int
	Causal            bool
	FirstNonCausal    Offset // the first offset at or after (0,0), when not causal
	HasFirstNonCausal bool
}

// Summarize returns the ReceptiveField of a footprint sorted in raster
// order.
func Summarize(offs []Offset) ReceptiveField {
	rf := ReceptiveField{Pixels: len(offs), Causal: true}
	in := make(map[Offset]bool, len(offs))
	for _, o := range offs {
		in[o] = true
		rf.Up = max(rf.Up, -o.Dy)
		rf.Down = max(rf.Down, o.Dy)
		rf.Left = max(rf.Left, -o.Dx)
		rf.Right = max(rf.Right, o.Dx)
		if !o.Less(Offset{}) && rf.Causal {
			rf.Causal = false
			rf.FirstNonCausal = o
			rf.HasFirstNonCausal = true
		}
	}
	for dy := -rf.Up; dy <= 0; dy++ {
		for dx := -rf.Left; dx <= rf.Right; dx++ {
			if o := (Offset{dy, dx}); o.Less(Offset{}) && !in[o] {
				rf.BlindSpot++
			}
		}
	}
	return rf
}

func (rf ReceptiveField) String() string {
	s := fmt.Sprintf("%d pixels, %d rows up, %d down, %d columns left, %d right, blind spot %d", rf.Pixels, rf.Up, rf.Down, rf.Left, rf.Right, rf.BlindSpot)
	if rf.Causal {
		return s + ", causal"
	}
	return s + fmt.Sprintf(", NOT causal (sees offset %+d,%+d)", rf.FirstNonCausal.Dy, rf.FirstNonCausal.Dx)
}
