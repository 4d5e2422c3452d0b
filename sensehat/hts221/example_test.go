package hts221_test

import (
	"fmt"
	"log"

	"github.com/sensehat/sensehat/sensehat/hts221"
	"github.com/sensehat/sensehat/sensehat/sim"
)

func Example() {
	// On the Pi the bus comes from i2creg.Open("1") and opts is nil; here
	// a simulated chip stands in for it.
	bus := sim.NewBus("sim")
	chip := sim.NewHTS221()
	bus.Attach(hts221.Addr, chip)
	chip.Set(21.5, 45)

	opts := hts221.DefaultOpts
	opts.SysfsRoot = "" // no kernel driver to look for on a simulated bus
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
