package lsm9ds1_test

import (
	"fmt"
	"log"

	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
	"github.com/sensehat/sensehat/sensehat/sim"
)

func Example() {
	// On a Pi the bus comes from i2creg.Open("1") and opts is nil: New
	// then looks in /sys and refuses the chip with ErrKernelDriver if a
	// kernel driver holds it (read it through package iio, or unbind the
	// driver). Here a simulated board stands in, on a bus no kernel knows
	// of, so there is nothing to look for; it lies flat, turning clockwise
	// seen from above (yaw growing, python-sense-hat gyro Z positive).
	bus := sim.NewBus("sim")
	chip := sim.NewLSM9DS1()
	chip.Attach(bus)
	chip.AG.SetRates(0, 0, -45)

	ag, err := lsm9ds1.NewAccelGyro(bus, &lsm9ds1.Opts{SkipKernelCheck: true})
	if err != nil {
		log.Fatal(err)
	}
	defer ag.Halt()
	var m lsm9ds1.Motion
	if err := ag.Sense(&m); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("accel %.2f g\n", m.Accel)
	fmt.Printf("gyro %.1f dps\n", m.Gyro)
	// Output:
	// accel [0.00 0.00 1.00] g
	// gyro [0.0 0.0 45.0] dps
}
