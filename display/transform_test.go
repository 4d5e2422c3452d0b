package display

import (
	"image"
	"image/color"
	"testing"
)

func TestTransform(t *testing.T) {
	red := color.RGBA{255, 0, 0, 255}
	green := color.RGBA{0, 255, 0, 255}
	blue := color.RGBA{0, 0, 255, 255}
	// Source: red at top-left, green at (1,0), blue at (0,2).
	tests := []struct {
		name             string
		o                Orientation
		red, green, blue image.Point
	}{
		{"0", Orientation{}, image.Pt(0, 0), image.Pt(1, 0), image.Pt(0, 2)},
		{"90 clockwise: top-left goes top-right", Orientation{Rotation: 90}, image.Pt(7, 0), image.Pt(7, 1), image.Pt(5, 0)},
		{"180", Orientation{Rotation: 180}, image.Pt(7, 7), image.Pt(6, 7), image.Pt(7, 5)},
		{"270", Orientation{Rotation: 270}, image.Pt(0, 7), image.Pt(0, 6), image.Pt(2, 7)},
		{"flip h", Orientation{FlipH: true}, image.Pt(7, 0), image.Pt(6, 0), image.Pt(7, 2)},
		{"flip v", Orientation{FlipV: true}, image.Pt(0, 7), image.Pt(1, 7), image.Pt(0, 5)},
		{"flip h+v", Orientation{FlipH: true, FlipV: true}, image.Pt(7, 7), image.Pt(6, 7), image.Pt(7, 5)},
		{"90 then flip h", Orientation{Rotation: 90, FlipH: true}, image.Pt(0, 0), image.Pt(0, 1), image.Pt(2, 0)},
		{"270 then flip v", Orientation{Rotation: 270, FlipV: true}, image.Pt(0, 0), image.Pt(0, 1), image.Pt(2, 0)},
	}
	src := NewFrame()
	src.SetRGB(0, 0, red.R, red.G, red.B)
	src.SetRGB(1, 0, green.R, green.G, green.B)
	src.SetRGB(0, 2, blue.R, blue.G, blue.B)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.o.Valid(); err != nil {
				t.Fatal(err)
			}
			dst := NewFrame()
			dst.Fill(color.RGBA{1, 2, 3, 255}) // every pixel must be overwritten
			Transform(dst, src, tc.o)
			want := NewFrame()
			want.SetRGB(tc.red.X, tc.red.Y, red.R, red.G, red.B)
			want.SetRGB(tc.green.X, tc.green.Y, green.R, green.G, green.B)
			want.SetRGB(tc.blue.X, tc.blue.Y, blue.R, blue.G, blue.B)
			if !dst.Equal(want) {
				t.Errorf("got\n%s\nwant\n%s", frameString(dst), frameString(want))
			}
		})
	}
}

func TestOrientationValid(t *testing.T) {
	for _, r := range []int{0, 90, 180, 270} {
		if err := (Orientation{Rotation: r}).Valid(); err != nil {
			t.Errorf("rotation %d: %v", r, err)
		}
	}
	for _, r := range []int{-90, 45, 360} {
		err := Orientation{Rotation: r}.Valid()
		if err == nil {
			t.Errorf("rotation %d accepted", r)
		}
	}
	err := Orientation{Rotation: 45}.Valid()
	if want := "display: rotation 45; use 0, 90, 180 or 270"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

func TestScale(t *testing.T) {
	tests := []struct {
		b    float64
		in   uint8
		want uint8
	}{
		{1, 255, 255}, {1, 7, 7}, {0.5, 255, 128}, {0.5, 100, 50}, {0, 255, 0},
		{-1, 200, 0}, {2, 200, 200}, {0.25, 200, 50},
	}
	for _, tc := range tests {
		src := NewFrame()
		src.Fill(color.RGBA{tc.in, tc.in, tc.in, 255})
		dst := NewFrame()
		Scale(dst, src, tc.b)
		for i, v := range dst.Pix {
			if v != tc.want {
				t.Fatalf("Scale(%v) of %d: byte %d = %d, want %d", tc.b, tc.in, i, v, tc.want)
			}
		}
		Scale(src, src, tc.b) // in place
		if !src.Equal(dst) {
			t.Errorf("Scale(%v) in place differs", tc.b)
		}
	}
}

// frameString draws f with one character per pixel: '.' black, '#' white,
// 'r', 'g', 'b' for pure primaries, '?' otherwise. Used by failing tests.
func frameString(f *Frame) string {
	var s []byte
	for y := range Size {
		for x := range Size {
			c := f.RGBAt(x, y)
			switch {
			case c.R == 0 && c.G == 0 && c.B == 0:
				s = append(s, '.')
			case c.R == 255 && c.G == 255 && c.B == 255:
				s = append(s, '#')
			case c.G == 0 && c.B == 0:
				s = append(s, 'r')
			case c.R == 0 && c.B == 0:
				s = append(s, 'g')
			case c.R == 0 && c.G == 0:
				s = append(s, 'b')
			default:
				s = append(s, '?')
			}
		}
		s = append(s, '\n')
	}
	return string(s)
}
