package protoconflict

import (
	"os"
	"testing"
)

func TestEnvSet(t *testing.T) {
	v := os.Getenv(Env)
	if v == "" {
		t.Fatalf("%s is not set after init", Env)
	}
	if Set && v != "ignore" {
		t.Fatalf("init set %s=%q, want ignore", Env, v)
	}
}
