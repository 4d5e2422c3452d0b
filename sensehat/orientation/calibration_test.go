package orientation_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sensehat/sensehat/sensehat/orientation"
)

func TestCalibrationBox(t *testing.T) {
	var c orientation.Calibration
	if c.Valid() {
		t.Fatal("zero calibration is valid")
	}
	m := [3]float64{1, 2, 3}
	c.Apply(&m)
	if m != [3]float64{1, 2, 3} {
		t.Errorf("invalid calibration changed the reading to %v", m)
	}
	// A flat turn only: X and Y sweep, Z does not.
	for i := range orientation.MinCalibrationSamples {
		s := float64(i%2*2 - 1) // -1, +1
		c.Observe([3]float64{10 + 25*s, -5 + 25*s, 40})
	}
	if got, want := c.Offset(), [3]float64{10, -5, 40}; got != want {
		t.Errorf("Offset = %v, want %v", got, want)
	}
	if c.Valid() {
		t.Error("valid without spread on Z")
	}
	c.Observe([3]float64{10, -5, 0})
	c.Observe([3]float64{10, -5, 60})
	if !c.Valid() {
		t.Fatalf("not valid after spread on every axis: %+v", c)
	}
	if c.Samples != orientation.MinCalibrationSamples+2 {
		t.Errorf("Samples = %d", c.Samples)
	}
	want := orientation.Calibration{Min: [3]float64{-15, -30, 0}, Max: [3]float64{35, 20, 60}, Samples: 22}
	if c != want {
		t.Errorf("box = %+v, want %+v", c, want)
	}
	m = [3]float64{35, 20, 0}
	c.Apply(&m)
	if m != [3]float64{25, 25, -30} {
		t.Errorf("Apply = %v, want [25 25 -30]", m)
	}
}

func TestCalibrationSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mag.json")
	got, err := orientation.LoadCalibration(path)
	if err != nil || got != (orientation.Calibration{}) {
		t.Fatalf("missing file: %+v, %v; want zero and no error", got, err)
	}
	c := orientation.Calibration{Min: [3]float64{-12.25, -40.5, -3}, Max: [3]float64{60.125, 8, 70.0625}, Samples: 412}
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	// Saving again replaces the file.
	c.Samples++
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err = orientation.LoadCalibration(path)
	if err != nil || got != c {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, c)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"samples": 413`) || !strings.Contains(string(data), `"axes": "python-sense-hat"`) {
		t.Errorf("file content:\n%s", data)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only mag.json: temporary files left behind", len(entries))
	}
}

func TestCalibrationSaveFails(t *testing.T) {
	c := orientation.Calibration{Samples: 1}
	err := c.Save(filepath.Join(t.TempDir(), "missing", "mag.json"))
	if err == nil || !strings.HasPrefix(err.Error(), "orientation: saving calibration") {
		t.Errorf("Save into a missing directory = %v", err)
	}
}

func TestLoadCalibrationBad(t *testing.T) {
	for _, tc := range []struct{ name, content, want string }{
		{"not json", "{", "corrupt"},
		{"min above max", `{"axes":"python-sense-hat","min":[1,0,0],"max":[0,0,0],"samples":3}`, "min 1 > max 0 on axis 0"},
		{"unknown axes", `{"axes":"ned","samples":3}`, `axes "ned"`},
		{"negative samples", `{"samples":-1}`, "-1 samples"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mag.json")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := orientation.LoadCalibration(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "calibrate again") {
				t.Errorf("LoadCalibration = %v, want an error with %q", err, tc.want)
			}
			if c != (orientation.Calibration{}) {
				t.Errorf("calibration on error = %+v, want zero", c)
			}
		})
	}
}

func TestLoadCalibrationFromBeforeAxes(t *testing.T) {
	// A file saved before the axes were python-sense-hat's held the field
	// with every axis reversed: the box turns round, so the offset does.
	path := filepath.Join(t.TempDir(), "mag.json")
	old := `{"min":[-30,-50,-20],"max":[40,10,50],"samples":25}`
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := orientation.LoadCalibration(path)
	if err != nil {
		t.Fatal(err)
	}
	want := orientation.Calibration{Min: [3]float64{-40, -10, -50}, Max: [3]float64{30, 50, 20}, Samples: 25}
	if c != want {
		t.Errorf("old calibration loaded as %+v, want %+v", c, want)
	}
}
