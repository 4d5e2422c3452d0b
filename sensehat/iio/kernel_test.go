package iio

// The adaptors against sysfs trees built with each kernel driver's own
// arithmetic (package iiotest). Expected readings come from the datasheet
// formulas in sensehat-hardware.md, with the tolerance the driver's integer
// truncation implies.

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/hts221"
	"github.com/sensehat/sensehat/sensehat/iio/iiotest"
	"github.com/sensehat/sensehat/sensehat/lps25h"
	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
)

// TestGeneratorsMatchRealKernel holds the generators to what the real
// st_pressure, st_lsm6dsx and st_magn drivers showed in a VM
// (.ci/iio-vm.sh on Linux 6.1, testdata/linux-6.1-sysfs.txt), for the
// same register bytes.
func TestGeneratorsMatchRealKernel(t *testing.T) {
	f, err := os.Open("testdata/linux-6.1-sysfs.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	real := map[string]map[string]string{} // device name -> file -> value
	devOf := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		dev, kv, _ := strings.Cut(line, " ")
		k, v, _ := strings.Cut(kv, "=")
		if k == "name" {
			devOf[dev] = v
			real[v] = map[string]string{}
			continue
		}
		real[devOf[dev]][k] = v + "\n"
	}
	acc, gyr := iiotest.STLSM6DSX([3]int16{1000, -2000, 16384}, [3]int16{1000, -500, 2000})
	gen := map[string]map[string]string{
		NameLPS25H:       iiotest.STPressure(0x3F5400, -2640),
		NameLSM9DS1Accel: acc,
		NameLSM9DS1Gyro:  gyr,
		NameLSM9DS1Magn:  iiotest.STMagn([3]int16{2000, -1000, 3000}),
	}
	for name, files := range gen {
		r := real[name]
		if r == nil {
			t.Errorf("the recorded kernel has no device %q", name)
			continue
		}
		for k, v := range files {
			if k == "name" {
				continue
			}
			if r[k] != v {
				t.Errorf("%s %s: generator %q, kernel %q", name, k, v, r[k])
			}
		}
		for k := range r {
			if _, ok := files[k]; !ok {
				t.Errorf("%s: kernel shows %s, the generator does not", name, k)
			}
		}
	}
}

// TestHTS221FromKernelArithmetic is the HTS221 through IIO against trees
// the hts221 driver's arithmetic builds: the reading is the datasheet's
// value within the driver's truncation, in °C and %RH (the driver does
// not use the ABI's milli-units).
func TestHTS221FromKernelArithmetic(t *testing.T) {
	tests := []struct {
		name       string
		cal        [16]byte
		hOut, tOut int16
	}{
		{"real block, T0_OUT 0, negative H outputs: room", iiotest.CalRealT0Zero, -6000, 300},
		{"real block: cold and humid", iiotest.CalRealT0Zero, -11000, -400},
		{"real block: above 100 % clamps", iiotest.CalRealT0Zero, -25000, 798},
		{"real block: outputs at the calibration points", iiotest.CalRealT0Zero, -14, 0},
		{"positive block: room", iiotest.CalPositive, 5000, 1000},
		{"positive block: below 0 % clamps, freezing", iiotest.CalPositive, -3000, -4000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := fakeTree(t, map[int]map[string]string{0: iiotest.HTS221(tc.cal, tc.hOut, tc.tOut)})
			r := testutil.SenseOnce[hts221.Reading](t, func() (*HTS221Dev, error) { return NewHTS221(root) })
			wantH, wantT, hTol, tTol := iiotest.HTS221Datasheet(tc.cal, tc.hOut, tc.tOut)
			if math.Abs(r.TemperatureC-wantT) > tTol {
				t.Errorf("temperature %.4f °C, datasheet %.4f ± %.4f", r.TemperatureC, wantT, tTol)
			}
			if math.Abs(r.HumidityPct-wantH) > hTol {
				t.Errorf("humidity %.4f %%RH, datasheet %.4f ± %.4f", r.HumidityPct, wantH, hTol)
			}
		})
	}
}

