package fb

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/testutil"
)

// showPixel shows a frame with the one pixel (x, y) lit r, g, b and
// returns the frame.
func showPixel(t *testing.T, d *Dev, x, y int, r, g, b uint8) *display.Frame {
	t.Helper()
	f := display.NewFrame()
	f.SetRGB(x, y, r, g, b)
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	return f
}

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
			showPixel(t, d, tc.x, tc.y, tc.r, tc.g, tc.b)
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
	f := showPixel(t, d, 0, 0, 255, 255, 255)
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
	if g, err := d.Gamma(); err != nil || g != display.LowLightGamma {
		t.Errorf("Gamma on a file = %v, %v; want the low-light curve", g, err)
	}
}

func TestFileCreatedAndSized(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		before []byte // nil: no file
	}{
		{"missing", nil},
		{"empty", []byte{}},
		{"too long", bytes.Repeat([]byte{0xAA}, 4096)},
		{"too short", []byte{1, 2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if tc.before != nil {
				if err := os.WriteFile(path, tc.before, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			d, err := Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Halt()
			fi, err := os.Stat(path)
			if err != nil || !fi.Mode().IsRegular() || fi.Size() != 128 {
				t.Fatalf("after Open: %v, %v; want a 128-byte regular file", fi, err)
			}
			if got, want := d.String(), "fb("+path+")"; got != want {
				t.Errorf("String = %q, want %q", got, want)
			}
		})
	}
}

// frameBytes is what TestKnownFrame shows, encoded by hand.
func knownFrame() (*display.Frame, []byte) {
	f := display.NewFrame()
	want := make([]byte, 128)
	set := func(x, y int, r, g, b uint8, lo, hi byte) {
		f.SetRGB(x, y, r, g, b)
		want[2*(8*y+x)], want[2*(8*y+x)+1] = lo, hi
	}
	set(0, 0, 255, 0, 0, 0x00, 0xF8)        // red: 0xF800
	set(7, 0, 0, 255, 0, 0xE0, 0x07)        // green: 0x07E0
	set(0, 7, 0, 0, 255, 0x1F, 0x00)        // blue: 0x001F
	set(7, 7, 255, 255, 255, 0xFF, 0xFF)    // white
	set(3, 4, 0x80, 0x40, 0x20, 0x04, 0x82) // 16<<11 | 16<<5 | 4
	set(5, 2, 7, 3, 7, 0x00, 0x00)          // below one step of each channel
	return f, want
}

func TestKnownFrame(t *testing.T) {
	d, path := open(t)
	f, want := knownFrame()
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); !bytes.Equal(got, want) {
		t.Fatalf("file holds\n%x\nwant\n%x", got, want)
	}
}

func TestUnchangedFrameLeavesFileAlone(t *testing.T) {
	d, path := open(t)
	f, want := knownFrame()
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	// Scribble over the file behind Dev's back: an unchanged frame must
	// not be written again, so the scribble stays.
	junk := bytes.Repeat([]byte{0x55}, 128)
	if err := os.WriteFile(path, junk, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); !bytes.Equal(got, junk) {
		t.Fatal("unchanged frame was written again")
	}
	f.SetRGB(6, 6, 0, 0, 8)
	want[2*(8*6+6)] = 0x01
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); !bytes.Equal(got, want) || d.Writes() != 2 {
		t.Fatalf("after a change: %d writes, file %x; want 2 writes, %x", d.Writes(), got, want)
	}
}

func TestLowLightRemap(t *testing.T) {
	// After the kernel's default curve, every remapped value lights the
	// LED exactly as the low-light curve would have lit the original (the
	// low-light values all occur in the default table).
	lut := inverse(&display.DefaultGamma, &display.LowLightGamma)
	for v := range 32 {
		if got, want := display.DefaultGamma[lut[v]], display.LowLightGamma[v]; got != want {
			t.Errorf("value %d: default[%d] = %d, want low-light %d", v, lut[v], got, want)
		}
	}
	// The default curve as target changes nothing visible.
	id := inverse(&display.DefaultGamma, &display.DefaultGamma)
	for v := range 32 {
		if display.DefaultGamma[id[v]] != display.DefaultGamma[v] {
			t.Errorf("default onto itself: value %d -> %d", v, id[v])
		}
	}
}

func TestLowLightBytes(t *testing.T) {
	d, path := open(t)
	f, bright := knownFrame()
	if err := d.Show(f); err != nil {
		t.Fatal(err)
	}
	// Switching rewrites the frame at once: no Show needed.
	if err := d.SetLowLight(true); err != nil {
		t.Fatal(err)
	}
	if !d.LowLight() {
		t.Error("LowLight() = false after SetLowLight(true)")
	}
	// Full scale 31 -> low-light 10 -> default[18] = 10, so 31 becomes 18;
	// 16 -> 3 -> default[10] = 3 -> 10; 8 and 4 -> 1 -> default[6] = 1 -> 6.
	// Green is 6 bits with the low one dropped: 0x40 is 16, index 8.
	dim := append([]byte(nil), bright...)
	put := func(x, y int, v uint16) { dim[2*(8*y+x)], dim[2*(8*y+x)+1] = byte(v), byte(v>>8) }
	put(0, 0, 18<<11)
	put(7, 0, 18<<6)
	put(0, 7, 18)
	put(7, 7, 18<<11|18<<6|18)
	put(3, 4, 10<<11|6<<6|6)
	if got := read(t, path); !bytes.Equal(got, dim) {
		t.Fatalf("low light:\n%x\nwant\n%x", got, dim)
	}
	if err := d.Show(f); err != nil || d.Writes() != 2 {
		t.Fatalf("same frame in low light: %v, %d writes; want no new write", err, d.Writes())
	}
	if err := d.SetLowLight(false); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); !bytes.Equal(got, bright) {
		t.Fatalf("back to default:\n%x\nwant\n%x", got, bright)
	}
}

