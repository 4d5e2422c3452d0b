package evdev

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"periph.io/x/conn/v3"

	"github.com/sensehat/sensehat/sensehat"
)

// eviocgrab is _IOW('E', 0x90, int): with argument 1 this reader becomes the
// only one to get the device's events; 0 releases it.
const eviocgrab = 0x40044590

// Opts configures Open.
type Opts struct {
	// EventSize is the size of struct input_event in bytes; 0 means the
	// platform's (EventSize: 16 on 32-bit, 24 on 64-bit). Set it to read a
	// recording made on the other word size.
	EventSize int
	// Grab takes the device for this reader alone (EVIOCGRAB) so presses do
	// not type into the console. It only applies to character devices.
	Grab bool
	// Poll is how long Run waits at the end of a regular file before looking
	// for more data; 0 means 20 ms.
	Poll time.Duration
}

// DefaultOpts is what Open uses for nil opts: platform event size, grabbed.
var DefaultOpts = Opts{Grab: true}

// defaultPoll is short enough for a key press to feel immediate and long
// enough that following an idle file costs next to no CPU.
const defaultPoll = 20 * time.Millisecond

// Joystick is an open joystick input device.
type Joystick struct {
	f       *os.File
	path    string
	size    int
	poll    time.Duration
	regular bool // no poller: follow the file instead of blocking in read
	grabbed bool

	closeOnce sync.Once
	closeErr  error

	reads atomic.Int64 // read calls, so tests can tell following from spinning
}

var _ conn.Resource = (*Joystick)(nil)

// Open opens the joystick at path: a character device (the real
// /dev/input/eventN), a FIFO or a regular file (for tests and runs without
// the board).
func Open(path string, opts *Opts) (*Joystick, error) {
	if opts == nil {
		opts = &DefaultOpts
	}
	size := opts.EventSize
	if size == 0 {
		size = EventSize
	}
	if size != 16 && size != 24 {
		return nil, fmt.Errorf("evdev: event size %d, want 16 or 24", size)
	}
	poll := opts.Poll
	if poll <= 0 {
		poll = defaultPoll
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, openError(path, err)
	}
	mode := fi.Mode()
	flag := os.O_RDONLY
	if mode&fs.ModeNamedPipe != 0 {
		// Holding the FIFO open for writing too means open does not wait
		// for a writer and a writer closing its end is not an end of file:
		// a test or script can come and go and the reader keeps waiting.
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, openError(path, err)
	}
	j := &Joystick{
		f:       f,
		path:    path,
		size:    size,
		poll:    poll,
		regular: mode.IsRegular(),
	}
	if opts.Grab && mode&fs.ModeCharDevice != 0 {
		if err := j.ioctl(eviocgrab, 1); err != nil {
			f.Close()
			if errors.Is(err, unix.EBUSY) {
				return nil, fmt.Errorf("evdev: %s is grabbed by another program (another sensehatd?): %w", path, err)
			}
			return nil, fmt.Errorf("evdev: grabbing %s: %w", path, err)
		}
		j.grabbed = true
	}
	return j, nil
}

// openError says which group grants access when the node is not readable.
func openError(path string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("evdev: opening %s: %w; add the user to the input group (sudo usermod -aG input $USER, then log in again)", path, err)
	}
	return fmt.Errorf("evdev: opening %s: %w", path, err)
}

// ioctl runs an integer ioctl without f.Fd(), which would put the
// descriptor back in blocking mode and break read deadlines.
func (j *Joystick) ioctl(req uint, arg int) error {
	rc, err := j.f.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	if err := rc.Control(func(fd uintptr) {
		ierr = unix.IoctlSetInt(int(fd), req, arg)
	}); err != nil {
		return err
	}
	return ierr
}

// String returns "evdev(<path>)".
func (j *Joystick) String() string { return "evdev(" + j.path + ")" }

// Halt releases the device; see Close.
func (j *Joystick) Halt() error { return j.Close() }

// Close releases the grab and closes the device. A Run in progress returns
// with an error. Close may be called more than once.
func (j *Joystick) Close() error {
	j.closeOnce.Do(func() {
		var gerr error
		if j.grabbed {
			gerr = j.ioctl(eviocgrab, 0)
		}
		j.closeErr = j.f.Close()
		if j.closeErr == nil && gerr != nil {
			j.closeErr = fmt.Errorf("evdev: releasing %s: %w", j.path, gerr)
		}
	})
	return j.closeErr
}

// Run reads events until ctx is done or the device fails, and sends the
// joystick's key events to out, in the order the kernel reported them. Run
// returns ctx.Err() when ctx is done, promptly even while waiting for a
// press, and leaves no goroutine behind. It does not close out. Only one Run
// may read a Joystick at a time.
func (j *Joystick) Run(ctx context.Context, out chan<- sensehat.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !j.regular {
		// A blocked read on a FIFO or character device sits in the
		// runtime's poller; a deadline in the past wakes it up.
		woken := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			j.f.SetReadDeadline(time.Unix(1, 0))
			close(woken)
		})
		defer func() {
			if !stop() {
				// Cancelled: once the deadline is set, clear it so the
				// Joystick can be Run again.
				<-woken
				j.f.SetReadDeadline(time.Time{})
			}
		}()
	}
	var timer *time.Timer // follows a regular file; made at its first end
	// Room for many events, so a burst is one read; n bytes carry over when
	// a FIFO or file hands out part of a record.
	buf := make([]byte, 64*j.size)
	n := 0
	for {
		// Counted before the call, so a test can tell Run has reached a
		// read that blocks.
		j.reads.Add(1)
		m, err := j.f.Read(buf[n:])
		n += m
		i := 0
		for ; n-i >= j.size; i += j.size {
			ev, ok := Decode(buf[i:i+j.size], j.size)
			if !ok {
				continue
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		n = copy(buf, buf[i:n])
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			// End of a regular file: wait for it to grow, like tail -f.
			if timer == nil {
				timer = time.NewTimer(j.poll)
				defer timer.Stop()
			} else {
				timer.Reset(j.poll) // no stale tick since Go 1.23
			}
			select {
			case <-timer.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, syscall.ENODEV):
			return fmt.Errorf("evdev: %s is gone (driver unloaded?): %w", j.path, err)
		default:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("evdev: reading %s: %w", j.path, err)
		}
	}
}
