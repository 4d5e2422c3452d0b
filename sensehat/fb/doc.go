// Package fb drives the Sense HAT LED matrix through the kernel framebuffer
// the rpi-sense-fb driver creates (/dev/fbN; find N with
// sysfs.FindFramebuffer, it is not always fb1).
//
// Facts it relies on:
//
//   - The framebuffer is 8x8 at 16 bits per pixel, RGB565 little endian, 128
//     bytes: pixel (x, y) at byte 2*(8*y+x). A frame is one 128-byte pwrite
//     at offset 0; the driver sends it to the ATtiny88 about 10 ms later
//     (deferred I/O), so about 100 frames a second is the ceiling.
//   - The driver drops green's lowest bit and maps each 5-bit channel through
//     a 32-entry gamma table of the ATtiny's PWM values (duty value/64, up to
//     63; the driver's own tables stop at 31). ioctl 0xF100 reads the table
//     (32 bytes), 0xF101 writes it, 0xF102 resets it (argument 0 the default
//     curve, 1 low light).
//
// A regular file works in place of the device, so the daemon can run end to
// end without the board and tests can read back what was shown: it is
// created if missing and kept at 128 bytes. A file has no driver behind it
// to switch curves, so Dev does it in software: each 5-bit channel v is
// replaced by the smallest u whose default-curve value reaches the wanted
// curve's value for v. The file then holds what a framebuffer would have
// to be given for the LEDs to light as the wanted curve says, and the
// default curve leaves the frame untouched.
package fb
