package fleetid_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sensehat/sensehat/internal/fleetid"
)

// A fleet for a hub cluster (Replicas 3, fleet init --cluster) writes the
// two include files of deploy/nats/cluster beside hub.conf, and a Pi's
// leaf configuration lists every node. nats-server's own configuration
// parser reads them (the authority on what a node and a Pi will run):
// a node including them trusts the fleet's operator, has its system
// account and a full (directory) resolver, and TLS on its leaf node port;
// the Pi's remote holds the three URLs. The real processes run in
// internal/e2e's TestHubClusterFleetIdentity.
func TestClusterIncludeFiles(t *testing.T) {
	s := fleetid.DefaultSettings()
	s.StoreDir = t.TempDir()
	s.LeafHosts = []string{"127.0.0.1"}
	s.Replicas = 3
	f, err := fleetid.Init(filepath.Join(t.TempDir(), "fleet"), s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.AddDevice("pi1"); err != nil {
		t.Fatal(err)
	}
	if got := f.HubStreamConfig([]string{"pi1"}).Replicas; got != 3 {
		t.Errorf("hub stream replicas %d, want 3", got)
	}
	// A node's configuration as deploy/nats/cluster/hub-node.conf
	// includes them: auth.conf at the top, leaf-auth.conf in leafnodes.
	node := filepath.Join(f.HubDir(), "node.conf")
	conf := "server_name: sensehat-hub-1\nlisten: 127.0.0.1:-1\njetstream { domain: hub, store_dir: " +
		filepath.Join(t.TempDir(), "js") + " }\nleafnodes {\n  listen: 127.0.0.1:-1\n  include ./" + fleetid.ClusterLeafAuthConf +
		"\n}\ninclude ./" + fleetid.ClusterAuthConf + "\n"
	if err := os.WriteFile(node, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := server.ProcessConfigFile(node)
	if err != nil {
		t.Fatalf("nats-server reading a node that includes the fleet's files: %v", err)
	}
	if len(o.TrustedOperators) != 1 || o.TrustedOperators[0].Subject != f.Settings.OperatorKey {
		t.Errorf("the node trusts %d operators, want the fleet's %s", len(o.TrustedOperators), f.Settings.OperatorKey)
	}
	if o.SystemAccount != f.Settings.SystemKey {
		t.Errorf("system account %q, want %q", o.SystemAccount, f.Settings.SystemKey)
	}
	if _, ok := o.AccountResolver.(*server.DirAccResolver); !ok {
		t.Errorf("resolver %T, want the full (directory) resolver, whose pushed updates every node takes", o.AccountResolver)
	}
	if o.LeafNode.TLSConfig == nil {
		t.Error("the leaf node port has no TLS: a Pi's credentials would travel in the clear")
	}
	urls := "tls://hub-1.example.org:7422,tls://hub-2.example.org:7422,tls://hub-3.example.org:7422"
	leaf, err := f.LeafConf("pi1", urls, f.CredsPath("pi1"), filepath.Join(f.HubDir(), fleetid.LeafCA), t.TempDir(), "127.0.0.1:-1")
	if err != nil {
		t.Fatal(err)
	}
	lp := filepath.Join(t.TempDir(), "leaf.conf")
	if err := os.WriteFile(lp, []byte(leaf), 0o600); err != nil {
		t.Fatal(err)
	}
	lo, err := server.ProcessConfigFile(lp)
	if err != nil {
		t.Fatalf("nats-server reading the Pi's configuration: %v", err)
	}
	if len(lo.LeafNode.Remotes) != 1 || len(lo.LeafNode.Remotes[0].URLs) != 3 {
		t.Fatalf("the Pi's leaf remotes: %+v; want one remote with the three nodes", lo.LeafNode.Remotes)
	}
	for i, u := range lo.LeafNode.Remotes[0].URLs {
		if want := "hub-" + string(rune('1'+i)) + ".example.org:7422"; u.Host != want {
			t.Errorf("remote URL %d is %s, want %s", i, u.Host, want)
		}
	}
}
