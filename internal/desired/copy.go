package desired

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CopyFile is the local copy of the desired state in the state directory:
// what the Agent last read from the bucket, so that a daemon started while
// the hub cannot be reached still comes up with it.
const CopyFile = "desired.json"

// Copy is the local copy's content: each key's last value, as read.
type Copy struct {
	Default Entry `json:"default"`
	Device  Entry `json:"device"`
}

// Entry is one key's value and revision.
type Entry struct {
	Revision uint64 `json:"revision"`
	Value    string `json:"value"`
}

// maxCopy bounds the file read back: two documents of wire.MaxDesired and
// their JSON escapes.
const maxCopy = 64 << 10

// LoadCopy reads the local copy in dir; no file is an empty copy.
func LoadCopy(dir string) (Copy, error) {
	var c Copy
	if dir == "" {
		return c, nil
	}
	p := filepath.Join(dir, CopyFile)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("desired: reading the local copy: %w", err)
	}
	defer f.Close()
	b := make([]byte, maxCopy+1)
	n, _ := f.Read(b)
	for n < len(b) {
		m, err := f.Read(b[n:])
		n += m
		if err != nil {
			break
		}
	}
	if n > maxCopy {
		return Copy{}, fmt.Errorf("desired: the local copy %s is larger than %d bytes; delete it, the bucket gives it again", p, maxCopy)
	}
	if err := json.Unmarshal(b[:n], &c); err != nil {
		return Copy{}, fmt.Errorf("desired: the local copy %s is damaged (%v); delete it, the bucket gives it again", p, err)
	}
	return c, nil
}

// saveCopy writes c to dir atomically (a new file renamed over the old),
// so a power cut leaves the old copy or the new one.
func saveCopy(dir string, c Copy) error {
	if dir == "" {
		return nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, CopyFile+".*")
	if err != nil {
		return fmt.Errorf("desired: writing the local copy: %w", err)
	}
	_, werr := tmp.Write(b)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("desired: writing the local copy: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, CopyFile)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("desired: writing the local copy: %w", err)
	}
	return nil
}
