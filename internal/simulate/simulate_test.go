package simulate_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/simulate"
	"github.com/sensehat/sensehat/internal/testutil"
	"github.com/sensehat/sensehat/internal/wire"
)

// startFleet runs a simulated fleet against url until the test ends and
// checks that Run returns nil once cancelled.
func startFleet(t *testing.T, o simulate.Opts) {
	t.Helper()
	o.Ready = make(chan struct{})
	f, err := simulate.New(&o)
	if err != nil {
		t.Fatal(err)
	}
	testutil.GoReadyWithin(t, "the simulated fleet", 60*time.Second, o.Ready, f.Run)
}

// Twenty simulated devices are twenty devices to any client: NATS micro
// discovery ($SRV.PING.sensehat, as the micro package and `nats micro
// ping` send it) finds twenty instances with the ids sim-0001..sim-0020,
// each answers its own status request, and each publishes readings.
func TestTwentyDevicesAreDiscoveredAndAnswer(t *testing.T) {
	testutil.CheckLeaks(t)
	s := testutil.StartServer(t, nil)
	o := simulate.DefaultOpts
	o.Devices = 20
	o.Config.NATS = s.URL()
	startFleet(t, o)
	nc := testutil.Connect(t, s.URL())

	// Readings of every device, on the subjects the contract names.
	envSeen := map[string]bool{}
	var mu sync.Mutex
	sub, err := nc.Subscribe(wire.DefaultPrefix+".*.sensors.env", func(m *nats.Msg) {
		mu.Lock()
		envSeen[strings.Split(m.Subject, ".")[1]] = true
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	want := map[string]bool{}
	for n := 1; n <= 20; n++ {
		want[simulate.ID(n)] = true
	}

	// One discovery round: every reply to one ping, for up to 5 s.
	inbox := nats.NewInbox()
	replies, err := nc.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	defer replies.Unsubscribe()
	if err := nc.PublishRequest("$SRV.PING."+wire.ServiceName, inbox, nil); err != nil {
		t.Fatal(err)
	}
	found := map[string]string{} // device id -> instance id
	deadline := time.Now().Add(5 * time.Second)
	for len(found) < len(want) && time.Now().Before(deadline) {
		m, err := replies.NextMsg(time.Until(deadline))
		if err != nil {
			break
		}
		var ping struct {
			Name     string            `json:"name"`
			ID       string            `json:"id"`
			Metadata map[string]string `json:"metadata"`
		}
		if err := json.Unmarshal(m.Data, &ping); err != nil {
			t.Fatalf("ping reply %q: %v", m.Data, err)
		}
		if ping.Name != wire.ServiceName {
			t.Errorf("ping reply from service %q, want %q", ping.Name, wire.ServiceName)
		}
		id := ping.Metadata["id"]
		if prev, dup := found[id]; dup {
			t.Errorf("device %s answered twice (instances %s and %s)", id, prev, ping.ID)
		}
		found[id] = ping.ID
	}
	for id := range want {
		if _, ok := found[id]; !ok {
			t.Errorf("%s not found by one discovery round", id)
		}
	}
	for id := range found {
		if !want[id] {
			t.Errorf("discovery found %q, not one of sim-0001..sim-0020", id)
		}
	}

	for id := range want {
		m, err := nc.Request(wire.Subjects{Prefix: wire.DefaultPrefix, ID: id}.Status(), nil, 5*time.Second)
		if err != nil {
			t.Errorf("%s status: %v", id, err)
			continue
		}
		var st struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(m.Data, &st); err != nil || st.ID != id {
			t.Errorf("%s status reply names %q (%v): %.200s", id, st.ID, err, m.Data)
		}
	}

	// Env readings come every second by default: all twenty within 5 s.
	deadline = time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(envSeen)
		mu.Unlock()
		if n == len(want) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for id := range want {
		if !envSeen[id] {
			t.Errorf("no sensors.env reading from %s within 5s", id)
		}
	}
}

// Rates and joystick presses are the caller's: with env every 100 ms and a
// press every 200 ms, both flow; motion at a rate of an hour never comes in
// a second.
func TestRatesAndJoystick(t *testing.T) {
	testutil.CheckLeaks(t)
	s := testutil.StartServer(t, nil)
	nc := testutil.Connect(t, s.URL())
	counts := map[string]int{}
	var mu sync.Mutex
	sub, err := nc.Subscribe(wire.DefaultPrefix+".>", func(m *nats.Msg) {
		parts := strings.Split(m.Subject, ".")
		if len(parts) >= 4 && (parts[2] == "sensors" || parts[2] == "joystick") {
			mu.Lock()
			counts[parts[2]+"."+parts[3]]++
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	o := simulate.DefaultOpts
	o.Devices = 2
	o.First = 7
	o.Config.NATS = s.URL()
	o.Config.EnvInterval = 100 * time.Millisecond
	o.Config.MotionInterval = time.Hour
	o.JoystickEvery = 200 * time.Millisecond
	startFleet(t, o)
	time.Sleep(1500 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if counts["sensors.env"] < 2*5 {
		t.Errorf("%d env readings from 2 devices in 1.5 s at 100 ms; want 10 or more (%v)", counts["sensors.env"], counts)
	}
	if counts["sensors.motion"] > 2 {
		t.Errorf("%d motion readings at a rate of one an hour (%v)", counts["sensors.motion"], counts)
	}
	joy := 0
	for k, n := range counts {
		if strings.HasPrefix(k, "joystick.") {
			joy += n
		}
	}
	if joy < 2 {
		t.Errorf("%d joystick events with a press every 200 ms (%v)", joy, counts)
	}
}

func TestNewRefusesBadOpts(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*simulate.Opts)
		want string
	}{
		{"no devices", func(o *simulate.Opts) { o.Devices = 0 }, "devices"},
		{"too many", func(o *simulate.Opts) { o.Devices = simulate.MaxDevices + 1 }, "devices"},
		{"first 0", func(o *simulate.Opts) { o.First = 0 }, "first"},
		{"env too fast", func(o *simulate.Opts) { o.Config.EnvInterval = time.Millisecond }, "env-interval"},
		{"bad prefix", func(o *simulate.Opts) { o.Config.Prefix = "a.b" }, "prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := simulate.DefaultOpts
			tc.edit(&o)
			_, err := simulate.New(&o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

func TestIDs(t *testing.T) {
	for n, want := range map[int]string{1: "sim-0001", 42: "sim-0042", 9999: "sim-9999", 10000: "sim-10000"} {
		if got := simulate.ID(n); got != want {
			t.Errorf("ID(%d) = %q, want %q", n, got, want)
		}
	}
}
