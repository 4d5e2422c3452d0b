package main

import (
	"fmt"
	"io"
	"math"

	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
)

// chip is one stub chip: its address and register bytes.
type chip struct {
	addr uint8
	regs []reg
}

type reg struct{ addr, val uint8 }

// le16 is a signed 16-bit output as the chips store it, low byte first.
func le16(at uint8, v int16) []reg {
	return []reg{{at, uint8(uint16(v))}, {at + 1, uint8(uint16(v) >> 8)}}
}

// The values the stub chips hold. The drivers configure full scale and
// rate at probe, writing control registers only; the outputs stay as set.
var (
	// LPS25H PRESS_OUT 0x28..0x2A = 00 54 3F (0x3F5400 = 4150272),
	// TEMP_OUT 0x2B/0x2C = B0 F5 (-2640).
	pressRaw int32 = 0x3F5400
	tempRaw  int16 = -2640
	// LSM9DS1 OUT_X_XL 0x28.., OUT_X_G 0x18.., OUT_X_L_M 0x28.. (chip axes).
	accelRaw = [3]int16{1000, -2000, 16384}
	gyroRaw  = [3]int16{1000, -500, 2000}
	magRaw   = [3]int16{2000, -1000, 3000}
)

func chips() []chip {
	lps := chip{addr: 0x5c, regs: []reg{
		{0x0f, 0xbd}, // WHO_AM_I
		{0x28, uint8(pressRaw)}, {0x29, uint8(pressRaw >> 8)}, {0x2a, uint8(pressRaw >> 16)},
	}}
	lps.regs = append(lps.regs, le16(0x2b, tempRaw)...)

	ag := chip{addr: 0x6a, regs: []reg{{0x0f, 0x68}}}
	mag := chip{addr: 0x1c, regs: []reg{{0x0f, 0x3d}}}
	for i := range 3 {
		ag.regs = append(ag.regs, le16(0x28+2*uint8(i), accelRaw[i])...)
		ag.regs = append(ag.regs, le16(0x18+2*uint8(i), gyroRaw[i])...)
		mag.regs = append(mag.regs, le16(0x28+2*uint8(i), magRaw[i])...)
	}
	return []chip{lps, ag, mag}
}

// writeRegs prints each register twice, at REG and REG|0x80: the
// st_sensors drivers set bit 7 to ask for auto-increment and i2c-stub has
// no such flag, while st_lsm6dsx reads the plain address.
func writeRegs(w io.Writer) {
	for _, c := range chips() {
		for _, r := range c.regs {
			fmt.Fprintf(w, "0x%02x 0x%02x 0x%02x\n", c.addr, r.addr, r.val)
			fmt.Fprintf(w, "0x%02x 0x%02x 0x%02x\n", c.addr, r.addr|0x80, r.val)
		}
	}
}

// expected is what sensehatd should publish for the register bytes, by
// the datasheets' formulas (sensehat-hardware.md), and how far the
// kernel's rounded constants may move it.
type expected struct {
	name      string
	want, tol float64
}

func expectations() []expected {
	// LPS25H datasheet: hPa = raw/4096; °C = 42.5 + raw/480. st_pressure's
	// scale 0.000024414 kPa is 1/40960 cut to nine decimals: 2.6 ppm low.
	hPa := float64(pressRaw) / 4096
	degC := 42.5 + float64(tempRaw)/480
	ex := []expected{
		{"pressure_hpa", hPa, hPa*3e-6 + 0.005},
		// The payload rounds to two decimals; the VM has no HTS221, so the
		// raw temperature is the LPS25H's alone.
		{"temperature_raw_c", degC, 0.005 + 1e-6},
	}

	// LSM9DS1 datasheet at the full scales st_lsm6dsx and st_magn select
	// at probe (their first table entries): accel ±2 g, 0.061 mg/LSB;
	// gyro ±245 dps, 8.75 mdps/LSB; magnetometer ±4 gauss, 0.14 mgauss/LSB.
	var a, g, m [3]float64
	for i := range 3 {
		a[i] = float64(accelRaw[i]) * 0.061e-3
		g[i] = float64(gyroRaw[i]) * 8.75e-3
		m[i] = float64(magRaw[i]) * 0.14e-3 * 100 // gauss to µT
	}
	// The published axes are the board's: the same mapping the I2C driver
	// uses, taken from package lsm9ds1.
	lsm9ds1.ChipToBoard(lsm9ds1.SensorAccel, &a)
	lsm9ds1.ChipToBoard(lsm9ds1.SensorGyro, &g)
	lsm9ds1.ChipToBoard(lsm9ds1.SensorMag, &m)
	for i, ax := range []string{"x", "y", "z"} {
		// st_lsm6dsx's gains are the datasheet's cut to whole nano-units
		// (0.000598205 m/s², 0.000152716 rad/s per LSB on Linux 6.1): a few
		// ppm, so the payload's rounding (4 and 2 decimals) dominates.
		ex = append(ex, expected{"accel_g." + ax, a[i], math.Abs(a[i])*1e-5 + 5e-5})
		ex = append(ex, expected{"gyro_dps." + ax, g[i], math.Abs(g[i])*1e-5 + 0.005})
		// st_magn gives the LSM9DS1 the LIS3MDL's 6842 LSB/gauss (scale
		// 0.000146 gauss) where the LSM9DS1 datasheet says 0.14 mgauss/LSB:
		// 4.3 % apart, so the check allows 5 %.
		ex = append(ex, expected{"mag_ut." + ax, m[i], math.Abs(m[i])*0.05 + 0.005})
	}
	return ex
}
