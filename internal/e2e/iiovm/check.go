package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/sensehat/sensehat/internal/wire"
)

// check finds the payloads serve printed in the console log and compares
// every reading with the datasheet's value for the register bytes.
func check(log string, out io.Writer) error {
	got := map[string]float64{}
	found := map[string]bool{}
	var errs []error
	rates := 0
	for _, line := range strings.Split(log, "\n") {
		line = strings.TrimRight(line, "\r")
		if i := strings.Index(line, ratePrefix); i >= 0 {
			rates++
			if err := checkRate(line[i+len(ratePrefix):], out); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		for kind, p := range map[string]string{wire.KindEnv: envPrefix, wire.KindMotion: motionPrefix} {
			i := strings.Index(line, p)
			if i < 0 {
				continue
			}
			r, err := wire.DecodeReading(kind, []byte(line[i+len(p):]), nil)
			if err != nil {
				return fmt.Errorf("check: %s payload: %w", strings.TrimSpace(p), err)
			}
			found[p] = true
			// By the quantity's name without its kind: accel_g.x, pressure_hpa.
			for _, v := range r.Values {
				if v.IsNum {
					got[strings.TrimPrefix(v.Name, kind+".")] = v.Num
				}
			}
		}
	}
	if !found[envPrefix] || !found[motionPrefix] {
		return errors.New("check: the console log lacks the sensors.env or sensors.motion payload; see the log above for why")
	}
	if rates < 4 {
		errs = append(errs, fmt.Errorf("%d devices' sampling rates in the log, want 4", rates))
	}
	fmt.Fprintf(out, "%-20s %12s %12s %10s\n", "reading", "published", "datasheet", "tolerance")
	for _, e := range expectations() {
		v, ok := got[e.name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s is missing from the payload", e.name))
			continue
		}
		mark := ""
		if math.Abs(v-e.want) > e.tol {
			mark = "  <- off"
			errs = append(errs, fmt.Errorf("%s = %v, want %v ± %v", e.name, v, e.want, e.tol))
		}
		fmt.Fprintf(out, "%-20s %12.4f %12.4f %10.4f%s\n", e.name, v, e.want, e.tol, mark)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	return nil
}

// ratePrefix starts a line "NAME RATE AVAILABLE..." the VM prints after
// the run.
const ratePrefix = "IIOVM-RATE "

// checkRate holds the daemon to setting each device's fastest rate.
func checkRate(line string, out io.Writer) error {
	f := strings.Fields(line)
	if len(f) < 3 {
		return fmt.Errorf("rate line %q: want name, rate and the available rates", line)
	}
	cur, err := strconv.ParseFloat(f[1], 64)
	if err != nil {
		return fmt.Errorf("rate line %q: %w", line, err)
	}
	fastest := 0.0
	for _, a := range f[2:] {
		if v, err := strconv.ParseFloat(a, 64); err == nil {
			fastest = max(fastest, v)
		}
	}
	fmt.Fprintf(out, "%-20s %9g Hz of %v\n", f[0], cur, f[2:])
	if cur != fastest {
		return fmt.Errorf("%s left at %v Hz, want its fastest, %v Hz", f[0], cur, fastest)
	}
	return nil
}
