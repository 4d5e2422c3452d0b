package orientation_test

import (
	"fmt"
	"time"

	"github.com/sensehat/sensehat/sensehat/orientation"
)

func ExampleFilter() {
	f := orientation.NewFilter(orientation.DefaultFilterOpts)
	// Lying flat, face up, the matrix's top edge towards magnetic east, in
	// python-sense-hat's axes: RTIMULib's compass vector is the field's
	// opposite (48 µT dipping 64°: 21.04 µT north, here along the right
	// edge, and 43.14 µT down).
	accel := [3]float64{0, 0, 1}
	gyro := [3]float64{0, 0, 0}
	mag := [3]float64{0, 21.04, 43.14}
	o := f.Update(accel, gyro, &mag, 100*time.Millisecond)
	fmt.Printf("roll %.0f pitch %.0f yaw %.0f compass %.0f heading %.0f\n", o.Roll, o.Pitch, o.Yaw, o.Compass, o.Heading)

	// Without a magnetometer there is no yaw to report.
	o = f.Update(accel, gyro, nil, 100*time.Millisecond)
	fmt.Printf("roll %.0f pitch %.0f has yaw %v\n", o.Roll, o.Pitch, o.HasYaw)
	// Output:
	// roll 0 pitch 0 yaw 270 compass 270 heading 90
	// roll 0 pitch 0 has yaw false
}

func ExampleCalibration() {
	// Readings taken while turning the board through every direction; a
	// real calibration has many more.
	var c orientation.Calibration
	for range 10 {
		c.Observe([3]float64{-30, -50, -20})
		c.Observe([3]float64{40, 10, 50})
	}
	fmt.Println("valid:", c.Valid(), "offset:", c.Offset())
	m := [3]float64{40, -20, 15}
	c.Apply(&m)
	fmt.Println("corrected:", m)
	// Output:
	// valid: true offset: [5 -20 15]
	// corrected: [35 0 0]
}
