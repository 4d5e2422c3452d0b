package payload

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/png"
	"io"
	"time"

	"github.com/sensehat/sensehat/display"
)

// Limits of led.pixels animations.
const (
	// MaxFrames caps the frames of a GIF; they are counted before any is
	// decoded.
	MaxFrames = 256
	// MinDelay is the shortest time a frame of an animation stays up. GIF
	// delays count hundredths of a second, and browsers show a delay of 0
	// or 1 as DefaultDelay; we do the same, so 20 ms is the least left.
	MinDelay = 20 * time.Millisecond
	// DefaultDelay replaces a GIF frame delay of 0 or 10 ms, as browsers
	// do: the display's own default frame delay.
	DefaultDelay = display.DefaultFrameDelay
	// MaxDuration is the longest one request may hold the matrix: every
	// pass of an animation, every repeat of a text. An animation that loops
	// forever counts one pass: after it, it gives way as soon as something
	// else is queued.
	MaxDuration = display.MaxItemDuration
)

// pixelForms ends every led.pixels error: what the endpoint accepts.
const pixelForms = "send 192 bytes RGB888, 128 bytes RGB565 LE, a JSON array of 64 colours, a PNG or a GIF"

var (
	pngMagic   = []byte("\x89PNG\r\n\x1a\n")
	gif87Magic = []byte("GIF87a")
	gif89Magic = []byte("GIF89a")
)

// Animation is a parsed led.pixels request: one still frame, or the frames
// of an animated GIF.
type Animation struct {
	// Frames are at least one 8x8 frame.
	Frames []*display.Frame
	// Delays[i] is how long Frames[i] stays up: at least MinDelay in an
	// animation. A still picture has one frame with delay 0: it stays until
	// something else is shown.
	Delays []time.Duration
	// Loops is how many passes to play: display.Forever (0) means one,
	// then on until something else is queued (a GIF that loops forever). A
	// still picture has 1.
	Loops int
}

// ParsePixels parses a led.pixels payload. Which form it is follows from
// its first bytes and its length, in this order:
//   - the PNG or GIF signature: an image, which must be 8x8;
//   - exactly 192 bytes: raw RGB888, row-major from the top left;
//   - exactly 128 bytes: RGB565, little endian, same order;
//   - '[' as first non-space byte: a JSON array of 64 colours.
//
// The raw sizes cannot be mistaken for JSON: 64 colours of at least three
// JSON bytes each, with commas and brackets, make 257 bytes or more. A
// payload of a raw size that carries an image signature but does not decode
// as an image is read as raw pixels, so every 192-byte frame is accepted.
// Errors are *wire.Error with code wire.Invalid.
func ParsePixels(data []byte) (Animation, error) {
	if len(data) > MaxPixelsPayload {
		return Animation{}, tooLarge("led.pixels", len(data), MaxPixelsPayload)
	}
	var imgErr error
	switch {
	case bytes.HasPrefix(data, pngMagic):
		a, err := parsePNG(data)
		if err == nil {
			return a, nil
		}
		imgErr = err
	case bytes.HasPrefix(data, gif87Magic), bytes.HasPrefix(data, gif89Magic):
		a, err := parseGIF(data)
		if err == nil {
			return a, nil
		}
		imgErr = err
	}
	switch {
	case len(data) == display.FrameBytes:
		a, f := still()
		copy(f.Pix, data)
		return a, nil
	case len(data) == display.RGB565Bytes:
		a, f := still()
		if err := display.DecodeRGB565(data, f); err != nil {
			return Animation{}, errorf("led.pixels: %w; %s", err, pixelForms)
		}
		return a, nil
	case imgErr != nil:
		return Animation{}, imgErr
	case firstNonSpace(data) == '[':
		return parsePixelsJSON(data)
	}
	return Animation{}, errorf("led.pixels: %d bytes is no known frame; %s", len(data), pixelForms)
}

