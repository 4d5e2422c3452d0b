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
//	0x17 STATUS_REG   bit 0 XLDA (new accel sample), bit 1 GDA (gyro)
//	0x18-0x1D         OUT_X_G .. OUT_Z_G, signed 16-bit little endian
//	0x20 CTRL_REG6_XL bits 7-5 ODR_XL, bits 4-3 FS_XL in the chip's order:
//	                  00 ±2 g, 01 ±16 g, 10 ±4 g, 11 ±8 g
//	0x22 CTRL_REG8    bit 7 BOOT (reboot memory content), bit 6 BDU,
//	                  bit 2 IF_ADD_INC (auto-increment, set at reset; bit 7
//	                  of the sub-address plays no part), bit 1 BLE, bit 0
//	                  SW_RESET (applied at the next boot)
//	0x28-0x2D         OUT_X_XL .. OUT_Z_XL
//
//	magnetometer (0x1C)
//	0x0F WHO_AM_I     reads 0x3D
//	0x20 CTRL_REG1_M  bits 4-2 DO (101 = 20 Hz)
//	0x21 CTRL_REG2_M  bits 6-5 FS (00 ±4, 01 ±8, 10 ±12, 11 ±16 gauss),
//	                  bit 3 REBOOT, bit 2 SOFT_RST
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
// # Start-up
//
// Another program may have left either half configured its own way (byte
// order swapped, axes disabled, magnetometer offsets, FIFO modes). As
// RTIMULib does, NewAccelGyro reboots the chip (CTRL_REG8 BOOT) and waits
// 100 ms; before that it sets SW_RESET, which the reboot applies, so every
// register is back at its default. NewMag sets REBOOT and SOFT_RST in
// CTRL_REG2_M and waits as long. Sense reads STATUS_REG first and skips
// the sample (ErrNotReady) when neither output has data, as RTIMULib's
// IMURead does.
//
// # Axes
//
// Readings come in the axes and signs python-sense-hat reports on every
// real board, RTIMULib's: from the chip's own axes, accel (-x, -y, z),
// gyro (x, y, -z), magnetometer (-x, y, -z) (RTIMULSM9DS1::IMURead);
// ChipToBoard applies the same signs to readings from elsewhere. Units:
// accel in g and field in µT as python-sense-hat, rates in degrees per
// second where python-sense-hat gives rad/s.
//
// What they mean physically, with the board held so that
// python-sense-hat's rotation 0 reads upright (the Pi's HDMI port at the
// bottom):
//
//   - accel X is +1 g with the matrix's top edge pointing up, Y +1 g with
//     the right edge up, Z +1 g lying flat face up. These three axes form
//     a left-handed set: RTIMULib works in a mirror image of the board,
//     because the accel/gyro die's own axes are left-handed (ArduPilot's
//     and PX4's LSM9DS1 drivers negate Z alone, for accel and gyro alike,
//     to get a right-handed frame).
//   - gyro rates are those that make RTIMULib's fusion consistent in that
//     mirror image (RTFusionRTQF::predict integrates q⊗ω), which on the
//     board is the left-hand rule: X is positive while the right edge
//     rises (roll growing), Y while the top edge dips (pitch growing), Z
//     while the board turns clockwise seen from its LED face (yaw growing
//     when it lies face up).
//   - the magnetometer's X points the other way from the accel/gyro's
//     (PX4's LSM9DS1_MAG driver says so), so RTIMULib's compass vector is
//     the field's opposite in its accel axes: tilt compensation still
//     works, but its yaw 0 has the top edge pointing to magnetic south.
//
// Where on the board each axis points rests on the chip facts above and
// on which way the die sits, inferred from python-sense-hat's documented
// use (the Raspberry Pi Sense HAT guide's auto-rotation example); the
// numbers themselves, for any attitude, are RTIMULib's whatever the
// physics. Package sim models the chip in its own axes and the board's
// mounting;
// its tests and this package's check every sign against RTIMULib's
// arithmetic applied to the same register bytes.
//
// On Raspberry Pi OS the kernel may bind its IIO drivers (st_lsm9ds1,
// st_magn) to 1-006a and 1-001c; talking to the chip over i2c-dev at the
// same time would race them, so the constructors check sysfs first and
// fail with ErrKernelDriver, naming the driver.
package lsm9ds1
