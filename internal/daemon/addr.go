package daemon

import (
	"net"
	"net/netip"
)

// Probe destinations for the route lookup in localIP. They are
// documentation addresses (RFC 5737, RFC 3849): nothing is ever sent to
// them, they only make the kernel pick the interface of the default route.
const (
	probeV4 = "203.0.113.1:9"
	probeV6 = "[2001:db8::1]:9"
)

// addrSources are the ways localIP can learn an address; tests replace
// them to take one away.
type addrSources struct {
	// routeSrc returns the source address the kernel would use to reach
	// dst: the local side of a connected UDP socket. Connecting a UDP
	// socket sends nothing; it needs only AF_INET or AF_INET6.
	routeSrc func(dst string) (netip.Addr, error)
	// interfaceAddrs lists the interfaces' addresses. Go asks the kernel
	// through a netlink socket, which RestrictAddressFamilies=AF_UNIX
	// AF_INET AF_INET6 refuses (EAFNOSUPPORT).
	interfaceAddrs func() ([]net.Addr, error)
}

var systemAddrSources = addrSources{routeSrc: udpRouteSrc, interfaceAddrs: net.InterfaceAddrs}

func udpRouteSrc(dst string) (netip.Addr, error) {
	c, err := net.Dial("udp", dst)
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap(), nil
}

// usable is an address someone else on the network could reach us at.
func usable(a netip.Addr) bool {
	return a.IsValid() && !a.IsLoopback() && !a.IsUnspecified() && !a.IsLinkLocalUnicast()
}

// localIP is the address for the middle-press "who am I" message: what
// someone on the same network would ssh to. server is the NATS server's
// "host:port" as connected, or "". In order it tries the address of the
// route to the server (the network the fleet is on), the address of the
// default route (IPv4, then IPv6), and the interface list, so it works
// under the unit's address-family restriction, where the interface list
// does not.
func localIP(server string, src addrSources) string {
	dsts := []string{probeV4, probeV6}
	if server != "" {
		dsts = append([]string{server}, dsts...)
	}
	for _, dst := range dsts {
		if a, err := src.routeSrc(dst); err == nil && usable(a) {
			return a.String()
		}
	}
	addrs, err := src.interfaceAddrs()
	if err != nil {
		return "no network"
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && usable(ip.Unmap()) && ip.Unmap().Is4() {
				return ip.Unmap().String()
			}
		}
	}
	return "no network"
}