// stillAnimation holds everything a one-frame Animation points to, so that
// a raw frame costs one allocation.
type stillAnimation struct {
	frame  display.Frame
	pix    [display.FrameBytes]uint8
	frames [1]*display.Frame
	delays [1]time.Duration
}

// still returns a one-frame, black Animation and its frame.
func still() (Animation, *display.Frame) {
	s := new(stillAnimation)
	s.frame = display.Frame{Pix: s.pix[:], Stride: display.Size * 3, Rect: image.Rect(0, 0, display.Size, display.Size)}
	s.frames[0] = &s.frame
	return Animation{Frames: s.frames[:], Delays: s.delays[:], Loops: 1}, &s.frame
}

// parsePixelsJSON reads a JSON array of 64 colours one element at a time.
// It refuses at the 65th element, at an element longer than maxColourBytes
// and at nesting deeper than [[r,g,b]], before looking further: a megabyte
// of numbers costs a scan of the first few kilobytes, not a parse of all
// of it into half a million values. Each element is then checked as JSON
// and as a colour on its own.
func parsePixelsJSON(data []byte) (Animation, error) {
	const n = display.Size * display.Size
	var cols [n][]byte
	count := 0
	i := skipJSONSpace(data, 0) + 1 // past '[': the caller saw it
	i = skipJSONSpace(data, i)
	if i < len(data) && data[i] == ']' {
		i++
	} else {
		for {
			if count == n {
				return Animation{}, errorf("led.pixels: JSON array of more than %d colours; send exactly %d, row by row from the top left", n, n)
			}
			end, err := scanColour(data, i, count)
			if err != nil {
				return Animation{}, err
			}
			cols[count] = data[i:end]
			count++
			i = skipJSONSpace(data, end)
			if i < len(data) && data[i] == ']' {
				i++
				break
			}
			if i >= len(data) || data[i] != ',' {
				return Animation{}, malformedPixels(data, i, "',' or ']' after a colour")
			}
			i = skipJSONSpace(data, i+1)
		}
	}
	if i = skipJSONSpace(data, i); i < len(data) {
		return Animation{}, malformedPixels(data, i, "nothing after the array")
	}
	if count != n {
		return Animation{}, errorf("led.pixels: JSON array of %d colours; send exactly %d, row by row from the top left", count, n)
	}
	a, f := still()
	for k, raw := range cols {
		c, err := parseColourAt(k, raw)
		if err != nil {
			return Animation{}, err
		}
		f.SetRGB(k%display.Size, k/display.Size, c.R, c.G, c.B)
	}
	return a, nil
}

// parseColourAt parses element k of a led.pixels array, naming it by index
// and position only when it is refused: the name costs an allocation. Like
// led.clear it needs no strictJSON: see ParseClear.
func parseColourAt(k int, raw []byte) (color.RGBA, error) {
	if !json.Valid(raw) {
		return color.RGBA{}, errorf("led.pixels: colour %d (x %d, y %d): %s is no colour; send %s", k, k%display.Size, k/display.Size, quote(raw), colourForms)
	}
	c, err := ParseColorJSON(raw)
	if err != nil {
		return color.RGBA{}, errorf("led.pixels: colour %d (x %d, y %d): %w", k, k%display.Size, k/display.Size, err)
	}
	return c, nil
}

