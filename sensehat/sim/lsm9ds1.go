package sim

import (
	"encoding/binary"
	"math"
)

// I2C addresses of the two halves of the LSM9DS1 on the Sense HAT.
const (
	LSM9DS1AGAddr  = 0x6A
	LSM9DS1MagAddr = 0x1C
)

// The Earth's field the magnetometer model sees by default: 48 µT dipping
// 64° below the horizon towards magnetic north, roughly central Europe. The
// horizontal part (about 21 µT) is what a compass works with.
const (
	EarthFieldMicroTesla = 48.0
	EarthInclinationDeg  = 64.0
)

// LSM9DS1 accel/gyro registers used by the model.
const (
	agWhoAmI   = 0x0F
	agCtrl1G   = 0x10
	agStatus1  = 0x17
	agOutXG    = 0x18
	agCtrl4    = 0x1E
	agCtrl5XL  = 0x1F
	agCtrl6XL  = 0x20
	agCtrl8    = 0x22
	agStatus2  = 0x27
	agOutXXL   = 0x28
	agCtrl8Def = 0x04 // IF_ADD_INC
	agBLE      = 0x02 // CTRL_REG8 bit 1: big-endian outputs
	agBoot     = 0x80 // CTRL_REG8 bit 7: reboot memory content
	agSWReset  = 0x01 // CTRL_REG8 bit 0: software reset
)

// LSM9DS1 magnetometer registers used by the model.
const (
	mOffX   = 0x05
	mWhoAmI = 0x0F
	mCtrl1  = 0x20
	mCtrl2  = 0x21
	mCtrl3  = 0x22
	mCtrl4  = 0x23
	mCtrl5  = 0x24
	mStatus = 0x27
	mOutX   = 0x28
	mIntCfg = 0x30
	mReboot = 0x08 // CTRL_REG2_M bit 3
	mSoftRs = 0x04 // CTRL_REG2_M bit 2
	mBLE    = 0x02 // CTRL_REG4_M bit 1: big-endian outputs
)

// Sensitivities per LSB, indexed by the full-scale bits of the control
// registers in the chip's own encoding order.
var (
	// FS_XL: 00 ±2 g, 01 ±16 g, 10 ±4 g, 11 ±8 g (mg/LSB).
	agAccelSens = [4]float64{0.061, 0.732, 0.122, 0.244}
	// FS_G: 00 ±245, 01 ±500, 10 not available (the model treats it as
	// ±245), 11 ±2000 dps (mdps/LSB).
	agGyroSens = [4]float64{8.75, 17.5, 8.75, 70}
	// FS: 00 ±4, 01 ±8, 10 ±12, 11 ±16 gauss (mgauss/LSB).
	magSens = [4]float64{0.14, 0.29, 0.43, 0.58}
)

// How the two dies sit on the board. Each row is one of the chip's axes
// (X, Y, Z, the directions in which its outputs read positive) in the
// board frame: X towards the top edge of the LED matrix as
// python-sense-hat draws it at rotation 0 (the Pi's HDMI port at the
// bottom), Y towards the left edge, Z out of the LED face. The board
// frame is right-handed; the model's physics happens there.
//
// The accel/gyro axes form a left-handed set: X points to the bottom edge,
// Y to the left, Z out of the face. The gyro measures right-handed rates
// about each of those axes. The magnetometer's X points the other way
// from the accel/gyro's X (PX4's LSM9DS1_MAG driver: "sensor X is aligned
// with -X of lsm9ds1 accel/gyro"), its Y and Z the same, which makes its
// set right-handed and the board frame itself. Three independent sources
// agree with this and with each other: ArduPilot's and PX4's LSM9DS1
// drivers negate only Z of both accel and gyro to get a right-handed
// frame (possible only if the chip's own set is left-handed), RTIMULib's
// fusion (RTFusionRTQF predict, q' = q + q⊗(ω/2)·dt) is consistent with
// its gyro signs only under the same fact. Which way the die's X points
// on the board (to the bottom edge) is inferred, not read off the board's
// layout: it makes python-sense-hat's X (RTIMULib negates the chip's) read
// +1 g with the top edge up and its Y +1 g with the right edge up, which is
// what the Raspberry Pi Sense HAT guide's auto-rotation example relies on
// (x = -1: set_rotation(180); y = 1: set_rotation(90)).
var (
	agAxes = [3][3]float64{
		{-1, 0, 0},
		{0, 1, 0},
		{0, 0, 1},
	}
	magAxes = [3][3]float64{
		{1, 0, 0},
		{0, 1, 0},
		{0, 0, 1},
	}
)

