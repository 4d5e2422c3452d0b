package evdev

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/sensehat/sensehat/sensehat"
)

// record builds one struct input_event of the given size, in the machine's
// byte order, the way the kernel lays it out.
func record(size int, sec, usec int64, typ, code uint16, value int32) []byte {
	b := make([]byte, size)
	switch size {
	case 16:
		binary.NativeEndian.PutUint32(b[0:], uint32(sec))
		binary.NativeEndian.PutUint32(b[4:], uint32(usec))
	case 24:
		binary.NativeEndian.PutUint64(b[0:], uint64(sec))
		binary.NativeEndian.PutUint64(b[8:], uint64(usec))
	default:
		panic("bad size")
	}
	binary.NativeEndian.PutUint16(b[size-8:], typ)
	binary.NativeEndian.PutUint16(b[size-6:], code)
	binary.NativeEndian.PutUint32(b[size-4:], uint32(value))
	return b
}

func TestEventSize(t *testing.T) {
	// struct input_event as the kernel declares it for this word size.
	type inputEvent struct {
		sec, usec int
		typ, code uint16
		value     int32
	}
	if got, want := EventSize, int(unsafe.Sizeof(inputEvent{})); got != want {
		t.Fatalf("EventSize = %d, want %d", got, want)
	}
	want := map[int]int{32: 16, 64: 24}[strconv.IntSize]
	if EventSize != want {
		t.Fatalf("EventSize = %d on a %d-bit platform, want %d", EventSize, strconv.IntSize, want)
	}
}

func TestDecodeKeys(t *testing.T) {
	codes := []struct {
		name string
		code uint16
		key  sensehat.Key
	}{
		{"KEY_UP", 103, sensehat.KeyUp},
		{"KEY_DOWN", 108, sensehat.KeyDown},
		{"KEY_LEFT", 105, sensehat.KeyLeft},
		{"KEY_RIGHT", 106, sensehat.KeyRight},
		{"KEY_ENTER", 28, sensehat.KeyMiddle},
		{"BTN_DPAD_UP", 544, sensehat.KeyUp},
		{"BTN_DPAD_DOWN", 545, sensehat.KeyDown},
		{"BTN_DPAD_LEFT", 546, sensehat.KeyLeft},
		{"BTN_DPAD_RIGHT", 547, sensehat.KeyRight},
		{"BTN_SELECT", 314, sensehat.KeyMiddle},
	}
	values := []struct {
		value  int32
		action sensehat.Action
	}{
		{0, sensehat.Released},
		{1, sensehat.Pressed},
		{2, sensehat.Held},
	}
	const sec, usec = 1767225600, 123456 // 2026-01-01T00:00:00.123456Z
	wantTime := time.Date(2026, 1, 1, 0, 0, 0, 123456000, time.UTC)
	for _, size := range []int{16, 24} {
		for _, c := range codes {
			for _, v := range values {
				t.Run(fmt.Sprintf("%d/%s/%d", size, c.name, v.value), func(t *testing.T) {
					ev, ok := Decode(record(size, sec, usec, 1, c.code, v.value), size)
					if !ok {
						t.Fatal("Decode: ok = false")
					}
					if ev.Key != c.key || ev.Action != v.action || !ev.Time.Equal(wantTime) {
						t.Fatalf("Decode = %v %v %v, want %v %v %v", ev.Key, ev.Action, ev.Time.UTC(), c.key, v.action, wantTime)
					}
				})
			}
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	up := func(size int) []byte { return record(size, 1, 2, 1, 103, 1) }
	tests := []struct {
		name string
		b    []byte
		size int
	}{
		{"EV_SYN 16", record(16, 1, 2, 0, 0, 0), 16},
		{"EV_SYN 24", record(24, 1, 2, 0, 0, 0), 24},
		{"EV_MSC scan code", record(24, 1, 2, 4, 4, 0x90001), 24},
		{"EV_REL with KEY_UP's code", record(24, 1, 2, 2, 103, 1), 24},
		{"KEY_A", record(16, 1, 2, 1, 30, 1), 16},
		{"BTN_DPAD_UP-1", record(24, 1, 2, 1, 543, 1), 24},
		{"value 3", record(24, 1, 2, 1, 103, 3), 24},
		{"value -1", record(16, 1, 2, 1, 103, -1), 16},
		{"short 16", up(16)[:15], 16},
		{"short 24", up(24)[:23], 24},
		{"empty", nil, 24},
		{"size 20", up(24), 20},
		{"size 0", up(24), 0},
		{"24-byte record read as 16", up(24), 16},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if ev, ok := Decode(tc.b, tc.size); ok || ev != (sensehat.Event{}) {
				t.Fatalf("Decode = %+v, %v; want zero, false", ev, ok)
			}
		})
	}
}

func TestDecodeLongerBuffer(t *testing.T) {
	// A read hands out many records back to back; Decode looks at the first.
	b := append(record(16, 5, 0, 1, 108, 1), record(16, 5, 0, 0, 0, 0)...)
	ev, ok := Decode(b, 16)
	if !ok || ev.Key != sensehat.KeyDown || ev.Action != sensehat.Pressed || ev.Time.Unix() != 5 {
		t.Fatalf("Decode = %+v, %v", ev, ok)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(record(24, 1767225600, 5, 1, 103, 1), true)
	f.Add(record(16, 1767225600, 5, 1, 544, 2), false)
	f.Add(record(24, 0, 0, 0, 0, 0), true)
	f.Fuzz(func(t *testing.T, b []byte, wide bool) {
		size := 16
		if wide {
			size = 24
		}
		ev, ok := Decode(b, size)
		if !ok {
			if ev != (sensehat.Event{}) {
				t.Fatalf("not ok but event %+v", ev)
			}
			return
		}
		if len(b) < size {
			t.Fatalf("ok from %d bytes, want at least %d", len(b), size)
		}
		typ := binary.NativeEndian.Uint16(b[size-8:])
		code := binary.NativeEndian.Uint16(b[size-6:])
		value := int32(binary.NativeEndian.Uint32(b[size-4:]))
		if typ != 1 {
			t.Fatalf("ok for type %d", typ)
		}
		if value < 0 || value > 2 {
			t.Fatalf("ok for value %d", value)
		}
		if ev.Key < sensehat.KeyUp || ev.Key > sensehat.KeyMiddle {
			t.Fatalf("key %v from code %d", ev.Key, code)
		}
		// Re-encoding what was decoded must give the same event back.
		var sec, usec int64
		if wide {
			sec = int64(binary.NativeEndian.Uint64(b[0:]))
			usec = int64(binary.NativeEndian.Uint64(b[8:]))
		} else {
			sec = int64(int32(binary.NativeEndian.Uint32(b[0:])))
			usec = int64(int32(binary.NativeEndian.Uint32(b[4:])))
		}
		again, ok := Decode(record(size, sec, usec, typ, code, value), size)
		if !ok || again != ev {
			t.Fatalf("re-encoded: %+v, %v; want %+v", again, ok, ev)
		}
	})
}

var sink sensehat.Event

func BenchmarkDecode(b *testing.B) {
	rec := record(EventSize, 1767225600, 123456, 1, 103, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		ev, ok := Decode(rec, EventSize)
		if !ok {
			b.Fatal("not decoded")
		}
		sink = ev
	}
}
