// Package sim is a register-level simulation of the Sense HAT: a periph
// i2c.Bus with models of the ATtiny88 (LED frame, joystick, who-am-I), the
// HTS221, the LPS25H and the LSM9DS1, so the real I2C drivers run unchanged
// against it. Faults (NACK, short read, stuck bus, a chip that disappears)
// can be injected per address.
package sim
