// Command iiovm is the Go half of .ci/iio-vm.sh, which boots Debian's own
// kernel under qemu with i2c-stub standing in for the Sense HAT's I2C bus,
// lets the real st_pressure, st_lsm6dsx and st_magn drivers bind, and runs
// the built sensehatd --sensors iio against them.
//
//	iiovm regs         print "ADDR REG VAL" lines for busybox i2cset: the
//	                   register bytes the stub chips hold
//	iiovm serve        inside the VM: run a NATS server on 127.0.0.1:4222,
//	                   print the first sensors.env and sensors.motion
//	                   payloads that carry every reading, then exit
//	iiovm check LOG    on the host: find those payloads in the console log
//	                   and compare them with the values the datasheets give
//	                   for the register bytes
//
// The register bytes live here only, so the bytes the VM holds and the
// values the check expects cannot drift apart.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "iiovm:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: iiovm regs | serve [TIMEOUT] | check CONSOLE_LOG")
	}
	switch args[0] {
	case "regs":
		writeRegs(out)
		return nil
	case "serve":
		timeout := 60 * time.Second
		if len(args) > 1 {
			d, err := time.ParseDuration(args[1])
			if err != nil {
				return fmt.Errorf("serve: timeout %q: %w", args[1], err)
			}
			timeout = d
		}
		return serve(out, timeout)
	case "check":
		if len(args) != 2 {
			return errors.New("check: want the console log's path")
		}
		b, err := os.ReadFile(args[1])
		if err != nil {
			return fmt.Errorf("check: %w", err)
		}
		return check(string(b), out)
	}
	return fmt.Errorf("unknown command %q; want regs, serve or check", args[0])
}
