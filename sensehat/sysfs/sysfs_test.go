package sysfs

import (
	"os"
	"path/filepath"
	"testing"
)

func TestI2CDriver(t *testing.T) {
	root := t.TempDir()
	dev := filepath.Join(root, "bus", "i2c", "devices", "1-0046")
	if err := os.MkdirAll(dev, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := I2CDriver(root, 1, 0x46)
	if err != nil || got != "" {
		t.Fatalf("unbound: got %q, %v; want empty", got, err)
	}
	if err := os.Symlink("../../../../bus/i2c/drivers/rpi-sense", filepath.Join(dev, "driver")); err != nil {
		t.Fatal(err)
	}
	got, err = I2CDriver(root, 1, 0x46)
	if err != nil || got != "rpi-sense" {
		t.Fatalf("bound: got %q, %v; want rpi-sense", got, err)
	}
	got, err = I2CDriver(root, 1, 0x5f)
	if err != nil || got != "" {
		t.Fatalf("missing device: got %q, %v; want empty", got, err)
	}
}
