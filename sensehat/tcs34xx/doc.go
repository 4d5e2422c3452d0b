// Package tcs34xx drives the ams colour sensors of the Sense HAT family
// over I2C: the TCS3400 of the Sense HAT v2 (address 0x39) and the
// TCS34725 of the Astro Pi flight units (address 0x29). New finds the
// chip and tells the two apart by its ID register, as python-sense-hat
// does.
//
// Register facts the driver relies on (TCS3400 and TCS3472 datasheets):
//
//	0x80 ENABLE   bit0 PON (power on), bit1 AEN (RGBC enable)
//	0x81 ATIME    integration cycles = 256 − ATIME
//	0x8F CONTROL  bits1:0 gain: 1, 4, 16, 64 (TCS340x) or 60 (TCS3472x)
//	0x92 ID       (id & 0xF8) == 0x90: TCS340x; (id & 0xF4) == 0x44: TCS3472x
//	0x93 STATUS   bit0 AVALID: an integration has completed
//	0x94-0x9B     CDATA, RDATA, GDATA, BDATA: 16-bit little endian
//
// On the TCS3400 these are plain register addresses and reads advance
// through them. On the TCS3472x the byte is a command: bit 7 set, and
// bits 6:5 select "repeated byte" (00: every byte read is the same
// register) or auto-increment (01). The driver reads STATUS and the four
// channels in one transaction, from 0x93 on the TCS3400 and 0xB3 (0x93 with
// the auto-increment type) on the TCS3472x. Reading a low data byte
// latches its high byte, so the block is one sample.
//
// One integration cycle lasts 2.4 ms on the TCS3472x and 2.75 ms on the
// TCS340x (python-sense-hat's CLOCK_STEP). The full scale of a channel is
// 1024 × cycles, saturating at 65535 from 64 cycles on. A new gain or
// ATIME applies from the next integration, so the driver stops and
// restarts integrating when they change and waits for a whole integration
// with the new settings: a Reading always matches the Gain and
// IntegrationCycles it reports.
//
// python-sense-hat's ColourSensor scales the raw counts to 0..255 as
// raw // ceil(full scale / 256) (sense_hat/colour.py, ColourSensor._scaling
// and ColourSensor.colour); Reading.Colour does the same arithmetic, so a
// saturated channel below 64 cycles reads 256 there and here.
//
// Mainline Linux has no TCS3400 driver; its tcs3472 IIO driver can be
// bound to a TCS34725. New refuses a chip a kernel driver holds with
// ErrKernelDriver rather than race it.
package tcs34xx
