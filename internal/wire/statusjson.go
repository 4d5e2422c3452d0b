package wire

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendStatus appends s as JSON to b: the bytes json.Marshal(s) gives
// (TestAppendStatusIsMarshal holds it to that), without reflection and,
// into a buffer with room, without allocating beyond sorting the keys of
// large maps. The status endpoint answers every request with it: with
// encoding/json the marshalling was a tenth of a status round trip
// (BENCHMARKS.md, "Status request against a bare responder").
//
// The last readings are written as they are: they are the bytes the
// device published, which its own encoders made (readings.go).
func AppendStatus(b []byte, s *Status) []byte {
	b = appendKeyString(b, `{"id":`, s.ID)
	b = appendKeyString(b, `,"version":`, s.Version)
	b = appendKeyString(b, `,"commit":`, s.Commit)
	b = appendKeyFloat(b, `,"uptime_s":`, s.UptimeS)

	b = appendKeyString(b, `,"backends":{"display":`, s.Backends.Display)
	b = appendKeyString(b, `,"joystick":`, s.Backends.Joystick)
	b = appendKeyString(b, `,"sensors":`, s.Backends.Sensors)

	d := &s.Display
	b = appendKeyInt(b, `},"display":{"rotation":`, int64(d.Rotation))
	b = appendKeyBool(b, `,"low_light":`, d.LowLight)
	b = appendKeyString(b, `,"flip":`, d.Flip)
	b = appendKeyFloat(b, `,"brightness":`, d.Brightness)
	b = appendKeyInt(b, `,"queue_length":`, int64(d.QueueLength))
	b = appendKeyString(b, `,"showing":`, d.Showing)
	b = appendKeyUint(b, `,"frames_sent":`, d.FramesSent)
	b = appendKeyUint(b, `,"frames_skipped":`, d.FramesSkipped)
	b = appendKeyUint(b, `,"device_errors":`, d.DeviceErrors)

	n := &s.NATS
	b = appendKeyBool(b, `},"nats":{"connected":`, n.Connected)
	if n.Server != "" {
		b = appendKeyString(b, `,"server":`, n.Server)
	}
	b = appendKeyUint(b, `,"reconnects":`, n.Reconnects)
	b = appendKeyInt(b, `,"buffered":`, int64(n.Buffered))
	b = append(b, '}')

	if len(s.Sensors) > 0 {
		b = append(b, `,"sensors":`...)
		b = appendStringMap(b, s.Sensors)
	}

	b = append(b, `,"last":{`...)
	first := true
	for _, r := range [...]struct {
		name string
		raw  json.RawMessage
	}{{"env", s.Last.Env}, {"motion", s.Last.Motion}, {"joystick", s.Last.Joystick}, {"colour", s.Last.Colour}} {
		if len(r.raw) == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, r.name...)
		b = append(b, `":`...)
		b = append(b, r.raw...)
	}

	p := &s.Published
	b = appendKeyString(b, `},"published":{"boot":`, p.Boot)
	b = appendKeyUint(b, `,"env":`, p.Env)
	b = appendKeyUint(b, `,"motion":`, p.Motion)
	b = appendKeyUint(b, `,"colour":`, p.Colour)
	b = appendKeyUint(b, `,"joystick":`, p.Joystick)

	e := &s.Errors
	b = append(b, `},"errors":{"counts":`...)
	b = appendCountMap(b, e.Counts)
	if e.Last != "" {
		b = appendKeyString(b, `,"last":`, e.Last)
	}
	if e.LastAt != nil {
		b = appendKeyTime(b, `,"last_at":`, *e.LastAt)
	}
	b = append(b, `,"suppressed_logs":`...)
	b = appendCountMap(b, e.SuppressedLogs)

	b = append(b, `},"duplicates":`...)
	if s.Duplicates == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range s.Duplicates {
			if i > 0 {
				b = append(b, ',')
			}
			dup := &s.Duplicates[i]
			b = appendKeyString(b, `{"instance":`, dup.Instance)
			if dup.Host != "" {
				b = appendKeyString(b, `,"host":`, dup.Host)
			}
			if dup.Version != "" {
				b = appendKeyString(b, `,"version":`, dup.Version)
			}
			b = appendKeyTime(b, `,"since":`, dup.Since)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(s.State) > 0 {
		b = append(b, `,"state":`...)
		b = append(b, s.State...)
	}
	return append(b, '}')
}

// sortedKeys returns m's keys in order, as encoding/json writes a map;
// small maps (the usual error counts) sort in a stack array.
func sortedKeys[V any](m map[string]V, buf *[16]string) []string {
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendStringMap writes m as encoding/json does (m is not nil).
func appendStringMap(b []byte, m map[string]string) []byte {
	return appendMap(b, m, appendJSONString)
}

// appendCountMap writes m as encoding/json does, nil as null.
func appendCountMap(b []byte, m map[string]uint64) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	return appendMap(b, m, func(b []byte, v uint64) []byte { return strconv.AppendUint(b, v, 10) })
}

// appendMap writes m's entries in key order, each value with appendV.
func appendMap[V any](b []byte, m map[string]V, appendV func([]byte, V) []byte) []byte {
	var buf [16]string
	b = append(b, '{')
	for i, k := range sortedKeys(m, &buf) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendV(b, m[k])
	}
	return append(b, '}')
}

// The appendKey functions write a key (with what stands before it) and its
// value, each as encoding/json writes it.

func appendKeyString(b []byte, key, v string) []byte { return appendJSONString(append(b, key...), v) }
func appendKeyFloat(b []byte, key string, v float64) []byte {
	return appendJSONFloat(append(b, key...), v)
}
func appendKeyTime(b []byte, key string, v time.Time) []byte {
	return appendJSONTime(append(b, key...), v)
}
func appendKeyBool(b []byte, key string, v bool) []byte {
	return strconv.AppendBool(append(b, key...), v)
}
func appendKeyInt(b []byte, key string, v int64) []byte {
	return strconv.AppendInt(append(b, key...), v, 10)
}
func appendKeyUint(b []byte, key string, v uint64) []byte {
	return strconv.AppendUint(append(b, key...), v, 10)
}

// appendJSONString writes s as encoding/json does. Plain ASCII, all a
// status usually holds, is copied; anything else (escapes, HTML
// characters, invalid UTF-8, U+2028) goes through encoding/json itself.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSONFloat writes f as encoding/json writes a float64: the
// shortest form that reads back the same, in exponent form below 1e-6
// and from 1e21, with a two-digit exponent at least.
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...) // json.Marshal refuses; never in a status
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		n := len(b) - start
		if n >= 4 && b[len(b)-4] == 'e' && b[len(b)-3] == '-' && b[len(b)-2] == '0' {
			b[len(b)-2] = b[len(b)-1]
			b = b[:len(b)-1]
		}
	}
	return b
}

// appendJSONTime writes t as time.Time.MarshalJSON does.
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}
