package sim

import "math"

// LPS25H register addresses used by the model.
const (
	lps25hRefPXL   = 0x08
	lps25hRefPH    = 0x0A
	lps25hWhoAmI   = 0x0F
	lps25hResConf  = 0x10
	lps25hCtrl1    = 0x20
	lps25hCtrl2    = 0x21
	lps25hCtrl4    = 0x23
	lps25hStatus   = 0x27
	lps25hPressXL  = 0x28
	lps25hPressH   = 0x2A
	lps25hTempL    = 0x2B
	lps25hTempH    = 0x2C
	lps25hFIFOCtrl = 0x2E
)

// LPS25H is a register-level model of the ST LPS25H pressure sensor:
// PRESS_OUT is hPa*4096 as 24-bit two's complement, TEMP_OUT is
// (°C - 42.5)*480 as signed 16-bit, both little endian.
type LPS25H struct {
	regFile
	pressureHPa float64
	tempC       float64
}

var _ Chip = (*LPS25H)(nil)

// NewLPS25H returns a powered-down LPS25H seeing 1013.25 hPa and 21.5 °C.
func NewLPS25H() *LPS25H {
	p := &LPS25H{pressureHPa: 1013.25, tempC: 21.5}
	p.regs.Decode = STDecode
	p.regs.OnRead = p.onRead
	p.regs.OnWrite = p.onWrite
	p.regs.Mem[lps25hWhoAmI] = 0xBD
	p.regs.Mem[lps25hResConf] = 0x0F // reset value: the highest averaging
	return p
}

// Set changes the physical conditions the sensor sees. When the chip is
// powered on, a new sample is ready at once (STATUS bits 0 and 1 set).
func (p *LPS25H) Set(pressureHPa, tempC float64) {
	p.regs.Lock(func(mem *[256]byte) {
		p.pressureHPa, p.tempC = pressureHPa, tempC
		p.sample(mem)
	})
}

func (p *LPS25H) onRead(reg byte) byte {
	m := &p.regs.Mem
	v := m[reg]
	switch {
	case reg >= lps25hPressXL && reg <= lps25hPressH:
		m[lps25hStatus] &^= 0x02
	case reg == lps25hTempL || reg == lps25hTempH:
		m[lps25hStatus] &^= 0x01
	}
	return v
}

func (p *LPS25H) onWrite(reg, v byte) {
	m := &p.regs.Mem
	switch {
	case reg >= lps25hRefPXL && reg <= lps25hRefPH,
		reg == lps25hResConf, reg == lps25hCtrl2, reg == 0x22,
		reg == lps25hCtrl4, reg == lps25hFIFOCtrl:
		m[reg] = v
	case reg == lps25hCtrl1:
		m[reg] = v
		p.sample(m)
	}
	// Everything else (who-am-I, status, outputs) is read-only.
}

func (p *LPS25H) sample(m *[256]byte) {
	if m[lps25hCtrl1]&0x80 == 0 {
		return
	}
	praw := math.Round(p.pressureHPa * 4096)
	praw = math.Max(-1<<23, math.Min(1<<23-1, praw))
	pr := uint32(int32(praw))
	m[lps25hPressXL] = byte(pr)
	m[lps25hPressXL+1] = byte(pr >> 8)
	m[lps25hPressH] = byte(pr >> 16)
	tr := uint16(stRound16((p.tempC - 42.5) * 480))
	m[lps25hTempL] = byte(tr)
	m[lps25hTempH] = byte(tr >> 8)
	m[lps25hStatus] |= 0x03
}
