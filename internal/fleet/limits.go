package fleet

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sensehat/sensehat/internal/wire"
)

// What the page keeps of a device is bounded in bytes whatever the device
// publishes, so one hostile or broken device cannot grow the server: the
// numbers are in docs/fleet.md ("What the page keeps").
const (
	// maxIDBytes bounds a device id: a longer one is not listed.
	maxIDBytes = 128
	// maxVersionBytes, maxMetadata and maxMetadataBytes bound what a
	// card shows of the discovery answer; a longer version is clipped and
	// metadata beyond the bound is left out, with a note.
	maxVersionBytes  = 64
	maxMetadata      = 16
	maxMetadataBytes = 1024
	// maxStatusBytes bounds a status reply kept for a card; a real one is
	// under 2 KB (BENCHMARKS.md: 787 bytes).
	maxStatusBytes = 8 << 10
	// maxShownBytes bounds the text of a dropped value kept to show, and
	// maxErrorBytes a device's error reply shown.
	maxShownBytes = 32
	maxErrorBytes = 256
	// maxRingSamples bounds each plot ring, whatever Window and
	// SampleEvery are (New raises SampleEvery to fit).
	maxRingSamples = 3600
	// streamBytes bounds the events queued for one page's stream: a
	// stream further behind loses events (a devices event comes every
	// round and makes up for them). A single event larger than this
	// is still queued when the queue is empty.
	streamBytes = 4 << 20
	// sampleBytes is what a Sample takes in a ring.
	sampleBytes = 16
)

// plotted are the numeric quantities of the contract, the only ones given
// a plot ring.
var plotted = func() int {
	n := 0
	for _, k := range wire.Kinds {
		for _, q := range wire.Quantities(k) {
			if !q.Word {
				n++
			}
		}
	}
	return n
}()

// deviceRingBytes is the most the plot rings of one device take.
func deviceRingBytes(samples int) int { return plotted * samples * sampleBytes }

// Bounds are the physical range of a quantity: a value outside is not
// shown, plotted or averaged, and is counted as dropped.
type Bounds struct {
	Min, Max float64
	// Source says where the range comes from.
	Source string
}

// The ranges several quantities share.
var (
	angleBounds     = Bounds{-360, 360, "an angle, in either convention in use (-180..180 or 0..360)"}
	colourBounds    = Bounds{0, 255, "python-sense-hat's colour scale: raw // ceil(full scale / 256), 0..255"}
	rawColourBounds = Bounds{0, 65535, "TCS3400/TCS34725 channel registers are 16-bit"}
)

// physical holds the range of each numeric quantity of the contract
// (wire.Quantities), by quantity name without the axis for vectors. A
// value outside cannot come from the Sense HAT's chips at any setting,
// so it is a broken or hostile device's. The sources are the chips'
// register formats and full scales in the project's notes on the
// datasheets (sensehat-hardware.md), and the chips' datasheets for the
// temperature range.
var physical = map[string]Bounds{
	"env.temperature_c":          {-40, 120, "HTS221 datasheet operating range -40..120 °C (LPS25H: -30..105 °C); the CPU-heat correction stays inside it"},
	"env.temperature_raw_c":      {-40, 120, "HTS221 datasheet operating range -40..120 °C (LPS25H: -30..105 °C)"},
	"env.humidity_pct":           {0, 100, "relative humidity: HTS221 output clamped to 0..100 %"},
	"env.pressure_hpa":           {0, 2048, "LPS25H PRESS_OUT is 24-bit two's complement / 4096 hPa: below 2048 hPa; a pressure is not negative"},
	"motion.accel_g":             {-24, 24, "LSM9DS1 accel at its widest full scale (±16 g, 0.732 mg/LSB): a signed 16-bit output reaches ±23.99 g"},
	"motion.gyro_dps":            {-2300, 2300, "LSM9DS1 gyro at its widest full scale (±2000 dps, 70 mdps/LSB): a signed 16-bit output reaches ±2293.8 dps"},
	"motion.mag_ut":              {-1901, 1901, "LSM9DS1 magnetometer at its widest full scale (±16 gauss, 0.58 mgauss/LSB): a signed 16-bit output reaches ±19.0 gauss = 1900.5 µT"},
	"motion.roll_deg":            angleBounds,
	"motion.pitch_deg":           angleBounds,
	"motion.yaw_deg":             angleBounds,
	"motion.compass_deg":         angleBounds,
	"motion.heading_deg":         angleBounds,
	"colour.red":                 colourBounds,
	"colour.green":               colourBounds,
	"colour.blue":                colourBounds,
	"colour.clear":               colourBounds,
	"colour.red_raw":             rawColourBounds,
	"colour.green_raw":           rawColourBounds,
	"colour.blue_raw":            rawColourBounds,
	"colour.clear_raw":           rawColourBounds,
	"colour.gain":                {1, 64, "gains 1/4/16/60 (TCS3472x) or 1/4/16/64 (TCS340x)"},
	"colour.integration_cycles":  {1, 256, "ATIME = 256 - cycles: 1..256 cycles"},
	"colour.integration_time_ms": {0, 704, "256 cycles of at most 2.75 ms (TCS340x)"},
	"colour.max_raw":             {0, 65535, "full scale 1024 × cycles, 65535 from 64 cycles on"},
}

// boundsOf returns the physical range of quantity q.
func boundsOf(q wire.Quantity) (Bounds, bool) {
	b, ok := physical[q.Kind+"."+q.Field]
	return b, ok
}

// isPhysical reports whether v is within the range of the quantity
// named name; a quantity without a range has none to be within.
func isPhysical(name string, v float64) bool {
	q, ok := wire.LookupQuantity(name)
	if !ok {
		return false
	}
	b, ok := boundsOf(q)
	return ok && v >= b.Min && v <= b.Max
}

// Shown returns s as the page may show it: a control character, a bidi
// control, any other invisible format character and an invalid UTF-8
// byte are written as \u{XXXX} (\x{XX} for a byte), so an id cannot
// reorder or hide the text around it; a backslash is doubled so the
// escape cannot be faked. The page's script escapes the same way.
func Shown(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || r == '\\' || hidden(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x{%02X}`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case hidden(r):
			fmt.Fprintf(&b, `\u{%04X}`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// hidden is a rune that changes or hides text rather than showing: the
// control characters (Cc), the format characters (Cf: bidi embeddings,
// overrides and isolates, zero-width joiners, marks), the line and
// paragraph separators.
func hidden(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// clipText returns at most n bytes of s, cut at a rune, with "…" when cut.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
