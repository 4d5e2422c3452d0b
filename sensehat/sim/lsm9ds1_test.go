package sim

import (
	"bytes"
	"math"
	"testing"
)

func tx(t *testing.T, c Chip, w []byte, n int) []byte {
	t.Helper()
	r := make([]byte, n)
	if err := c.Tx(w, r); err != nil {
		t.Fatalf("Tx(% x): %v", w, err)
	}
	return r
}

func TestLSM9DS1AGResetState(t *testing.T) {
	c := NewLSM9DS1AG()
	if got := tx(t, c, []byte{0x0F}, 1); got[0] != 0x68 {
		t.Errorf("WHO_AM_I = %#02x, want 0x68", got[0])
	}
	if got := c.Register(0x22); got != 0x04 {
		t.Errorf("CTRL_REG8 = %#02x, want 0x04", got)
	}
	// Powered down at reset: no sample has been taken, outputs are zero.
	for _, reg := range []byte{0x18, 0x28} {
		if got := tx(t, c, []byte{reg}, 6); !bytes.Equal(got, make([]byte, 6)) {
			t.Errorf("outputs at %#02x before power-up = % x, want zeros", reg, got)
		}
	}
	// Read-only registers ignore writes.
	tx(t, c, []byte{0x0F, 0x00}, 0)
	if got := c.Register(0x0F); got != 0x68 {
		t.Errorf("WHO_AM_I after write = %#02x", got)
	}
}

func TestLSM9DS1AGOutputs(t *testing.T) {
	// Expected raw values: the board-frame vector projected on the chip's
	// axes (X = -board X, Y = board Y, Z = board Z), divided by the
	// datasheet sensitivity and rounded.
	tests := []struct {
		name              string
		ctrl1G, ctrl6XL   byte
		roll, pitch       float64
		rates             [3]float64
		wantGyro, wantAcc [3]int16
	}{
		{
			// ±8 g: 0.244 mg/LSB, 1 g = 4098 LSB on chip Z; ±500 dps:
			// 17.5 mdps/LSB, chip X = -board X.
			name: "flat 8g 500dps", ctrl1G: 0x68, ctrl6XL: 0x78,
			rates:    [3]float64{100, -250, 480},
			wantGyro: [3]int16{-5714, -14286, 27429},
			wantAcc:  [3]int16{0, 0, 4098},
		},
		{
			// Roll +30 dips the left edge: specific force (up) along the
			// left axis is -sin 30° = -0.5 g at 0.061 mg/LSB.
			name: "roll 30 2g", ctrl1G: 0x60, ctrl6XL: 0x60, roll: 30,
			rates:    [3]float64{10, 0, 0},
			wantGyro: [3]int16{-1143, 0, 0},
			wantAcc:  [3]int16{0, -8197, 14197},
		},
		{
			// Pitch +20 dips the top edge: board X feels -sin 20°, chip X
			// +0.342 g. FS_XL 01 is ±16 g (0.732 mg/LSB).
			name: "pitch 20 16g 2000dps", ctrl1G: 0x78, ctrl6XL: 0x68, pitch: 20,
			rates:    [3]float64{0, 0, -1000},
			wantGyro: [3]int16{0, 0, -14286},
			wantAcc:  [3]int16{467, 0, 1284},
		},
		{
			name: "4g saturating gyro", ctrl1G: 0x60, ctrl6XL: 0x70,
			rates:    [3]float64{300, -300, 0}, // beyond ±245 dps: ±286.7 max
			wantGyro: [3]int16{-32768, -32768, 0},
			wantAcc:  [3]int16{0, 0, 8197},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewLSM9DS1AG()
			c.SetAttitude(tc.roll, tc.pitch, 77) // yaw does not change gravity
			c.SetRates(tc.rates[0], tc.rates[1], tc.rates[2])
			tx(t, c, []byte{0x10, tc.ctrl1G}, 0)
			tx(t, c, []byte{0x20, tc.ctrl6XL}, 0)
			if got := tx(t, c, []byte{0x17}, 1)[0]; got&3 != 3 {
				t.Errorf("STATUS_REG = %#02x, want XLDA and GDA set", got)
			}
			g := tx(t, c, []byte{0x18}, 6)
			a := tx(t, c, []byte{0x28}, 6)
			for i := range 3 {
				if v := int16(uint16(g[2*i]) | uint16(g[2*i+1])<<8); v != tc.wantGyro[i] {
					t.Errorf("gyro[%d] = %d, want %d", i, v, tc.wantGyro[i])
				}
				if v := int16(uint16(a[2*i]) | uint16(a[2*i+1])<<8); v != tc.wantAcc[i] {
					t.Errorf("accel[%d] = %d, want %d", i, v, tc.wantAcc[i])
				}
			}
		})
	}
}

