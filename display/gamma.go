package display

// Gamma maps a 5-bit channel value (0..31) to the 5-bit PWM duty the
// ATtiny88 drives the LED with. The firmware applies no curve of its own, so
// whoever writes the ATtiny registers must apply one; the rpi-sense-fb kernel
// driver does it with these same tables.
type Gamma [32]uint8

// DefaultGamma is the rpi-sense-fb driver's default table (ioctl 0xF102
// argument 0).
var DefaultGamma = Gamma{0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 17, 18, 20, 21, 23, 25, 27, 29, 31}

// LowLightGamma is the driver's low-light table (ioctl 0xF102 argument 1):
// about a third of the default brightness, for a matrix in a dark room.
var LowLightGamma = Gamma{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 10, 10}

// lowLightLUT maps an 8-bit channel value to another 8-bit value that, once
// the device has put it through DefaultGamma, lights the LED as
// LowLightGamma would have lit the original. It lets the player dim a device
// that cannot switch its own gamma table.
var lowLightLUT = buildLowLightLUT()

func buildLowLightLUT() [256]uint8 {
	var lut [256]uint8
	for v := range 256 {
		target := LowLightGamma[v>>3]
		// Smallest 5-bit input whose default-gamma output reaches target;
		// every low-light value appears in the default table.
		i := 0
		for i < 31 && DefaultGamma[i] < target {
			i++
		}
		lut[v] = uint8(i<<3 | i>>2)
	}
	return lut
}

// ApplyLowLight dims f in place as LowLightGamma would on a device that
// applies DefaultGamma itself.
func ApplyLowLight(f *Frame) {
	for i, v := range f.Pix[:FrameBytes] {
		f.Pix[i] = lowLightLUT[v]
	}
}
