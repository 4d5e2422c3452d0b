package evdev

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sensehat/sensehat/sensehat"
)

// guard bounds how long a test waits for something that should happen at
// once; it only turns a hang into a failure and never measures speed.
const guard = 10 * time.Second

type want struct {
	key    sensehat.Key
	action sensehat.Action
	sec    int64
}

// expect receives len(w) events from out and checks them in order.
func expect(t *testing.T, out <-chan sensehat.Event, w ...want) {
	t.Helper()
	for i, w := range w {
		select {
		case ev := <-out:
			if ev.Key != w.key || ev.Action != w.action || ev.Time.Unix() != w.sec {
				t.Fatalf("event %d = %v %v at %d, want %v %v at %d", i, ev.Key, ev.Action, ev.Time.Unix(), w.key, w.action, w.sec)
			}
		case <-time.After(guard):
			t.Fatalf("event %d (%v %v) never came", i, w.key, w.action)
		}
	}
}

// cat joins records into one write.
func cat(recs ...[]byte) []byte {
	var b []byte
	for _, r := range recs {
		b = append(b, r...)
	}
	return b
}

// run starts j.Run and returns its channel and a function that cancels it
// and returns Run's error.
func run(t *testing.T, j *Joystick) (<-chan sensehat.Event, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan sensehat.Event)
	done := make(chan error, 1)
	go func() { done <- j.Run(ctx, out) }()
	return out, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(guard):
			t.Fatal("Run did not return after cancel")
			return nil
		}
	}
}

