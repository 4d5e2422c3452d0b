package display

import "fmt"

// Orientation says how a frame is turned before it reaches the matrix, so a
// HAT mounted sideways or upside down still shows text upright.
type Orientation struct {
	// Rotation is 0, 90, 180 or 270 degrees clockwise: with 90, the
	// picture's top-left pixel lands top-right.
	Rotation int
	// FlipH mirrors left-right and FlipV top-bottom. They apply after the
	// rotation, in the coordinates of the person looking at the matrix.
	FlipH, FlipV bool
}

// Valid reports an error for a rotation other than 0, 90, 180 or 270.
func (o Orientation) Valid() error {
	switch o.Rotation {
	case 0, 90, 180, 270:
		return nil
	}
	return fmt.Errorf("display: rotation %d; use 0, 90, 180 or 270", o.Rotation)
}

// Transform writes src turned by o into dst. dst and src must be distinct
// frames. An invalid rotation is treated as 0.
func Transform(dst, src *Frame, o Orientation) {
	const m = Size - 1
	for y := range Size {
		for x := range Size {
			var dx, dy int
			switch o.Rotation {
			case 90:
				dx, dy = m-y, x
			case 180:
				dx, dy = m-x, m-y
			case 270:
				dx, dy = y, m-x
			default:
				dx, dy = x, y
			}
			if o.FlipH {
				dx = m - dx
			}
			if o.FlipV {
				dy = m - dy
			}
			s := src.Pix[y*src.Stride+x*3 : y*src.Stride+x*3+3 : y*src.Stride+x*3+3]
			d := dst.Pix[dy*dst.Stride+dx*3 : dy*dst.Stride+dx*3+3 : dy*dst.Stride+dx*3+3]
			d[0], d[1], d[2] = s[0], s[1], s[2]
		}
	}
}

// Scale writes src dimmed by brightness (0 black, 1 unchanged; values outside
// are clamped) into dst. dst may be src.
func Scale(dst, src *Frame, brightness float64) {
	switch {
	case !(brightness > 0): // also NaN
		brightness = 0
	case brightness > 1:
		brightness = 1
	}
	k := uint32(brightness*256 + 0.5)
	for y := range Size {
		s := src.Pix[y*src.Stride : y*src.Stride+Size*3]
		d := dst.Pix[y*dst.Stride : y*dst.Stride+Size*3]
		for i, v := range s {
			d[i] = uint8((uint32(v)*k + 128) >> 8)
		}
	}
}
