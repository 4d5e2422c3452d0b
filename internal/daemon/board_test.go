package daemon

import (
	"io"
	"log/slog"
	"testing"

	"github.com/sensehat/sensehat/internal/backend"
	"github.com/sensehat/sensehat/internal/hass"
	"github.com/sensehat/sensehat/internal/health"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
	"github.com/sensehat/sensehat/sensehat/sim"
)

// TestBoardFollowsTypedState: Home Assistant's view of the board comes
// from the hardware opened and from the motion readings as the poller
// hands them over (HasYaw), not from the JSON published.
func TestBoardFollowsTypedState(t *testing.T) {
	srv := testutil.StartServer(t, nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := simConfig(t, srv.URL(), "pi1")
	hw, _, err := openHardware(cfg, sim.NewHAT(), log)
	if err != nil {
		t.Fatal(err)
	}
	defer closeHardware(hw, log)
	var errs health.Registry
	s := newSensing(connect(t, srv.URL()), hw, cfg, whoAmI{}, &errs, log)
	board := boardOf(hw, s.headingKnown)

	// The simulated HAT has every chip of a Sense HAT v2 (sensehat/sim).
	want := hass.Board{Temperature: true, Humidity: true, Pressure: true, Motion: true, Colour: true, Joystick: true, Display: true}
	if got := board(); got != want {
		t.Fatalf("board before any reading = %+v, want %+v", got, want)
	}
	s.Motion(&wire.Motion{RollDeg: 1})
	if board().Heading {
		t.Error("heading listed after a reading without one")
	}
	s.Motion(&wire.Motion{HasYaw: true, HeadingDeg: 90})
	if !board().Heading {
		t.Error("heading not listed after a reading with one (magnetometer calibrated)")
	}
	s.Motion(&wire.Motion{})
	if board().Heading {
		t.Error("heading still listed after a reading without one")
	}

	// A board without sensors lists no heading, whatever is claimed.
	bare := boardOf(&backend.Hardware{}, func() bool { return true })
	if got := bare(); got != (hass.Board{}) {
		t.Errorf("board with nothing opened = %+v, want none", got)
	}
	var never *sensing
	if never.headingKnown() {
		t.Error("a daemon that never ran knows a heading")
	}
}
