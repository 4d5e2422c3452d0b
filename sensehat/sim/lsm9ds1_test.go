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
	if got := c.Reg(0x22); got != 0x04 {
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
	if got := c.Reg(0x0F); got != 0x68 {
		t.Errorf("WHO_AM_I after write = %#02x", got)
	}
}

func TestLSM9DS1AGOutputs(t *testing.T) {
	tests := []struct {
		name              string
		ctrl1G, ctrl6XL   byte
		roll, pitch       float64
		rates             [3]float64
		wantGyro, wantAcc [3]int16
	}{
		{
			// ±8 g: 0.244 mg/LSB, 1 g = 4098 LSB on chip Z.
			name: "flat 8g 500dps", ctrl1G: 0x68, ctrl6XL: 0x78,
			rates:    [3]float64{100, -250, 480},
			wantGyro: [3]int16{-5714, 14286, 27429}, // chip X, Y = -board X, Y
			wantAcc:  [3]int16{0, 0, 4098},
		},
		{
			// Roll +30° lifts the left edge: board Y feels +0.5 g, the
			// chip's Y (pointing right) -0.5 g.
			name: "roll 30 2g", ctrl1G: 0x60, ctrl6XL: 0x60, roll: 30,
			rates:    [3]float64{10, 0, 0},
			wantGyro: [3]int16{-1143, 0, 0},
			wantAcc:  [3]int16{0, -8197, 14197},
		},
		{
			// Pitch +20° dips the forward edge: board X feels -sin 20°,
			// chip X +0.342 g. FS_XL 01 is ±16 g (0.732 mg/LSB).
			name: "pitch 20 16g 2000dps", ctrl1G: 0x78, ctrl6XL: 0x68, pitch: 20,
			rates:    [3]float64{0, 0, -1000},
			wantGyro: [3]int16{0, 0, -14286},
			wantAcc:  [3]int16{467, 0, 1284},
		},
		{
			name: "4g saturating gyro", ctrl1G: 0x60, ctrl6XL: 0x70,
			rates:    [3]float64{300, -300, 0}, // beyond ±245 dps: ±286.7 max
			wantGyro: [3]int16{-32768, 32767, 0},
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
	if got := c.Reg(0x22); got != 0 {
		t.Fatalf("CTRL_REG8 = %#02x after write, want 0", got)
	}
	if got := tx(t, c, []byte{0x2C}, 2); !bytes.Equal(got, []byte{0x02, 0x02}) {
		t.Errorf("read without IF_ADD_INC = % x, want 02 02", got)
	}
	// SW_RESET brings IF_ADD_INC back and powers the outputs down.
	tx(t, c, []byte{0x22, 0x01}, 0)
	if got := c.Reg(0x22); got != 0x04 {
		t.Errorf("CTRL_REG8 after SW_RESET = %#02x, want 0x04", got)
	}
	if got := c.Reg(0x20); got != 0 {
		t.Errorf("CTRL_REG6_XL after SW_RESET = %#02x, want 0", got)
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
	if got := c.Reg(0x22); got != 0x03 {
		t.Errorf("CTRL_REG3_M at reset = %#02x, want 0x03 (power-down)", got)
	}
	if got := magXYZ(t, c); got != [3]int16{} {
		t.Errorf("outputs before power-up = %v, want zeros", got)
	}
	tx(t, c, []byte{0x80 | 0x20, 0x14, 0x00, 0x00}, 0)
	// Flat, X north: board field (21.04, 0, -43.14) µT at 0.014 µT/LSB;
	// the chip's Y is flipped, which a zero Y cannot show.
	if got, want := magXYZ(t, c), [3]int16{1503, 0, -3082}; got != want {
		t.Errorf("flat north = %v, want %v", got, want)
	}
	// Facing east (yaw -90): the field comes from the board's left (+Y),
	// the chip's -Y. ±8 gauss: 0.029 µT/LSB.
	c.SetAttitude(0, 0, -90)
	tx(t, c, []byte{0x21, 0x20}, 0)
	if got, want := magXYZ(t, c), [3]int16{0, -726, -1488}; got != want {
		t.Errorf("east ±8 gauss = %v, want %v", got, want)
	}
	c.SetHardIron([3]float64{10, 20, -30})
	if got, want := magXYZ(t, c), [3]int16{345, -1415, -2522}; got != want {
		t.Errorf("east with hard iron = %v, want %v", got, want)
	}
	// Without bit 7 the pointer stays put.
	if got := tx(t, c, []byte{0x28}, 2); got[0] != got[1] {
		t.Errorf("read without bit 7 = % x, want the same byte twice", got)
	}
	// Power-down freezes, single conversion samples once.
	tx(t, c, []byte{0x22, 0x03}, 0)
	c.SetHardIron([3]float64{})
	if got, want := magXYZ(t, c), [3]int16{345, -1415, -2522}; got != want {
		t.Errorf("powered down = %v, want frozen %v", got, want)
	}
	tx(t, c, []byte{0x22, 0x01}, 0)
	if got, want := magXYZ(t, c), [3]int16{0, -726, -1488}; got != want {
		t.Errorf("single conversion = %v, want %v", got, want)
	}
	if got := c.Reg(0x22); got&3 != 3 {
		t.Errorf("CTRL_REG3_M after single conversion = %#02x, want power-down", got)
	}
	// Saturation at ±4 gauss needs more than 458 µT.
	tx(t, c, []byte{0x80 | 0x21, 0x00, 0x00}, 0)
	c.SetField([3]float64{500, -500, 0})
	if got, want := magXYZ(t, c), [3]int16{32767, 32767, 0}; got != want {
		t.Errorf("saturated = %v, want %v", got, want)
	}
}

func TestWorldToBoard(t *testing.T) {
	// Yaw 90 turns X from north to west: north is then on the board's -Y.
	got := worldToBoard(0, 0, 90, [3]float64{1, 0, 0})
	want := [3]float64{0, -1, 0}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("north seen at yaw 90 = %v, want %v", got, want)
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
	s.SetAttitude(90, 0, 0)
	s.SetRates(0, 0, 17.5)
	s.SetHardIron([3]float64{0, 0, 14})
	out := make([]byte, 6)
	b.Tx(0x6A, []byte{0x28}, out)
	if want := []byte{0, 0, 0xFE, 0xEF, 0, 0}; !bytes.Equal(out, want) { // chip Y = -1 g
		t.Errorf("accel rolled 90 = % x, want % x", out, want)
	}
	b.Tx(0x6A, []byte{0x1C}, out[:2])
	if want := []byte{0xE8, 0x03}; !bytes.Equal(out[:2], want) { // 1000 LSB
		t.Errorf("gyro Z = % x, want % x", out[:2], want)
	}
	// Rolled 90 with the left edge up, the field's downward part lies
	// along board -Y and board Z sees only the hard iron: 14 µT = 1000 LSB.
	b.Tx(0x1C, []byte{0xAC}, out[:2])
	if want := []byte{0xE8, 0x03}; !bytes.Equal(out[:2], want) {
		t.Errorf("mag Z = % x, want % x", out[:2], want)
	}
}