func TestHTS221SysfsOfRealBlock(t *testing.T) {
	// The strings hts221 shows for the real block, worked by hand from
	// hts221_parse_*_caldata: temperature slope 117·8000/798 = 1172,
	// b_gen = 798·153·1000/798·8 = 1224000; humidity slope
	// 82·8000/-12029 = -54, b_gen = -732621000/-12029·8 = 487232.
	f := iiotest.HTS221(iiotest.CalRealT0Zero, 0, 0)
	for k, want := range map[string]string{
		"in_temp_scale":              "0.018312500\n",
		"in_temp_offset":             "1044.368600682\n",
		"in_humidityrelative_scale":  "-0.003375000\n",
		"in_humidityrelative_offset": "-9022.814814814\n",
	} {
		if f[k] != want {
			t.Errorf("%s = %q, want %q", k, f[k], want)
		}
	}
}

// TestLPS25HFromKernelArithmetic: 00 54 3F / B0 F5 are 1013.25 hPa and
// 37 °C by the datasheet (raw/4096, 42.5 + raw/480); st_pressure's scale
// is 1/40960 cut to nine decimals, 2.6 ppm low.
func TestLPS25HFromKernelArithmetic(t *testing.T) {
	for _, tc := range []struct {
		press int32
		temp  int16
	}{{0x3F5400, -2640}, {0x3E8000, 0}, {0x2F0000, 4800}} {
		root := fakeTree(t, map[int]map[string]string{3: iiotest.STPressure(tc.press, tc.temp)})
		r := testutil.SenseOnce[lps25h.Reading](t, func() (*LPS25HDev, error) { return NewLPS25H(root) })
		wantP, wantT := float64(tc.press)/4096, 42.5+float64(tc.temp)/480
		if math.Abs(r.PressureHPa-wantP) > wantP*3e-6 || math.Abs(r.TemperatureC-wantT) > 1e-6 {
			t.Errorf("raw %d/%d: %.4f hPa %.4f °C, datasheet %.4f hPa %.4f °C", tc.press, tc.temp, r.PressureHPa, r.TemperatureC, wantP, wantT)
		}
	}
}

// TestLSM9DS1FromKernelArithmetic: st_lsm6dsx and st_magn trees at the
// full scales they select at probe. The datasheet gives 0.061 mg,
// 8.75 mdps and 0.14 mgauss per LSB in the chip's axes; the board's axes
// follow from package lsm9ds1's mapping, whatever it is.
func TestLSM9DS1FromKernelArithmetic(t *testing.T) {
	accel, gyro, mag := [3]int16{-1200, 3000, 16000}, [3]int16{-300, 1200, 40}, [3]int16{2500, -700, -4100}
	acc, gyr := iiotest.STLSM6DSX(accel, gyro)
	root := fakeTree(t, map[int]map[string]string{0: gyr, 1: acc, 2: iiotest.STMagn(mag)})
	ag := mustOpen(t, NewLSM9DS1, root)
	defer ag.Halt()
	m := mustOpen(t, NewLSM9DS1Mag, root)
	defer m.Halt()
	var got lsm9ds1.Motion
	var gotMag [3]float64
	if err := ag.Sense(&got); err != nil {
		t.Fatal(err)
	}
	if err := m.Sense(&gotMag); err != nil {
		t.Fatal(err)
	}
	var wantA, wantG, wantM [3]float64
	for i := range 3 {
		wantA[i] = float64(accel[i]) * 0.061e-3
		wantG[i] = float64(gyro[i]) * 8.75e-3
		wantM[i] = float64(mag[i]) * 0.14e-3 * 100
	}
	lsm9ds1.ChipToBoard(lsm9ds1.SensorAccel, &wantA)
	lsm9ds1.ChipToBoard(lsm9ds1.SensorGyro, &wantG)
	lsm9ds1.ChipToBoard(lsm9ds1.SensorMag, &wantM)
	for i := range 3 {
		// Nano-unit gains: a few ppm from the datasheet.
		if math.Abs(got.Accel[i]-wantA[i]) > 1e-5*math.Abs(wantA[i])+1e-9 {
			t.Errorf("accel[%d] = %.6f g, datasheet %.6f", i, got.Accel[i], wantA[i])
		}
		if math.Abs(got.Gyro[i]-wantG[i]) > 1e-5*math.Abs(wantG[i])+1e-9 {
			t.Errorf("gyro[%d] = %.6f dps, datasheet %.6f", i, got.Gyro[i], wantG[i])
		}
		// st_magn's 0.146 mgauss/LSB against the datasheet's 0.14: 4.3 %.
		if math.Abs(gotMag[i]-wantM[i]) > 0.05*math.Abs(wantM[i]) || math.Signbit(gotMag[i]) != math.Signbit(wantM[i]) {
			t.Errorf("mag[%d] = %.3f µT, datasheet %.3f", i, gotMag[i], wantM[i])
		}
	}
}

