// Package lps25h drives the ST LPS25H (and pin-compatible LPS25HB)
// barometric pressure sensor over I2C, as found on the Raspberry Pi Sense
// HAT at address 0x5C.
//
// Register facts the driver relies on (datasheet DocID023722):
//
//	0x0F WHO_AM_I   reads 0xBD
//	0x10 RES_CONF   internal averaging: bits 3-2 AVGT (00/01/10/11 = 8/16/32/64
//	                temperature samples), bits 1-0 AVGP (8/32/128/512
//	                pressure samples); 0x05 = AVGT 01, AVGP 01: 16
//	                temperature and 32 pressure samples (reset: 0x0F)
//	0x20 CTRL_REG1  bit7 PD (power on), bits4-6 ODR, bit2 BDU; 0xC4 = on, 25 Hz, BDU
//	0x21 CTRL_REG2  bit6 FIFO_EN
//	0x27 STATUS     bit0 T available, bit1 P available
//	0x28-0x2A       PRESS_OUT XL/L/H: 24-bit two's complement, hPa = raw/4096
//	0x2B/0x2C       TEMP_OUT: signed 16-bit, °C = 42.5 + raw/480
//	0x2E FIFO_CTRL  0xC0 = FIFO mean mode, a moving average of the output
//
// Multi-byte reads need bit 7 of the register address set. One read from
// 0x28 with that bit set returns pressure and temperature together.
//
// On Raspberry Pi OS the kernel binds its st_pressure IIO driver to the chip;
// New then refuses with ErrKernelDriver instead of racing it, and the
// readings are available through the iio package.
package lps25h
