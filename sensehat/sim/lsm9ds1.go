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
)

// LSM9DS1 magnetometer registers used by the model.
const (
	mWhoAmI = 0x0F
	mCtrl1  = 0x20
	mCtrl2  = 0x21
	mCtrl3  = 0x22
	mCtrl4  = 0x23
	mCtrl5  = 0x24
	mStatus = 0x27
	mOutX   = 0x28
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

// Axis mapping between the board frame and the chips' own axes.
//
// The board frame is X forward (towards the top edge of the LED matrix as
// text reads), Y left, Z out of the LED face: right-handed, so a board lying
// flat face up feels +1 g on Z. On the model, as on the real board, the
// chips are not aligned with it: the accel/gyro die is turned 180° about Z
// (its X and Y point backwards and right), and the magnetometer's X axis is
// the opposite of the accel/gyro's, so only its Y is flipped against the
// board. The mapping is its own inverse; the driver applies the same signs.
var (
	agAxisSign  = [3]float64{-1, -1, 1}
	magAxisSign = [3]float64{1, -1, 1}
)

// LSM9DS1AG is a register-level model of the LSM9DS1 accelerometer and
// gyroscope at 0x6A. Physical values are set in the board frame; the output
// registers hold them in the chip's axes at the configured full scale,
// rounded and saturated as the ADC does. Auto-increment follows CTRL_REG8
// IF_ADD_INC (on at reset) whatever bit 7 of the sub-address says. While an
// output is powered down (ODR bits 000) its registers keep the last sample.
type LSM9DS1AG struct {
	regs  Registers
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

// Tx implements Chip.
func (c *LSM9DS1AG) Tx(w, r []byte) error { return c.regs.Tx(w, r) }

// Reg returns the current value of register reg, for tests that check what
// a driver configured.
func (c *LSM9DS1AG) Reg(reg byte) byte {
	var v byte
	c.regs.Lock(func(mem *[256]byte) { v = mem[reg] })
	return v
}

// SetAttitude sets the board's attitude (see LSM9DS1.SetAttitude) and with it the
// gravity the accelerometer feels.
func (c *LSM9DS1AG) SetAttitude(rollDeg, pitchDeg, yawDeg float64) {
	c.SetAccel(worldToBoard(rollDeg, pitchDeg, yawDeg, [3]float64{0, 0, 1}))
}

// SetAccel sets the specific force in g in the board frame, for cases an
// attitude cannot give (shaking, saturation).
func (c *LSM9DS1AG) SetAccel(g [3]float64) {
	c.regs.Lock(func(*[256]byte) {
		c.accel = g
		c.sample()
	})
}

// SetRates sets the angular rates in degrees per second about the board's
// X, Y and Z axes, positive by the right-hand rule.
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

func (c *LSM9DS1AG) reset() {
	m := &c.regs.Mem
	for r := 0x04; r <= 0x24; r++ {
		if !agReadOnly(byte(r)) {
			m[r] = 0
		}
	}
	m[agCtrl4] = 0x38
	m[agCtrl5XL] = 0x38
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
	if reg == agCtrl8 {
		if v&0x01 != 0 { // SW_RESET, self-clearing
			c.reset()
			return
		}
		v &^= 0x80 // BOOT self-clears at once in the model
	}
	c.regs.Mem[reg] = v
	c.sample()
}

// sample refreshes the outputs that are powered; registers locked.
func (c *LSM9DS1AG) sample() {
	m := &c.regs.Mem
	status := m[agStatus1] &^ 0x03
	if m[agCtrl1G]>>5 != 0 {
		sens := agGyroSens[m[agCtrl1G]>>3&3] / 1000
		putAxes(m[agOutXG:agOutXG+6], c.gyro, agAxisSign, sens)
		status |= 0x02 // GDA
	}
	if m[agCtrl6XL]>>5 != 0 {
		sens := agAccelSens[m[agCtrl6XL]>>3&3] / 1000
		putAxes(m[agOutXXL:agOutXXL+6], c.accel, agAxisSign, sens)
		status |= 0x01 // XLDA
	}
	m[agStatus1] = status
	m[agStatus2] = status
}

// LSM9DS1Mag is a register-level model of the LSM9DS1 magnetometer at 0x1C.
// The field is set in the board frame in µT, a hard-iron offset (also board
// frame, as magnetised parts on the board turn with it) is added, and the
// outputs hold the sum in the chip's axes at the configured full scale.
// Multi-byte access auto-increments only with bit 7 of the sub-address. In
// power-down (MD 1x, the reset state) the outputs are frozen; single
// conversion (MD 01) takes one sample and powers down.
type LSM9DS1Mag struct {
	regs     Registers
	field    [3]float64 // µT, board frame
	hardIron [3]float64 // µT, board frame
}

var _ Chip = (*LSM9DS1Mag)(nil)

// NewLSM9DS1Mag returns the magnetometer in its reset state (powered down),
// lying flat face up with its X axis towards magnetic north.
func NewLSM9DS1Mag() *LSM9DS1Mag {
	c := &LSM9DS1Mag{field: worldToBoard(0, 0, 0, earthField())}
	c.regs.Decode = STDecode
	c.regs.OnWrite = c.onWrite
	c.regs.Mem[mWhoAmI] = 0x3D
	c.reset()
	return c
}

// Tx implements Chip.
func (c *LSM9DS1Mag) Tx(w, r []byte) error { return c.regs.Tx(w, r) }

// Reg returns the current value of register reg.
func (c *LSM9DS1Mag) Reg(reg byte) byte {
	var v byte
	c.regs.Lock(func(mem *[256]byte) { v = mem[reg] })
	return v
}

// SetAttitude sets the board's attitude (see LSM9DS1.SetAttitude) and with it the
// Earth's field (EarthFieldMicroTesla, EarthInclinationDeg) in the board
// frame.
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

func (c *LSM9DS1Mag) reset() {
	m := &c.regs.Mem
	m[mCtrl1] = 0x10
	m[mCtrl2] = 0x00
	m[mCtrl3] = 0x03
	m[mCtrl4] = 0x00
	m[mCtrl5] = 0x00
}

func (c *LSM9DS1Mag) onWrite(reg, v byte) {
	switch {
	case reg == mWhoAmI, reg >= mStatus && reg <= mOutX+5:
		return // read-only
	case reg == mCtrl2 && v&0x04 != 0: // SOFT_RST
		c.reset()
		return
	case reg == mCtrl2:
		v &^= 0x08 // REBOOT self-clears at once in the model
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
	putAxes(m[mOutX:mOutX+6], b, magAxisSign, sens)
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
// together.
//
// The world frame is North-West-Up, the board frame X forward, Y left, Z
// out of the LED face. The board's attitude is the rotation
// Rz(yaw)·Ry(pitch)·Rx(roll) from board to world: yaw first about Up, then
// pitch about the new Y, then roll about the new X, each positive by the
// right-hand rule. So roll +30° lifts the left edge, pitch +20° dips the
// forward edge, and yaw +90° turns the board counter-clockwise seen from
// above, pointing X to the west (a compass heading of 270°); yaw -90° points
// it east (heading 90°).
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

func earthField() [3]float64 {
	inc := EarthInclinationDeg * math.Pi / 180
	return [3]float64{EarthFieldMicroTesla * math.Cos(inc), 0, -EarthFieldMicroTesla * math.Sin(inc)}
}

// worldToBoard expresses the world-frame vector v in the board frame for
// the given attitude: the transpose of Rz·Ry·Rx, applied as the three
// elementary rotations in reverse.
func worldToBoard(rollDeg, pitchDeg, yawDeg float64, v [3]float64) [3]float64 {
	rot := func(a float64, i, j int) {
		s, c := math.Sincos(a * math.Pi / 180)
		vi, vj := v[i], v[j]
		v[i] = c*vi - s*vj
		v[j] = s*vi + c*vj
	}
	rot(-yawDeg, 0, 1)   // about Z: X towards Y
	rot(-pitchDeg, 2, 0) // about Y: Z towards X
	rot(-rollDeg, 1, 2)  // about X: Y towards Z
	return v
}

// putAxes writes v, mapped to chip axes by sign and divided by sens, as
// three saturated signed 16-bit little-endian values.
func putAxes(dst []byte, v, sign [3]float64, sens float64) {
	for i := range 3 {
		raw := math.Round(v[i] * sign[i] / sens)
		raw = math.Max(math.MinInt16, math.Min(math.MaxInt16, raw))
		binary.LittleEndian.PutUint16(dst[2*i:], uint16(int16(raw)))
	}
}
