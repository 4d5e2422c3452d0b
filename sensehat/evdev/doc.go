// Package evdev reads the Sense HAT joystick through the kernel's input
// device, the node the rpisense-js driver creates (/dev/input/eventN; find N
// with sysfs.FindInput).
//
// Facts it relies on:
//
//   - Each read returns whole struct input_event records: on 32-bit Linux 16
//     bytes (tv_sec and tv_usec as 32-bit longs, u16 type, u16 code, s32
//     value), on 64-bit 24 bytes (64-bit longs). The size follows the
//     platform's long, which Go's int matches on Linux.
//   - EV_KEY is type 1, EV_SYN type 0. Value 1 is a press, 0 a release and 2
//     the kernel's autorepeat while the key stays down.
//   - Raspberry Pi kernels send KEY_UP 103, KEY_DOWN 108, KEY_LEFT 105,
//     KEY_RIGHT 106 and KEY_ENTER 28; newer mainline drivers send
//     BTN_DPAD_UP 544, BTN_DPAD_DOWN 545, BTN_DPAD_LEFT 546, BTN_DPAD_RIGHT
//     547 and BTN_SELECT 314. Both sets are accepted.
//   - Without EVIOCGRAB (0x40044590, _IOW('E', 0x90, int)) the presses also
//     reach the Linux console and type into a logged-in shell, so a
//     character device is grabbed while open.
//
// A FIFO or a regular file works as well, so the daemon can be driven end to
// end without the board: a FIFO is read as it is written, a regular file is
// followed like tail -f.
package evdev