// LSM9DS1AG is a register-level model of the LSM9DS1 accelerometer and
// gyroscope at 0x6A. Physical values are set in the board frame; the
// output registers hold them projected on the chip's own axes (agAxes) at
// the configured full scale, rounded and saturated as the ADC does.
//
// Modelled besides: auto-increment follows CTRL_REG8 IF_ADD_INC (on at
// reset) whatever bit 7 of the sub-address says; BLE (CTRL_REG8 bit 1)
// swaps the bytes of each output; an axis disabled in CTRL_REG4 (gyro) or
// CTRL_REG5_XL (accel) reads zero; STATUS_REG (0x17, mirrored at 0x27)
// has XLDA (bit 0) and GDA (bit 1) set while that output is powered, as a
// chip sampling faster than anyone polls it; SW_RESET and BOOT (CTRL_REG8
// bits 0 and 7) bring every control register back to its datasheet
// default and clear themselves. While an output is powered down (ODR bits
// 000) its registers keep the last sample.
type LSM9DS1AG struct {
	regFile
	accel [3]float64 // g, board frame
	gyro  [3]float64 // dps, board frame
}

var _ Chip = (*LSM9DS1AG)(nil)

// NewLSM9DS1AG returns the accel/gyro in its reset state (both outputs
// powered down), lying flat face up, still.
func NewLSM9DS1AG() *LSM9DS1AG {
	c := &LSM9DS1AG{accel: [3]float64{0, 0, 1}}
	c.regs.Decode = c.decode
	c.regs.OnWrite = c.onWrite
	c.regs.Mem[agWhoAmI] = 0x68
	c.reset()
	return c
}

// SetReg writes v to register reg as a chip-level poke, bypassing the
// side effects of a bus write: a test's way of leaving the chip as
// another program would.
func (c *LSM9DS1AG) SetReg(reg, v byte) {
	c.regs.Lock(func(mem *[256]byte) {
		mem[reg] = v
		c.sample()
	})
}

// SetAttitude sets the board's attitude (see LSM9DS1.SetAttitude) and
// with it the gravity the accelerometer feels.
func (c *LSM9DS1AG) SetAttitude(rollDeg, pitchDeg, yawDeg float64) {
	c.SetAccel(worldToBoard(rollDeg, pitchDeg, yawDeg, [3]float64{0, 0, 1}))
}

// SetAccel sets the specific force in g in the board frame (+1 g on Z
// lying flat face up), for cases an attitude cannot give (shaking,
// saturation).
func (c *LSM9DS1AG) SetAccel(g [3]float64) {
	c.regs.Lock(func(*[256]byte) {
		c.accel = g
		c.sample()
	})
}

// SetRates sets the board's angular velocity in degrees per second about
// the board frame's X, Y and Z axes, positive by the right-hand rule (a
// positive Z turns the board counter-clockwise seen from its LED face).
func (c *LSM9DS1AG) SetRates(x, y, z float64) {
	c.regs.Lock(func(*[256]byte) {
		c.gyro = [3]float64{x, y, z}
		c.sample()
	})
}

func (c *LSM9DS1AG) decode(p byte) (byte, bool) {
	// Called with the registers locked.
	return p & 0x7f, c.regs.Mem[agCtrl8]&agCtrl8Def != 0
}

// reset puts every writable register back to its datasheet default
// (DocID025715 Table 21); the outputs keep their last values.
func (c *LSM9DS1AG) reset() {
	m := &c.regs.Mem
	for r := 0x04; r <= 0x37; r++ {
		if !agReadOnly(byte(r)) {
			m[r] = 0
		}
	}
	m[agCtrl4] = 0x38   // gyro X, Y, Z enabled
	m[agCtrl5XL] = 0x38 // accel X, Y, Z enabled
	m[agCtrl8] = agCtrl8Def
	c.sample()
}

func agReadOnly(r byte) bool {
	return r == agWhoAmI || (r >= 0x14 && r <= 0x1D) || (r >= 0x26 && r <= 0x2D) || r == 0x2F
}

func (c *LSM9DS1AG) onWrite(reg, v byte) {
	if agReadOnly(reg) {
		return
	}
	if reg == agCtrl8 && v&(agBoot|agSWReset) != 0 {
		c.reset()
		return
	}
	c.regs.Mem[reg] = v
	c.sample()
}

// sample refreshes the outputs that are powered; registers locked.
func (c *LSM9DS1AG) sample() {
	m := &c.regs.Mem
	status := m[agStatus1] &^ 0x03
	big := m[agCtrl8]&agBLE != 0
	if m[agCtrl1G]>>5 != 0 {
		sens := agGyroSens[m[agCtrl1G]>>3&3] / 1000
		putAxes(m[agOutXG:agOutXG+6], project(agAxes, c.gyro), m[agCtrl4]>>3, sens, big)
		status |= 0x02 // GDA
	}
	if m[agCtrl6XL]>>5 != 0 {
		sens := agAccelSens[m[agCtrl6XL]>>3&3] / 1000
		putAxes(m[agOutXXL:agOutXXL+6], project(agAxes, c.accel), m[agCtrl5XL]>>3, sens, big)
		status |= 0x01 // XLDA
	}
	m[agStatus1] = status
	m[agStatus2] = status
}

