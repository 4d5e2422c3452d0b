package backend

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"periph.io/x/conn/v3/i2c"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/iio"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// kernelTree is a sysfs tree where the kernel binds st_pressure to 1-005c,
// st_lsm6dsx to 1-006a and st_magn to 1-001c, and made IIO devices for the
// first two only. The values are what the real drivers showed in the VM
// test (.ci/iio-vm.sh, Linux 6.1).
func kernelTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	write := func(rel, v string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for dev, drv := range map[string]string{"1-005c": "st-press-i2c", "1-006a": "st_lsm6dsx_i2c", "1-001c": "st-magn-i2c"} {
		testutil.BindI2CDriver(t, root, dev, drv)
	}
	for file, v := range map[string]string{
		"iio:device0/name": iio.NameLPS25H, "iio:device0/in_pressure_raw": "4150272",
		"iio:device0/in_pressure_scale": "0.000024414", "iio:device0/in_temp_raw": "-2640",
		"iio:device0/in_temp_scale": "2.083333333", "iio:device0/in_temp_offset": "20400.000000000",
		"iio:device1/name": iio.NameLSM9DS1Gyro, "iio:device1/in_anglvel_x_raw": "1000",
		"iio:device1/in_anglvel_y_raw": "-500", "iio:device1/in_anglvel_z_raw": "2000",
		"iio:device1/in_anglvel_scale": "0.000152716",
		"iio:device2/name":             iio.NameLSM9DS1Accel, "iio:device2/in_accel_x_raw": "1000",
		"iio:device2/in_accel_y_raw": "-2000", "iio:device2/in_accel_z_raw": "16384",
		"iio:device2/in_accel_scale": "0.000598205",
	} {
		write(filepath.Join("bus/iio/devices", file), v)
	}
	return root
}

// TestAutoUsesIIOForKernelHeldChips: with --sensors auto, each chip a
// kernel driver holds is read through IIO, the free HTS221 over I2C, and
// the magnetometer, held but without an IIO device, is reported with what
// is wrong and what to do.
func TestAutoUsesIIOForKernelHeldChips(t *testing.T) {
	hat := sim.NewHAT()
	root := kernelTree(t)
	h := &Hardware{buses: map[int]i2c.Bus{1: hat.Bus}}
	defer h.Close()
	if err := h.openSensors(Request{Sensors: spec(t, "auto"), SysfsRoot: root, Log: quiet()}); err != nil {
		t.Fatal(err)
	}
	s := h.Sensors
	if _, ok := s.LPS25H.(*iio.LPS25HDev); !ok {
		t.Errorf("LPS25H = %T, want the IIO device", s.LPS25H)
	}
	if _, ok := s.AccelGyro.(*iio.LSM9DS1Dev); !ok {
		t.Errorf("accel/gyro = %T, want the IIO devices", s.AccelGyro)
	}
	if s.HTS221 == nil || s.Missing["hts221"] != "" {
		t.Errorf("HTS221 (free) = %v, missing %q; want it over I2C", s.HTS221, s.Missing["hts221"])
	}
	if _, isIIO := s.HTS221.(*iio.HTS221Dev); isIIO {
		t.Error("HTS221 read through IIO, but no kernel driver holds it")
	}
	if s.Mag != nil {
		t.Fatalf("magnetometer = %T, want missing", s.Mag)
	}
	why := s.Missing["lsm9ds1_mag"]
	for _, want := range []string{`"st-magn-i2c" is bound to 1-001c`, "no IIO device named lsm9ds1_magn", "st_magn", "unbind", "1-001c/driver/unbind"} {
		if !strings.Contains(why, want) {
			t.Errorf("missing magnetometer reason %q does not say %q", why, want)
		}
	}
	if h.SensorsName != "auto:1" {
		t.Errorf("SensorsName = %q", h.SensorsName)
	}
}

// TestIIOBackendFindsTheKernelsNames: --sensors iio opens the devices by
// the names st_pressure and st_lsm6dsx really use.
func TestIIOBackendFindsTheKernelsNames(t *testing.T) {
	h := &Hardware{buses: map[int]i2c.Bus{}}
	defer h.Close()
	if err := h.openSensors(Request{Sensors: spec(t, "iio"), SysfsRoot: kernelTree(t), Log: quiet()}); err != nil {
		t.Fatal(err)
	}
	s := h.Sensors
	if s.LPS25H == nil || s.AccelGyro == nil {
		t.Fatalf("set = %+v, missing %v", s, s.Missing)
	}
	if s.HTS221 != nil || s.Mag != nil || !strings.Contains(s.Missing["hts221"], `no device named "hts221"`) {
		t.Errorf("hts221 %v mag %v missing %v", s.HTS221, s.Mag, s.Missing)
	}
}

// TestIIOSlowRateWarns: a device whose rate cannot be raised still opens,
// with a warning saying why its reads will be slow.
func TestIIOSlowRateWarns(t *testing.T) {
	root := kernelTree(t)
	dev := filepath.Join(root, "bus/iio/devices/iio:device0")
	if err := os.WriteFile(filepath.Join(dev, "sampling_frequency_available"), []byte("1 7 13 25\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A directory where the attribute should be: not writable, even for root.
	if err := os.Mkdir(filepath.Join(dev, "sampling_frequency"), 0o755); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := &Hardware{buses: map[int]i2c.Bus{}}
	defer h.Close()
	err := h.openSensors(Request{Sensors: spec(t, "iio"), SysfsRoot: root, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil || h.Sensors.LPS25H == nil {
		t.Fatalf("err %v, LPS25H %v", err, h.Sensors.LPS25H)
	}
	if !strings.Contains(logs.String(), "sensor reads through IIO will be slow") || !strings.Contains(logs.String(), "chip=lps25h") {
		t.Errorf("log lacks the slow-rate warning for lps25h:\n%s", logs.String())
	}
}
