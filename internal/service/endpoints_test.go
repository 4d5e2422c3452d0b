package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/display"
	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat/tcs34xx"
)

// fakePlayer stands in for *display.Player: it records what the endpoints
// submit and answers with a finished ticket or the error the test set.
type fakePlayer struct {
	mu        sync.Mutex
	items     []display.Item
	modes     []display.Mode
	configs   []display.Config
	submitErr error
	configErr error
}

func (f *fakePlayer) Submit(it display.Item, mode display.Mode) (*display.Ticket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.submitErr != nil {
		return nil, f.submitErr
	}
	f.items = append(f.items, it)
	f.modes = append(f.modes, mode)
	return display.FinishedTicket(uint64(len(f.items)), display.Result{Displayed: true, Duration: 1500 * time.Millisecond}), nil
}

func (f *fakePlayer) SetConfig(c display.Config) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.configErr != nil {
		return f.configErr
	}
	f.configs = append(f.configs, c)
	return nil
}

func (f *fakePlayer) set(submitErr, configErr error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submitErr, f.configErr = submitErr, configErr
}

func (f *fakePlayer) lastMode() (display.Mode, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.modes) == 0 {
		return 0, 0
	}
	return f.modes[len(f.modes)-1], len(f.modes)
}

// fakeColour stands in for *sensors.ColourControl.
type fakeColour struct {
	mu  sync.Mutex
	set wire.ColourSettings
}

func (c *fakeColour) Settings() wire.ColourSettings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set
}

func (c *fakeColour) SetColour(gain, cycles *int) (wire.ColourSettings, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gain != nil {
		if *gain == 0xdead {
			// What sensors.ColourControl returns when the chip does not
			// take the settings.
			return c.set, wire.Errorf(wire.Unavailable, "sensors: configuring the colour sensor: %w", errors.New("i2c: no ack"))
		}
		if *gain != 1 && *gain != 4 && *gain != 16 && *gain != 60 {
			// What sensors.ColourControl returns for a gain the chip does
			// not have.
			return c.set, &wire.Error{Code: wire.Invalid, Message: fmt.Sprintf("gain %d; use 1, 4, 16 or 60", *gain), Err: tcs34xx.ErrInvalidSetting}
		}
		c.set.Gain = *gain
	}
	if cycles != nil {
		c.set.IntegrationCycles = *cycles
	}
	return c.set, nil
}

// fakeFrames stands in for the daemon's frame source: a black matrix.
type fakeFrames struct{}

func (fakeFrames) Snapshot(dst *display.Frame)                { clear(dst.Pix) }
func (fakeFrames) Watch(d time.Duration) (time.Duration, int) { return d, 10 }

// startService runs the service for device pi1 on a fresh embedded server
// and returns a client connection to ask it.
func startService(t *testing.T, p Player, colour ColourSetter) *nats.Conn {
	t.Helper()
	testutil.CheckLeaks(t)
	srv := testutil.StartServer(t, nil)
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	var errs health.Registry
	cfg := Config{
		Prefix: "sensehat", ID: "pi1", Version: "0.0.1",
		Status: func() wire.Status { return wire.Status{ID: "pi1", Version: "0.0.1", Duplicates: []wire.Duplicate{}} },
		Frame:  fakeFrames{},
	}
	if colour != nil {
		cfg.Colour = colour
	}
	svc, err := Start(nc, p, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), &errs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := svc.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		nc.Close()
	})
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return nc
}

// ask sends a request and returns the service error code ("" when the
// reply is not an error) and the body.
func ask(t *testing.T, nc *nats.Conn, subj, data string) (code string, body []byte) {
	t.Helper()
	m, err := nc.Request(subj, []byte(data), 10*time.Second)
	if err != nil {
		t.Fatalf("request %s %q: %v", subj, data, err)
	}
	return m.Header.Get("Nats-Service-Error-Code"), m.Data
}

// TestEndpointsAnswer drives every endpoint of the contract (design.md's
// subject table) through a fake player: the reply body and the mode the
// item was submitted with.
func TestEndpointsAnswer(t *testing.T) {
	p := &fakePlayer{}
	nc := startService(t, p, &fakeColour{set: wire.ColourSettings{Chip: "tcs3400", Gain: 1, IntegrationCycles: 1}})
	s := wire.Subjects{Prefix: "sensehat", ID: "pi1"}
	for _, tc := range []struct {
		name, subj, data string
		wantBody         string
		wantMode         display.Mode
		submits          bool
	}{
		{"text", s.Text(), "hello", `{"displayed":true,"id":"pi1","duration_ms":1500}`, display.Queue, true},
		{"text replace", s.Text(), `{"text":"hi","mode":"replace"}`, `{"displayed":true,"id":"pi1","duration_ms":1500}`, display.Replace, true},
		{"all text", s.AllText(), "hello", `{"displayed":true,"id":"pi1","duration_ms":1500}`, display.Queue, true},
		{"any text", s.AnyText(), "hello", `{"displayed":true,"id":"pi1","duration_ms":1500}`, display.Queue, true},
		{"pixels", s.Pixels(), strings.Repeat("\x00", 192), `{"displayed":true,"id":"pi1","duration_ms":1500}`, display.Queue, true},
		{"clear", s.Clear(), "", `{"displayed":true,"id":"pi1","duration_ms":1500}`, display.Replace, true},
		{"config", s.Config(), `{"rotation":90}`, `{"ok":true}`, 0, false},
		{"status", s.Status(), "", `{"id":"pi1","version":"0.0.1"`, 0, false},
		{"colour get", s.ColourConfig(), "", `{"chip":"tcs3400","gain":1,"integration_cycles":1`, 0, false},
		{"colour set", s.ColourConfig(), `{"gain":16}`, `{"chip":"tcs3400","gain":16,"integration_cycles":1`, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, before := p.lastMode()
			code, body := ask(t, nc, tc.subj, tc.data)
			if code != "" {
				t.Fatalf("error %s: %s", code, body)
			}
			if !strings.HasPrefix(string(body), tc.wantBody) {
				t.Errorf("reply %s, want it to start with %s", body, tc.wantBody)
			}
			mode, n := p.lastMode()
			if tc.submits && (n != before+1 || mode != tc.wantMode) {
				t.Errorf("submitted %d items, last mode %v; want one more, mode %v", n-before, mode, tc.wantMode)
			}
			if !tc.submits && n != before {
				t.Errorf("submitted %d items, want none", n-before)
			}
		})
	}
	if c := p.configs; len(c) != 1 || c[0].Rotation == nil || *c[0].Rotation != 90 {
		t.Errorf("configs set %+v, want rotation 90 once", c)
	}
}