func TestLSM9DS1AGStatusPerOutput(t *testing.T) {
	c := NewLSM9DS1AG()
	if got := tx(t, c, []byte{0x17}, 1)[0]; got&3 != 0 {
		t.Errorf("STATUS_REG at reset = %#02x, want no data ready", got)
	}
	tx(t, c, []byte{0x20, 0x78}, 0) // accel only
	if got := tx(t, c, []byte{0x17}, 1)[0]; got&3 != 0x01 {
		t.Errorf("STATUS_REG with accel only = %#02x, want XLDA", got)
	}
	tx(t, c, []byte{0x10, 0x68}, 0)
	if got := tx(t, c, []byte{0x27}, 1)[0]; got&3 != 0x03 {
		t.Errorf("STATUS_REG mirror 0x27 = %#02x, want XLDA and GDA", got)
	}
}

func TestLSM9DS1AGEndiannessAndAxisEnables(t *testing.T) {
	c := NewLSM9DS1AG()
	tx(t, c, []byte{0x20, 0x78}, 0) // ±8 g, flat: Z = 4098 = 0x1002
	tx(t, c, []byte{0x22, 0x06}, 0) // BLE | IF_ADD_INC
	if got := tx(t, c, []byte{0x2C}, 2); !bytes.Equal(got, []byte{0x10, 0x02}) {
		t.Errorf("accel Z big-endian = % x, want 10 02", got)
	}
	tx(t, c, []byte{0x22, 0x04}, 0)
	tx(t, c, []byte{0x1F, 0x18}, 0) // CTRL_REG5_XL: X and Y only
	if got := tx(t, c, []byte{0x2C}, 2); !bytes.Equal(got, []byte{0, 0}) {
		t.Errorf("accel Z disabled = % x, want zeros", got)
	}
}

func TestLSM9DS1AGAutoIncrement(t *testing.T) {
	c := NewLSM9DS1AG()
	tx(t, c, []byte{0x20, 0x78}, 0)                    // accel on, ±8 g
	want := []byte{0x00, 0x00, 0x00, 0x00, 0x02, 0x10} // Z = 4098
	// IF_ADD_INC is set at reset: bit 7 of the sub-address plays no part.
	if got := tx(t, c, []byte{0x28}, 6); !bytes.Equal(got, want) {
		t.Errorf("read 0x28 = % x, want % x", got, want)
	}
	if got := tx(t, c, []byte{0xAC}, 2); !bytes.Equal(got, want[4:]) {
		t.Errorf("read 0xAC = % x, want % x", got, want[4:])
	}
	// A multi-byte write also increments: CTRL_REG6_XL, 7_XL, then 8.
	tx(t, c, []byte{0x20, 0x78, 0x00, 0x00}, 0)
	if got := c.Register(0x22); got != 0 {
		t.Fatalf("CTRL_REG8 = %#02x after write, want 0", got)
	}
	if got := tx(t, c, []byte{0x2C}, 2); !bytes.Equal(got, []byte{0x02, 0x02}) {
		t.Errorf("read without IF_ADD_INC = % x, want 02 02", got)
	}
	// SW_RESET brings IF_ADD_INC back and powers the outputs down.
	tx(t, c, []byte{0x22, 0x01}, 0)
	if got := c.Register(0x22); got != 0x04 {
		t.Errorf("CTRL_REG8 after SW_RESET = %#02x, want 0x04", got)
	}
	if got := c.Register(0x20); got != 0 {
		t.Errorf("CTRL_REG6_XL after SW_RESET = %#02x, want 0", got)
	}
}

func TestLSM9DS1AGBootRestoresDefaults(t *testing.T) {
	c := NewLSM9DS1AG()
	// Another program's leftovers: outputs on at ±16 g, big-endian, Z
	// disabled, a FIFO mode and an interrupt threshold.
	for reg, v := range map[byte]byte{0x10: 0xC3, 0x1E: 0x00, 0x1F: 0x08, 0x20: 0xC8, 0x22: 0x46, 0x23: 0x02, 0x2E: 0x3F, 0x31: 0x7F} {
		c.SetReg(reg, v)
	}
	tx(t, c, []byte{0x22, 0x80}, 0) // BOOT
	want := map[byte]byte{0x10: 0, 0x1E: 0x38, 0x1F: 0x38, 0x20: 0, 0x22: 0x04, 0x23: 0, 0x2E: 0, 0x31: 0}
	for reg, v := range want {
		if got := c.Register(reg); got != v {
			t.Errorf("register %#02x after BOOT = %#02x, want the default %#02x", reg, got, v)
		}
	}
	if got := c.Register(0x0F); got != 0x68 {
		t.Errorf("WHO_AM_I after BOOT = %#02x", got)
	}
}

