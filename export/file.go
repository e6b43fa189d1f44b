package export

import (
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/atomicfile"
)

// WriteFile encodes g and writes it to path atomically: the bytes go to a
// temporary file in the same folder, which is synced and renamed over path,
// so a failure never leaves a partial file behind.
func WriteFile(path string, g *graph.Graph, opts *Options) error {
	b, err := Marshal(g, opts)
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, b)
}

// WriteFileAtomic writes data to path through a temporary file and a rename
// (see internal/atomicfile: temporary files a killed writer left behind are
// removed by the next write to the same path).
func WriteFileAtomic(path string, data []byte) error {
	return atomicfile.WriteFile(path, data)
}
