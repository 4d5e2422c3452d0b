package none_test

import (
	"fmt"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/sensehat/none"
)

// A Pi without a matrix still runs the player: frames go nowhere, counted.
func Example() {
	var d display.Device = none.New()
	f := display.NewFrame()
	f.SetRGB(0, 0, 255, 0, 0)
	for range 3 {
		if err := d.Show(f); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println(d, d.(*none.Dev).Frames())
	// Output: none 3
}
