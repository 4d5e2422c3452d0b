// Package lsm9ds1 drives the ST LSM9DS1 inertial module over I2C as found
// on the Raspberry Pi Sense HAT: the accelerometer and gyroscope at 0x6A
// (AccelGyro) and the magnetometer at 0x1C (Mag), two devices on the bus.
//
// Register facts the driver relies on (datasheet DocID025715):
//
//	accel/gyro (0x6A)
//	0x0F WHO_AM_I     reads 0x68
//	0x10 CTRL_REG1_G  bits 7-5 ODR_G (011 = 119 Hz, 000 = power-down),
//	                  bits 4-3 FS_G (00 ±245, 01 ±500, 11 ±2000 dps)
//	0x18-0x1D         OUT_X_G .. OUT_Z_G, signed 16-bit little endian
//	0x20 CTRL_REG6_XL bits 7-5 ODR_XL, bits 4-3 FS_XL in the chip's order:
//	                  00 ±2 g, 01 ±16 g, 10 ±4 g, 11 ±8 g
//	0x22 CTRL_REG8    bit 6 BDU, bit 2 IF_ADD_INC (auto-increment, set at
//	                  reset; bit 7 of the sub-address plays no part)
//	0x28-0x2D         OUT_X_XL .. OUT_Z_XL
//
//	magnetometer (0x1C)
//	0x0F WHO_AM_I     reads 0x3D
//	0x20 CTRL_REG1_M  bits 4-2 DO (101 = 20 Hz)
//	0x21 CTRL_REG2_M  bits 6-5 FS (00 ±4, 01 ±8, 10 ±12, 11 ±16 gauss)
//	0x22 CTRL_REG3_M  bits 1-0 MD (00 continuous, 11 power-down)
//	0x28-0x2D         OUT_X_L_M .. OUT_Z_H_M; multi-byte access needs bit 7
//	                  of the sub-address
//
// Sensitivities: accel 0.061/0.122/0.244/0.732 mg/LSB for ±2/4/8/16 g;
// gyro 8.75/17.5/70 mdps/LSB for ±245/500/2000 dps; magnetometer
// 0.14/0.29/0.43/0.58 mgauss/LSB for ±4/8/12/16 gauss (1 mgauss = 0.1 µT).
// Note that the ±500 dps range really ends at ±573 dps and ±4 gauss at
// ±4.58 gauss: the sensitivities are rounder than the ranges.
//
// Readings are given in the board frame, not the chips': X forward
// (towards the top edge of the LED matrix as text reads), Y left, Z out of
// the LED face, so the board lying flat face up reads about (0, 0, +1 g)
// and rates are positive by the right-hand rule. On the Sense HAT the
// accel/gyro die sits turned 180° about Z (its X and Y are negated), and
// the magnetometer's X axis is the opposite of the accel/gyro's, so only
// its Y is negated.
//
// On Raspberry Pi OS the kernel may bind its IIO drivers (st_lsm9ds1,
// st_magn) to 1-006a and 1-001c; talking to the chip over i2c-dev at the
// same time would race them, so the constructors check sysfs first and
// fail with ErrKernelDriver, naming the driver.
package lsm9ds1
