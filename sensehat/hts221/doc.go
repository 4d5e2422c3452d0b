// Package hts221 drives the ST HTS221 relative humidity and temperature
// sensor over I2C, as found on the Raspberry Pi Sense HAT at address 0x5F.
//
// Register facts the driver relies on (datasheet DocID026333):
//
//	0x0F WHO_AM_I   reads 0xBC
//	0x10 AV_CONF    averaging; 0x1B = 16 temperature, 32 humidity samples
//	0x20 CTRL_REG1  bit7 PD (power on), bit2 BDU, bits0-1 ODR; 0x87 = on, BDU, 12.5 Hz
//	0x27 STATUS     bit0 T ready, bit1 H ready
//	0x28/0x29       H_OUT, signed 16-bit little endian
//	0x2A/0x2B       T_OUT, signed 16-bit little endian
//	0x30-0x3F       factory calibration
//
// Multi-byte reads need bit 7 of the register address set, otherwise the
// chip returns the same register over and over.
//
// The calibration block gives two points per quantity: H0_rH_x2 (0x30) and
// H1_rH_x2 (0x31) in half percent; T0_degC_x8 (0x32) and T1_degC_x8 (0x33)
// in eighths of a degree, with their bits 8-9 in 0x35 (bits 0-1 for T0,
// bits 2-3 for T1); and the raw outputs at those points, H0_T0_OUT
// (0x36/37), H1_T0_OUT (0x3A/3B), T0_OUT (0x3C/3D), T1_OUT (0x3E/3F), all
// signed 16-bit. A reading is the linear interpolation between the two
// points, humidity clamped to 0..100 %.
//
// Real parts have negative calibration outputs (H1_T0_OUT around -12000),
// T0_OUT of exactly 0 and the unused upper bits of 0x35 set. The driver
// keeps every value signed and masks 0x35, so such blocks work; it rejects
// only a block whose two outputs are equal, which would divide by zero.
//
// On Raspberry Pi OS the kernel may bind its own hts221 driver to the chip;
// New then refuses with ErrKernelDriver instead of racing it, and the
// readings are available through the iio package.
package hts221
