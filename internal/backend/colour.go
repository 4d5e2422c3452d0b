package backend

import (
	"errors"
	"fmt"

	"periph.io/x/conn/v3/i2c"

	"github.com/sensehat/sensehat/internal/sensors"
	"github.com/sensehat/sensehat/sensehat/tcs34xx"
)

// colourNotInIIO is why --sensors iio has no colour sensor.
const colourNotInIIO = "--sensors iio reads only the kernel's IIO drivers, and the colour sensor is read over I2C only; use --sensors auto or i2c to publish sensors.colour"

// openColour looks for the colour sensor (TCS3400 at 0x39 or TCS34725 at
// 0x29) and tells it apart by its ID register. Most boards have none (a
// Sense HAT v1): that is noted in the status, not warned about.
func (h *Hardware) openColour(r Request, b i2c.Bus, n int, kc kernelCheck, set *sensors.Set) {
	d, err := tcs34xx.New(b, &tcs34xx.Opts{
		Bus:             n,
		SysfsRoot:       kc.root,
		SkipKernelCheck: kc.skip,
		Settings:        tcs34xx.Settings{Gain: r.ColourGain, IntegrationCycles: r.ColourCycles},
	})
	if err != nil {
		why := err.Error()
		if errors.Is(err, tcs34xx.ErrKernelDriver) {
			// The kernel's tcs3472 IIO driver can claim an Astro Pi's
			// TCS34725; sensors.colour is read over I2C only.
			why += "; sensehatd reads the colour sensor over I2C only: unbind the driver (/sys/bus/i2c/drivers/<driver>/unbind) to publish sensors.colour"
		}
		set.Missing[sensors.ColourChip] = why
		if errors.Is(err, tcs34xx.ErrNotFound) {
			r.Log.Info("no colour sensor on this board (a Sense HAT v1 has none)", "bus", n)
		} else {
			r.Log.Warn("colour sensor unavailable", "err", err)
		}
		return
	}
	set.Colour = d
	h.closers = append(h.closers, d.Halt)
	st := d.Settings()
	r.Log.Info("colour sensor found", "chip", d.Variant().String(), "id", fmt.Sprintf("%#02x", d.ID()),
		"addr", fmt.Sprintf("%#02x", d.Addr()), "gain", st.Gain, "integration_cycles", st.IntegrationCycles)
}
