package desired

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLocalCopyRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if c, err := LoadCopy(dir); err != nil || c != (Copy{}) {
		t.Fatalf("no file: %+v %v", c, err)
	}
	want := Copy{Default: Entry{Revision: 2, Value: `{"low_light":true}`}, Device: Entry{Revision: 5, Value: `{"rotation":180}`}}
	if err := saveCopy(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCopy(dir)
	if err != nil || got != want {
		t.Fatalf("got %+v %v, want %+v", got, err, want)
	}
	// No temporary file is left behind.
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("%d files in the state directory, want 1", len(es))
	}
}

// A damaged or oversized copy is an error that says what to do; the
// daemon logs it and starts with its flags.
func TestLocalCopyDamaged(t *testing.T) {
	for name, content := range map[string]string{
		"damaged":   `{"device":{"revision":`,
		"oversized": `{"device":{"value":"` + strings.Repeat("x", maxCopy) + `"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, CopyFile), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadCopy(dir)
			if err == nil || !strings.Contains(err.Error(), "delete it, the bucket gives it again") {
				t.Errorf("err %v", err)
			}
		})
	}
}
