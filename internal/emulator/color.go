package emulator

import "math"

// dutyToSRGB maps a 5-bit LED duty (0..31) to the 8-bit sRGB value a
// screen must show to look as bright. The duty is linear light: the host's
// gamma table has already been applied on the way into the ATtiny, so the
// only step left is the sRGB transfer curve.
var dutyToSRGB = buildDutyToSRGB()

func buildDutyToSRGB() [32]uint8 {
	var t [32]uint8
	for d := range t {
		t[d] = uint8(math.Round(255 * srgbEncode(float64(d)/31)))
	}
	return t
}

// srgbEncode is the sRGB transfer function (IEC 61966-2-1) for a linear
// value in [0, 1].
func srgbEncode(l float64) float64 {
	if l <= 0.0031308 {
		return 12.92 * l
	}
	return 1.055*math.Pow(l, 1/2.4) - 0.055
}

// SRGB returns the sRGB colour a 5-bit duty triple looks like.
func SRGB(r, g, b uint8) (uint8, uint8, uint8) {
	return dutyToSRGB[r&0x1F], dutyToSRGB[g&0x1F], dutyToSRGB[b&0x1F]
}
