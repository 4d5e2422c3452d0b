package display

import "fmt"

// MaxPWM is the largest useful ATtiny88 LED value: the Sense HAT firmware
// (rpi-sense.S, draw_loop) counts its PWM from 0 to 63 and lights an LED
// while the count is below the value, so value v gives a duty of v/64 (64
// and above keep it lit).
const MaxPWM = 63

// Gamma maps a 5-bit channel value (0..31) to the PWM value, 0..MaxPWM,
// the ATtiny88 drives the LED with. The firmware applies no curve of its
// own, so whoever writes the ATtiny registers must apply one; the
// rpi-sense-fb kernel driver does it with the same tables as DefaultGamma
// and LowLightGamma, whose largest value, 31, is a duty of 31/64 (48 %).
type Gamma [32]uint8

// Check reports the first entry above MaxPWM.
func (g *Gamma) Check() error {
	for i, v := range g {
		if v > MaxPWM {
			return fmt.Errorf("display: gamma[%d] = %d, want 0..%d (the ATtiny's PWM runs 0..63, duty value/64)", i, v, MaxPWM)
		}
	}
	return nil
}

// DefaultGamma is the rpi-sense-fb driver's default table (ioctl 0xF102
// argument 0). It is the default on the I2C path too, so the matrix looks
// the same whichever path drives it and as bright as python-sense-hat
// makes it: full white is 31, half the firmware's range.
var DefaultGamma = Gamma{0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 17, 18, 20, 21, 23, 25, 27, 29, 31}

// FullGamma is DefaultGamma's curve stretched to the firmware's whole
// range (each entry ×63/31, rounded): the same shape, about twice as
// bright, full white 63. Only the I2C path can use it; the kernel
// framebuffer driver's tables stop at 31 unless a user table is set.
var FullGamma = Gamma{0, 0, 0, 0, 0, 0, 2, 2, 4, 4, 6, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 28, 30, 35, 37, 41, 43, 47, 51, 55, 59, 63}

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
