package hts221_test

import (
	"fmt"
	"log"

	"github.com/sensehat/sensehat/sensehat/hts221"
	"github.com/sensehat/sensehat/sensehat/sim"
)

func Example() {
	// On a Pi the bus comes from i2creg.Open("1") and opts is nil: New
	// then looks in /sys and refuses the chip with ErrKernelDriver if a
	// kernel driver holds it (read it through package iio, or unbind the
	// driver). Here a simulated chip stands in, on a bus no kernel knows
	// of, so there is nothing to look for.
	bus := sim.NewBus("sim")
	chip := sim.NewHTS221()
	bus.Attach(hts221.Addr, chip)
	chip.Set(21.5, 45)

	opts := hts221.DefaultOpts
	opts.SkipKernelCheck = true
	dev, err := hts221.New(bus, &opts)
	if err != nil {
		log.Fatal(err)
	}
	defer dev.Halt()

	var r hts221.Reading
	if err := dev.Sense(&r); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.1f °C, %.1f %%rH\n", r.TemperatureC, r.HumidityPct)
	// Output: 21.5 °C, 45.0 %rH
}