// LSM9DS1Mag is a register-level model of the LSM9DS1 magnetometer at 0x1C.
// The field is set in the board frame in µT, a hard-iron offset (also board
// frame, as magnetised parts on the board turn with it) is added, and the
// outputs hold the sum projected on the chip's axes (magAxes) at the
// configured full scale, less the OFFSET_*_REG_M values as the chip
// subtracts them. Multi-byte access auto-increments only with bit 7 of the
// sub-address. BLE (CTRL_REG4_M bit 1) swaps the bytes of each output. In
// power-down (MD 1x, the reset state) the outputs are frozen; single
// conversion (MD 01) takes one sample and powers down. SOFT_RST and REBOOT
// (CTRL_REG2_M bits 2 and 3) bring every control register back to its
// datasheet default and clear themselves.
type LSM9DS1Mag struct {
	regFile
	field    [3]float64 // µT, board frame
	hardIron [3]float64 // µT, board frame
}

var _ Chip = (*LSM9DS1Mag)(nil)

// NewLSM9DS1Mag returns the magnetometer in its reset state (powered
// down), lying flat face up at yaw 0 (see LSM9DS1.SetAttitude).
func NewLSM9DS1Mag() *LSM9DS1Mag {
	c := &LSM9DS1Mag{field: worldToBoard(0, 0, 0, earthField())}
	c.regs.Decode = STDecode
	c.regs.OnWrite = c.onWrite
	c.regs.Mem[mWhoAmI] = 0x3D
	c.reset()
	return c
}

// SetReg writes v to register reg without the side effects of a bus
// write, as another program might have left it.
func (c *LSM9DS1Mag) SetReg(reg, v byte) {
	c.regs.Lock(func(mem *[256]byte) {
		mem[reg] = v
		c.sample()
	})
}

// SetAttitude sets the board's attitude (see LSM9DS1.SetAttitude) and with
// it the Earth's field (EarthFieldMicroTesla, EarthInclinationDeg) in the
// board frame.
func (c *LSM9DS1Mag) SetAttitude(rollDeg, pitchDeg, yawDeg float64) {
	c.SetField(worldToBoard(rollDeg, pitchDeg, yawDeg, earthField()))
}

// SetField sets the external field in µT in the board frame.
func (c *LSM9DS1Mag) SetField(b [3]float64) {
	c.regs.Lock(func(*[256]byte) {
		c.field = b
		c.sample()
	})
}

// SetHardIron sets a fixed offset in µT (board frame) added to every
// reading, as magnetised screws or the Pi's own parts give.
func (c *LSM9DS1Mag) SetHardIron(offset [3]float64) {
	c.regs.Lock(func(*[256]byte) {
		c.hardIron = offset
		c.sample()
	})
}

// reset restores the datasheet defaults (DocID025715 Table 22).
func (c *LSM9DS1Mag) reset() {
	m := &c.regs.Mem
	for r := mOffX; r < mOffX+6; r++ {
		m[r] = 0
	}
	m[mCtrl1] = 0x10
	m[mCtrl2] = 0x00
	m[mCtrl3] = 0x03
	m[mCtrl4] = 0x00
	m[mCtrl5] = 0x00
	m[mIntCfg] = 0x08
	m[mIntCfg+2], m[mIntCfg+3] = 0, 0
}

func (c *LSM9DS1Mag) onWrite(reg, v byte) {
	switch {
	case reg == mWhoAmI, reg >= mStatus && reg <= mOutX+5, reg == mIntCfg+1:
		return // read-only
	case reg == mCtrl2 && v&(mSoftRs|mReboot) != 0:
		c.reset()
		return
	}
	c.regs.Mem[reg] = v
	if reg == mCtrl3 && v&0x03 == 0x01 {
		c.convert()
		c.regs.Mem[mCtrl3] |= 0x03
		return
	}
	c.sample()
}

// sample converts if the chip is in continuous mode; registers locked.
func (c *LSM9DS1Mag) sample() {
	if c.regs.Mem[mCtrl3]&0x03 == 0 {
		c.convert()
	}
}

func (c *LSM9DS1Mag) convert() {
	m := &c.regs.Mem
	sens := magSens[m[mCtrl2]>>5&3] / 10 // mgauss → µT
	var b [3]float64
	for i := range b {
		b[i] = c.field[i] + c.hardIron[i]
	}
	v := project(magAxes, b)
	for i := range v {
		off := int16(binary.LittleEndian.Uint16(m[mOffX+2*i:]))
		v[i] -= float64(off) * sens
	}
	putAxes(m[mOutX:mOutX+6], v, 0x07, sens, m[mCtrl4]&mBLE != 0)
	m[mStatus] |= 0x08 // ZYXDA
}

