//go:build linux && (amd64 || arm64 || arm || riscv64)

package daemon

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// restrictedChildEnv makes the test binary, run again by the test below,
// restrict its address families and report what localIP finds.
const restrictedChildEnv = "SENSEHAT_TEST_RESTRICT_AF_CHILD"

// restrictAddressFamilies installs, on every thread of this process, a
// seccomp filter that fails socket(2) for any family but AF_UNIX, AF_INET
// and AF_INET6 with EAFNOSUPPORT. That is what the unit's
// RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX does: systemd installs
// a seccomp filter on socket(2)'s family argument, and refused families
// fail with "Address family not supported by protocol" (EAFNOSUPPORT;
// e.g. unbound's getifaddrs under that setting, NLnetLabs/unbound#350).
// Unlike systemd's filter this one does not check the architecture field:
// the test process makes native system calls only.
func restrictAddressFamilies() error {
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	// seccomp_data: nr (u32) at 0, arch at 4, ip at 8, args[6] (u64) at 16.
	// The family is an int: the low half of args[0].
	famOff := uint32(16)
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		famOff += 4
	}
	const (
		ld  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret = unix.BPF_RET | unix.BPF_K
	)
	filter := []unix.SockFilter{
		{Code: ld, K: 0},
		{Code: jeq, K: unix.SYS_SOCKET, Jt: 0, Jf: 5}, // not socket(2): allow
		{Code: ld, K: famOff},
		{Code: jeq, K: unix.AF_UNIX, Jt: 3},
		{Code: jeq, K: unix.AF_INET, Jt: 2},
		{Code: jeq, K: unix.AF_INET6, Jt: 1},
		{Code: ret, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EAFNOSUPPORT)},
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	// TSYNC: the Go runtime already runs several threads, and any of them
	// may make the next system call.
	if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog))); e != 0 {
		return fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER): %w", e)
	}
	return nil
}

// restrictedChild runs in the child process: it reports whether netlink
// is refused, what the interface list alone finds (what the daemon did
// before), and what localIP finds.
func restrictedChild() {
	if err := restrictAddressFamilies(); err != nil {
		fmt.Println("SETUP", err)
		os.Exit(1)
	}
	_, err := net.InterfaceAddrs()
	fmt.Printf("NETLINK_REFUSED %v\n", errors.Is(err, syscall.EAFNOSUPPORT))
	ifaceOnly := addrSources{
		routeSrc:       func(string) (netip.Addr, error) { return netip.Addr{}, errors.New("not used") },
		interfaceAddrs: net.InterfaceAddrs,
	}
	fmt.Printf("IFACES_ONLY %s\n", localIP("", ifaceOnly))
	fmt.Printf("LOCALIP %s\n", localIP("127.0.0.1:4222", systemAddrSources))
	os.Exit(0)
}

// expectedAddr is the kernel's own answer, outside our code: iproute2's
// "ip route get" names the source address of the route to the probe
// destination; without iproute2, or without a default route, the
// unrestricted interface list says whether any usable address exists.
func expectedAddr(t *testing.T) string {
	t.Helper()
	if ip, err := exec.LookPath("ip"); err == nil {
		out, err := exec.Command(ip, "-4", "route", "get", strings.Split(probeV4, ":")[0]).Output()
		if err == nil {
			f := strings.Fields(string(out))
			for i := 0; i+1 < len(f); i++ {
				if f[i] == "src" {
					return f[i+1]
				}
			}
		}
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatalf("listing interfaces unrestricted: %v", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			t.Fatalf("no default route to compare with, yet %v is configured: give the machine a default route or install iproute2", n.IP)
		}
	}
	return "no network"
}

// TestLocalIPUnderAddressFamilyRestriction runs localIP in a child process
// under the unit's address-family restriction (a seccomp filter like the
// one systemd installs) and checks it finds the address the kernel routes
// from. The interface list alone, which the daemon used before, finds
// nothing there.
func TestLocalIPUnderAddressFamilyRestriction(t *testing.T) {
	if os.Getenv(restrictedChildEnv) == "1" {
		restrictedChild()
		return
	}
	want := expectedAddr(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestLocalIPUnderAddressFamilyRestriction$")
	cmd.Env = append(os.Environ(), restrictedChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("restricted child: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok {
			got[k] = v
		}
	}
	t.Logf("child under the restriction (want %s):\n%s", want, out)
	if got["NETLINK_REFUSED"] != "true" {
		t.Fatalf("the filter did not refuse netlink as the unit does; child said:\n%s", out)
	}
	if got["IFACES_ONLY"] != "no network" {
		t.Errorf("the interface list found %q under the restriction; the filter is not like the unit's", got["IFACES_ONLY"])
	}
	if got["LOCALIP"] != want {
		t.Errorf("localIP under the restriction = %q, want %q (ip route get)", got["LOCALIP"], want)
	}
}
