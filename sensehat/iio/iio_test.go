package iio

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/iio/iiotest"
	"github.com/sensehat/sensehat/sensehat/lps25h"
)

// fakeTree writes IIO devices as the kernel lays them out: dev[n] is the
// content of iio:device<n>, file name to value.
func fakeTree(t *testing.T, devs map[int]map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for n, files := range devs {
		dir := filepath.Join(root, "bus", "iio", "devices", "iio:device"+string(rune('0'+n)))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, v := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

// senseHAT is what st_lsm6dsx and st_pressure write for an LSM9DS1 lying
// flat and an LPS25H at 1013.25 hPa and 21.5 °C (package iiotest), plus a
// device of a driver that converts itself and offers in_<ch>_input.
func senseHAT(t *testing.T) string {
	acc, _ := iiotest.STLSM6DSX([3]int16{-12, 40, 16384}, [3]int16{})
	return fakeTree(t, map[int]map[string]string{
		0: acc,
		1: iiotest.STPressure(0x3F5400, -10080),
		2: {"name": "processed\n", "in_temp_input": "23125\n"},
	})
}

func TestRead(t *testing.T) {
	root := senseHAT(t)
	tests := []struct {
		dev, ch string
		want    float64
		tol     float64
	}{
		// in_accel_scale, shared by the axes: 0.000598205 m/s² per LSB.
		{NameLSM9DS1Accel, "accel_x", -12 * 0.000598205, 1e-12},
		{NameLSM9DS1Accel, "accel_z", 16384 * 0.000598205, 1e-12},
		{NameLPS25H, "pressure", 101.325, 1e-3}, // kPa
		{NameLPS25H, "temp", 21500, 1e-3},       // m°C, with the offset
		{"processed", "temp", 23125, 0},         // in_temp_input, no scale
	}
	for _, tc := range tests {
		t.Run(tc.dev+"/"+tc.ch, func(t *testing.T) {
			d, err := Find(root, tc.dev)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			got, err := d.Read(tc.ch)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > tc.tol {
				t.Fatalf("Read(%q) = %v, want %v", tc.ch, got, tc.want)
			}
		})
	}
}

// mustFind is Find, failing the test on an error; the device is closed
// when the test ends.
func mustFind(t testing.TB, root, name string) *Device {
	t.Helper()
	d, err := Find(root, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestReadSeesNewValues(t *testing.T) {
	root := senseHAT(t)
	d := mustFind(t, root, "lps25h")
	if _, err := d.Read("temp"); err != nil {
		t.Fatal(err)
	}
	// The kernel regenerates the file on every read; the kept handle must
	// see the new value, including a shorter one.
	if err := os.WriteFile(filepath.Join(d.Dir, "in_temp_raw"), []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := d.Read("temp")
	if err != nil || math.Abs(got-42500) > 1e-3 {
		t.Fatalf("after change: %v, %v; want 42500 m°C", got, err)
	}
}

func TestFindErrors(t *testing.T) {
	root := senseHAT(t)
	_, err := Find(root, "hts221")
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), `iio: no device named "hts221"`) {
		t.Fatalf("err = %v", err)
	}
	d, err := Find(root, "lps25h")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read("humidityrelative"); !errors.Is(err, fs.ErrNotExist) ||
		!strings.Contains(err.Error(), `lps25h has no channel "humidityrelative"`) {
		t.Fatalf("missing channel: err = %v", err)
	}
	if err := os.WriteFile(filepath.Join(d.Dir, "in_pressure_raw"), []byte("busy\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read("pressure"); err == nil || !strings.Contains(err.Error(), `value "busy" is not a number`) {
		t.Fatalf("garbage: err = %v", err)
	}
}

func TestFindLowestNumber(t *testing.T) {
	root := fakeTree(t, map[int]map[string]string{
		3: {"name": "lps25h\n", "in_pressure_input": "90.5\n"},
		1: {"name": "lps25h\n", "in_pressure_input": "100.5\n"},
	})
	d, err := Find(root, "lps25h")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d.Read("pressure"); err != nil || got != 100.5 {
		t.Fatalf("Read = %v, %v; want 100.5 from iio:device1", got, err)
	}
}

func TestSharedNames(t *testing.T) {
	tests := []struct {
		ch   string
		want string
	}{
		{"accel_x", "accel_x accel"},
		{"voltage0", "voltage0 voltage"},
		{"temp", "temp"},
		{"humidityrelative", "humidityrelative"},
		{"in0_x", "in0_x in0 in"},
	}
	for _, tc := range tests {
		if got := strings.Join(sharedNames(tc.ch), " "); got != tc.want {
			t.Errorf("sharedNames(%q) = %q, want %q", tc.ch, got, tc.want)
		}
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  bool
	}{
		{"42\n", 42, false},
		{"-10080\n", -10080, false},
		{"+7", 7, false},
		{"0.000024414\n", 0.000024414, false},
		{"-2.5", -2.5, false},
		{"1e3", 1000, false},
		{"\n", 0, true},
		{"abc", 0, true},
		{"-", 0, true},
	}
	for _, tc := range tests {
		got, err := parseNumber([]byte(tc.in))
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseNumber(%q) = %v, %v; want %v, err %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// mustOpen opens the device open finds under root, failing the test if it
// cannot.
func mustOpen[D any](t testing.TB, open func(root string) (D, error), root string) D {
	t.Helper()
	d, err := open(root)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLPS25HDev(t *testing.T) {
	root := senseHAT(t)
	l := mustOpen(t, NewLPS25H, root)
	var r lps25h.Reading
	if err := l.Sense(&r); err != nil {
		t.Fatal(err)
	}
	// 4150272 * 0.000024414 kPa = 1013.2474 hPa: the kernel's 9-decimal
	// scale is 0.001 % short of 1/40960.
	if math.Abs(r.PressureHPa-1013.25) > 0.01 || math.Abs(r.TemperatureC-21.5) > 1e-6 {
		t.Fatalf("reading = %+v, want 1013.25 hPa, 21.5 °C", r)
	}
	if !strings.HasPrefix(l.String(), "LPS25H{iio ") {
		t.Fatalf("String() = %q", l.String())
	}
	if err := l.Halt(); err != nil {
		t.Fatal(err)
	}
	if _, err := NewLPS25H(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("no device: err = %v", err)
	}
}

func BenchmarkRead(b *testing.B) {
	root := fakeTreeB(b)
	d := mustFind(b, root, "lps25h")
	if _, err := d.Read("pressure"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Read("pressure"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLPS25HSense(b *testing.B) {
	testutil.BenchSense[lps25h.Reading](b, func() (*LPS25HDev, error) { return NewLPS25H(fakeTreeB(b)) })
}

func fakeTreeB(b *testing.B) string {
	root := b.TempDir()
	if err := iiotest.WriteTree(root, iiotest.STPressure(0x3F5400, -10080)); err != nil {
		b.Fatal(err)
	}
	return root
}