// scanColour returns the end of the colour element k that starts at
// data[i]: a string, an array without arrays inside, or a scalar. It looks
// at no more than maxColourBytes bytes, and leaves checking the element's
// JSON to the caller.
func scanColour(data []byte, i, k int) (int, error) {
	tooLong := func() error {
		return errorf("led.pixels: colour %d (x %d, y %d) is longer than %d bytes; send %s", k, k%display.Size, k/display.Size, maxColourBytes, colourForms)
	}
	limit := min(len(data), i+maxColourBytes) // the element must end by then
	if i >= len(data) {
		return 0, malformedPixels(data, i, "a colour")
	}
	switch data[i] {
	case '"':
		if j := scanString(data[:limit], i); j > 0 {
			return j, nil
		}
		if limit < len(data) {
			return 0, tooLong()
		}
		return 0, malformedPixels(data, len(data), "the end of a string")
	case '[':
		for j := i + 1; j < limit; j++ {
			switch data[j] {
			case ']':
				return j + 1, nil
			case '[', '{':
				return 0, errorf("led.pixels: JSON nested too deep at byte %d; send one array of 64 colours, each %s", j, colourForms)
			case '"':
				if j = scanString(data[:limit], j); j < 0 {
					j = limit // the string runs past the limit
				} else {
					j-- // the loop steps past the closing quote
				}
			}
		}
		if limit < len(data) {
			return 0, tooLong()
		}
		return 0, malformedPixels(data, len(data), "']' closing a colour")
	case '{':
		return 0, errorf("led.pixels: colour %d (x %d, y %d) is a JSON object; send %s", k, k%display.Size, k/display.Size, colourForms)
	}
	// A number or a literal: whatever runs up to the next separator.
	for j := i; j < limit; j++ {
		switch data[j] {
		case ',', ']', ' ', '\t', '\r', '\n':
			if j == i {
				return 0, malformedPixels(data, i, "a colour")
			}
			return j, nil
		}
	}
	if limit < len(data) {
		return 0, tooLong()
	}
	return len(data), nil
}

// scanString returns the offset after the JSON string starting at data[i]
// (a '"'), or -1 if data ends first.
func scanString(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipJSONSpace returns the offset of the first byte from i on that is not
// JSON white space.
func skipJSONSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// malformedPixels reports JSON that breaks off or goes on where it should
// not, at byte i.
func malformedPixels(data []byte, i int, want string) error {
	if i >= len(data) {
		return errorf("led.pixels: malformed JSON: the payload ends where %s should be; %s", want, pixelForms)
	}
	return errorf("led.pixels: malformed JSON at byte %d: %s where %s should be; %s", i, quote(data[i:min(len(data), i+1)]), want, pixelForms)
}

// checkHeader reads an image's header alone, with decodeConfig, and
// refuses an image that is not 8x8: a PNG claiming to be 60000x60000 is
// refused before the decoder allocates its pixels.
func checkHeader(kind string, data []byte, decodeConfig func(io.Reader) (image.Config, error)) error {
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return errorf("led.pixels: bad %s: %s; %s", kind, err, pixelForms)
	}
	if cfg.Width != display.Size || cfg.Height != display.Size {
		return errorf("led.pixels: %s is %dx%d; only 8x8 images are accepted", kind, cfg.Width, cfg.Height)
	}
	return nil
}

