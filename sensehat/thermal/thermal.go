package thermal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sync"

	"github.com/sensehat/sensehat/sensehat/sysfs"
)

// Zone0 is the CPU temperature on a Raspberry Pi, relative to the sysfs
// root.
const Zone0 = "class/thermal/thermal_zone0/temp"

// DefaultPath is Zone0 under the real sysfs root.
const DefaultPath = sysfs.Root + "/" + Zone0

// DefaultFactor is F in T = Ts - (Tcpu - Ts)/F, a middle value for a Pi
// with a Sense HAT in open air.
const DefaultFactor = 1.6

// Compensate returns the room temperature estimated from the sensors'
// average temperature sensorC and the CPU temperature cpuC, as
// sensorC - (cpuC - sensorC)/factor. A factor <= 0, or a CPU temperature
// that is not a number (unknown), gives sensorC unchanged.
func Compensate(sensorC, cpuC, factor float64) float64 {
	if factor <= 0 || math.IsNaN(cpuC) || math.IsInf(cpuC, 0) {
		return sensorC
	}
	return sensorC - (cpuC-sensorC)/factor
}

// ReadCPU returns the temperature in °C of the thermal zone whose "temp"
// file is at path (DefaultPath on a Pi). For polling, OpenZone avoids
// opening the file every time.
func ReadCPU(path string) (float64, error) {
	z, err := OpenZone(path)
	if err != nil {
		return 0, err
	}
	defer z.Close()
	return z.Read()
}

// Zone is an opened thermal zone "temp" file, re-read in place so polling
// allocates nothing. It is safe for concurrent use.
type Zone struct {
	mu  sync.Mutex
	f   *os.File
	buf [32]byte
}

// OpenZone opens the thermal zone "temp" file at path.
func OpenZone(path string) (*Zone, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("thermal: %w (not a Raspberry Pi? pass the CPU's thermal zone)", err)
		}
		return nil, fmt.Errorf("thermal: %w", err)
	}
	return &Zone{f: f}, nil
}

// Read returns the zone's current temperature in °C.
func (z *Zone) Read() (float64, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	n, err := z.f.ReadAt(z.buf[:], 0)
	if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
		return 0, fmt.Errorf("thermal: reading %s: %w", z.f.Name(), err)
	}
	milli, ok := parseMilli(z.buf[:n])
	if !ok {
		return 0, fmt.Errorf("thermal: %s holds %q, want millidegrees", z.f.Name(), z.buf[:n])
	}
	return float64(milli) / 1000, nil
}

// Close closes the zone's file.
func (z *Zone) Close() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.f.Close()
}

// parseMilli parses the kernel's integer millidegrees, newline included.
func parseMilli(b []byte) (int64, bool) {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
