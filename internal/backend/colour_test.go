package backend

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/sensehat/sensehat/internal/sensors"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/sim"
	"github.com/sensehat/sensehat/sensehat/tcs34xx"
)

func TestColourDetectedOnEachModel(t *testing.T) {
	tests := []struct {
		name    string
		model   sim.Model
		variant tcs34xx.Variant
		addr    uint16
		gain    int
	}{
		{"Sense HAT v2", sim.SenseHATv2, tcs34xx.TCS340x, 0x39, 64},
		{"Astro Pi", sim.AstroPi, tcs34xx.TCS3472x, 0x29, 60},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hat := sim.NewHATModel(tc.model)
			hw, err := Open(Request{Display: spec(t, "none"), Joystick: spec(t, "none"), Sensors: spec(t, "sim"),
				HAT: hat, Log: quiet(), ColourGain: tc.gain, ColourCycles: 10})
			if err != nil {
				t.Fatal(err)
			}
			d, ok := hw.Sensors.Colour.(*tcs34xx.Dev)
			if !ok || d.Variant() != tc.variant || d.Addr() != tc.addr {
				t.Fatalf("colour sensor = %v, want %v at %#x", hw.Sensors.Colour, tc.variant, tc.addr)
			}
			if _, missing := hw.Sensors.Missing[sensors.ColourChip]; missing {
				t.Errorf("missing although found: %v", hw.Sensors.Missing)
			}
			// CONTROL 3 is the highest gain of either table; ATIME 256 − 10.
			if g, a := hat.Colour.Register(0x8F), hat.Colour.Register(0x81); g != 3 || a != 246 {
				t.Errorf("CONTROL %d, ATIME %d; want 3, 246", g, a)
			}
			if err := hw.Close(); err != nil {
				t.Fatal(err)
			}
			if en := hat.Colour.Register(0x80); en != 0 {
				t.Errorf("ENABLE = %#x after Close, want the chip powered down", en)
			}
		})
	}
}

func TestNoColourSensorIsQuiet(t *testing.T) {
	var log bytes.Buffer
	hat := sim.NewHATModel(sim.SenseHATv1)
	hw, err := Open(Request{Display: spec(t, "sim"), Joystick: spec(t, "sim"), Sensors: spec(t, "sim"), HAT: hat,
		Log: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer hw.Close()
	s := hw.Sensors
	if s.Colour != nil || s.HTS221 == nil || s.LPS25H == nil || s.AccelGyro == nil || s.Mag == nil {
		t.Fatalf("set = %+v", s)
	}
	if why := s.Missing[sensors.ColourChip]; !strings.Contains(why, "no colour sensor found") {
		t.Errorf("missing = %q", why)
	}
	if strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), "no colour sensor on this board") {
		t.Errorf("log:\n%s\nwant one INFO line and no warning", log.String())
	}
}

func TestColourBadGainForChip(t *testing.T) {
	hw, err := Open(Request{Display: spec(t, "none"), Joystick: spec(t, "none"), Sensors: spec(t, "sim"),
		HAT: sim.NewHATModel(sim.AstroPi), Log: quiet(), ColourGain: 64})
	if err != nil {
		t.Fatalf("a gain the chip lacks must not stop the daemon: %v", err)
	}
	defer hw.Close()
	if why := hw.Sensors.Missing[sensors.ColourChip]; hw.Sensors.Colour != nil || !strings.Contains(why, "gain 64; the TCS3472x takes 1, 4, 16 or 60") {
		t.Fatalf("colour %v, missing %q", hw.Sensors.Colour, why)
	}
}

func TestColourIIOSaysWhy(t *testing.T) {
	hw, err := Open(Request{Display: spec(t, "none"), Joystick: spec(t, "none"), Sensors: spec(t, "iio"),
		SysfsRoot: t.TempDir(), Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer hw.Close()
	if why := hw.Sensors.Missing[sensors.ColourChip]; !strings.Contains(why, "use --sensors auto or i2c") {
		t.Fatalf("missing = %q", why)
	}
}

func TestColourHeldByKernelSaysWhatToDo(t *testing.T) {
	root := t.TempDir()
	testutil.BindI2CDriver(t, root, "1-0029", "tcs3472")
	hat := sim.NewHATModel(sim.AstroPi)
	h := &Hardware{}
	set := &sensors.Set{Missing: map[string]string{}}
	h.openColour(Request{Log: quiet()}, hat.Bus, 1, kernelCheck{root: root}, set)
	why := set.Missing[sensors.ColourChip]
	if set.Colour != nil || !strings.Contains(why, `"tcs3472" is bound to 1-0029`) || !strings.Contains(why, "unbind the driver") {
		t.Fatalf("colour %v, missing %q", set.Colour, why)
	}
	if n := hat.Bus.Transactions(0x29); n != 0 {
		t.Errorf("%d transactions to a chip the kernel holds", n)
	}
}