// TestNewSetsFastestRate: every adaptor raises its devices from the
// drivers' probe rates (1 Hz for st_pressure, where a one-shot read
// sleeps 2 s per channel) to the fastest they list.
func TestNewSetsFastestRate(t *testing.T) {
	acc, gyr := iiotest.STLSM6DSX([3]int16{0, 0, 16384}, [3]int16{})
	root := fakeTree(t, map[int]map[string]string{
		0: iiotest.STPressure(0x3F5400, 0), 1: acc, 2: gyr,
		3: iiotest.STMagn([3]int16{}), 4: iiotest.HTS221(iiotest.CalPositive, 0, 0),
	})
	l := mustOpen(t, NewLPS25H, root)
	ag := mustOpen(t, NewLSM9DS1, root)
	m := mustOpen(t, NewLSM9DS1Mag, root)
	h := mustOpen(t, NewHTS221, root)
	for _, e := range []error{l.RateErr(), ag.RateErr(), m.RateErr(), h.RateErr()} {
		if e != nil {
			t.Errorf("RateErr = %v", e)
		}
	}
	for dev, want := range map[int]string{0: "25", 1: "952.000", 2: "952.000", 3: "80", 4: "13"} {
		b, err := os.ReadFile(filepath.Join(root, "bus/iio/devices", fmt.Sprintf("iio:device%d", dev), "sampling_frequency"))
		if err != nil || string(b) != want {
			t.Errorf("iio:device%d sampling_frequency = %q, %v; want %q", dev, b, err, want)
		}
	}
}

// TestRateLeftSlow: a rate that cannot be set leaves the device working,
// with the reason in RateErr; a driver without a rate choice is no error.
func TestRateLeftSlow(t *testing.T) {
	files := iiotest.STPressure(0x3F5400, 0)
	delete(files, "sampling_frequency")
	root := fakeTree(t, map[int]map[string]string{0: files})
	// A directory where the attribute should be: the write fails, even
	// for root, which file modes would not stop.
	if err := os.Mkdir(filepath.Join(root, "bus/iio/devices/iio:device0/sampling_frequency"), 0o755); err != nil {
		t.Fatal(err)
	}
	l := mustOpen(t, NewLPS25H, root)
	if err := l.RateErr(); err == nil || !strings.Contains(err.Error(), "lps25h") {
		t.Errorf("RateErr = %v, want why lps25h stays slow", err)
	}
	var r lps25h.Reading
	if err := l.Sense(&r); err != nil || math.Abs(r.PressureHPa-1013.25) > 0.01 {
		t.Errorf("Sense = %+v, %v; want 1013.25 hPa at any rate", r, err)
	}

	noRate := iiotest.STPressure(0x3F5400, 0)
	delete(noRate, "sampling_frequency_available")
	l, err := NewLPS25H(fakeTree(t, map[int]map[string]string{0: noRate}))
	if err != nil || l.RateErr() != nil {
		t.Errorf("no rate choice: %v, RateErr %v; want both nil", err, l.RateErr())
	}
}
