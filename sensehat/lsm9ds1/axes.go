package lsm9ds1

// AccelGyroToBoard turns an accel or gyro vector in the chip's axes into
// the board frame, for readings that come from elsewhere than this
// driver (the kernel's IIO driver reports chip axes).
func AccelGyroToBoard(v *[3]float64) {
	for i, s := range agSign {
		v[i] *= float64(s)
	}
}

// MagToBoard turns a magnetometer vector in the chip's axes into the board
// frame.
func MagToBoard(v *[3]float64) {
	for i, s := range magSign {
		v[i] *= float64(s)
	}
}
