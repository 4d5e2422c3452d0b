package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/iio/iiotest"
	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
)

// TestProcessIIOSensors runs the built sensehatd --sensors iio against a
// sysfs tree laid out as the kernel drivers write it (package iiotest: the
// hts221, st_pressure, st_lsm6dsx and st_magn arithmetic) and checks the
// published sensors.env and sensors.motion against the datasheet values
// for the same register contents.
func TestProcessIIOSensors(t *testing.T) {
	testutil.SkipShort(t, "builds and runs processes")
	testutil.CheckLeaks(t)
	serverBin := tool(t, "nats-server")
	dir := t.TempDir()
	daemonBin := buildDaemon(t, dir)

	// The register contents: a real HTS221 calibration block (T0_OUT = 0,
	// negative humidity outputs), LPS25H 00 54 3F / B0 F5, and LSM9DS1
	// outputs in the chip's axes.
	var (
		cal              = iiotest.CalRealT0Zero
		hOut, tOut int16 = -6000, 300
		press            = int32(0x3F5400)
		ptemp      int16 = -2640
		accel            = [3]int16{-1200, 3000, 16000}
		gyro             = [3]int16{-300, 1200, 40}
		mag              = [3]int16{2500, -700, -4100}
	)
	root := filepath.Join(dir, "sys")
	acc, gyr := iiotest.STLSM6DSX(accel, gyro)
	if err := iiotest.WriteTree(root, iiotest.STPressure(press, ptemp), gyr, acc,
		iiotest.HTS221(cal, hOut, tOut), iiotest.STMagn(mag)); err != nil {
		t.Fatal(err)
	}

	port := testutil.FreePort(t)
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	startProcess(t, serverBin, "-a", "127.0.0.1", "-p", fmt.Sprint(port))
	d := startProcess(t, daemonBin,
		"--sensors", "iio", "--display", "none", "--joystick", "none",
		"--sysfs-root", root, "--state-dir", filepath.Join(dir, "state"),
		"--env-interval", "100ms", "--motion-interval", "100ms",
		"--id", "iio1", "--nats", url)

	nc := testutil.Connect(t, url, nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	envSub := testutil.SubscribeSync(t, nc, "sensehat.iio1.sensors.env")
	motSub := testutil.SubscribeSync(t, nc, "sensehat.iio1.sensors.motion")
	next := func(sub *nats.Subscription, what string) map[string]any {
		t.Helper()
		m, err := sub.NextMsg(30 * time.Second)
		if err != nil {
			select {
			case <-d.waited:
				t.Fatalf("sensehatd exited: %v", d.err)
			default:
			}
			t.Fatalf("no %s within 30s: %v", what, err)
		}
		var v map[string]any
		if err := json.Unmarshal(m.Data, &v); err != nil {
			t.Fatalf("%s is not JSON: %v: %s", what, err, m.Data)
		}
		return v
	}
	env := next(envSub, "sensors.env")
	motion := next(motSub, "sensors.motion")

	// The daemon raised each device from its driver's probe rate to the
	// fastest it lists (iio:device0 is the LPS25H, 1 of 1 7 13 25 Hz).
	if b, err := os.ReadFile(filepath.Join(root, "bus/iio/devices/iio:device0/sampling_frequency")); err != nil || string(b) != "25" {
		t.Errorf("LPS25H sampling_frequency = %q, %v; want 25", b, err)
	}

	// Datasheet values (sensehat-hardware.md). The payload rounds to two
	// decimals (accel_g to four); the rest of each tolerance is what the
	// driver's integer arithmetic allows.
	wantH, wantTH, hTol, tTol := iiotest.HTS221Datasheet(cal, hOut, tOut)
	wantTP := 42.5 + float64(ptemp)/480
	wantP := float64(press) / 4096
	near(t, env, "humidity_pct", wantH, hTol+0.005)
	// The raw temperature is the mean of the two chips.
	near(t, env, "temperature_raw_c", (wantTH+wantTP)/2, tTol/2+0.005)
	near(t, env, "pressure_hpa", wantP, wantP*3e-6+0.005)

	var a, g, m [3]float64
	for i := range 3 {
		a[i] = float64(accel[i]) * 0.061e-3 // ±2 g, st_lsm6dsx's default
		g[i] = float64(gyro[i]) * 8.75e-3   // ±245 dps
		m[i] = float64(mag[i]) * 0.14e-3 * 100
	}
	lsm9ds1.ChipToBoard(lsm9ds1.SensorAccel, &a)
	lsm9ds1.ChipToBoard(lsm9ds1.SensorGyro, &g)
	lsm9ds1.ChipToBoard(lsm9ds1.SensorMag, &m)
	for i := range 3 {
		nearVec(t, motion, "accel_g", i, a[i], math.Abs(a[i])*1e-5+5e-5)
		nearVec(t, motion, "gyro_dps", i, g[i], math.Abs(g[i])*1e-5+0.005)
		// st_magn's 0.146 mgauss/LSB against the datasheet's 0.14.
		nearVec(t, motion, "mag_ut", i, m[i], math.Abs(m[i])*0.05)
	}
}

func near(t *testing.T, v map[string]any, key string, want, tol float64) {
	t.Helper()
	got, ok := v[key].(float64)
	if !ok {
		t.Errorf("%s missing from %v", key, v)
		return
	}
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %v, datasheet %.4f ± %.4f", key, got, want, tol)
	}
}

func nearVec(t *testing.T, v map[string]any, key string, i int, want, tol float64) {
	t.Helper()
	arr, ok := v[key].([]any)
	if !ok || len(arr) != 3 {
		t.Errorf("%s missing or not 3 values in %v", key, v)
		return
	}
	got, _ := arr[i].(float64)
	if math.Abs(got-want) > tol {
		t.Errorf("%s[%d] = %v, datasheet %.4f ± %.4f", key, i, got, want, tol)
	}
}
