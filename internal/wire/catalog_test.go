package wire

import (
	"reflect"
	"strings"
	"testing"
)

// builtPatterns returns every subject the builders make, with the
// catalog's placeholders for the variable tokens. Every method of Subjects
// that returns a string is called (by reflection, so a new one cannot be
// missed): those without arguments as they are, Joystick and Sensors with
// their placeholder or each kind of the contract.
func builtPatterns(t *testing.T) map[string]string {
	t.Helper()
	s := Subjects{Prefix: PatternPrefix, ID: PatternID}
	got := map[string]string{} // pattern -> builder
	v := reflect.ValueOf(s)
	ty := v.Type()
	// Base and All are not subjects of the contract: a prefix for
	// building others and the wildcard to subscribe to all of a device.
	skip := map[string]bool{"Base": true, "All": true, "For": true}
	args := map[string][]string{
		"Joystick": {PatternKey},
		"Sensors":  {"env", "motion", "colour"},
		// the keys a device reads: its own and the default
		"DesiredKept": {PatternID, DesiredDefaultKey},
	}
	for i := 0; i < ty.NumMethod(); i++ {
		m := ty.Method(i)
		if skip[m.Name] || m.Type.NumOut() != 1 || m.Type.Out(0).Kind() != reflect.String {
			continue
		}
		switch m.Type.NumIn() {
		case 1: // the receiver only
			got[v.Method(i).Call(nil)[0].String()] = "Subjects." + m.Name
		case 2:
			as, ok := args[m.Name]
			if !ok {
				t.Fatalf("Subjects.%s takes an argument this test does not know: add its values", m.Name)
			}
			for _, a := range as {
				got[v.Method(i).Call([]reflect.Value{reflect.ValueOf(a)})[0].String()] = "Subjects." + m.Name + "(" + a + ")"
			}
		default:
			t.Fatalf("Subjects.%s: unexpected signature %v", m.Name, m.Type)
		}
	}
	h := HomeAssistant{Prefix: PatternHAPrefix}
	got[h.Status()] = "HomeAssistant.Status"
	got[h.DeviceConfig(PatternObjectID)] = "HomeAssistant.DeviceConfig"
	got[ServicePing()] = "ServicePing"
	got[ServiceInfo()] = "ServiceInfo"
	got[ServiceStats()] = "ServiceStats"
	return got
}

// TestCatalogMatchesBuilders: the catalog lists exactly the subjects the
// builders make, each once, both ways.
func TestCatalogMatchesBuilders(t *testing.T) {
	built := builtPatterns(t)
	listed := map[string]bool{}
	for _, e := range Catalog() {
		if listed[e.Pattern] {
			t.Errorf("catalog lists %s twice", e.Pattern)
		}
		listed[e.Pattern] = true
		if _, ok := built[e.Pattern]; !ok {
			t.Errorf("catalog lists %s, which no builder makes", e.Pattern)
		}
		switch e.Direction {
		case ToDevice, FromDevice, BetweenDevices:
		default:
			t.Errorf("%s: unknown direction %q", e.Pattern, e.Direction)
		}
	}
	for p, b := range built {
		if !listed[p] {
			t.Errorf("%s builds %s, which the catalog does not list", b, p)
		}
	}
}

// TestCatalogDirections: what the device serves goes to it, what it
// publishes comes from it (design.md's subject table).
func TestCatalogDirections(t *testing.T) {
	dir := map[string]Direction{}
	for _, e := range Catalog() {
		dir[e.Pattern] = e.Direction
	}
	for p, want := range map[string]Direction{
		"<p>.<id>.led.text":              ToDevice,
		"<p>.all.led.text":               ToDevice,
		"<p>.<id>.status":                ToDevice,
		"<p>.<id>.led.frame.watch":       ToDevice,
		"<p>.<id>.led.frame.live":        FromDevice,
		"<p>.<id>.sensors.motion":        FromDevice,
		"<p>.<id>.joystick.<key>":        FromDevice,
		"<p>.<id>.led.instance":          BetweenDevices,
		"<ha>.status":                    ToDevice,
		"<ha>.device.<object_id>.config": FromDevice,
	} {
		if dir[p] != want {
			t.Errorf("%s: direction %q, want %q", p, dir[p], want)
		}
	}
	for _, e := range Catalog() {
		for _, tok := range strings.Split(e.Pattern, ".") {
			if tok == "*" || tok == ">" {
				t.Errorf("%s: a wildcard is no subject of the contract", e.Pattern)
			}
		}
	}
}