// LSM9DS1 bundles both halves of the chip so one attitude moves both.
type LSM9DS1 struct {
	AG  *LSM9DS1AG
	Mag *LSM9DS1Mag
}

// NewLSM9DS1 returns both halves in their reset state.
func NewLSM9DS1() *LSM9DS1 {
	return &LSM9DS1{AG: NewLSM9DS1AG(), Mag: NewLSM9DS1Mag()}
}

// Attach puts both halves on b at LSM9DS1AGAddr and LSM9DS1MagAddr.
func (s *LSM9DS1) Attach(b *Bus) {
	b.Attach(LSM9DS1AGAddr, s.AG)
	b.Attach(LSM9DS1MagAddr, s.Mag)
}

// SetAttitude turns the board, moving gravity and the Earth's field
// together, to the attitude that python-sense-hat's get_orientation
// reports as (roll, pitch, yaw) in degrees (any range; 330 and -30 are the
// same). Physically, with the board frame of agAxes:
//
//   - yaw turns the board about the vertical, clockwise seen from above
//     as yaw grows; yaw 0 has the matrix's top edge towards magnetic
//     south, 90 west, 180 north, 270 east. (RTIMULib's magnetometer axes
//     are the field's opposite in its accel axes, which turns its yaw by
//     180°; see package lsm9ds1.)
//   - pitch then tips the top edge down for positive angles;
//   - roll then tips the left edge down for positive angles.
//
// In the right-handed board frame this is the rotation
// Rz(-yaw)·Ry(pitch)·Rx(-roll) from the board to a South-East-Up world:
// RTIMULib's Euler angles are those of its mirrored (left-handed) axes.
func (s *LSM9DS1) SetAttitude(rollDeg, pitchDeg, yawDeg float64) {
	s.AG.SetAttitude(rollDeg, pitchDeg, yawDeg)
	s.Mag.SetAttitude(rollDeg, pitchDeg, yawDeg)
}

// SetRates sets the angular rates in degrees per second about the board's
// axes; see LSM9DS1AG.SetRates.
func (s *LSM9DS1) SetRates(x, y, z float64) { s.AG.SetRates(x, y, z) }

// SetHardIron sets the magnetometer's fixed offset in µT; see
// LSM9DS1Mag.SetHardIron.
func (s *LSM9DS1) SetHardIron(offset [3]float64) { s.Mag.SetHardIron(offset) }

// earthField is the field in the South-East-Up world frame: its
// horizontal part points north (-S), its vertical part down.
func earthField() [3]float64 {
	inc := EarthInclinationDeg * math.Pi / 180
	return [3]float64{-EarthFieldMicroTesla * math.Cos(inc), 0, -EarthFieldMicroTesla * math.Sin(inc)}
}

// worldToBoard expresses the South-East-Up vector v in the board frame
// for the attitude of LSM9DS1.SetAttitude: the transpose of
// Rz(-yaw)·Ry(pitch)·Rx(-roll), that is Rx(roll)·Ry(-pitch)·Rz(yaw),
// applied right to left.
func worldToBoard(rollDeg, pitchDeg, yawDeg float64, v [3]float64) [3]float64 {
	// rot turns v by a about the axis normal to (i, j): i towards j.
	rot := func(a float64, i, j int) {
		s, c := math.Sincos(a * math.Pi / 180)
		vi, vj := v[i], v[j]
		v[i] = c*vi - s*vj
		v[j] = s*vi + c*vj
	}
	rot(yawDeg, 0, 1)    // Rz(yaw): X towards Y
	rot(-pitchDeg, 2, 0) // Ry(-pitch): Z towards X
	rot(rollDeg, 1, 2)   // Rx(roll): Y towards Z
	return v
}

// project returns v's components along each of the chip's axes.
func project(axes [3][3]float64, v [3]float64) [3]float64 {
	var out [3]float64
	for i, a := range axes {
		out[i] = a[0]*v[0] + a[1]*v[1] + a[2]*v[2]
	}
	return out
}

// putAxes writes v divided by sens as three saturated signed 16-bit
// values, little endian unless big; an axis whose bit in enabled (bit 0 X,
// 1 Y, 2 Z) is clear reads zero.
func putAxes(dst []byte, v [3]float64, enabled byte, sens float64, big bool) {
	for i := range 3 {
		raw := 0.0
		if enabled&(1<<i) != 0 {
			raw = math.Round(v[i] / sens)
			raw = math.Max(math.MinInt16, math.Min(math.MaxInt16, raw))
		}
		if big {
			binary.BigEndian.PutUint16(dst[2*i:], uint16(int16(raw)))
		} else {
			binary.LittleEndian.PutUint16(dst[2*i:], uint16(int16(raw)))
		}
	}
}