func parsePNG(data []byte) (Animation, error) {
	if err := checkHeader("PNG", data, png.DecodeConfig); err != nil {
		return Animation{}, err
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return Animation{}, errorf("led.pixels: bad PNG: %s; %s", err, pixelForms)
	}
	a, f := still()
	b := img.Bounds()
	for y := 0; y < display.Size; y++ {
		for x := 0; x < display.Size; x++ {
			// Frame.Set composites over black, which is what a
			// transparent pixel looks like on the panel.
			f.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return a, nil
}

func parseGIF(data []byte) (Animation, error) {
	if err := checkHeader("GIF", data, gif.DecodeConfig); err != nil {
		return Animation{}, err
	}
	if n := countGIFFrames(data); n > MaxFrames {
		return Animation{}, errorf("led.pixels: GIF has %d frames or more; at most %d are accepted", n, MaxFrames)
	}
	g, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		return Animation{}, errorf("led.pixels: bad GIF: %s; %s", err, pixelForms)
	}
	n := len(g.Image)
	if n == 0 {
		return Animation{}, errorf("led.pixels: GIF has no frames; %s", pixelForms)
	}
	a := Animation{
		Frames: make([]*display.Frame, n),
		Delays: make([]time.Duration, n),
		Loops:  passes(g.LoopCount),
	}
	frames := make([]display.Frame, n)
	pix := make([]uint8, n*display.FrameBytes)
	canvas := image.NewRGBA(image.Rect(0, 0, display.Size, display.Size))
	var saved *image.RGBA
	for i, m := range g.Image {
		disposal := byte(0)
		if i < len(g.Disposal) {
			disposal = g.Disposal[i]
		}
		if disposal == gif.DisposalPrevious {
			if saved == nil {
				saved = image.NewRGBA(canvas.Rect)
			}
			copy(saved.Pix, canvas.Pix)
		}
		// Over, not Src: the transparent index lets the canvas show through.
		draw.Draw(canvas, m.Bounds(), m, m.Bounds().Min, draw.Over)

		f := &frames[i]
		f.Pix = pix[i*display.FrameBytes : (i+1)*display.FrameBytes : (i+1)*display.FrameBytes]
		f.Stride = display.Size * 3
		f.Rect = canvas.Rect
		// The canvas is premultiplied, so its R, G, B are already the
		// colour over a black panel.
		for p := 0; p < display.Size*display.Size; p++ {
			copy(f.Pix[p*3:p*3+3], canvas.Pix[p*4:p*4+3])
		}
		a.Frames[i] = f
		a.Delays[i] = frameDelay(g.Delay[i])

		switch disposal {
		case gif.DisposalBackground:
			// Browsers clear to transparent rather than to the background
			// colour; on the panel transparent is black.
			draw.Draw(canvas, m.Bounds(), image.Transparent, image.Point{}, draw.Src)
		case gif.DisposalPrevious:
			copy(canvas.Pix, saved.Pix)
		}
	}
	if n == 1 {
		// One frame is a still picture whatever its delay says.
		a.Delays[0] = 0
		a.Loops = 1
	}
	// How long it plays, all passes, is checked where the queue is known,
	// by display.Player.Submit.
	return a, nil
}

// frameDelay converts a GIF delay in hundredths of a second.
func frameDelay(cs int) time.Duration {
	if cs <= 1 {
		return DefaultDelay
	}
	return time.Duration(cs) * 10 * time.Millisecond
}

// passes converts gif.GIF.LoopCount to Animation.Loops. image/gif documents
// LoopCount as 0 forever, -1 (no NETSCAPE2.0 extension) each frame once,
// otherwise LoopCount+1 passes: the extension counts the repeats after the
// first pass.
func passes(loopCount int) int {
	switch {
	case loopCount == 0:
		return display.Forever
	case loopCount < 0:
		return 1
	}
	return loopCount + 1
}

// countGIFFrames counts the image descriptors of a GIF by walking its block
// structure, without decompressing anything, so that a GIF of a hundred
// thousand tiny frames is refused before image/gif allocates them all. It
// stops counting at MaxFrames+1 and at the first malformed block, leaving
// the error to the decoder.
func countGIFFrames(data []byte) int {
	const header = 6 + 7 // signature and version, logical screen descriptor
	if len(data) < header {
		return 0
	}
	p := header
	if flags := data[10]; flags&0x80 != 0 {
		p += 3 << (flags&7 + 1)
	}
	// skipSubBlocks returns the offset after a sub-block chain, or -1.
	skipSubBlocks := func(p int) int {
		for p < len(data) {
			n := int(data[p])
			p++
			if n == 0 {
				return p
			}
			p += n
		}
		return -1
	}
	frames := 0
	for p >= 0 && p < len(data) && frames <= MaxFrames {
		switch data[p] {
		case 0x21: // extension: label, then sub-blocks
			p = skipSubBlocks(p + 2)
		case 0x2c: // image descriptor
			frames++
			if p+10 > len(data) {
				return frames
			}
			flags := data[p+9]
			p += 10
			if flags&0x80 != 0 {
				p += 3 << (flags&7 + 1)
			}
			// LZW minimum code size, then the data sub-blocks.
			p = skipSubBlocks(p + 1)
		default: // trailer, or garbage the decoder will report
			return frames
		}
	}
	return frames
}
