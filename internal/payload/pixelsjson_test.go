package payload

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sensehat/sensehat/display"
)

// hostilePixels is the payload: a JSON array of half a million
// numbers, 1 MiB, where 64 colours are expected.
func hostilePixels() []byte {
	n := MaxPixelsPayload / 2
	b := make([]byte, 0, MaxPixelsPayload)
	b = append(b, '[')
	for i := range n - 1 {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '0')
	}
	return append(b, ']')
}

// validPixels is a JSON array of 64 colours in the forms clients send.
func validPixels() []byte {
	cols := make([]string, 64)
	for i := range cols {
		switch i % 3 {
		case 0:
			cols[i] = `"red"`
		case 1:
			cols[i] = `[0, 128, 255]`
		default:
			cols[i] = `"#ff8800"`
		}
	}
	return []byte("[" + strings.Join(cols, ",") + "]")
}

// TestPixelsJSONStopsEarly: a hostile array is refused after the 64th
// element, and an oversized element after maxColourBytes, without reading
// or allocating for the rest. Before, the whole megabyte was decoded first
// (+57 MB, 110-170 ms each).
func TestPixelsJSONStopsEarly(t *testing.T) {
	numbers := hostilePixels()
	if len(numbers) != MaxPixelsPayload-1 || numbers[0] != '[' {
		t.Fatalf("hostile payload of %d bytes", len(numbers))
	}
	longString := []byte(`["` + strings.Repeat("a", MaxPixelsPayload-10) + `"]`)
	tests := []struct {
		name   string
		in     []byte
		phrase string
	}{
		{"half a million numbers", numbers, "JSON array of more than 64 colours"},
		{"one string of a megabyte", longString, "colour 0 (x 0, y 0) is longer than 128 bytes"},
		{"half a million arrays", []byte("[" + strings.Repeat("[1,2,3],", 100000) + "[1,2,3]]"), "more than 64 colours"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = ParsePixels(tc.in) })
			wantError(t, err, tc.phrase)
			// The error message and its arguments; nothing in proportion
			// to the payload.
			if n > 4<<10 {
				t.Errorf("allocated %d bytes for a %d-byte payload, want at most 4 KiB", n, len(tc.in))
			}
		})
	}
}

// unmarshalPixelsJSON is how led.pixels read a JSON array before it was
// streamed: decode all of it, then count. Kept to measure against.
func unmarshalPixelsJSON(data []byte) error {
	var cols []json.RawMessage
	if err := json.Unmarshal(data, &cols); err != nil {
		return err
	}
	if len(cols) != display.Size*display.Size {
		return errorf("led.pixels: JSON array of %d colours; send exactly 64", len(cols))
	}
	return nil
}

// BenchmarkParsePixelsJSON compares a valid 64-colour array with the
// issue's 1 MiB array of numbers, refused now at the 65th element, and with
// the old decode-then-count on the same payload.
func BenchmarkParsePixelsJSON(b *testing.B) {
	valid, hostile := validPixels(), hostilePixels()
	b.Run("valid64", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParsePixels(valid); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hostile1MiB", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParsePixels(hostile); err == nil {
				b.Fatal("accepted")
			}
		}
	})
	b.Run("hostile1MiB_decodeAll", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := unmarshalPixelsJSON(hostile); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}

// TestPixelsJSONColourLength: an element may be as long as a led.clear
// colour, maxColourBytes (128), and no longer.
func TestPixelsJSONColourLength(t *testing.T) {
	pad := func(n int) string { // [1,2,3] padded with spaces to n bytes
		return "[" + strings.Repeat(" ", n-7) + "1,2,3]"
	}
	if len(pad(128)) != 128 {
		t.Fatal(len(pad(128)))
	}
	json64 := func(last string) []byte { return []byte("[" + strings.Repeat(`"red",`, 63) + last + "]") }
	a, err := ParsePixels(json64(pad(128)))
	if err != nil {
		t.Fatalf("128-byte colour: %v", err)
	}
	if got := a.Frames[0].RGBAt(7, 7); got.R != 1 || got.G != 2 || got.B != 3 {
		t.Errorf("pixel (7,7) = %v, want 1,2,3", got)
	}
	_, err = ParsePixels(json64(pad(129)))
	wantError(t, err, "colour 63 (x 7, y 7) is longer than 128 bytes")
	_, err = ParsePixels(json64(`"` + strings.Repeat("r", 127) + `"`))
	wantError(t, err, "longer than 128 bytes")
	_, err = ParsePixels(json64(`"` + strings.Repeat("r", 126) + `"`))
	wantError(t, err, "unknown colour")
}