func TestLSM9DS1AGPowerDownFreezes(t *testing.T) {
	c := NewLSM9DS1AG()
	tx(t, c, []byte{0x10, 0x68}, 0)
	tx(t, c, []byte{0x20, 0x78}, 0)
	c.SetRates(0, 0, 35)
	tx(t, c, []byte{0x10, 0x00}, 0)
	tx(t, c, []byte{0x20, 0x00}, 0)
	c.SetRates(0, 0, -35)
	c.SetAttitude(90, 0, 0)
	got := tx(t, c, []byte{0x18}, 6)
	if want := []byte{0, 0, 0, 0, 0xD0, 0x07}; !bytes.Equal(got, want) { // 2000
		t.Errorf("gyro after power-down = % x, want % x", got, want)
	}
	if got := tx(t, c, []byte{0x2C}, 2); !bytes.Equal(got, []byte{0x02, 0x10}) {
		t.Errorf("accel Z after power-down = % x, want 02 10", got)
	}
	if got := tx(t, c, []byte{0x17}, 1)[0]; got&3 != 0 {
		t.Errorf("STATUS_REG = %#02x, want no data ready", got)
	}
}

func magXYZ(t *testing.T, c *LSM9DS1Mag) [3]int16 {
	t.Helper()
	b := tx(t, c, []byte{0x80 | 0x28}, 6)
	var v [3]int16
	for i := range v {
		v[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
	}
	return v
}

func TestLSM9DS1Mag(t *testing.T) {
	c := NewLSM9DS1Mag()
	if got := tx(t, c, []byte{0x0F}, 1); got[0] != 0x3D {
		t.Errorf("WHO_AM_I = %#02x, want 0x3D", got[0])
	}
	if got := c.Register(0x22); got != 0x03 {
		t.Errorf("CTRL_REG3_M at reset = %#02x, want 0x03 (power-down)", got)
	}
	if got := magXYZ(t, c); got != [3]int16{} {
		t.Errorf("outputs before power-up = %v, want zeros", got)
	}
	tx(t, c, []byte{0x80 | 0x20, 0x14, 0x00, 0x00}, 0)
	// Flat at yaw 0, the top edge towards magnetic south: the field's
	// 21.04 µT horizontal part points to the board's -X, its 43.14 µT
	// vertical part to -Z; the magnetometer's axes are the board's.
	// ±4 gauss: 0.014 µT/LSB.
	if got, want := magXYZ(t, c), [3]int16{-1503, 0, -3082}; got != want {
		t.Errorf("flat, yaw 0 = %v, want %v", got, want)
	}
	// Yaw 90, the top edge west: north is on the board's right (-Y).
	// ±8 gauss: 0.029 µT/LSB.
	c.SetAttitude(0, 0, 90)
	tx(t, c, []byte{0x21, 0x20}, 0)
	if got, want := magXYZ(t, c), [3]int16{0, -726, -1488}; got != want {
		t.Errorf("yaw 90 ±8 gauss = %v, want %v", got, want)
	}
	c.SetHardIron([3]float64{10, 20, -30})
	if got, want := magXYZ(t, c), [3]int16{345, -36, -2522}; got != want {
		t.Errorf("yaw 90 with hard iron = %v, want %v", got, want)
	}
	// The chip subtracts OFFSET_X_REG_M (100 LSB).
	tx(t, c, []byte{0x80 | 0x05, 100, 0}, 0)
	if got, want := magXYZ(t, c), [3]int16{245, -36, -2522}; got != want {
		t.Errorf("with OFFSET_X_REG_M 100 = %v, want %v", got, want)
	}
	tx(t, c, []byte{0x80 | 0x05, 0, 0}, 0)
	// Without bit 7 the pointer stays put.
	if got := tx(t, c, []byte{0x28}, 2); got[0] != got[1] {
		t.Errorf("read without bit 7 = % x, want the same byte twice", got)
	}
	// Power-down freezes, single conversion samples once.
	tx(t, c, []byte{0x22, 0x03}, 0)
	c.SetHardIron([3]float64{})
	if got, want := magXYZ(t, c), [3]int16{345, -36, -2522}; got != want {
		t.Errorf("powered down = %v, want frozen %v", got, want)
	}
	tx(t, c, []byte{0x22, 0x01}, 0)
	if got, want := magXYZ(t, c), [3]int16{0, -726, -1488}; got != want {
		t.Errorf("single conversion = %v, want %v", got, want)
	}
	if got := c.Register(0x22); got&3 != 3 {
		t.Errorf("CTRL_REG3_M after single conversion = %#02x, want power-down", got)
	}
	// Saturation at ±4 gauss needs more than 458 µT.
	tx(t, c, []byte{0x80 | 0x21, 0x00, 0x00}, 0)
	c.SetField([3]float64{500, -500, 0})
	if got, want := magXYZ(t, c), [3]int16{32767, -32768, 0}; got != want {
		t.Errorf("saturated = %v, want %v", got, want)
	}
	// Big-endian outputs with CTRL_REG4_M BLE.
	c.SetField([3]float64{0.014 * 0x0102, 0, 0})
	tx(t, c, []byte{0x23, 0x02}, 0)
	if got := tx(t, c, []byte{0xA8}, 2); !bytes.Equal(got, []byte{0x01, 0x02}) {
		t.Errorf("X big-endian = % x, want 01 02", got)
	}
}

func TestLSM9DS1MagSoftResetRestoresDefaults(t *testing.T) {
	c := NewLSM9DS1Mag()
	for reg, v := range map[byte]byte{0x05: 0x34, 0x08: 0x12, 0x20: 0xFC, 0x21: 0x60, 0x22: 0x00, 0x23: 0x0E, 0x24: 0x40} {
		c.SetReg(reg, v)
	}
	tx(t, c, []byte{0x21, 0x0C}, 0) // REBOOT | SOFT_RST
	want := map[byte]byte{0x05: 0, 0x08: 0, 0x20: 0x10, 0x21: 0, 0x22: 0x03, 0x23: 0, 0x24: 0, 0x30: 0x08}
	for reg, v := range want {
		if got := c.Register(reg); got != v {
			t.Errorf("register %#02x after SOFT_RST = %#02x, want the default %#02x", reg, got, v)
		}
	}
}

func TestWorldToBoard(t *testing.T) {
	// In the South-East-Up world, north is (-1, 0, 0).
	north := [3]float64{-1, 0, 0}
	for _, tc := range []struct {
		name             string
		roll, pitch, yaw float64
		v, want          [3]float64
	}{
		{"yaw 0: top edge south", 0, 0, 0, north, [3]float64{-1, 0, 0}},
		{"yaw 90: top edge west, north on the right", 0, 0, 90, north, [3]float64{0, -1, 0}},
		{"yaw 180: top edge north", 0, 0, 180, north, [3]float64{1, 0, 0}},
		{"yaw 270: top edge east, north on the left", 0, 0, 270, north, [3]float64{0, 1, 0}},
		{"pitch 90: top edge down", 0, 90, 0, [3]float64{0, 0, 1}, [3]float64{-1, 0, 0}},
		{"roll 90: left edge down", 90, 0, 0, [3]float64{0, 0, 1}, [3]float64{0, -1, 0}},
	} {
		got := worldToBoard(tc.roll, tc.pitch, tc.yaw, tc.v)
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-12 {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
}

func TestLSM9DS1Attach(t *testing.T) {
	b := NewBus("test")
	s := NewLSM9DS1()
	s.Attach(b)
	r := make([]byte, 1)
	if err := b.Tx(0x6A, []byte{0x0F}, r); err != nil || r[0] != 0x68 {
		t.Errorf("0x6A who-am-I = %#02x, %v", r[0], err)
	}
	if err := b.Tx(0x1C, []byte{0x0F}, r); err != nil || r[0] != 0x3D {
		t.Errorf("0x1C who-am-I = %#02x, %v", r[0], err)
	}
	// One call moves both halves.
	b.Tx(0x6A, []byte{0x10, 0x68}, nil)             // gyro ±500 dps
	b.Tx(0x6A, []byte{0x20, 0x78}, nil)             // accel ±8 g
	b.Tx(0x1C, []byte{0xA0, 0x14, 0x00, 0x00}, nil) // mag continuous ±4 gauss
	s.SetAttitude(-90, 0, 0)
	s.SetRates(0, 0, 17.5)
	s.SetHardIron([3]float64{0, 0, 14})
	out := make([]byte, 6)
	b.Tx(0x6A, []byte{0x28}, out)
	// Roll -90: the left edge up, chip Y (left) feels +1 g = 4098 LSB.
	if want := []byte{0, 0, 0x02, 0x10, 0, 0}; !bytes.Equal(out, want) {
		t.Errorf("accel rolled -90 = % x, want % x", out, want)
	}
	b.Tx(0x6A, []byte{0x1C}, out[:2])
	if want := []byte{0xE8, 0x03}; !bytes.Equal(out[:2], want) { // 1000 LSB
		t.Errorf("gyro Z = % x, want % x", out[:2], want)
	}
	// On its side the board's Z is horizontal and east-west at yaw 0:
	// it sees only the hard iron, 14 µT = 1000 LSB.
	b.Tx(0x1C, []byte{0xAC}, out[:2])
	if want := []byte{0xE8, 0x03}; !bytes.Equal(out[:2], want) {
		t.Errorf("mag Z = % x, want % x", out[:2], want)
	}
}
