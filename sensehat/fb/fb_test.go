package fb

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sensehat/sensehat/display"
)

func open(t testing.TB) (*Dev, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fb")
	d, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Halt() })
	return d, path
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 128 {
		t.Fatalf("file holds %d bytes, want one 128-byte frame", len(b))
	}
	return b
}

func TestExactBytes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		x, y    int
		r, g, b uint8
		off     int
		lo, hi  byte
	}{
		{"corner (0,0) red", 0, 0, 255, 0, 0, 0, 0x00, 0xF8},
		{"corner (7,7) blue", 7, 7, 0, 0, 255, 126, 0x1F, 0x00},
		{"(7,0) green", 7, 0, 0, 255, 0, 14, 0xE0, 0x07},
		{"(0,7) white", 0, 7, 255, 255, 255, 112, 0xFF, 0xFF},
		{"(3,4) mid grey", 3, 4, 128, 128, 128, 2 * (8*4 + 3), 0x10, 0x84},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, path := open(t)
			f := display.NewFrame()
			f.SetRGB(tc.x, tc.y, tc.r, tc.g, tc.b)
			if err := d.Show(f); err != nil {
				t.Fatal(err)
			}
			got := read(t, path)
			want := make([]byte, 128)
			want[tc.off], want[tc.off+1] = tc.lo, tc.hi
			if !bytes.Equal(got, want) {
				t.Errorf("bytes %x, want %x", got, want)
			}
		})
	}
}

func TestRotationReachesTheFile(t *testing.T) {
	// The player rotates; the driver writes what it is given. Pin the
	// combination for each rotation on pixel (0,0) red.
	for rot, off := range map[int]int{0: 0, 90: 2 * 7, 180: 2 * 63, 270: 2 * 56} {
		d, path := open(t)
		src, dst := display.NewFrame(), display.NewFrame()
		src.SetRGB(0, 0, 255, 0, 0)
		display.Transform(dst, src, display.Orientation{Rotation: rot})
		if err := d.Show(dst); err != nil {
			t.Fatal(err)
		}
		got := read(t, path)
		if got[off] != 0x00 || got[off+1] != 0xF8 {
			t.Errorf("rotation %d: red not at byte %d: %x", rot, off, got)
		}
	}
}

func TestUnchangedFrameNotRewritten(t *testing.T) {
	d, _ := open(t)
	f := display.NewFrame()
	f.SetRGB(1, 1, 200, 10, 10)
	for i := 0; i < 3; i++ {
		if err := d.Show(f); err != nil {
			t.Fatal(err)
		}
	}
	if d.Writes() != 1 {
		t.Errorf("%d writes for three identical frames, want 1", d.Writes())
	}
	f.SetRGB(1, 1, 0, 0, 0)
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	if d.Writes() != 2 {
		t.Errorf("changed frame not written (%d writes)", d.Writes())
	}
}

func TestLowLightInSoftwareForFiles(t *testing.T) {
	d, path := open(t)
	f := display.NewFrame()
	f.SetRGB(0, 0, 255, 255, 255)
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	bright := read(t, path)
	if err := d.SetLowLight(true); err != nil {
		t.Fatal(err)
	}
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	dim := read(t, path)
	if bytes.Equal(bright, dim) {
		t.Fatal("low light did not change the bytes")
	}
	px := uint16(dim[0]) | uint16(dim[1])<<8
	if r := px >> 11; r == 0 || r >= 31 {
		t.Errorf("low-light red = %d of 31, want dimmed but on", r)
	}
	if _, err := d.Gamma(); err == nil || !strings.Contains(err.Error(), "not a framebuffer device") {
		t.Errorf("Gamma on a file: %v", err)
	}
}

func TestHaltBlanks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fb")
	d, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := display.NewFrame()
	f.SetRGB(2, 2, 255, 255, 255)
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); !bytes.Equal(got, make([]byte, 128)) {
		t.Errorf("after Halt: %x", got)
	}
	if err := d.Halt(); err != nil {
		t.Errorf("second Halt: %v", err)
	}
}

func TestOpenRefusesDirectory(t *testing.T) {
	if _, err := Open(t.TempDir(), nil); err == nil {
		t.Fatal("want an error for a directory")
	}
}

func BenchmarkShow(b *testing.B) {
	d, _ := open(b)
	frames := [2]*display.Frame{display.NewFrame(), display.NewFrame()}
	frames[1].SetRGB(4, 4, 255, 0, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := d.Show(frames[i&1]); err != nil {
			b.Fatal(err)
		}
	}
}
