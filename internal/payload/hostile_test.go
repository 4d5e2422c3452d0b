package payload

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"math"
	"runtime"
	"strings"
	"testing"
)

// pngChunk encodes one PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	crc := crc32.ChecksumIEEE(append([]byte(typ), data...))
	return binary.BigEndian.AppendUint32(out, crc)
}

// zlibBombPNG returns a valid 8x8 RGBA PNG header whose image data inflates
// to n zero bytes, far more than 8 rows of 33 bytes.
func zlibBombPNG(t *testing.T, n int) []byte {
	t.Helper()
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	zeros := make([]byte, 64<<10)
	for left := n; left > 0; left -= len(zeros) {
		if _, err := w.Write(zeros[:min(left, len(zeros))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := pngHeader(8, 8)
	out = append(out, pngChunk("IDAT", z.Bytes())...)
	return append(out, pngChunk("IEND", nil)...)
}

// allocated returns the bytes f allocates on the heap.
//
// TotalAlloc counts the whole process, so a runtime or race-detector
// allocation made meanwhile can land in one measurement: f runs five
// times and the least is what f itself took.
func allocated(f func()) uint64 {
	least := uint64(math.MaxUint64)
	for range 5 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	return least
}

// TestHostile feeds each parser input built to crash it or to make it
// allocate far more than the payload: each must be refused with an *Error,
// without a panic, and without allocating more than a few times its size.
func TestHostile(t *testing.T) {
	text := func(b []byte) error { _, err := ParseText(b); return err }
	pixels := func(b []byte) error { _, err := ParsePixels(b); return err }
	clearer := func(b []byte) error { _, err := ParseClear(b); return err }
	config := func(b []byte) error { _, err := ParseConfig(b); return err }

	deep := strings.Repeat("[", 10000)
	frame := encodePNG(t, image.NewRGBA(image.Rect(0, 0, 8, 8)))

	tests := []struct {
		name   string
		parse  func([]byte) error
		in     []byte
		phrase string
	}{
		{"text over the cap", text, bytes.Repeat([]byte("a"), MaxPayload+1), "too large"},
		{"pixels over the cap", pixels, make([]byte, MaxPixelsPayload+1), "too large"},
		{"clear over the cap", clearer, bytes.Repeat([]byte("a"), MaxPayload+1), "too large"},
		{"config over the cap", config, bytes.Repeat([]byte("{"), MaxPayload+1), "too large"},
		{"text at the cap, too many runes", text, bytes.Repeat([]byte("é"), MaxPayload/2), "too long"},
		{"text at the cap, only newlines", text, bytes.Repeat([]byte("\n"), MaxPayload), "no text to show"},

		{"text nested 10000 deep", text, []byte(`{"text":"x","color":` + deep), "nested too deep"},
		{"text object 10000 deep", text, []byte(strings.Repeat("{", 10000)), "nested too deep"},
		{"pixels nested 10000 deep", pixels, []byte(deep), "nested too deep"},
		{"clear nested 10000 deep", clearer, []byte(deep), "too long for a colour"},
		{"clear nested", clearer, []byte("[[[[[[1]]]]]]"), "no colour"},
		{"config nested 10000 deep", config, []byte(`{"flip":` + deep), "nested too deep"},
		{"brackets in strings do not fool the depth check", text, []byte(`{"text":"[[[[","color":[[[1]]]}`), "nested too deep"},
		{"escaped quote does not end the string", text, []byte(`{"text":"\"[[[","color":[[[1]]]}`), "nested too deep"},

		{"text invalid UTF-8", text, []byte("\xc3\x28"), "invalid UTF-8"},
		{"text overlong NUL", text, []byte("a\xc0\x80"), "invalid UTF-8"},
		{"text surrogate", text, []byte("\xed\xa0\x80"), "invalid UTF-8"},
		{"JSON text invalid UTF-8", text, []byte("{\"text\":\"a\xff\"}"), "invalid UTF-8 at byte 10"},
		{"config invalid UTF-8", config, []byte("{\"fl\xffip\":\"h\"}"), "invalid UTF-8"},
		{"clear invalid UTF-8", clearer, []byte("\xff"), "invalid UTF-8"},
		{"text NUL", text, []byte("\x00"), "U+0000"},
		{"text NULs", text, make([]byte, 1000), "U+0000"},
		{"JSON text NUL", text, []byte(`{"text":"\u0000"}`), "U+0000"},
		{"clear NUL", clearer, []byte("red\x00"), "unknown colour"},
		{"config NUL", config, []byte("{\"rotation\":90}\x00"), "malformed JSON"},

		{"GIF header 65535x65535", pixels, []byte("GIF89a\xff\xff\xff\xff\x00\x00\x00;"), "GIF is 65535x65535"},
		{"PNG header 65535x65535", pixels, pngHeader(65535, 65535), "PNG is 65535x65535"},
		{"PNG header 1x100000000", pixels, pngHeader(1, 100000000), "PNG is 1x100000000"},
		{"GIF frame larger than its screen", pixels, []byte("GIF89a\x08\x00\x08\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff" +
			"\x2c\x00\x00\x00\x00\xff\xff\xff\xff\x00\x02\x02\x4c\x01\x00;"), "bad GIF"},
		{"GIF of MaxFrames+1 frames", pixels, manyFrameGIF(MaxFrames + 1), "at most 256 are accepted"},
		{"GIF of 60000 frames", pixels, manyFrameGIF(60000), "GIF has 257 frames or more"},
		{"PNG 8x8 header, no data", pixels, pngHeader(8, 8), "bad PNG"},
		{"PNG 8x8 truncated in its data", pixels, frame[:len(frame)-20], "bad PNG"},
		{"PNG 8x8 zlib bomb", pixels, zlibBombPNG(t, 4<<20), "bad PNG"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			n := allocated(func() { err = tc.parse(tc.in) })
			if err == nil {
				t.Fatal("accepted, want an error")
			}
			wantError(t, err, tc.phrase)
			if limit := uint64(4*len(tc.in) + 256<<10); n > limit {
				t.Errorf("allocated %d bytes for a %d-byte payload, want at most %d", n, len(tc.in), limit)
			}
			if len(err.Error()) > 400 {
				t.Errorf("error message of %d bytes: %.100q...", len(err.Error()), err.Error())
			}
		})
	}
}
