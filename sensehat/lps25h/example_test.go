package lps25h_test

import (
	"fmt"
	"log"

	"github.com/sensehat/sensehat/sensehat/lps25h"
	"github.com/sensehat/sensehat/sensehat/sim"
)

func Example() {
	// On a Pi the bus comes from i2creg.Open("1") and opts is nil: New
	// then looks in /sys and refuses the chip with ErrKernelDriver if a
	// kernel driver holds it (read it through package iio, or unbind the
	// driver). Here a simulated chip stands in, on a bus no kernel knows
	// of, so there is nothing to look for.
	bus := sim.NewBus("sim")
	chip := sim.NewLPS25H()
	bus.Attach(lps25h.Addr, chip)
	chip.Set(1013.25, 21.5)

	opts := lps25h.DefaultOpts
	opts.SkipKernelCheck = true
	dev, err := lps25h.New(bus, &opts)
	if err != nil {
		log.Fatal(err)
	}
	defer dev.Halt()

	var r lps25h.Reading
	if err := dev.Sense(&r); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.2f hPa, %.1f °C\n", r.PressureHPa, r.TemperatureC)
	// Output: 1013.25 hPa, 21.5 °C
}