func TestLowLightOption(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fb")
	d, err := Open(path, &Opts{LowLight: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Halt()
	showPixel(t, d, 0, 0, 255, 0, 0)
	if got := read(t, path); got[0] != 0x00 || got[1] != 18<<3 {
		t.Fatalf("red in low light: % x, want 00 90", got[:2])
	}
}

func TestSetGammaFile(t *testing.T) {
	d, path := open(t)
	showPixel(t, d, 1, 0, 255, 0, 0)
	var g display.Gamma // half brightness, linear
	for i := range g {
		g[i] = uint8(i / 2)
	}
	if err := d.SetGamma(&g); err != nil {
		t.Fatal(err)
	}
	// 31 -> 15 -> smallest u with default[u] >= 15 is 22.
	if got := read(t, path); got[2] != 0x00 || got[3] != 22<<3 {
		t.Fatalf("red through the custom curve: % x, want 00 b0", got[2:4])
	}
	if got, err := d.Gamma(); err != nil || got != g {
		t.Fatalf("Gamma = %v, %v; want %v", got, err, g)
	}
	// The firmware's PWM runs 0..63: a table up to 63 is accepted, 64 is not.
	if err := d.SetGamma(&display.FullGamma); err != nil {
		t.Fatalf("SetGamma(FullGamma): %v", err)
	}
	if got, err := d.Gamma(); err != nil || got != display.FullGamma {
		t.Fatalf("Gamma = %v, %v; want FullGamma", got, err)
	}
	// A file can only go as far as the default table's 31.
	if got := read(t, path); got[2] != 0x00 || got[3] != 31<<3 {
		t.Fatalf("red through FullGamma in a file: % x, want 00 f8", got[2:4])
	}
	bad := g
	bad[5] = 64
	if err := d.SetGamma(&bad); err == nil || !strings.Contains(err.Error(), "gamma[5] = 64, want 0..63") {
		t.Fatalf("SetGamma with 64: %v", err)
	}
	if err := d.SetGamma(&display.LowLightGamma); err != nil || !d.LowLight() {
		t.Fatalf("SetGamma(low light): %v, LowLight() = %v", err, d.LowLight())
	}
}

func TestAfterHalt(t *testing.T) {
	d, _ := open(t)
	if err := d.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := d.Show(display.NewFrame()); err == nil || !strings.HasPrefix(err.Error(), "fb: ") {
		t.Errorf("Show after Halt: %v", err)
	}
	if err := d.SetLowLight(true); err == nil {
		t.Error("SetLowLight after Halt: nil error")
	}
}

func TestOpenCharDeviceChecksDriver(t *testing.T) {
	// /dev/null is a character device without the rpi-sense-fb ioctls,
	// as the HDMI framebuffer would be: refused, not scribbled on.
	_, err := Open("/dev/null", nil)
	if err == nil || !strings.Contains(err.Error(), "rpi-sense-fb gamma ioctl") || !errors.Is(err, syscall.ENOTTY) {
		t.Fatalf("Open(/dev/null) = %v, want a gamma ioctl error wrapping ENOTTY", err)
	}
}

func TestPermissionMessage(t *testing.T) {
	// Tests may run as root, who opens anything: check the message itself.
	err := openError("/dev/fb1", &fs.PathError{Op: "open", Path: "/dev/fb1", Err: syscall.EACCES})
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "add the user to the video group") {
		t.Fatalf("permission error: %v", err)
	}
}

func TestHaltBlanks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fb")
	d, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	showPixel(t, d, 2, 2, 255, 255, 255)
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

// BenchmarkShow writes a changed frame every time: the pwrite path.
func BenchmarkShow(b *testing.B) {
	d, _ := open(b)
	frames := [2]*display.Frame{display.NewFrame(), display.NewFrame()}
	frames[1].SetRGB(4, 4, 255, 0, 0)
	testutil.BenchShow(b, frames, d.Show)
}

// BenchmarkShowUnchanged is the still picture: encoded and compared, not
// written.
func BenchmarkShowUnchanged(b *testing.B) {
	d, _ := open(b)
	f, _ := knownFrame()
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Show(f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkShowLowLight is the changing picture with the software curve.
func BenchmarkShowLowLight(b *testing.B) {
	d, _ := open(b)
	if err := d.SetLowLight(true); err != nil {
		b.Fatal(err)
	}
	frames := [2]*display.Frame{display.NewFrame(), display.NewFrame()}
	frames[1].SetRGB(4, 4, 255, 0, 0)
	testutil.BenchShow(b, frames, d.Show)
}
