package attiny

import "github.com/sensehat/sensehat/display"

// FrameBytes is the size of the ATtiny88's LED frame registers 0x00-0xBF.
const FrameBytes = display.Size * display.Size * 3

// Encode writes f as the ATtiny88's LED registers expect it: for each
// row, 8 red bytes, 8 green, 8 blue, each a PWM value (duty value/64)
// through g. Channels are cut to 5 bits first; green goes through the same
// 5 bits the kernel driver keeps after dropping the low bit of its 6. A nil
// g means display.DefaultGamma, whose full scale is 31; display.FullGamma
// reaches 63.
func Encode(dst *[FrameBytes]byte, f *display.Frame, g *display.Gamma) {
	if g == nil {
		g = &display.DefaultGamma
	}
	const px = 3 // bytes per pixel of display.Frame, like image.RGBA's 4
	for y := range display.Size {
		row := f.Pix[y*f.Stride : y*f.Stride+display.Size*px]
		out := dst[y*display.Size*3 : (y+1)*display.Size*3]
		for x := range display.Size {
			p := row[x*px : x*px+3 : x*px+3]
			out[x] = g[p[0]>>3]
			out[display.Size+x] = g[p[1]>>3]
			out[2*display.Size+x] = g[p[2]>>3]
		}
	}
}
