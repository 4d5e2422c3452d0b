package fb

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sensehat/sensehat/display"
)

// ioctlPtr passes the 32-byte gamma table to the driver by address, as
// the rpi-sense-fb ioctls expect.
func ioctlPtr(f *os.File, req uintptr, g *display.Gamma) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), req, uintptr(unsafe.Pointer(g)))
	if errno != 0 {
		return errno
	}
	return nil
}
