package sim

import (
	"encoding/binary"
	"math"
)

// HTS221 register addresses used by the model.
const (
	hts221WhoAmI   = 0x0F
	hts221AVConf   = 0x10
	hts221Ctrl1    = 0x20
	hts221Ctrl2    = 0x21
	hts221Ctrl3    = 0x22
	hts221Status   = 0x27
	hts221HOutL    = 0x28
	hts221HOutH    = 0x29
	hts221TOutL    = 0x2A
	hts221TOutH    = 0x2B
	hts221CalStart = 0x30
	hts221CalEnd   = 0x3F
)

// HTS221Calibration is the factory calibration block the model starts with
// (registers 0x30-0x3F). It is shaped like the blocks read from real parts,
// traps included, so a driver that gets them wrong reads nonsense:
//
//   - H0 = 0x42/2 = 33 %rH, H1 = 0x9A/2 = 77 %rH;
//   - T0 = 0x094/8 = 18.5 °C, T1 = 0x10C/8 = 33.5 °C: T1 needs the msb
//     bits in 0x35, whose unused upper nibble reads as set (0xF4);
//   - H0_T0_OUT = -1320 and H1_T0_OUT = -12345: both negative, the output
//     falls as humidity rises;
//   - T0_OUT = 0 exactly, T1_OUT = 1020.
var HTS221Calibration = [16]byte{
	0x42,       // 0x30 H0_rH_x2
	0x9A,       // 0x31 H1_rH_x2
	0x94,       // 0x32 T0_degC_x8 low byte
	0x0C,       // 0x33 T1_degC_x8 low byte
	0x00,       // 0x34 reserved
	0xF4,       // 0x35 T1/T0 msb: T1 bits 8-9 = 01, upper nibble set
	0xD8, 0xFA, // 0x36/37 H0_T0_OUT = -1320
	0x00, 0x00, // 0x38/39 reserved
	0xC7, 0xCF, // 0x3A/3B H1_T0_OUT = -12345
	0x00, 0x00, // 0x3C/3D T0_OUT = 0
	0xFC, 0x03, // 0x3E/3F T1_OUT = 1020
}

// HTS221 is a register-level model of the ST HTS221 humidity and
// temperature sensor. The outputs are computed from the physical values set
// with Set through the inverse of the chip's calibration, so a driver that
// applies the calibration correctly reads back what was set, within the
// chip's resolution.
type HTS221 struct {
	regFile
	tempC float64
	rhPct float64
}

var _ Chip = (*HTS221)(nil)

// NewHTS221 returns a powered-down HTS221 at 21.5 °C and 45 %rH with the
// calibration block HTS221Calibration.
func NewHTS221() *HTS221 {
	h := &HTS221{tempC: 21.5, rhPct: 45}
	h.regs.Decode = STDecode
	h.regs.OnRead = h.onRead
	h.regs.OnWrite = h.onWrite
	h.regs.Mem[hts221WhoAmI] = 0xBC
	h.regs.Mem[hts221AVConf] = 0x1B
	copy(h.regs.Mem[hts221CalStart:], HTS221Calibration[:])
	return h
}

// Set changes the physical conditions the sensor sees. When the chip is
// powered on, a new sample is ready at once (STATUS bits 0 and 1 set).
func (h *HTS221) Set(tempC, humidityPct float64) {
	h.regs.Lock(func(mem *[256]byte) {
		h.tempC, h.rhPct = tempC, humidityPct
		h.sample(mem)
	})
}

// SetCalibration replaces the calibration block (registers 0x30-0x3F) and
// recomputes the outputs through it.
func (h *HTS221) SetCalibration(cal [16]byte) {
	h.regs.Lock(func(mem *[256]byte) {
		copy(mem[hts221CalStart:], cal[:])
		h.sample(mem)
	})
}

func (h *HTS221) onRead(reg byte) byte {
	m := &h.regs.Mem
	v := m[reg]
	// Reading an output consumes its "data ready" flag, as on the chip.
	switch reg {
	case hts221HOutL, hts221HOutH:
		m[hts221Status] &^= 0x02
	case hts221TOutL, hts221TOutH:
		m[hts221Status] &^= 0x01
	}
	return v
}

func (h *HTS221) onWrite(reg, v byte) {
	m := &h.regs.Mem
	switch reg {
	case hts221AVConf, hts221Ctrl2, hts221Ctrl3:
		m[reg] = v
	case hts221Ctrl1:
		m[reg] = v
		h.sample(m)
	}
	// Everything else (who-am-I, outputs, calibration) is read-only.
}

// sample converts the physical values to raw outputs when powered on.
func (h *HTS221) sample(m *[256]byte) {
	if m[hts221Ctrl1]&0x80 == 0 {
		return
	}
	c := m[hts221CalStart : hts221CalEnd+1]
	h0 := float64(c[0]) / 2
	h1 := float64(c[1]) / 2
	t0 := float64(uint16(c[2])|uint16(c[5]&0x03)<<8) / 8
	t1 := float64(uint16(c[3])|uint16(c[5]&0x0C)<<6) / 8
	h0out := float64(int16(binary.LittleEndian.Uint16(c[6:])))
	h1out := float64(int16(binary.LittleEndian.Uint16(c[10:])))
	t0out := float64(int16(binary.LittleEndian.Uint16(c[12:])))
	t1out := float64(int16(binary.LittleEndian.Uint16(c[14:])))
	hraw := hts221Inverse(h.rhPct, h0, h1, h0out, h1out)
	traw := hts221Inverse(h.tempC, t0, t1, t0out, t1out)
	binary.LittleEndian.PutUint16(m[hts221HOutL:], uint16(hraw))
	binary.LittleEndian.PutUint16(m[hts221TOutL:], uint16(traw))
	m[hts221Status] |= 0x03
}

// hts221Inverse maps a physical value x back to the raw output of a sensor
// calibrated by the two points (x0, out0) and (x1, out1), saturating at the
// int16 range as the chip's output register does.
func hts221Inverse(x, x0, x1, out0, out1 float64) int16 {
	if x1 == x0 {
		return int16(out0)
	}
	return stRound16(out0 + (x-x0)*(out1-out0)/(x1-x0))
}

// stRound16 rounds to the nearest output code, saturating like the
// chips' 16-bit output registers.
func stRound16(v float64) int16 {
	v = math.Round(v)
	switch {
	case v > math.MaxInt16:
		return math.MaxInt16
	case v < math.MinInt16:
		return math.MinInt16
	}
	return int16(v)
}
