// Package sensehat holds what the Sense HAT's drivers share: the joystick's
// keys, actions and events, which both joystick readers (attiny over I2C,
// evdev through the kernel) produce. Everything else lives one package per
// part: fb and attiny drive the LED matrix; hts221, lps25h, lsm9ds1 and
// tcs34xx the sensor chips over I2C, each with its own reading type; iio
// reads the same chips through the kernel's drivers; orientation and
// thermal derive attitude and CPU-compensated temperature from readings;
// sysfs finds the kernel's devices and internal/i2cchip holds the start-up
// checks every chip driver makes; none is the matrix of a board that has
// none; sim is the register-level board every driver is tested on.
package sensehat