// settle waits for the goroutine count to fall back to n, and fails if it
// does not: a goroutine left behind by Run would keep it above.
func settle(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "joystick")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunFIFO(t *testing.T) {
	for _, size := range []int{16, 24} {
		t.Run(map[int]string{16: "32-bit", 24: "64-bit"}[size], func(t *testing.T) {
			before := runtime.NumGoroutine()
			p := mkfifo(t)
			j, err := Open(p, &Opts{EventSize: size, Grab: true})
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			out, stop := run(t, j)

			syn := func(sec int64) []byte { return record(size, sec, 0, 0, 0, 0) }
			// Writers come and go, as a script echoing into the FIFO does.
			write := func(b []byte) {
				t.Helper()
				w, err := os.OpenFile(p, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := w.Write(b); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
			}
			write(cat(
				record(size, 10, 0, 1, 103, 1), syn(10),
				record(size, 11, 0, 4, 4, 0x90001), // EV_MSC, ignored
				record(size, 11, 0, 1, 103, 2), syn(11),
				record(size, 12, 0, 1, 103, 0), syn(12),
			))
			expect(t, out,
				want{sensehat.KeyUp, sensehat.Pressed, 10},
				want{sensehat.KeyUp, sensehat.Held, 11},
				want{sensehat.KeyUp, sensehat.Released, 12},
			)

			// A record split across two writes is put back together.
			press := record(size, 20, 0, 1, 314, 1)
			write(press[:5])
			write(cat(press[5:], syn(20), record(size, 21, 0, 1, 546, 0)))
			expect(t, out,
				want{sensehat.KeyMiddle, sensehat.Pressed, 20},
				want{sensehat.KeyLeft, sensehat.Released, 21},
			)

			if err := stop(); !errors.Is(err, context.Canceled) {
				t.Fatalf("Run = %v, want context.Canceled", err)
			}
			j.Close()
			settle(t, before)
		})
	}
}

func TestRunCancelWhileWaiting(t *testing.T) {
	before := runtime.NumGoroutine()
	j, err := Open(mkfifo(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for i := range 2 { // a cancelled Run leaves the Joystick usable
		out, stop := run(t, j)
		// Most likely Run is blocked in read by now; if not, the deadline
		// set on cancel fails that read as soon as it starts.
		time.Sleep(10 * time.Millisecond)
		if err := stop(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Run %d = %v, want context.Canceled", i, err)
		}
		select {
		case ev := <-out:
			t.Fatalf("event %+v from an empty FIFO", ev)
		default:
		}
	}
	j.Close()
	settle(t, before)
}

func TestRunCancelledContext(t *testing.T) {
	j, err := Open(mkfifo(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := j.Run(ctx, make(chan sensehat.Event)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

func TestRunCancelWhileSending(t *testing.T) {
	// Nobody reads out: Run must still notice the cancel.
	p := filepath.Join(t.TempDir(), "events")
	if err := os.WriteFile(p, record(EventSize, 1, 0, 1, 108, 1), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := Open(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	_, stop := run(t, j)
	for j.reads.Load() == 0 {
		runtime.Gosched()
	}
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

func TestRunClosed(t *testing.T) {
	j, err := Open(mkfifo(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- j.Run(context.Background(), make(chan sensehat.Event)) }()
	time.Sleep(10 * time.Millisecond) // most likely blocked in read; either way Run must end
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.HasPrefix(err.Error(), "evdev: reading ") || !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Run after Close = %v, want a read error wrapping os.ErrClosed", err)
		}
	case <-time.After(guard):
		t.Fatal("Run did not return after Close")
	}
}

func TestRunRegularFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "events")
		// One event already there when Run starts.
		if err := os.WriteFile(p, record(24, 1, 0, 1, 105, 1), 0o600); err != nil {
			t.Fatal(err)
		}
		j, err := Open(p, &Opts{EventSize: 24})
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		ctx, cancel := context.WithCancel(t.Context())
		out := make(chan sensehat.Event, 8)
		done := make(chan error, 1)
		go func() { done <- j.Run(ctx, out) }()

		synctest.Wait()
		if ev := <-out; ev.Key != sensehat.KeyLeft || ev.Action != sensehat.Pressed {
			t.Fatalf("first event %+v, want left pressed", ev)
		}

		// Idle for a second: Run looks every 20 ms, it does not spin.
		r0 := j.reads.Load()
		time.Sleep(time.Second)
		synctest.Wait()
		if n := j.reads.Load() - r0; n < 45 || n > 55 {
			t.Fatalf("%d reads in an idle second, want about 50 (one per 20 ms)", n)
		}

		// Appended after start, like a log being written: followed.
		f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(cat(record(24, 2, 0, 0, 0, 0), record(24, 3, 0, 1, 105, 2), record(24, 4, 0, 1, 105, 0))); err != nil {
			t.Fatal(err)
		}
		f.Close()
		time.Sleep(defaultPoll)
		synctest.Wait()
		for _, w := range []sensehat.Action{sensehat.Held, sensehat.Released} {
			select {
			case ev := <-out:
				if ev.Key != sensehat.KeyLeft || ev.Action != w {
					t.Fatalf("appended event %+v, want left %v", ev, w)
				}
			default:
				t.Fatalf("appended %v event not read within one poll", w)
			}
		}

		cancel()
		synctest.Wait()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Run = %v, want context.Canceled", err)
			}
		default:
			t.Fatal("Run still running after cancel")
		}
	})
}

func TestOpenCharDeviceGrabs(t *testing.T) {
	// /dev/null is a character device that knows no input ioctls: the grab
	// is attempted, and its failure is reported, not ignored.
	_, err := Open("/dev/null", nil)
	if err == nil || !strings.Contains(err.Error(), "evdev: grabbing /dev/null") || !errors.Is(err, syscall.ENOTTY) {
		t.Fatalf("Open(/dev/null) = %v, want a grab error wrapping ENOTTY", err)
	}
	j, err := Open("/dev/null", &Opts{Grab: false})
	if err != nil {
		t.Fatalf("Open without grab: %v", err)
	}
	if got := j.String(); got != "evdev(/dev/null)" {
		t.Errorf("String = %q", got)
	}
	if err := j.Halt(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing"), nil)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "evdev: opening ") {
		t.Fatalf("missing node: %v", err)
	}
	if _, err := Open("/dev/null", &Opts{EventSize: 20}); err == nil || !strings.Contains(err.Error(), "event size 20") {
		t.Fatalf("event size 20: %v", err)
	}
	// Root opens anything, so the permission message is checked directly.
	perr := openError("/dev/input/event3", &fs.PathError{Op: "open", Path: "/dev/input/event3", Err: syscall.EACCES})
	if !errors.Is(perr, fs.ErrPermission) || !strings.Contains(perr.Error(), "add the user to the input group") {
		t.Fatalf("permission error: %v", perr)
	}
}
