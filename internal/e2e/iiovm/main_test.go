package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// testdata/console-linux-6.1.txt is the IIOVM lines of a real run of
// .ci/iio-vm.sh on Debian 12's kernel 6.1: the sysfs values the drivers
// showed and the payloads sensehatd published.
func TestCheckRealConsole(t *testing.T) {
	b, err := os.ReadFile("testdata/console-linux-6.1.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := check(string(b), &out); err != nil {
		t.Fatalf("check on the recorded run: %v\n%s", err, out.String())
	}

	// The same run with a pressure off by 10 hPa, an accelerometer read
	// in milli-units, a flipped axis, or a device left at its slow probe
	// rate, must fail.
	for _, tc := range []struct{ from, to, name string }{
		{`"pressure_hpa":1013.25`, `"pressure_hpa":1003.25`, "pressure_hpa"},
		{`"accel_g":[-0.0610,0.1220,0.9994]`, `"accel_g":[-0.0001,0.0001,0.0010]`, "accel_g.z"},
		{`"mag_ut":[-29.20,-14.60,-43.80]`, `"mag_ut":[-29.20,14.60,-43.80]`, "mag_ut.y"},
		{"IIOVM-RATE lps25h 25 ", "IIOVM-RATE lps25h 1 ", "lps25h left at 1 Hz"},
	} {
		bad := strings.Replace(string(b), tc.from, tc.to, 1)
		if bad == string(b) {
			t.Fatalf("recorded console has no %s", tc.from)
		}
		err := check(bad, &out)
		if err == nil || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("check with %s: err = %v, want a complaint about %s", tc.to, err, tc.name)
		}
	}
	if err := check("IIOVM-DONE 1\n", &out); err == nil {
		t.Error("check without payloads passed")
	}
}

func TestRegs(t *testing.T) {
	var out bytes.Buffer
	writeRegs(&out)
	// LPS25H PRESS_OUT = 00 54 3F (toolchain facts: 1013.25 hPa), at the
	// plain address and with the auto-increment bit.
	for _, want := range []string{"0x5c 0x28 0x00\n", "0x5c 0x29 0x54\n", "0x5c 0x2a 0x3f\n", "0x5c 0xaa 0x3f\n", "0x5c 0x8f 0xbd\n", "0x6a 0x0f 0x68\n", "0x1c 0x0f 0x3d\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("regs lack %q", want)
		}
	}
	for _, e := range expectations() {
		if e.name == "pressure_hpa" && e.want != 1013.25 {
			t.Errorf("pressure from 00 54 3F = %v hPa, want 1013.25 (raw/4096)", e.want)
		}
	}
}