// TestEndpointErrorCodes checks the stable codes: 400 for every class of
// bad input (and for an item too long to show), 503 for a full queue or a
// sensor that does not answer, so a client can retry later, 500 for
// anything else. The codes come from the errors' wire.Code, never from
// their text.
func TestEndpointErrorCodes(t *testing.T) {
	p := &fakePlayer{}
	nc := startService(t, p, &fakeColour{})
	s := wire.Subjects{Prefix: "sensehat", ID: "pi1"}
	for _, tc := range []struct {
		name, subj, data string
		submitErr        error
		configErr        error
		want             string
	}{
		{"text not json object", s.Text(), `{"text":`, nil, nil, "400"},
		{"text unknown field", s.Text(), `{"text":"hi","size":3}`, nil, nil, "400"},
		{"text speed out of range", s.Text(), `{"text":"hi","speed":1000}`, nil, nil, "400"},
		{"text empty", s.Text(), ``, nil, nil, "400"},
		{"text too long", s.Text(), "hi", fmt.Errorf("submit: %w", display.ErrTooLong), nil, "400"},
		{"text queue full", s.Text(), "hi", fmt.Errorf("submit: %w", display.ErrQueueFull), nil, "503"},
		{"text player stopped", s.Text(), "hi", fmt.Errorf("submit: %w", display.ErrStopped), nil, "500"},
		{"all text queue full", s.AllText(), "hi", display.ErrQueueFull, nil, "503"},
		{"pixels short", s.Pixels(), `{"pixels":"000"}`, nil, nil, "400"},
		{"pixels not json", s.Pixels(), `nope`, nil, nil, "400"},
		{"pixels queue full", s.Pixels(), strings.Repeat("\x00", 192), display.ErrQueueFull, nil, "503"},
		{"clear bad colour", s.Clear(), `{"color":"nocolour"}`, nil, nil, "400"},
		{"clear queue full", s.Clear(), ``, display.ErrQueueFull, nil, "503"},
		{"config bad rotation", s.Config(), `{"rotation":45}`, nil, nil, "400"},
		{"config bad brightness", s.Config(), `{"brightness":2}`, nil, nil, "400"},
		{"config refused by player", s.Config(), `{"rotation":90}`, nil, fmt.Errorf("%w: no such thing", display.ErrInvalidConfig), "400"},
		{"config failed in player", s.Config(), `{"rotation":90}`, nil, errors.New("display: disk on fire"), "500"},
		{"colour bad json", s.ColourConfig(), `{"gain":`, nil, nil, "400"},
		{"colour invalid gain", s.ColourConfig(), `{"gain":3}`, nil, nil, "400"},
		{"colour sensor does not answer", s.ColourConfig(), `{"gain":57005}`, nil, nil, "503"},
		{"frame bad format", s.Frame(), `gif`, nil, nil, "400"},
		{"frame unknown field", s.Frame(), `{"format":"png","size":2}`, nil, nil, "400"},
		{"frame field twice", s.Frame(), `{"format":"png","format":"raw"}`, nil, nil, "400"},
		{"watch too long", s.FrameWatch(), `600`, nil, nil, "400"},
		{"watch unknown field", s.FrameWatch(), `{"secs":5}`, nil, nil, "400"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.set(tc.submitErr, tc.configErr)
			code, body := ask(t, nc, tc.subj, tc.data)
			if code != tc.want {
				t.Errorf("code %q (%s), want %s", code, body, tc.want)
			}
		})
	}
}

// TestNoColourEndpointWithoutSensor: a board without a colour sensor
// serves no colour.config, so a request finds no responders.
func TestNoColourEndpointWithoutSensor(t *testing.T) {
	nc := startService(t, &fakePlayer{}, nil)
	_, err := nc.Request(wire.Subjects{Prefix: "sensehat", ID: "pi1"}.ColourConfig(), nil, 10*time.Second)
	if !errors.Is(err, nats.ErrNoResponders) {
		t.Errorf("colour.config request: %v, want no responders", err)
	}
}

// TestStatusDecodes: the status endpoint's reply decodes into wire.Status, the
// type the CLI reads.
func TestStatusDecodes(t *testing.T) {
	nc := startService(t, &fakePlayer{}, nil)
	_, body := ask(t, nc, wire.Subjects{Prefix: "sensehat", ID: "pi1"}.Status(), "")
	var st wire.Status
	if err := json.Unmarshal(body, &st); err != nil || st.ID != "pi1" || st.Duplicates == nil {
		t.Errorf("status %s decoded to %+v, %v", body, st, err)
	}
}
