// Package iio reads sensors through the Linux Industrial I/O sysfs
// interface, which is how Raspberry Pi OS exposes the Sense HAT's ST
// sensors when its kernel drivers hold them (LPS25H, LSM9DS1, and on older
// overlays HTS221).
//
// Each IIO device is a directory <sysfs>/bus/iio/devices/iio:deviceN whose
// "name" file says which chip it is: "lps25h", "hts221", "lsm9ds1_accel",
// "lsm9ds1_gyro", "lsm9ds1_magn". A channel's value in the ABI's units is
// (in_<ch>_raw + in_<ch>_offset) * in_<ch>_scale, where offset is optional
// and offset and scale may be shared by all channels of a type
// (in_accel_scale for in_accel_x_raw); a driver that does the conversion
// itself offers in_<ch>_input instead. The ABI's units: pressure in kPa,
// temperature in milli °C, relative humidity in milli percent, acceleration
// in m/s², angular rate in rad/s, magnetic field in gauss.
//
// Device keeps each channel's file open and re-reads it with ReadAt, so
// polling allocates nothing after the first read of a channel. Offset and
// scale are read once, when the channel is first used.
package iio
