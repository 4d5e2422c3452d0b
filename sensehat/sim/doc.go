// Package sim is a register-level simulation of the Sense HAT: a periph
// i2c.Bus with models of the ATtiny88 (LED frame, joystick, who-am-I), the
// HTS221, the LPS25H, the LSM9DS1 and the TCS3400/TCS34725 colour sensors,
// so the real I2C drivers run unchanged against it. NewHATModel builds a
// Sense HAT v2 (TCS3400), a v1 (no colour sensor) or an Astro Pi board
// (TCS34725). Faults (NACK, short read, stuck bus, a chip that disappears)
// can be injected per address.
package sim
