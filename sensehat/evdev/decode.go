package evdev

import (
	"encoding/binary"
	"strconv"
	"time"

	"github.com/sensehat/sensehat/sensehat"
)

// Event layout constants from linux/input.h and linux/input-event-codes.h.
const (
	evKey = 1

	keyEnter = 28
	keyUp    = 103
	keyLeft  = 105
	keyRight = 106
	keyDown  = 108

	btnSelect    = 314
	btnDpadUp    = 544
	btnDpadDown  = 545
	btnDpadLeft  = 546
	btnDpadRight = 547
)

// EventSize is the size of struct input_event on this platform: two longs of
// time, then u16 type, u16 code and s32 value.
const EventSize = 2*strconv.IntSize/8 + 8

// Decode decodes one struct input_event of size bytes (16 or 24, see
// EventSize) at the start of b, in the machine's byte order. ok is false for
// anything but a joystick key event: EV_SYN and other types, codes that are
// not one of the joystick's, values other than 0, 1 and 2, a short b or an
// unknown size. Decode does not allocate.
func Decode(b []byte, size int) (ev sensehat.Event, ok bool) {
	var sec, usec int64
	switch size {
	case 16:
		if len(b) < 16 {
			return ev, false
		}
		sec = int64(int32(binary.NativeEndian.Uint32(b[0:4])))
		usec = int64(int32(binary.NativeEndian.Uint32(b[4:8])))
	case 24:
		if len(b) < 24 {
			return ev, false
		}
		sec = int64(binary.NativeEndian.Uint64(b[0:8]))
		usec = int64(binary.NativeEndian.Uint64(b[8:16]))
	default:
		return ev, false
	}
	rest := b[size-8 : size]
	typ := binary.NativeEndian.Uint16(rest[0:2])
	code := binary.NativeEndian.Uint16(rest[2:4])
	value := int32(binary.NativeEndian.Uint32(rest[4:8]))
	if typ != evKey {
		return ev, false
	}
	switch code {
	case keyUp, btnDpadUp:
		ev.Key = sensehat.KeyUp
	case keyDown, btnDpadDown:
		ev.Key = sensehat.KeyDown
	case keyLeft, btnDpadLeft:
		ev.Key = sensehat.KeyLeft
	case keyRight, btnDpadRight:
		ev.Key = sensehat.KeyRight
	case keyEnter, btnSelect:
		ev.Key = sensehat.KeyMiddle
	default:
		return sensehat.Event{}, false
	}
	switch value {
	case 0:
		ev.Action = sensehat.Released
	case 1:
		ev.Action = sensehat.Pressed
	case 2:
		ev.Action = sensehat.Held
	default:
		return sensehat.Event{}, false
	}
	ev.Time = time.Unix(sec, usec*1000)
	return ev, true
}
