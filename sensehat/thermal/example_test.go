package thermal_test

import (
	"fmt"

	"github.com/sensehat/sensehat/sensehat/thermal"
)

func ExampleCompensate() {
	// HTS221 and LPS25H read 31.2 and 30.8 °C; the CPU is at 52 °C:
	// 31 - (52-31)/1.6 = 17.875.
	sensors := (31.2 + 30.8) / 2
	fmt.Printf("%.1f °C\n", thermal.Compensate(sensors, 52, thermal.DefaultFactor))
	// Output: 17.9 °C
}
