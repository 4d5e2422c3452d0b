package daemon

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/evdev"
)

// inputEvent encodes one struct input_event in this platform's layout.
func inputEvent(typ, code uint16, value int32) []byte {
	b := make([]byte, evdev.EventSize)
	half := (evdev.EventSize - 8) / 2 // two longs of time come first
	now := time.Now()
	if half == 8 {
		binary.LittleEndian.PutUint64(b[0:], uint64(now.Unix()))
		binary.LittleEndian.PutUint64(b[8:], uint64(now.Nanosecond()/1000))
	} else {
		binary.LittleEndian.PutUint32(b[0:], uint32(now.Unix()))
		binary.LittleEndian.PutUint32(b[4:], uint32(now.Nanosecond()/1000))
	}
	binary.LittleEndian.PutUint16(b[2*half:], typ)
	binary.LittleEndian.PutUint16(b[2*half+2:], code)
	binary.LittleEndian.PutUint32(b[2*half+4:], uint32(value))
	return b
}

// TestEvdevFIFOToNATS drives the daemon's joystick through an evdev FIFO,
// as the kernel's rpisense-js node would, and checks what NATS sees: both
// key-code sets, pressed, held and released.
func TestEvdevFIFOToNATS(t *testing.T) {
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "event0")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := simConfig(t, srv.URL(), "pi1")
	if err := cfg.Joystick.Set("evdev:" + fifo); err != nil {
		t.Fatal(err)
	}
	start(t, cfg)
	nc := connect(t, srv.URL())
	sub := testutil.SubscribeSync(t, nc, "sensehat.pi1.joystick.*")

	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	const evKey, evSyn = 1, 0
	for _, e := range [][]byte{
		inputEvent(evKey, 103, 1), inputEvent(evSyn, 0, 0), // KEY_UP pressed
		inputEvent(evKey, 103, 2), inputEvent(evSyn, 0, 0), // autorepeat
		inputEvent(evKey, 103, 0), inputEvent(evSyn, 0, 0), // released
		inputEvent(evKey, 546, 1), inputEvent(evSyn, 0, 0), // BTN_DPAD_LEFT
		inputEvent(evKey, 28, 1), inputEvent(evSyn, 0, 0), // KEY_ENTER
	} {
		if _, err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []struct{ subject, key, action string }{
		{"sensehat.pi1.joystick.up", "up", "pressed"},
		{"sensehat.pi1.joystick.up", "up", "held"},
		{"sensehat.pi1.joystick.up", "up", "released"},
		{"sensehat.pi1.joystick.left", "left", "pressed"},
		{"sensehat.pi1.joystick.middle", "middle", "pressed"},
	} {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("waiting for %s %s: %v", want.key, want.action, err)
		}
		var ev struct{ Key, Action string }
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		if m.Subject != want.subject || ev.Key != want.key || ev.Action != want.action {
			t.Errorf("got %s %s, want %s %+v", m.Subject, m.Data, want.subject, want)
		}
	}
}
