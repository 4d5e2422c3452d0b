// Package attiny drives the Sense HAT's ATtiny88 directly over I2C: the 8x8
// LED matrix and the joystick, for boards where the rpi-sense kernel drivers
// are not loaded.
//
// Register facts the package relies on (firmware at I2C address 0x46):
//
//   - The first byte of a write sets the register pointer, which advances
//     after every byte read or written; a read starts at the pointer last
//     written.
//   - 0x00-0xBF: the LED frame, 192 bytes; for each row y = 0..7, 8 red
//     bytes, then 8 green, then 8 blue, x = 0..7. Values are PWM values:
//     the firmware (rpi-sense.S, draw_loop) counts 0..63 and lights the LED
//     while the count is below the value, so the duty is value/64 (64 and
//     above: always lit). A whole frame is one 193-byte write (pointer 0x00
//     then the frame): about 17.5 ms on the wire at 100 kHz, so Show skips
//     frames identical to the last one written.
//   - The firmware applies no gamma, so Show puts each channel through a
//     32-entry table on the host: display.DefaultGamma, or
//     display.LowLightGamma after SetLowLight(true), the same tables the
//     rpi-sense-fb kernel driver uses, which stop at 31 (48 % duty). The
//     default keeps them, so the matrix is as bright as on the kernel path
//     and as python-sense-hat makes it; Opts.Gamma = &display.FullGamma
//     stretches the same curve to 63 for twice the light.
//   - 0xF0: who-am-I, reads 0x73 ('s'). 0xF1: firmware version (0 on
//     shipped boards). 0xF3: EEPROM write-protect control (left alone).
//   - 0xF2: joystick state, 1 = pressed: bit 0 down, bit 1 right, bit 2 up,
//     bit 3 middle (enter), bit 4 left, as the board is printed with the
//     HDMI port at the bottom. Directions are not rotated with the display.
//   - BCM GPIO23 goes high when the joystick state changes and stays high
//     until 0xF2 is read, so a reader that misses an edge must still read
//     0xF2 once the line is seen high, or it never sees another edge.
//
// When Raspberry Pi OS has loaded the rpi-sense overlay, the kernel driver
// owns the chip (it shows as /sys/bus/i2c/devices/1-0046/driver) and writing
// to it from user space races the driver: New refuses in that case and the
// framebuffer and evdev backends are the ones to use.
package attiny
