package iio

import (
	"strings"
	"testing"

	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/sensehat/hts221"
	"github.com/sensehat/sensehat/sensehat/iio/iiotest"
	"github.com/sensehat/sensehat/sensehat/lsm9ds1"
)

func TestLSM9DS1MissingGyroDevice(t *testing.T) {
	acc, _ := iiotest.STLSM6DSX([3]int16{0, 0, 16384}, [3]int16{})
	root := fakeTree(t, map[int]map[string]string{0: acc})
	_, err := NewLSM9DS1(root)
	if err == nil || !strings.Contains(err.Error(), `no device named "lsm9ds1-imu_gyro"`) {
		t.Fatalf("err = %v, want the missing gyroscope device named", err)
	}
}

// kernelTreeB is the whole board as the drivers write it, for benchmarks.
func kernelTreeB(b *testing.B) string {
	root := b.TempDir()
	acc, gyr := iiotest.STLSM6DSX([3]int16{-12, 40, 16384}, [3]int16{3, -5, 8})
	if err := iiotest.WriteTree(root, acc, gyr, iiotest.STMagn([3]int16{2000, -1000, 3000}),
		iiotest.HTS221(iiotest.CalRealT0Zero, -6000, 300)); err != nil {
		b.Fatal(err)
	}
	return root
}

// The motion poll runs every 100 ms: reading six channels must not
// allocate.
func BenchmarkLSM9DS1Sense(b *testing.B) {
	testutil.BenchSense[lsm9ds1.Motion](b, func() (*LSM9DS1Dev, error) { return NewLSM9DS1(kernelTreeB(b)) })
}

func BenchmarkLSM9DS1MagSense(b *testing.B) {
	testutil.BenchSense[[3]float64](b, func() (*LSM9DS1MagDev, error) { return NewLSM9DS1Mag(kernelTreeB(b)) })
}

func BenchmarkHTS221Sense(b *testing.B) {
	testutil.BenchSense[hts221.Reading](b, func() (*HTS221Dev, error) { return NewHTS221(kernelTreeB(b)) })
}
