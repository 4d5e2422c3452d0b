package iio_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/sensehat/sensehat/sensehat/iio"
)

func ExampleFind() {
	// A sysfs tree as the st_pressure driver writes it for an LPS25H
	// (Linux 6.1); on the Pi, pass iio.Root instead.
	root, err := os.MkdirTemp("", "sysfs")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	dir := filepath.Join(root, "bus", "iio", "devices", "iio:device1")
	os.MkdirAll(dir, 0o755)
	for name, v := range map[string]string{
		"name":           "lps25h\n",
		"in_temp_raw":    "-10080\n",
		"in_temp_offset": "20400.000000000\n",
		"in_temp_scale":  "2.083333333\n",
	} {
		os.WriteFile(filepath.Join(dir, name), []byte(v), 0o644)
	}

	d, err := iio.Find(root, "lps25h")
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	mC, err := d.Read("temp")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %.2f °C\n", d.Name, mC/1000)
	// Output: lps25h: 21.50 °C
}
