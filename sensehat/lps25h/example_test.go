package lps25h_test

import (
	"fmt"
	"log"

	"github.com/sensehat/sensehat/sensehat/lps25h"
	"github.com/sensehat/sensehat/sensehat/sim"
)

func Example() {
	// On the Pi the bus comes from i2creg.Open("1") and opts is nil; here
	// a simulated chip stands in for it.
	bus := sim.NewBus("sim")
	chip := sim.NewLPS25H()
	bus.Attach(lps25h.Addr, chip)
	chip.Set(1013.25, 21.5)

	opts := lps25h.DefaultOpts
	opts.SysfsRoot = "" // no kernel driver to look for on a simulated bus
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
