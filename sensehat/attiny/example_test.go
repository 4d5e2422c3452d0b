package attiny_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/sensehat"
	"github.com/sensehat/sensehat/sensehat/attiny"
	"github.com/sensehat/sensehat/sensehat/sim"
)

func Example() {
	// On a Pi the bus comes from i2creg.Open("1") and opts is nil: New
	// then looks in /sys and refuses the chip with ErrKernelDriver if the
	// rpi-sense kernel driver holds it (use package fb and evdev instead,
	// or unbind the driver). Here a simulated chip stands in, on a bus no
	// kernel knows of, so there is nothing to look for.
	bus := sim.NewBus("sim")
	chip := sim.NewATtiny()
	bus.Attach(attiny.Addr, chip)

	opts := attiny.DefaultOpts
	opts.SkipKernelCheck = true
	dev, err := attiny.New(bus, &opts)
	if err != nil {
		log.Fatal(err)
	}
	f := display.NewFrame()
	f.SetRGB(0, 0, 255, 128, 0)
	if err := dev.Show(f); err != nil {
		log.Fatal(err)
	}
	fmt.Println(chip.Pixel(0, 0))
	if err := dev.SetLowLight(true); err != nil {
		log.Fatal(err)
	}
	fmt.Println(chip.Pixel(0, 0))
	// Output:
	// 31 8 0
	// 10 3 0
}

func ExampleJoystick_Run() {
	bus := sim.NewBus("sim")
	chip := sim.NewATtiny()
	bus.Attach(attiny.Addr, chip)

	opts := attiny.DefaultJoystickOpts
	opts.RepeatDelay = time.Hour // no Held events in this example
	js, err := attiny.NewJoystick(bus, chip.Interrupt(), &opts)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := make(chan sensehat.Event)
	done := make(chan error)
	go func() { done <- js.Run(ctx, events) }()

	chip.Press(sensehat.KeyUp)
	ev := <-events
	fmt.Println(ev.Key, ev.Action)
	chip.Release(sensehat.KeyUp)
	ev = <-events
	fmt.Println(ev.Key, ev.Action)
	cancel()
	fmt.Println(<-done)
	// Output:
	// up pressed
	// up released
	// <nil>
}
