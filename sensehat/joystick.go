package sensehat

import "time"

// Key is a joystick direction or the middle press.
type Key uint8

// The joystick keys, as the board is printed (HDMI port at the bottom).
const (
	KeyNone Key = iota
	KeyUp
	KeyDown
	KeyLeft
	KeyRight
	KeyMiddle
)

var keyNames = [...]string{"none", "up", "down", "left", "right", "middle"}

// String returns the key's name as used in NATS subjects.
func (k Key) String() string {
	if int(k) < len(keyNames) {
		return keyNames[k]
	}
	return "unknown"
}

// Action is what happened to a key.
type Action uint8

// The joystick actions; Held repeats while a key stays down, like the
// kernel's autorepeat.
const (
	Pressed Action = iota + 1
	Released
	Held
)

var actionNames = [...]string{"", "pressed", "released", "held"}

// String returns the action's name as used in the event payload.
func (a Action) String() string {
	if int(a) < len(actionNames) && a != 0 {
		return actionNames[a]
	}
	return "unknown"
}

// Event is one joystick change.
type Event struct {
	Key    Key
	Action Action
	Time   time.Time
}
