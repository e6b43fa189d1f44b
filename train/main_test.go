package train

import (
	"os"
	"testing"
)

// TestMain switches gorgonia/tensor's pool off for the test binary, as the
// pixelgraph CLI does, so the tests step Adam in parallel (see
// DisableTensorPool); TestAdamSerialWithPool checks the other path.
func TestMain(m *testing.M) {
	DisableTensorPool()
	os.Exit(m.Run())
}
