package backend

import (
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sensehat/sensehat/internal/config"
	"github.com/sensehat/sensehat/sensehat/sim"
)

func spec(t *testing.T, s string) config.Backend {
	t.Helper()
	var b config.Backend
	if err := b.Set(s); err != nil {
		t.Fatal(err)
	}
	return b
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestFileBackedDisplayAndFIFOJoystick(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "js")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	hw, err := Open(Request{
		Display:   spec(t, "fb:"+filepath.Join(dir, "fb")),
		Joystick:  spec(t, "evdev:"+fifo),
		Sensors:   spec(t, "none"),
		SysfsRoot: dir,
		Log:       quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer hw.Close()
	if hw.DisplayName != "fb:"+filepath.Join(dir, "fb") || hw.JoystickName != "evdev:"+fifo || hw.SensorsName != "none" {
		t.Errorf("names: %q %q %q", hw.DisplayName, hw.JoystickName, hw.SensorsName)
	}
	if hw.Joystick == nil || hw.Sensors != nil {
		t.Errorf("joystick %v, sensors %v", hw.Joystick, hw.Sensors)
	}
}

func TestSimOpensEveryChipAndReportsMissing(t *testing.T) {
	hat := sim.NewHAT()
	hat.Bus.Detach(sim.HTS221Addr)
	hw, err := Open(Request{Display: spec(t, "sim"), Joystick: spec(t, "sim"), Sensors: spec(t, "sim"), HAT: hat, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer hw.Close()
	s := hw.Sensors
	if s.HTS221 != nil || s.LPS25H == nil || s.AccelGyro == nil || s.Mag == nil {
		t.Errorf("set = %+v", s)
	}
	if why := s.Missing["hts221"]; !strings.Contains(why, "hts221") {
		t.Errorf("missing reason %q", why)
	}
	if s.CPUTempPath != "" {
		t.Errorf("the simulated board has no CPU to compensate for, got %q", s.CPUTempPath)
	}
}

func TestSimNeedsAHAT(t *testing.T) {
	_, err := Open(Request{Display: spec(t, "sim"), Joystick: spec(t, "none"), Sensors: spec(t, "none"), Log: quiet()})
	if err == nil || !strings.Contains(err.Error(), "simulated HAT") {
		t.Fatalf("err = %v", err)
	}
}

func TestAutoWithoutBoardSaysWhatToDo(t *testing.T) {
	// An empty sysfs and no I2C bus: no framebuffer, no chip.
	_, err := Open(Request{Display: spec(t, "auto"), Joystick: spec(t, "none"), Sensors: spec(t, "none"), SysfsRoot: t.TempDir(), Log: quiet()})
	if err == nil {
		t.Fatal("want an error without a matrix")
	}
	for _, want := range []string{"no LED matrix found", "--display none", "sim"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestCloseHaltsTheSensorChips: closing the hardware powers every sensor
// chip down, so none goes on sampling once the daemon has stopped. The
// power bits are the datasheets': HTS221 and LPS25H CTRL_REG1 (0x20) bit 7
// PD (1 = active), LSM9DS1 CTRL_REG1_G (0x10) and CTRL_REG6_XL (0x20)
// ODR bits 7:5 (000 = power-down), CTRL_REG3_M (0x22) MD bits 1:0
// (11 = power-down), TCS3400/TCS34725 ENABLE (0x80) PON bit 0.
func TestCloseHaltsTheSensorChips(t *testing.T) {
	hat := sim.NewHAT()
	hw, err := Open(Request{Display: spec(t, "sim"), Joystick: spec(t, "none"), Sensors: spec(t, "sim"), HAT: hat, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	type reg struct {
		name string
		read func() byte
		on   func(byte) bool
	}
	regs := []reg{
		{"hts221 CTRL_REG1", func() byte { return hat.HTS221.Register(0x20) }, func(v byte) bool { return v&0x80 != 0 }},
		{"lps25h CTRL_REG1", func() byte { return hat.LPS25H.Register(0x20) }, func(v byte) bool { return v&0x80 != 0 }},
		{"lsm9ds1 CTRL_REG1_G", func() byte { return hat.LSM9DS1.AG.Register(0x10) }, func(v byte) bool { return v&0xe0 != 0 }},
		{"lsm9ds1 CTRL_REG6_XL", func() byte { return hat.LSM9DS1.AG.Register(0x20) }, func(v byte) bool { return v&0xe0 != 0 }},
		{"lsm9ds1 CTRL_REG3_M", func() byte { return hat.LSM9DS1.Mag.Register(0x22) }, func(v byte) bool { return v&0x03 != 0x03 }},
		{"tcs34xx ENABLE", func() byte { return hat.Colour.Register(0x80) }, func(v byte) bool { return v&0x01 != 0 }},
	}
	for _, r := range regs {
		if v := r.read(); !r.on(v) {
			t.Errorf("%s = %#02x after Open: the chip is not running", r.name, v)
		}
	}
	if err := hw.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range regs {
		if v := r.read(); r.on(v) {
			t.Errorf("%s = %#02x after Close: the chip still samples", r.name, v)
		}
	}
}
