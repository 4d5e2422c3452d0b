package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// check finds the payloads serve printed in the console log and compares
// every reading with the datasheet's value for the register bytes.
func check(log string, out io.Writer) error {
	got := map[string]float64{}
	found := map[string]bool{}
	for _, line := range strings.Split(log, "\n") {
		line = strings.TrimRight(line, "\r")
		for _, p := range []string{envPrefix, motionPrefix} {
			i := strings.Index(line, p)
			if i < 0 {
				continue
			}
			var fields map[string]any
			if err := json.Unmarshal([]byte(line[i+len(p):]), &fields); err != nil {
				return fmt.Errorf("check: %s payload is not JSON: %w", strings.TrimSpace(p), err)
			}
			found[p] = true
			for k, v := range fields {
				switch v := v.(type) {
				case float64:
					got[k] = v
				case []any:
					for j, ax := range []string{"x", "y", "z"} {
						if j < len(v) {
							if f, ok := v[j].(float64); ok {
								got[k+"."+ax] = f
							}
						}
					}
				}
			}
		}
	}
	if !found[envPrefix] || !found[motionPrefix] {
		return errors.New("check: the console log lacks the sensors.env or sensors.motion payload; see the log above for why")
	}
	var errs []error
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
