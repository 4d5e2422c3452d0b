package display

import "fmt"

// RGB565Bytes is the size of a frame in the framebuffer's RGB565 format.
const RGB565Bytes = Size * Size * 2

// EncodeRGB565 writes f in the rpi-sense-fb layout: pixel (x, y) at byte
// 2*(8*y+x), little endian, red in bits 11-15, green 5-10, blue 0-4.
func EncodeRGB565(dst *[RGB565Bytes]byte, f *Frame) {
	for y := range Size {
		row := f.Pix[y*f.Stride : y*f.Stride+Size*bytesPerPixel]
		out := dst[y*Size*2 : (y+1)*Size*2]
		for x := range Size {
			p := row[x*3 : x*3+3 : x*3+3]
			v := uint16(p[0])>>3<<11 | uint16(p[1])>>2<<5 | uint16(p[2])>>3
			out[2*x] = byte(v)
			out[2*x+1] = byte(v >> 8)
		}
	}
}

// DecodeRGB565 reads a 128-byte RGB565 little-endian frame into f, widening
// each channel to 8 bits by bit replication so that full scale stays 255 and
// black stays 0.
func DecodeRGB565(src []byte, f *Frame) error {
	if len(src) != RGB565Bytes {
		return fmt.Errorf("display: RGB565 frame is %d bytes, want %d (8x8 pixels, 2 bytes each, little endian)", len(src), RGB565Bytes)
	}
	for y := range Size {
		row := f.Pix[y*f.Stride : y*f.Stride+Size*bytesPerPixel]
		for x := range Size {
			i := 2 * (y*Size + x)
			v := uint16(src[i]) | uint16(src[i+1])<<8
			r := uint8(v >> 11)
			g := uint8(v>>5) & 0x3f
			b := uint8(v) & 0x1f
			p := row[x*3 : x*3+3 : x*3+3]
			p[0] = r<<3 | r>>2
			p[1] = g<<2 | g>>4
			p[2] = b<<3 | b>>2
		}
	}
	return nil
}
