package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sensehat/sensehat/internal/testutil"
)

// TestLeafNodeNeedsThePassword: deploy/nats/hub.conf's leaf node port lets
// in only a Pi that logs in as its leaf user, since a leaf node that got in
// could publish readings as any device and receive every command. Each
// nats-server version the leaf configuration supports is refused without
// the password and with a wrong one (the leaf logs the hub's
// "Authorization Violation", and a reading published on it never reaches
// the hub), and gets through with it. The refusal is the real servers'
// doing: the test only reads their logs and moves messages.
func TestLeafNodeNeedsThePassword(t *testing.T) {
	testutil.SkipShort(t, "runs nats-server processes")
	for _, ls := range leafServers(t) {
		t.Run("leaf "+ls.name, func(t *testing.T) {
			leafPort := testutil.FreePort(t)
			hub := hubServer(t, t.TempDir(), leafPort)
			hub.start(t)
			hc := testutil.Connect(t, hub.url())
			for _, c := range []struct {
				name, userinfo string
				ok             bool
			}{
				{"no password", "", false},
				{"wrong password", leafUser + ":not-it@", false},
				{"the password", leafUser + ":" + leafPassword + "@", true},
			} {
				t.Run(c.name, func(t *testing.T) {
					leaf := leafNode(t, t.TempDir(), ls.bin, fmt.Sprintf("nats-leaf://%s127.0.0.1:%d", c.userinfo, leafPort))
					leaf.start(t)
					defer leaf.stop(t)
					lc := testutil.Connect(t, leaf.url())
					subject := "sensehat." + sfID + ".sensors.env"
					sub := testutil.SubscribeSync(t, hc, subject)
					defer sub.Unsubscribe()
					if err := hc.Flush(); err != nil {
						t.Fatal(err)
					}
					if !c.ok {
						testutil.WaitFor(t, 20*time.Second, "the hub to refuse the leaf node", func() bool {
							return strings.Contains(leaf.proc.out.String(), "Authorization Violation")
						})
					}
					// Interest crosses the link a moment after it is up, so
					// publish until the hub sees one or the time is spent.
					got := false
					for end := time.Now().Add(3 * time.Second); time.Now().Before(end) && !got; {
						if err := lc.Publish(subject, []byte(`{"temperature_c":21.5}`)); err != nil {
							t.Fatal(err)
						}
						_, err := sub.NextMsg(100 * time.Millisecond)
						got = err == nil
					}
					if got != c.ok {
						t.Errorf("a reading published on the leaf node reached the hub: %v, want %v\nleaf log:\n%s", got, c.ok, leaf.proc.out.String())
					}
					if strings.Contains(leaf.proc.out.String(), leafPassword) || strings.Contains(hub.proc.out.String(), leafPassword) {
						t.Error("a server logged the leaf node's password")
					}
				})
			}
		})
	}
}

// TestHubWithoutLeafPasswordRefusesToStart: a hub started from hub.conf
// with no SENSEHAT_LEAF_PASSWORD in its environment does not start with an
// open leaf node port; it exits and names the variable.
func TestHubWithoutLeafPasswordRefusesToStart(t *testing.T) {
	testutil.SkipShort(t, "runs nats-server processes")
	if _, ok := os.LookupEnv("SENSEHAT_LEAF_PASSWORD"); ok {
		t.Skip("SENSEHAT_LEAF_PASSWORD is set in this environment")
	}
	for _, ls := range leafServers(t) { // every version that may be the hub
		t.Run(ls.name, func(t *testing.T) {
			hub := hubServer(t, t.TempDir(), testutil.FreePort(t))
			p := startProcess(t, ls.bin, "-c", hub.conf, "-a", "127.0.0.1", "-p", fmt.Sprint(hub.port))
			select {
			case <-p.waited:
			case <-time.After(20 * time.Second):
				t.Fatal("the hub started without a leaf node password")
			}
			if p.err == nil || !strings.Contains(p.out.String(), "SENSEHAT_LEAF_PASSWORD") {
				t.Errorf("exit %v, output %q: want a failure naming SENSEHAT_LEAF_PASSWORD", p.err, p.out.String())
			}
		})
	}
}
