package daemon

import (
	"errors"
	"net"
	"net/netip"
	"testing"
)

func TestLocalIPPrefersTheRouteToTheServer(t *testing.T) {
	noRoute := errors.New("network is unreachable")
	// What systemd's RestrictAddressFamilies makes of the netlink socket
	// Go's interface list needs.
	netlinkRefused := errors.New("route ip+net: netlinkrib: address family not supported by protocol")
	routes := func(m map[string]string) func(string) (netip.Addr, error) {
		return func(dst string) (netip.Addr, error) {
			if a, ok := m[dst]; ok {
				return netip.MustParseAddr(a), nil
			}
			return netip.Addr{}, noRoute
		}
	}
	ifaces := func(cidrs ...string) func() ([]net.Addr, error) {
		return func() ([]net.Addr, error) {
			var out []net.Addr
			for _, c := range cidrs {
				ip, n, err := net.ParseCIDR(c)
				if err != nil {
					t.Fatal(err)
				}
				n.IP = ip
				out = append(out, n)
			}
			return out, nil
		}
	}
	refused := func() ([]net.Addr, error) { return nil, netlinkRefused }

	for _, tc := range []struct {
		name   string
		server string
		src    addrSources
		want   string
	}{
		{"route to the server", "10.0.0.5:4222",
			addrSources{routes(map[string]string{"10.0.0.5:4222": "10.0.0.7", probeV4: "192.168.1.20"}), refused}, "10.0.0.7"},
		{"server on loopback: the default route", "127.0.0.1:4222",
			addrSources{routes(map[string]string{"127.0.0.1:4222": "127.0.0.1", probeV4: "192.168.1.20"}), refused}, "192.168.1.20"},
		{"not connected: the default route", "",
			addrSources{routes(map[string]string{probeV4: "192.168.1.20"}), refused}, "192.168.1.20"},
		{"IPv6 only", "",
			addrSources{routes(map[string]string{probeV6: "2001:db8:5::7"}), refused}, "2001:db8:5::7"},
		{"link-local IPv6 is not an answer", "",
			addrSources{routes(map[string]string{probeV6: "fe80::1"}), ifaces("127.0.0.1/8", "192.168.7.2/24")}, "192.168.7.2"},
		{"no route: the interface list", "",
			addrSources{routes(nil), ifaces("127.0.0.1/8", "::1/128", "192.168.7.2/24")}, "192.168.7.2"},
		{"no route and no netlink", "",
			addrSources{routes(nil), refused}, "no network"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := localIP(tc.server, tc.src); got != tc.want {
				t.Errorf("localIP(%q) = %q, want %q", tc.server, got, tc.want)
			}
		})
	}
}
