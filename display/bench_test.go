package display

import (
	"testing"
	"time"

	"github.com/sensehat/sensehat/font"
)

const benchText = "Grüße aus München: 21.5°C, 5 € – hello world"

// BenchmarkScrollFrame is one step of a scroll as the framebuffer path
// does it: render the window, rotate, encode.
func BenchmarkScrollFrame(b *testing.B) {
	fnt := font.Default()
	raw, out := NewFrame(), NewFrame()
	var buf [RGB565Bytes]byte
	width := fnt.TextWidth(benchText)
	o := Orientation{Rotation: 90}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		RenderText(raw, fnt, benchText, i%(width+Size)-Size, white, black)
		Transform(out, raw, o)
		EncodeRGB565(&buf, out)
	}
}

func BenchmarkEncodeRGB565(b *testing.B) {
	f := NewFrame()
	for i := range f.Pix {
		f.Pix[i] = uint8(i * 7)
	}
	var buf [RGB565Bytes]byte
	b.ReportAllocs()
	for b.Loop() {
		EncodeRGB565(&buf, f)
	}
}

// BenchmarkPlayerFrame is one round of the player's loop that renders and
// sends a scroll step, with rotation, brightness and software low light.
func BenchmarkPlayerFrame(b *testing.B) {
	clk := newFakeClock()
	p, err := NewPlayer(&nullDevice{}, PlayerOpts{Clock: clk, Orientation: Orientation{Rotation: 180}, Brightness: 0.5, LowLight: true})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.Submit(TextItem(benchText, ScrollOpts{Repeat: 1 << 30}), Queue); err != nil {
		b.Fatal(err)
	}
	now := clk.Now()
	p.iterate(now)
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(100 * time.Millisecond)
		p.iterate(now)
	}
}
