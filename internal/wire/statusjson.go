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
	b = append(b, `{"id":`...)
	b = appendJSONString(b, s.ID)
	b = append(b, `,"version":`...)
	b = appendJSONString(b, s.Version)
	b = append(b, `,"commit":`...)
	b = appendJSONString(b, s.Commit)
	b = append(b, `,"uptime_s":`...)
	b = appendJSONFloat(b, s.UptimeS)

	b = append(b, `,"backends":{"display":`...)
	b = appendJSONString(b, s.Backends.Display)
	b = append(b, `,"joystick":`...)
	b = appendJSONString(b, s.Backends.Joystick)
	b = append(b, `,"sensors":`...)
	b = appendJSONString(b, s.Backends.Sensors)

	d := &s.Display
	b = append(b, `},"display":{"rotation":`...)
	b = strconv.AppendInt(b, int64(d.Rotation), 10)
	b = append(b, `,"low_light":`...)
	b = strconv.AppendBool(b, d.LowLight)
	b = append(b, `,"flip":`...)
	b = appendJSONString(b, d.Flip)
	b = append(b, `,"brightness":`...)
	b = appendJSONFloat(b, d.Brightness)
	b = append(b, `,"queue_length":`...)
	b = strconv.AppendInt(b, int64(d.QueueLength), 10)
	b = append(b, `,"showing":`...)
	b = appendJSONString(b, d.Showing)
	b = append(b, `,"frames_sent":`...)
	b = strconv.AppendUint(b, d.FramesSent, 10)
	b = append(b, `,"frames_skipped":`...)
	b = strconv.AppendUint(b, d.FramesSkipped, 10)
	b = append(b, `,"device_errors":`...)
	b = strconv.AppendUint(b, d.DeviceErrors, 10)

	n := &s.NATS
	b = append(b, `},"nats":{"connected":`...)
	b = strconv.AppendBool(b, n.Connected)
	if n.Server != "" {
		b = append(b, `,"server":`...)
		b = appendJSONString(b, n.Server)
	}
	b = append(b, `,"reconnects":`...)
	b = strconv.AppendUint(b, n.Reconnects, 10)
	b = append(b, `,"buffered":`...)
	b = strconv.AppendInt(b, int64(n.Buffered), 10)
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
	b = append(b, `},"published":{"boot":`...)
	b = appendJSONString(b, p.Boot)
	b = append(b, `,"env":`...)
	b = strconv.AppendUint(b, p.Env, 10)
	b = append(b, `,"motion":`...)
	b = strconv.AppendUint(b, p.Motion, 10)
	b = append(b, `,"colour":`...)
	b = strconv.AppendUint(b, p.Colour, 10)
	b = append(b, `,"joystick":`...)
	b = strconv.AppendUint(b, p.Joystick, 10)

	e := &s.Errors
	b = append(b, `},"errors":{"counts":`...)
	b = appendCountMap(b, e.Counts)
	if e.Last != "" {
		b = append(b, `,"last":`...)
		b = appendJSONString(b, e.Last)
	}
	if e.LastAt != nil {
		b = append(b, `,"last_at":`...)
		b = appendJSONTime(b, *e.LastAt)
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
			b = append(b, `{"instance":`...)
			b = appendJSONString(b, dup.Instance)
			if dup.Host != "" {
				b = append(b, `,"host":`...)
				b = appendJSONString(b, dup.Host)
			}
			if dup.Version != "" {
				b = append(b, `,"version":`...)
				b = appendJSONString(b, dup.Version)
			}
			b = append(b, `,"since":`...)
			b = appendJSONTime(b, dup.Since)
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

func appendStringMap(b []byte, m map[string]string) []byte {
	var buf [16]string
	b = append(b, '{')
	for i, k := range sortedKeys(m, &buf) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

func appendCountMap(b []byte, m map[string]uint64) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	var buf [16]string
	b = append(b, '{')
	for i, k := range sortedKeys(m, &buf) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = strconv.AppendUint(b, m[k], 10)
	}
	return append(b, '}')
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
