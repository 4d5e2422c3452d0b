package backend

import (
	"errors"
	"os"
	"testing"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/attiny"
	"github.com/sensehat/sensehat/sensehat/hts221"
	"github.com/sensehat/sensehat/sensehat/lps25h"
	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
	"github.com/sensehat/sensehat/sensehat/sim"
	"github.com/sensehat/sensehat/sensehat/tcs34xx"
)

// boundTree is a sysfs tree in which a kernel driver is bound to every
// Sense HAT chip on bus 1.
func boundTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, addr := range []string{"1-0046", "1-005f", "1-005c", "1-006a", "1-001c", "1-0039"} {
		testutil.BindI2CDriver(t, root, addr, "some_driver")
	}
	return root
}

// The kernel-driver check means the same in every chip driver: a driver
// bound to the chip's sysfs device (Linux: /sys/bus/i2c/devices/1-00XX/
// driver, a symlink to the driver) refuses the chip with the driver's
// ErrKernelDriver, SysfsRoot "" means /sys, and SkipKernelCheck (simulated
// buses) claims the chip anyway.
func TestKernelCheckMeansTheSameInEveryDriver(t *testing.T) {
	root := boundTree(t)
	open := []struct {
		name      string
		errKernel error
		open      func(hat *sim.HAT, root string, skip bool) error
	}{
		{"attiny", attiny.ErrKernelDriver, func(hat *sim.HAT, root string, skip bool) error {
			_, err := attiny.New(hat.Bus, &attiny.Opts{Bus: 1, SysfsRoot: root, SkipKernelCheck: skip})
			return err
		}},
		{"hts221", hts221.ErrKernelDriver, func(hat *sim.HAT, root string, skip bool) error {
			_, err := hts221.New(hat.Bus, &hts221.Opts{Bus: 1, SysfsRoot: root, SkipKernelCheck: skip})
			return err
		}},
		{"lps25h", lps25h.ErrKernelDriver, func(hat *sim.HAT, root string, skip bool) error {
			_, err := lps25h.New(hat.Bus, &lps25h.Opts{Bus: 1, SysfsRoot: root, SkipKernelCheck: skip})
			return err
		}},
		{"lsm9ds1 accel/gyro", lsm9ds1.ErrKernelDriver, func(hat *sim.HAT, root string, skip bool) error {
			_, err := lsm9ds1.NewAccelGyro(hat.Bus, &lsm9ds1.Opts{Bus: 1, SysfsRoot: root, SkipKernelCheck: skip})
			return err
		}},
		{"lsm9ds1 magnetometer", lsm9ds1.ErrKernelDriver, func(hat *sim.HAT, root string, skip bool) error {
			_, err := lsm9ds1.NewMag(hat.Bus, &lsm9ds1.MagOpts{Bus: 1, SysfsRoot: root, SkipKernelCheck: skip})
			return err
		}},
		{"tcs34xx", tcs34xx.ErrKernelDriver, func(hat *sim.HAT, root string, skip bool) error {
			_, err := tcs34xx.New(hat.Bus, &tcs34xx.Opts{Bus: 1, Addr: 0x39, SysfsRoot: root, SkipKernelCheck: skip})
			return err
		}},
	}
	for _, tc := range open {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.open(sim.NewHAT(), root, false); !errors.Is(err, tc.errKernel) {
				t.Errorf("bound chip: err = %v, want %v", err, tc.errKernel)
			}
			if err := tc.open(sim.NewHAT(), root, true); err != nil {
				t.Errorf("bound chip with SkipKernelCheck: %v", err)
			}
			// "" is the real /sys: this machine has no Sense HAT on bus 1,
			// so nothing is bound there and the chip is claimed.
			if _, err := os.Stat("/sys/bus/i2c/devices/1-0046"); err == nil {
				t.Skip("this machine has I2C bus 1 devices; the /sys case would read them")
			}
			if err := tc.open(sim.NewHAT(), "", false); err != nil {
				t.Errorf(`SysfsRoot "" (/sys, nothing bound): %v`, err)
			}
		})
	}
}

// A simulated board has no kernel: the sim backends claim its chips even
// where the sysfs tree says a driver holds every address, because they
// skip the check (SkipKernelCheck), not because of what SysfsRoot says.
func TestSimulatedBoardSkipsTheKernelCheck(t *testing.T) {
	h, err := Open(Request{Display: spec(t, "sim"), Joystick: spec(t, "sim"), Sensors: spec(t, "sim"),
		SysfsRoot: boundTree(t), HAT: sim.NewHAT(), Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if len(h.Sensors.Missing) != 0 {
		t.Errorf("simulated chips missing: %v", h.Sensors.Missing)
	}
}
