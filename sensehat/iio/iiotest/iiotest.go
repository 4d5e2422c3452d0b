// Package iiotest builds fake sysfs trees of IIO devices with each Linux
// driver's own arithmetic, so code reading IIO is tested against what the
// kernel writes rather than against numbers shaped to fit it. Each
// generator names the driver function it follows (drivers/iio/...). The
// generators for st_pressure, st_lsm6dsx and st_magn are held to what the
// real drivers showed in a VM (sensehat/iio's TestGeneratorsMatchRealKernel);
// hts221, which Debian's kernel does not build, follows its source.
package iiotest

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// Device names, as the drivers write them (package iio has the same as
// exported constants; it cannot be imported from here by its own tests).
const (
	nameAccel = "lsm9ds1-imu_accel"
	nameGyro  = "lsm9ds1-imu_gyro"
	nameMagn  = "lsm9ds1_magn"
)

// WriteTree writes devs under root as iio:device0, iio:device1, ... in
// <root>/bus/iio/devices, each a map of file name to content.
func WriteTree(root string, devs ...map[string]string) error {
	for n, files := range devs {
		dir := filepath.Join(root, "bus", "iio", "devices", "iio:device"+strconv.Itoa(n))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		for name, v := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// intPlusNano formats like iio_format_value's IIO_VAL_INT_PLUS_NANO: the
// sign goes in front when only the nano part is negative.
func intPlusNano(val, val2 int64) string {
	if val2 < 0 {
		return fmt.Sprintf("-%d.%09d", abs64(val), -val2)
	}
	return fmt.Sprintf("%d.%09d", val, val2)
}

// intPlusMicro formats like IIO_VAL_INT_PLUS_MICRO.
func intPlusMicro(val, val2 int64) string {
	if val2 < 0 {
		return fmt.Sprintf("-%d.%06d", abs64(val), -val2)
	}
	return fmt.Sprintf("%d.%06d", val, val2)
}

// fractional formats like IIO_VAL_FRACTIONAL: val/val2 cut to nine
// decimals.
func fractional(val, val2 int64) string {
	tmp := val * 1_000_000_000 / val2
	q, r := tmp/1_000_000_000, tmp%1_000_000_000
	if q == 0 && tmp < 0 {
		return fmt.Sprintf("-0.%09d", -r)
	}
	return fmt.Sprintf("%d.%09d", q, abs64(r))
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// divNano is div_s64(data * 1e9, div) split as div_s64_rem(tmp, 1e9):
// Go's division truncates toward zero as the kernel's does.
func divNano(data, div int32) (int64, int64) {
	tmp := int64(data) * 1_000_000_000 / int64(div)
	return tmp / 1_000_000_000, tmp % 1_000_000_000
}

func s16(lo, hi byte) int16 { return int16(uint16(lo) | uint16(hi)<<8) }

// HTS221 is what the hts221 driver shows for calibration block cal
// (registers 0x30..0x3F) and outputs hOut, tOut. The C ints are 32 bits:
// int32 here, wrapping alike.
func HTS221(cal [16]byte, hOut, tOut int16) map[string]string {
	// hts221_parse_rh_caldata: y = H0_rH_x2, H1_rH_x2; x = H0_T0_OUT, H1_T0_OUT.
	hy0, hy1 := int32(cal[0]), int32(cal[1])
	hx0, hx1 := int32(s16(cal[6], cal[7])), int32(s16(cal[10], cal[11]))
	hSlope := (hy1 - hy0) * 8000 / (hx1 - hx0)
	hB := (hx1*hy0 - hx0*hy1) * 1000 / (hx1 - hx0) * 8
	// hts221_parse_temp_caldata: 10-bit T0/T1_degC_x8 with the msbs of
	// 0x35 (bits 0-1 and 2-3; the upper bits ignored); x = T0_OUT, T1_OUT.
	ty0 := int32(int16(uint16(cal[5]&0x3)<<8 | uint16(cal[2])))
	ty1 := int32(int16(uint16(cal[5]&0xc)>>2<<8 | uint16(cal[3])))
	tx0, tx1 := int32(s16(cal[12], cal[13])), int32(s16(cal[14], cal[15]))
	tSlope := (ty1 - ty0) * 8000 / (tx1 - tx0)
	tB := (tx1*ty0 - tx0*ty1) * 1000 / (tx1 - tx0) * 8

	// hts221_probe starts at hts221_odr_table[0], 1 Hz;
	// hts221_sysfs_sampling_freq lists the table's whole hertz.
	f := map[string]string{"name": "hts221\n",
		"sampling_frequency": "1\n", "sampling_frequency_available": "1 7 13\n"}
	// hts221_read_oneshot: the s16 output as an integer.
	f["in_humidityrelative_raw"] = fmt.Sprintf("%d\n", hOut)
	f["in_temp_raw"] = fmt.Sprintf("%d\n", tOut)
	// hts221_get_sensor_scale: slope·1e9/(2^4·1000) and /(2^6·1000).
	f["in_humidityrelative_scale"] = intPlusNano(divNano(hSlope, 16*1000)) + "\n"
	f["in_temp_scale"] = intPlusNano(divNano(tSlope, 64*1000)) + "\n"
	// hts221_get_sensor_offset: b_gen·1e9/slope.
	f["in_humidityrelative_offset"] = intPlusNano(divNano(hB, hSlope)) + "\n"
	f["in_temp_offset"] = intPlusNano(divNano(tB, tSlope)) + "\n"
	return f
}

// HTS221Datasheet is the datasheet's interpolation for the same block and
// outputs, and the bound on how far the driver's result may differ: its
// slope is cut to an integer (an error under one unit, i.e. |raw|/div) and
// its b_gen to a multiple of 8 (under 8/div), div being 16000 for humidity
// and 64000 for temperature.
func HTS221Datasheet(cal [16]byte, hOut, tOut int16) (h, t, hTol, tTol float64) {
	h0, h1 := float64(cal[0])/2, float64(cal[1])/2
	hx0, hx1 := float64(s16(cal[6], cal[7])), float64(s16(cal[10], cal[11]))
	t0 := float64(uint16(cal[5]&0x3)<<8|uint16(cal[2])) / 8
	t1 := float64(uint16(cal[5]&0xc)>>2<<8|uint16(cal[3])) / 8
	tx0, tx1 := float64(s16(cal[12], cal[13])), float64(s16(cal[14], cal[15]))
	h = h0 + (float64(hOut)-hx0)*(h1-h0)/(hx1-hx0)
	t = t0 + (float64(tOut)-tx0)*(t1-t0)/(tx1-tx0)
	hTol = (math.Abs(float64(hOut))+8)/16000 + 1e-6
	tTol = (math.Abs(float64(tOut))+8)/64000 + 1e-6
	return min(max(h, 0), 100), t, hTol, tTol
}

// STPressure is what st_pressure shows for an LPS25H with PRESS_OUT
// press and TEMP_OUT temp (st_press_read_raw): the raw values as integers,
// pressure gain ST_PRESS_KPASCAL_NANO_SCALE (100000000/4096 nano-kPa, so
// 24414) as INT_PLUS_NANO, temperature scale 1000/480 m°C and offset
// 42.5 °C in LSB (42500·480/1000 = 20400) as IIO_VAL_FRACTIONAL.
func STPressure(press int32, temp int16) map[string]string {
	return map[string]string{
		"name":              "lps25h\n",
		"in_pressure_raw":   fmt.Sprintf("%d\n", press),
		"in_pressure_scale": intPlusNano(0, 100000000/4096) + "\n",
		"in_temp_raw":       fmt.Sprintf("%d\n", temp),
		"in_temp_scale":     fractional(1000, 480) + "\n",
		"in_temp_offset":    fractional(42500*480/1000, 1) + "\n",
		// st_sensors starts at odr_avl[0] and lists the whole hertz.
		"sampling_frequency":           "1\n",
		"sampling_frequency_available": "1 7 13 25\n",
	}
}

// STLSM6DSX is what st_lsm6dsx shows for an LSM9DS1 after probe,
// which selects each sensor's first full scale (fs_avl[0]: ±2 g, ±245 dps)
// and reports it with st_lsm6dsx_read_raw's INT_PLUS_NANO scale:
// IIO_G_TO_M_S_2(61000) = 61000·9806650/1e6 nano-m/s² and
// IIO_DEGREE_TO_RAD(8750000) = (8750000·314159 + 9000000)/18000000
// nano-rad/s per LSB.
func STLSM6DSX(accel, gyro [3]int16) (acc, gyr map[string]string) {
	// The rate starts at odr_avl[0] too, in mHz: INT_PLUS_MICRO, and the
	// available list as "%d.%03d".
	acc = map[string]string{"name": nameAccel + "\n",
		"in_accel_scale":               intPlusNano(0, 61000*9806650/1000000) + "\n",
		"sampling_frequency":           "10.000000\n",
		"sampling_frequency_available": "10.000 50.000 119.000 238.000 476.000 952.000\n"}
	gyr = map[string]string{"name": nameGyro + "\n",
		"in_anglvel_scale":             intPlusNano(0, (8750000*314159+9000000)/18000000) + "\n",
		"sampling_frequency":           "14.900000\n",
		"sampling_frequency_available": "14.900 59.500 119.000 238.000 476.000 952.000\n"}
	for i, ax := range [3]string{"x", "y", "z"} {
		acc["in_accel_"+ax+"_raw"] = fmt.Sprintf("%d\n", accel[i])
		gyr["in_anglvel_"+ax+"_raw"] = fmt.Sprintf("%d\n", gyro[i])
	}
	return acc, gyr
}

// STMagn is what st_magn shows for the LSM9DS1's magnetometer at the
// ±4 gauss it selects at probe: st_magn_read_raw's per-axis scale is the
// gain 146 µgauss (the LIS3MDL's 6842 LSB/gauss, which st_magn uses for
// the LSM9DS1) as INT_PLUS_MICRO.
func STMagn(mag [3]int16) map[string]string {
	f := map[string]string{"name": nameMagn + "\n",
		"sampling_frequency": "1\n", "sampling_frequency_available": "1 2 3 5 10 20 40 80\n"}
	for i, ax := range [3]string{"x", "y", "z"} {
		f["in_magn_"+ax+"_raw"] = fmt.Sprintf("%d\n", mag[i])
		f["in_magn_"+ax+"_scale"] = intPlusMicro(0, 146) + "\n"
	}
	return f
}

// HTS221 calibration blocks, registers 0x30..0x3F.
var (
	// CalRealT0Zero is a real part's block, posted with its register dump in ST's community
	// thread "HTS221 Incorrect Temperatures / Calibration (T0_OUT = 0)":
	// T0_OUT = 0, H0_T0_OUT = -14 and H1_T0_OUT = -12043 (both negative),
	// upper bits of 0x35 set (0xC4), T1_degC_x8 using its msb (270).
	CalRealT0Zero = [16]byte{0x3d, 0x8f, 0x99, 0x0e, 0x00, 0xc4, 0xf2, 0xff, 0x3a, 0x03, 0xf5, 0xd0, 0x00, 0x00, 0x1e, 0x03}
	// CalPositive is a made-up block with positive outputs and negative T0_OUT, for the
	// other signs: H0 25 %, H1 75 % at 2000/9000; T0 10 °C, T1 40 °C at
	// -1500/3500.
	CalPositive = [16]byte{50, 150, 80, 64, 0x00, 0x04, 0xd0, 0x07, 0, 0, 0x28, 0x23, 0x24, 0xfa, 0xac, 0x0d}
)
