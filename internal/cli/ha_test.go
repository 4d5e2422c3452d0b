package cli

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/sensehat/sensehat/internal/testutil"
)

// mqttLines runs mosquitto_sub (Debian's mosquitto-clients) printing
// "topic length payload" per message until count messages arrived (0: no
// limit), and
// returns the lines on a channel closed when it exits.
func mqttLines(t *testing.T, addr string, count int, topics ...string) <-chan string {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-h", host, "-p", port, "-F", "%t %l %p", "-W", "20"}
	if count > 0 {
		args = append(args, "-C", strconv.Itoa(count))
	}
	for _, tp := range topics {
		args = append(args, "-t", tp)
	}
	cmd := exec.Command("mosquitto_sub", args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("mosquitto_sub (apt-get install mosquitto-clients): %v", err)
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		for range lines {
		}
	})
	return lines
}

// sensehat ha-remove publishes the empty device discovery message that
// makes Home Assistant delete the device and its entities
// (https://www.home-assistant.io/integrations/mqtt/#discovery-payload: "a
// configuration update with an empty payload will cause a previously
// discovered device to be deleted"), and says offline; an MQTT
// client sees both.
func TestHARemove(t *testing.T) {
	testutil.CheckLeaks(t)
	mport := testutil.FreePort(t)
	srv := testutil.StartServer(t, &server.Options{ServerName: "ha-remove", JetStream: true, StoreDir: t.TempDir(), MQTT: server.MQTTOpts{Host: "127.0.0.1", Port: mport}})
	maddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(mport))
	lines := mqttLines(t, maddr, 0, "homeassistant/device/+/config", "sensehat/pi1/availability")
	// The subscription is in place once a marker comes back through it.
	nc := connectPlain(t, srv.URL())
	deadline := time.Now().Add(10 * time.Second)
	got := []string{}
	for len(got) == 0 && time.Now().Before(deadline) {
		if err := nc.Publish("homeassistant.device.marker.config", []byte("m")); err != nil {
			t.Fatal(err)
		}
		select {
		case l := <-lines:
			got = append(got, l)
		case <-time.After(100 * time.Millisecond):
		}
	}
	var out, errOut testutil.LogBuffer
	if code := newApp(&out, &errOut).Run(context.Background(), []string{"ha-remove", "--nats", srv.URL(), "--id", "pi1"}); code != 0 {
		t.Fatalf("ha-remove exit %d: %s", code, errOut.String())
	}
	var rest []string
	for l := range lines {
		if !strings.Contains(l, "marker") {
			rest = append(rest, l)
		}
		if len(rest) == 2 {
			break
		}
	}
	want := []string{"homeassistant/device/sensehat_pi1/config 0 ", "sensehat/pi1/availability 7 offline"}
	if strings.Join(rest, "\n") != strings.Join(want, "\n") {
		t.Errorf("MQTT saw %q, want %q", rest, want)
	}
	if !strings.Contains(out.String(), "homeassistant/device/sensehat_pi1/config") {
		t.Errorf("ha-remove said %q", out.String())
	}
}

// sensehat emulate turns its embedded server's MQTT listener on, and the
// banner tells where: a reading of the emulated device reaches mosquitto
// there.
func TestEmulateMQTT(t *testing.T) {
	testutil.CheckLeaks(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	em := runBackground(t, "emulate", "--nats-listen", "127.0.0.1:0", "--mqtt-listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--env-interval", "100ms")
	out, errOut := &em.out, &em.errOut
	defer func() {
		if code := em.stop(t); code != 0 {
			t.Errorf("emulate exit %d: %s", code, errOut.String())
		}
	}()
	re := regexp.MustCompile(`MQTT on (127\.0\.0\.1:\d+)`)
	var addr string
	for deadline := time.Now().Add(15 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("no MQTT address in the banner:\n%s\n%s", out.String(), errOut.String())
	}
	for _, want := range []string{"Home Assistant", "discovery prefix homeassistant", "mosquitto_pub -h 127.0.0.1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
	l, ok := <-mqttLines(t, addr, 1, "sensehat/emu/sensors/env")
	if !ok || !strings.Contains(l, `"temperature_c"`) {
		t.Errorf("MQTT reading %q, want sensors.env JSON", l)
	}
}

func connectPlain(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc := testutil.Connect(t, url)
	return nc
}

// The default MQTT address taken (a broker already there) leaves the
// emulator without MQTT and says so; an address given with --mqtt-listen
// that is taken is an error naming the flag.
func TestMQTTListenAddrTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().String()
	var logOut testutil.LogBuffer
	log := slog.New(slog.NewTextHandler(&logOut, nil))

	got, err := mqttListenAddr(taken, false, log)
	if err != nil || got != "" || !strings.Contains(logOut.String(), "MQTT listener off") {
		t.Errorf("default taken: %q, %v, log %q; want no MQTT and a warning", got, err, logOut.String())
	}
	if _, err := mqttListenAddr(taken, true, log); err == nil || !strings.Contains(err.Error(), "--mqtt-listen") {
		t.Errorf("given and taken: %v, want an error naming --mqtt-listen", err)
	}
	free := net.JoinHostPort("127.0.0.1", strconv.Itoa(testutil.FreePort(t)))
	if got, err := mqttListenAddr(free, true, log); err != nil || got != free {
		t.Errorf("free: %q, %v", got, err)
	}
	if got, err := mqttListenAddr("", true, log); err != nil || got != "" {
		t.Errorf("none: %q, %v", got, err)
	}
}
