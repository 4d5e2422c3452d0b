// Package iio reads the Sense HAT's sensors through the Linux Industrial
// I/O sysfs interface, for when a kernel driver holds a chip and the I2C
// drivers must leave it alone. Whether a driver binds depends on the
// kernel and its device tree: which IIO modules a kernel builds, and which
// compatible strings they match, changes between releases, so nothing here
// assumes a device is present.
//
// Each IIO device is a directory <sysfs>/bus/iio/devices/iio:deviceN whose
// "name" file says which chip it is. The names and units each kernel
// driver uses, read from the drivers' sources:
//
//	driver       name               channels                 (raw + offset) × scale
//	hts221       hts221             temp, humidityrelative   °C and %RH (not the ABI's milli-units)
//	st_pressure  lps25h             pressure, temp           kPa, and m°C with an offset
//	st_lsm6dsx   lsm9ds1-imu_accel  accel_x/y/z              m/s²
//	st_lsm6dsx   lsm9ds1-imu_gyro   anglvel_x/y/z            rad/s
//	st_magn      lsm9ds1_magn       magn_x/y/z               gauss
//
// The LSM9DS1's accelerometer and gyroscope are an st_lsm6dsx device
// (compatible "st,lsm9ds1-imu"); no st_accel or st_gyro entry matches them.
// Offset is optional, and offset and scale may be shared by all channels
// of a type (in_accel_scale for in_accel_x_raw); a driver that converts
// itself offers in_<ch>_input instead. The axes are the chip's: the motion
// adaptors turn them into the board frame with package lsm9ds1's mapping.
//
// Device keeps each channel's file open and re-reads it with ReadAt, so
// polling allocates nothing after the first read of a channel. Offset and
// scale are read once, when the channel is first used: the drivers set
// their full scale at probe and keep it.
package iio
