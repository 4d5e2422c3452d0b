package iio

import (
	"errors"
	"fmt"
	"math"

	"periph.io/x/conn/v3"

	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
)

// Conversions from the IIO ABI's units to the ones sensehat publishes.
const (
	standardGravity = 9.80665 // m/s² per g
	microTPerGauss  = 100
)

// Device names the kernel drivers give the Sense HAT's chips, as in each
// IIO device's "name" file.
const (
	// NameHTS221 is the hts221 driver's device.
	NameHTS221 = "hts221"
	// NameLPS25H is st_pressure's device for the LPS25H.
	NameLPS25H = "lps25h"
	// NameLSM9DS1Accel is st_lsm6dsx's accelerometer device for the
	// LSM9DS1 (compatible "st,lsm9ds1-imu").
	NameLSM9DS1Accel = "lsm9ds1-imu_accel"
	// NameLSM9DS1Gyro is st_lsm6dsx's gyroscope device for the LSM9DS1.
	NameLSM9DS1Gyro = "lsm9ds1-imu_gyro"
	// NameLSM9DS1Magn is st_magn's device for the LSM9DS1's magnetometer.
	NameLSM9DS1Magn = "lsm9ds1_magn"
)

var axes = [3]string{"x", "y", "z"}

// LSM9DS1Dev reads the LSM9DS1's accelerometer and gyroscope when the
// kernel's st_lsm6dsx driver holds them, offering the same Sense as
// lsm9ds1.AccelGyro, in the board frame.
type LSM9DS1Dev struct {
	accel, gyro *Device
	accelCh     [3]string
	gyroCh      [3]string
	rateErr     error
}

var _ conn.Resource = (*LSM9DS1Dev)(nil)

// NewLSM9DS1 finds st_lsm6dsx's accelerometer and gyroscope devices
// (NameLSM9DS1Accel, NameLSM9DS1Gyro) and reads them once.
func NewLSM9DS1(root string) (*LSM9DS1Dev, error) {
	a, err := Find(root, NameLSM9DS1Accel)
	if err != nil {
		return nil, err
	}
	g, err := Find(root, NameLSM9DS1Gyro)
	if err != nil {
		a.Close()
		return nil, err
	}
	d := &LSM9DS1Dev{accel: a, gyro: g, rateErr: rateErr(a, g)}
	for i, ax := range axes {
		d.accelCh[i] = "accel_" + ax
		d.gyroCh[i] = "anglvel_" + ax
	}
	return readOnce[lsm9ds1.Motion](d)
}

// Sense reads acceleration (m/s², converted to g) and angular rate (rad/s,
// converted to deg/s) into m. The kernel reports the chip's axes; package
// lsm9ds1's mapping turns them into the board frame, the same one its I2C
// driver uses. It allocates nothing.
func (d *LSM9DS1Dev) Sense(m *lsm9ds1.Motion) error {
	for i := range axes {
		a, err := d.accel.Read(d.accelCh[i])
		if err != nil {
			return err
		}
		g, err := d.gyro.Read(d.gyroCh[i])
		if err != nil {
			return err
		}
		m.Accel[i] = a / standardGravity
		m.Gyro[i] = g * 180 / math.Pi
	}
	lsm9ds1.ChipToBoard(lsm9ds1.SensorAccel, &m.Accel)
	lsm9ds1.ChipToBoard(lsm9ds1.SensorGyro, &m.Gyro)
	return nil
}

// RateErr says why the devices were left at a slow sampling rate, or nil.
func (d *LSM9DS1Dev) RateErr() error { return d.rateErr }

// String implements conn.Resource.
func (d *LSM9DS1Dev) String() string {
	return fmt.Sprintf("LSM9DS1{iio %s, %s}", d.accel.Dir, d.gyro.Dir)
}

// Halt implements conn.Resource: it closes the sysfs files.
func (d *LSM9DS1Dev) Halt() error { return errors.Join(d.accel.Close(), d.gyro.Close()) }

// LSM9DS1MagDev reads the LSM9DS1's magnetometer when the kernel's st_magn
// driver holds it, offering the same Sense as lsm9ds1.Mag.
type LSM9DS1MagDev struct {
	chip
	ch [3]string
}

var _ conn.Resource = (*LSM9DS1MagDev)(nil)

// NewLSM9DS1Mag finds st_magn's NameLSM9DS1Magn device and reads it once.
func NewLSM9DS1Mag(root string) (*LSM9DS1MagDev, error) {
	c, err := findChip(root, NameLSM9DS1Magn)
	if err != nil {
		return nil, err
	}
	d := &LSM9DS1MagDev{chip: c}
	for i, ax := range axes {
		d.ch[i] = "magn_" + ax
	}
	return readOnce[[3]float64](d)
}

// Sense reads the field (gauss, converted to µT) into v, in the board
// frame by package lsm9ds1's mapping. It allocates nothing.
func (d *LSM9DS1MagDev) Sense(v *[3]float64) error {
	for i := range axes {
		g, err := d.d.Read(d.ch[i])
		if err != nil {
			return err
		}
		v[i] = g * microTPerGauss
	}
	lsm9ds1.ChipToBoard(lsm9ds1.SensorMag, v)
	return nil
}

// String implements conn.Resource.
func (d *LSM9DS1MagDev) String() string { return fmt.Sprintf("LSM9DS1Mag{iio %s}", d.d.Dir) }
