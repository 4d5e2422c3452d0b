package display

import (
	"image"
	"image/color"
	"image/draw"
)

// Size is the width and height of the Sense HAT LED matrix.
const Size = 8

// bytesPerPixel is the depth of Frame.Pix: R, G, B.
const bytesPerPixel = 3

// FrameBytes is len(Frame.Pix): 8x8 pixels of R, G, B.
const FrameBytes = Size * Size * bytesPerPixel

// Frame is one 8x8 picture for the matrix. It is shaped like image.RGBA
// (Pix, Stride, Rect, PixOffset) but stores 3 bytes per pixel, because the
// LEDs have no alpha and the encoders read R, G, B straight from Pix.
type Frame struct {
	// Pix holds the pixels in row-major order, R, G, B per pixel.
	Pix []uint8
	// Stride is the distance in bytes between two vertically adjacent pixels.
	Stride int
	// Rect is always (0,0)-(8,8); kept so Frame satisfies image.Image.
	Rect image.Rectangle
}

var _ draw.Image = (*Frame)(nil)

// NewFrame returns a black frame.
func NewFrame() *Frame {
	return &Frame{
		Pix:    make([]uint8, FrameBytes),
		Stride: Size * bytesPerPixel,
		Rect:   image.Rect(0, 0, Size, Size),
	}
}

// ColorModel returns color.RGBAModel: the panel has no alpha channel and the
// device encoders do their own rounding to 5/6 bits.
func (f *Frame) ColorModel() color.Model { return color.RGBAModel }

// Bounds returns (0,0)-(8,8).
func (f *Frame) Bounds() image.Rectangle { return f.Rect }

// PixOffset returns the index of the first element of Pix for pixel (x, y).
func (f *Frame) PixOffset(x, y int) int {
	return (y-f.Rect.Min.Y)*f.Stride + (x-f.Rect.Min.X)*bytesPerPixel
}

// At returns the colour of pixel (x, y), opaque black outside the frame.
func (f *Frame) At(x, y int) color.Color { return f.RGBAt(x, y) }

// RGBAt is At without the interface conversion.
func (f *Frame) RGBAt(x, y int) color.RGBA {
	if !(image.Point{x, y}.In(f.Rect)) {
		return color.RGBA{A: 0xff}
	}
	i := f.PixOffset(x, y)
	p := f.Pix[i : i+3 : i+3]
	return color.RGBA{p[0], p[1], p[2], 0xff}
}

// Set sets pixel (x, y) to c; alpha is dropped after premultiplication,
// which is what a pixel composited over a black panel looks like.
func (f *Frame) Set(x, y int, c color.Color) {
	if !(image.Point{x, y}.In(f.Rect)) {
		return
	}
	r, g, b, _ := c.RGBA()
	f.SetRGB(x, y, uint8(r>>8), uint8(g>>8), uint8(b>>8))
}

// SetRGB is the allocation-free setter used on the rendering hot path.
func (f *Frame) SetRGB(x, y int, r, g, b uint8) {
	if !(image.Point{x, y}.In(f.Rect)) {
		return
	}
	i := f.PixOffset(x, y)
	p := f.Pix[i : i+3 : i+3]
	p[0], p[1], p[2] = r, g, b
}

// Fill paints every pixel with c.
func (f *Frame) Fill(c color.RGBA) {
	for i := 0; i+2 < len(f.Pix); i += 3 {
		f.Pix[i], f.Pix[i+1], f.Pix[i+2] = c.R, c.G, c.B
	}
}

// Clear paints the frame black.
func (f *Frame) Clear() { clear(f.Pix) }

// CopyFrom copies src's pixels into f.
func (f *Frame) CopyFrom(src *Frame) { copy(f.Pix, src.Pix) }

// Equal reports whether f and o hold the same pixels.
func (f *Frame) Equal(o *Frame) bool { return string(f.Pix) == string(o.Pix) }
