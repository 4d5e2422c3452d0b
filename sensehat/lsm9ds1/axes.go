package lsm9ds1

// Sensor names one of the LSM9DS1's three outputs for ChipToBoard.
type Sensor uint8

// The LSM9DS1's outputs.
const (
	SensorAccel Sensor = iota
	SensorGyro
	SensorMag
)

// Signs from the chip's own axes to the axes python-sense-hat reports,
// exactly as RTIMULib's RTIMULSM9DS1::IMURead applies them: accel
// (-x, -y, z), gyro (x, y, -z), magnetometer (-x, y, -z). See the package
// documentation for what they mean physically.
var chipSign = [3][3]int32{
	SensorAccel: {-1, -1, 1},
	SensorGyro:  {1, 1, -1},
	SensorMag:   {-1, 1, -1},
}

// ChipToBoard turns one reading v of sensor s from the chip's own axes
// into the axes and signs python-sense-hat (RTIMULib) reports on the
// Sense HAT, in place. It is what Sense applies to every reading, exported
// for readings that come from elsewhere: the kernel's IIO drivers report
// chip axes. Units are left alone. An unknown s leaves v unchanged.
func ChipToBoard(s Sensor, v *[3]float64) {
	if int(s) >= len(chipSign) {
		return
	}
	for i, sg := range chipSign[s] {
		if sg < 0 {
			v[i] = 0 - v[i] // not -v[i]: a zero stays +0, never prints as -0
		}
	}
}
