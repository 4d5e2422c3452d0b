package tcs34xx_test

import (
	"fmt"
	"log"

	"github.com/sensehat/sensehat/sensehat/sim"
	"github.com/sensehat/sensehat/sensehat/tcs34xx"
)

func Example() {
	// On a Pi the bus comes from i2creg.Open("1") and opts is nil: New
	// then looks in /sys and refuses the chip with ErrKernelDriver if a
	// kernel driver (tcs3472 on an Astro Pi) holds it; unbind the driver
	// to read the chip here. A simulated Sense HAT v2 stands in, on a bus
	// no kernel knows of, so there is nothing to look for.
	hat := sim.NewHAT()
	hat.Colour.SetLight(10, 20, 5, 40)

	opts := tcs34xx.DefaultOpts
	opts.SkipKernelCheck = true
	opts.Gain, opts.IntegrationCycles = 16, 64
	dev, err := tcs34xx.New(hat.Bus, &opts)
	if err != nil {
		log.Fatal(err)
	}
	defer dev.Halt()

	var r tcs34xx.Reading
	if err := dev.Sense(&r); err != nil {
		log.Fatal(err)
	}
	red, green, blue, clear := r.Colour()
	fmt.Printf("%v at %#x: raw %d %d %d %d, colour %d %d %d %d\n",
		dev.Variant(), dev.Addr(), r.Red, r.Green, r.Blue, r.Clear, red, green, blue, clear)
	// Output: TCS340x at 0x39: raw 10240 20480 5120 40960, colour 40 80 20 160
}
