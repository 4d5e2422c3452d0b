// Package sensehat holds the types shared by the Sense HAT drivers in its
// subpackages: joystick events and sensor readings. The drivers themselves
// live one per subpackage (framebuffer, ATtiny over I2C, evdev, HTS221,
// LPS25H, LSM9DS1, the TCS3400/TCS34725 colour sensor, IIO) and sim is the
// simulated board they are tested on.
package sensehat
