package linux

import (
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// BindLocal binds the unconnected TCP socket fd to the local address a
// before it connects (a cosocket's bind, nginx's proxy_bind). With port 0
// it sets IP_BIND_ADDRESS_NO_PORT first, as nginx does, so the kernel picks
// the port at connect time from the 4-tuple and bound sockets do not
// exhaust the ephemeral range. An IPv4 address on an IPv6 socket, or the
// reverse, fails with EAFNOSUPPORT.
func BindLocal(fd int, a netip.AddrPort) error {
	if a.Port() == 0 {
		_ = unix.SetsockoptInt(fd, unix.SOL_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
	}
	return bindTo(fd, a)
}

// bindTo binds fd to a.
func bindTo(fd int, a netip.AddrPort) error {
	var sa unix.Sockaddr
	ip := a.Addr().Unmap()
	if ip.Is4() {
		sa = &unix.SockaddrInet4{Port: int(a.Port()), Addr: ip.As4()}
	} else {
		sa = &unix.SockaddrInet6{Port: int(a.Port()), Addr: ip.As16()}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return os.NewSyscallError("bind", err)
	}
	return nil
}
