package thermal

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompensate(t *testing.T) {
	tests := []struct {
		name                string
		sensor, cpu, factor float64
		want                float64
	}{
		// 30 - (50-30)/1.6 = 30 - 12.5.
		{"typical", 30, 50, DefaultFactor, 17.5},
		{"factor 2", 28, 48, 2, 18},
		{"cpu as cool as sensors", 22, 22, 1.6, 22},
		{"cpu cooler than sensors", 20, 16, 2, 22},
		{"no compensation at 0", 30, 50, 0, 30},
		{"no compensation below 0", 30, 50, -1, 30},
		{"unknown cpu", 30, math.NaN(), 1.6, 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Compensate(tc.sensor, tc.cpu, tc.factor); math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("Compensate(%v, %v, %v) = %v, want %v", tc.sensor, tc.cpu, tc.factor, got, tc.want)
			}
		})
	}
}

func writeZone(t testing.TB, dir, v string) string {
	t.Helper()
	p := filepath.Join(dir, "temp")
	if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadCPU(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr string
	}{
		{"48312\n", 48.312, ""},
		{"-5000\n", -5, ""},
		{"0", 0, ""},
		{"\n", 0, `holds "\n", want millidegrees`},
		{"48.3\n", 0, `holds "48.3\n", want millidegrees`},
	}
	for _, tc := range tests {
		t.Run(strings.TrimSpace(tc.in), func(t *testing.T) {
			p := writeZone(t, t.TempDir(), tc.in)
			got, err := ReadCPU(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ReadCPU = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	_, err := ReadCPU(filepath.Join(t.TempDir(), "missing"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "thermal: ") {
		t.Fatalf("missing: err = %v", err)
	}
}

func TestZoneRereads(t *testing.T) {
	dir := t.TempDir()
	p := writeZone(t, dir, "61250\n")
	z, err := OpenZone(p)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	if got, err := z.Read(); err != nil || got != 61.25 {
		t.Fatalf("first = %v, %v", got, err)
	}
	writeZone(t, dir, "9000\n") // shorter than before
	if got, err := z.Read(); err != nil || got != 9 {
		t.Fatalf("second = %v, %v; want 9", got, err)
	}
}

func BenchmarkZoneRead(b *testing.B) {
	z, err := OpenZone(writeZone(b, b.TempDir(), "48312\n"))
	if err != nil {
		b.Fatal(err)
	}
	defer z.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := z.Read(); err != nil {
			b.Fatal(err)
		}
	}
}
