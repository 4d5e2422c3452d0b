// Command sensehatd puts a Raspberry Pi Sense HAT on a NATS network.
package main

import (
	"fmt"
	"os"

	"github.com/sensehat/sensehat/internal/version"
)

func main() {
	for _, a := range os.Args[1:] {
		if a == "--version" || a == "-version" {
			fmt.Println(version.String("sensehatd"))
			return
		}
	}
	fmt.Fprintln(os.Stderr, "sensehatd: not implemented yet")
	os.Exit(1)
}
