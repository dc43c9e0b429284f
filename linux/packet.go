package linux

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Connected datagram sockets: what ngx.socket.udp's setpeername and the DNS
// resolver need. A connected datagram socket sends to its one peer with
// send(2) and receives only what that peer sends.

// ParsePacketAddr is ParseAddr for datagram networks: "udp", "udp4" and
// "udp6" take host:port as "tcp", "tcp4" and "tcp6" do (a literal IP or
// localhost, a numeric port, IPv6 in brackets); "unixgram" takes a path, or
// an abstract name starting with "@", as "unix" does.
//
// Errors wrap ErrNetwork or ErrAddress.
func ParsePacketAddr(network, address string) (sa unix.Sockaddr, family int, err error) {
	switch network {
	case "udp", "udp4", "udp6":
		return parseInet("tcp"+network[len("udp"):], address)
	case "unixgram":
		return parseUnix(address)
	}
	return nil, 0, fmt.Errorf("%w: %q", ErrNetwork, network)
}

// DialPacket returns a datagram socket connected to address (see
// ParsePacketAddr for the forms), non-blocking and close-on-exec; the
// caller owns it.
//
// A "unixgram" socket is first bound to an autobind address (an abstract
// name the kernel picks), as ngx_lua's setpeername does: without a name of
// its own the peer could not send it any reply.
//
// connect(2) on a datagram socket does not block: it records the peer (and,
// for UDP, picks the route and the local address and port) and returns at
// once, so it is done here, synchronously, not through a ring. An
// unreachable network or a missing unix socket fails here (ENETUNREACH,
// ENOENT, ECONNREFUSED); a closed UDP port shows up later, as ECONNREFUSED
// on a send or receive. Errors are *os.SyscallError values wrapping the
// errno, or wrap ErrNetwork or ErrAddress.
func DialPacket(network, address string) (fd int, err error) {
	return DialPacketFrom(network, address, netip.AddrPort{})
}

// DialPacketFrom is DialPacket from the local address local (a UDP socket
// is bound to it before it connects; port 0 lets the kernel choose). An
// invalid local is no binding; unix sockets ignore it.
func DialPacketFrom(network, address string, local netip.AddrPort) (fd int, err error) {
	sa, family, err := ParsePacketAddr(network, address)
	if err != nil {
		return -1, err
	}
	var raw unix.RawSockaddrAny
	salen, err := SockaddrToRaw(sa, &raw)
	if err != nil {
		return -1, err
	}
	fd, err = unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if family != unix.AF_UNIX && local.IsValid() {
		if err := bindTo(fd, local); err != nil {
			_ = unix.Close(fd)
			return -1, err
		}
	}
	if family == unix.AF_UNIX {
		// A sockaddr of the family alone asks the kernel to autobind.
		auto := unix.RawSockaddrUnix{Family: unix.AF_UNIX}
		if err := sockaddrCall(unix.SYS_BIND, fd, unsafe.Pointer(&auto), uint32(unsafe.Sizeof(auto.Family))); err != nil {
			_ = unix.Close(fd)
			return -1, os.NewSyscallError("bind", err)
		}
	}
	if err := sockaddrCall(unix.SYS_CONNECT, fd, unsafe.Pointer(&raw), salen); err != nil {
		_ = unix.Close(fd)
		return -1, os.NewSyscallError("connect", err)
	}
	return fd, nil
}

// sockaddrCall runs bind(2) or connect(2) with a raw address, retrying
// EINTR.
func sockaddrCall(trap uintptr, fd int, sa unsafe.Pointer, salen uint32) error {
	for {
		_, _, e := unix.Syscall(trap, uintptr(fd), uintptr(sa), uintptr(salen))
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return e
	}
}

// PacketLocalAddr is LocalAddr for a datagram socket: a *net.UDPAddr, or a
// *net.UnixAddr of network "unixgram" ("@" and the kernel's name when
// autobound).
func PacketLocalAddr(fd int) (net.Addr, error) {
	return sockname(unix.SYS_GETSOCKNAME, "getsockname", fd, true)
}

// PacketPeerAddr is PeerAddr for a datagram socket: the address it is
// connected to, as PacketLocalAddr words it.
func PacketPeerAddr(fd int) (net.Addr, error) {
	return sockname(unix.SYS_GETPEERNAME, "getpeername", fd, true)
}
