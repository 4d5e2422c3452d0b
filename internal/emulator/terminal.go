package emulator

import (
	"context"
	"io"
	"strconv"
)

// Frame is the ATtiny's LED frame in register order: per row 8 red, 8
// green, then 8 blue duties of 5 bits each.
type Frame = [192]byte

// offGrey is how a dark LED is drawn in a terminal: the matrix stays
// visible on a black background, as the unlit diffusers are on the board.
const offGrey = 28

// screen returns the colour LED (x, y) of f is drawn with.
func screen(f *Frame, x, y int) (r, g, b uint8) {
	o := y*24 + x
	dr, dg, db := f[o]&0x1F, f[o+8]&0x1F, f[o+16]&0x1F
	if dr|dg|db == 0 {
		return offGrey, offGrey, offGrey
	}
	return SRGB(dr, dg, db)
}

// AppendANSI appends the frame drawn with 24-bit colour escapes to dst and
// returns it. With cells false each text line holds two LED rows, the upper
// one as the foreground of an "▀" half block and the lower one as its
// background, so an LED is about square in a 1:2 terminal cell: 8 columns
// by 4 lines. With cells true each LED is two spaces of background colour:
// 16 columns by 8 lines, easier to see over a small font. Dark LEDs are
// drawn dark grey. Every line ends
// with a reset and a newline. It allocates only when dst is too small.
func AppendANSI(dst []byte, f *Frame, cells bool) []byte {
	if cells {
		for y := range 8 {
			for x := range 8 {
				r, g, b := screen(f, x, y)
				dst = appendSGR(dst, "\x1b[48;2;", r, g, b)
				dst = append(dst, "m  "...)
			}
			dst = append(dst, "\x1b[0m\n"...)
		}
		return dst
	}
	for y := 0; y < 8; y += 2 {
		for x := range 8 {
			r, g, b := screen(f, x, y)
			dst = appendSGR(dst, "\x1b[38;2;", r, g, b)
			r, g, b = screen(f, x, y+1)
			dst = appendSGR(dst, ";48;2;", r, g, b)
			dst = append(dst, "m▀"...)
		}
		dst = append(dst, "\x1b[0m\n"...)
	}
	return dst
}

func appendSGR(dst []byte, lead string, r, g, b uint8) []byte {
	dst = append(dst, lead...)
	dst = strconv.AppendUint(dst, uint64(r), 10)
	dst = append(dst, ';')
	dst = strconv.AppendUint(dst, uint64(g), 10)
	dst = append(dst, ';')
	dst = strconv.AppendUint(dst, uint64(b), 10)
	return dst
}

// Terminal draws the simulated matrix in a terminal and redraws it in
// place whenever the LEDs change, for a session over SSH where no browser
// can reach the page.
type Terminal struct {
	// W is the terminal; it must understand ANSI 24-bit colour.
	W io.Writer
	// Cells selects two-space cells (16x8) over half blocks (8x4).
	Cells bool

	buf   []byte
	drawn bool
}

// Draw writes f, first moving the cursor back over the previous drawing so
// the matrix stays in one place.
func (t *Terminal) Draw(f *Frame) error {
	t.buf = t.buf[:0]
	if t.drawn {
		lines := 4
		if t.Cells {
			lines = 8
		}
		t.buf = append(t.buf, "\x1b["...)
		t.buf = strconv.AppendInt(t.buf, int64(lines), 10)
		t.buf = append(t.buf, 'A', '\r')
	}
	t.buf = AppendANSI(t.buf, f, t.Cells)
	t.drawn = true
	_, err := t.W.Write(t.buf)
	return err
}

// Run draws b's matrix now and after every change until ctx is done. The
// cursor is hidden while it runs and shown again when it returns.
func (t *Terminal) Run(ctx context.Context, b *Board) error {
	changed, cancel := b.Watch()
	defer cancel()
	if _, err := io.WriteString(t.W, "\x1b[?25l"); err != nil {
		return err
	}
	defer io.WriteString(t.W, "\x1b[?25h")
	for {
		f := b.Frame()
		if err := t.Draw(&f); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		}
	}
}
