package payload

import (
	"encoding/json"
	"strings"

	"github.com/sensehat/sensehat/internal/wire"
)

// colourConfigFields are python-sense-hat's ColourSensor property names.
var colourConfigFields = []string{"gain", "integration_cycles"}

const colourConfigExample = `e.g. {"gain":16,"integration_cycles":64}`

// ParseColourConfig parses a colour.config payload: empty (or white
// space) to ask for the settings, or a JSON object with gain and
// integration_cycles, both integers. Unknown fields are refused. Errors
// are *wire.Error with code wire.Invalid. The gain is checked against the
// chip by the colour sensor's control.
func ParseColourConfig(data []byte) (wire.ColourConfig, error) {
	m, empty, err := flatRequest("colour.config", data, colourConfigFields,
		colourConfigExample+", or nothing to ask for the settings", "both fields are integers, "+colourConfigExample)
	if err != nil || empty {
		return wire.ColourConfig{}, err
	}
	var c wire.ColourConfig
	if raw, ok := m["gain"]; ok {
		var g int
		if err := json.Unmarshal(raw, &g); err != nil || g <= 0 {
			return wire.ColourConfig{}, errorf("colour.config: gain %s is not accepted; send 1, 4, 16, and 64 (TCS3400) or 60 (TCS34725)", quote(raw))
		}
		c.Gain = &g
	}
	if raw, ok := m["integration_cycles"]; ok {
		var n int
		if err := json.Unmarshal(raw, &n); err != nil || n < 1 || n > 256 {
			return wire.ColourConfig{}, errorf("colour.config: integration_cycles %s is not accepted; send an integer from 1 to 256", quote(raw))
		}
		c.IntegrationCycles = &n
	}
	if c.Gain == nil && c.IntegrationCycles == nil {
		return wire.ColourConfig{}, errorf("colour.config: nothing to change; send one or more of %s, %s, or nothing to ask for the settings", strings.Join(colourConfigFields, ", "), colourConfigExample)
	}
	return c, nil
}
