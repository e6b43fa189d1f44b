package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// tempPrefix is how the temporary files of path start: ".NAME.tmp".
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp" }

// create makes the temporary file for path, first removing stale ones.
func create(path string) (*os.File, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("write %s: is a directory", path)
	}
	removeStale(path)
	f, err := os.CreateTemp(filepath.Dir(path), tempPrefix(path)+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return f, nil
}

// removeStale deletes the temporary files of path left by processes that
// no longer run. Errors are ignored: a leftover file is harmless.
func removeStale(path string) {
	dir, prefix := filepath.Dir(path), tempPrefix(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, prefix) {
			continue
		}
		if stale(strings.TrimPrefix(name, prefix)) {
			os.Remove(filepath.Join(dir, name))
		}
	}
}

// stale reports whether a temporary file with this suffix (after ".tmp")
// belongs to no running process: "<pid>-<random>" with a pid that is gone,
// or the pid-less "<digits>" of older versions.
func stale(suffix string) bool {
	pidStr, _, ok := strings.Cut(suffix, "-")
	if !ok {
		_, err := strconv.ParseUint(suffix, 10, 64)
		return err == nil
	}
	pid, err := strconv.Atoi(pidStr)
	if err != nil || pid <= 0 {
		return false // not a name we make
	}
	return pid != os.Getpid() && !processAlive(pid)
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	var s Set
	if err := s.Add(path, data); err != nil {
		return err
	}
	return s.Commit()
}

// CheckWritable reports whether a file could be written at path: its folder
// exists and accepts a new file, and path is not a folder. It leaves no
// file behind.
func CheckWritable(path string) error {
	f, err := create(path)
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// CheckDir reports whether dir could be created (MkdirAll) and written into:
// dir is a writable folder, or the nearest existing ancestor is one.
func CheckDir(dir string) error {
	d := filepath.Clean(dir)
	for {
		fi, err := os.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s: %s is not a folder", dir, d)
			}
			return CheckWritable(filepath.Join(d, "x"))
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return fmt.Errorf("%s: %w", dir, err)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return fmt.Errorf("%s: no existing folder above it", dir)
		}
		d = parent
	}
}

// Set is a group of files written all or none. The zero value is empty.
type Set struct {
	staged []staged
}

type staged struct{ tmp, path string }

// Add writes data to a synced temporary file beside path. On error the
// whole set is aborted.
func (s *Set) Add(path string, data []byte) (err error) {
	defer func() {
		if err != nil {
			s.Abort()
		}
	}()
	f, err := create(path)
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err = f.Write(data); err == nil {
		if err = f.Chmod(0o644); err == nil {
			err = f.Sync()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	s.staged = append(s.staged, staged{tmp: tmp, path: path})
	return nil
}

// Commit renames every staged file over its destination, in the order they
// were added, and syncs their folders. Once the first rename has happened
// the set can no longer be undone: a later rename failure (which the checks
// of Add make unlikely: same folder, file already written) is reported with
// the files already in place named.
func (s *Set) Commit() error {
	done := 0
	defer func() { s.staged = nil }()
	for i, st := range s.staged {
		if err := os.Rename(st.tmp, st.path); err != nil {
			for _, rest := range s.staged[i:] {
				os.Remove(rest.tmp)
			}
			if done > 0 {
				return fmt.Errorf("write %s: %w (already written: %s)", st.path, err, s.names(done))
			}
			return fmt.Errorf("write %s: %w", st.path, err)
		}
		done++
	}
	for _, st := range s.staged {
		syncDir(filepath.Dir(st.path))
	}
	return nil
}

func (s *Set) names(n int) string {
	var ps []string
	for _, st := range s.staged[:n] {
		ps = append(ps, st.path)
	}
	return strings.Join(ps, ", ")
}

// Abort removes the temporary files of a set that will not be committed.
func (s *Set) Abort() {
	for _, st := range s.staged {
		os.Remove(st.tmp)
	}
	s.staged = nil
}

// syncDir makes a rename in dir durable; errors are ignored (some file
// systems cannot sync a folder).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
