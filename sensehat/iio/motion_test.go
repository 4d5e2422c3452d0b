package iio

import (
	"math"
	"testing"

	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
)

func TestLSM9DS1FromIIOInBoardFrame(t *testing.T) {
	// The chip's axes as the kernel reports them: the accel/gyro die is
	// turned 180° about Z on the board, so a flat board reads +1 g on the
	// chip's Z and a roll to the right shows on the chip's -X.
	root := fakeTree(t, map[int]map[string]string{
		0: {
			"name":           "lsm9ds1-imu_accel\n",
			"in_accel_x_raw": "-1000\n",
			"in_accel_y_raw": "0\n",
			"in_accel_z_raw": "4096\n",
			"in_accel_scale": "0.002394\n",
		},
		1: {
			"name":             "lsm9ds1-imu_gyro\n",
			"in_anglvel_x_raw": "0\n",
			"in_anglvel_y_raw": "100\n",
			"in_anglvel_z_raw": "0\n",
			"in_anglvel_scale": "0.000305\n", // 17.5 mdps/LSB in rad/s
		},
		2: {
			"name":          "lsm9ds1_magn\n",
			"in_magn_x_raw": "1000\n",
			"in_magn_y_raw": "1000\n",
			"in_magn_z_raw": "-1000\n",
			"in_magn_scale": "0.00014\n", // 0.14 mgauss/LSB in gauss
		},
	})
	ag, err := NewLSM9DS1(root)
	if err != nil {
		t.Fatal(err)
	}
	defer ag.Halt()
	var m lsm9ds1.Motion
	if err := ag.Sense(&m); err != nil {
		t.Fatal(err)
	}
	wantZ := 4096 * 0.002394 / standardGravity
	if math.Abs(m.Accel[2]-wantZ) > 1e-9 || math.Abs(m.Accel[0]-1000*0.002394/standardGravity) > 1e-9 || m.Accel[1] != 0 {
		t.Errorf("accel = %v, want (+%.4f, 0, %.4f) g after the board fix-up", m.Accel, 1000*0.002394/standardGravity, wantZ)
	}
	if want := -100 * 0.000305 * 180 / math.Pi; math.Abs(m.Gyro[1]-want) > 1e-9 {
		t.Errorf("gyro y = %v deg/s, want %v", m.Gyro[1], want)
	}

	mag, err := NewLSM9DS1Mag(root)
	if err != nil {
		t.Fatal(err)
	}
	defer mag.Halt()
	var v [3]float64
	if err := mag.Sense(&v); err != nil {
		t.Fatal(err)
	}
	want := [3]float64{14, -14, -14} // µT; the magnetometer's Y is flipped
	for i := range v {
		if math.Abs(v[i]-want[i]) > 1e-9 {
			t.Errorf("mag = %v µT, want %v", v, want)
			break
		}
	}
}

func TestLSM9DS1MissingGyroDevice(t *testing.T) {
	root := fakeTree(t, map[int]map[string]string{
		0: {"name": "lsm9ds1-imu_accel\n", "in_accel_x_raw": "0\n", "in_accel_y_raw": "0\n", "in_accel_z_raw": "1\n", "in_accel_scale": "1\n"},
	})
	if _, err := NewLSM9DS1(root); err == nil {
		t.Fatal("want an error without the gyro device")
	}
}
