package linux

import (
	"fmt"
	"net"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SockaddrToRaw fills the caller-owned raw with sa in kernel layout and
// returns the length to pass with it (to an io_uring connect, bind or
// sendmsg). It handles *unix.SockaddrInet4, *unix.SockaddrInet6 and
// *unix.SockaddrUnix (a Name starting with "@" is abstract) and does not
// allocate. raw is zeroed first, so it may be reused. The kernel reads raw
// when the operation is submitted; for io_uring keep raw unmodified until
// the connect completes.
//
// Errors wrap ErrFamily for another sockaddr type and ErrAddress for a unix
// name too long for sun_path.
func SockaddrToRaw(sa unix.Sockaddr, raw *unix.RawSockaddrAny) (salen uint32, err error) {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		*raw = unix.RawSockaddrAny{}
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		p.Family = unix.AF_INET
		putPort(&p.Port, sa.Port)
		p.Addr = sa.Addr
		return unix.SizeofSockaddrInet4, nil
	case *unix.SockaddrInet6:
		*raw = unix.RawSockaddrAny{}
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(raw))
		p.Family = unix.AF_INET6
		putPort(&p.Port, sa.Port)
		p.Addr = sa.Addr
		p.Scope_id = sa.ZoneId
		return unix.SizeofSockaddrInet6, nil
	case *unix.SockaddrUnix:
		return unixToRaw(sa.Name, raw)
	}
	return 0, fmt.Errorf("%w: %T", ErrFamily, sa)
}

func unixToRaw(name string, raw *unix.RawSockaddrAny) (uint32, error) {
	n := len(name)
	abstract := n > 0 && name[0] == '@'
	if n > maxUnixPath || (!abstract && n == maxUnixPath) {
		return 0, fmt.Errorf("%w: unix name of %d bytes", ErrAddress, n)
	}
	*raw = unix.RawSockaddrAny{}
	p := (*unix.RawSockaddrUnix)(unsafe.Pointer(raw))
	p.Family = unix.AF_UNIX
	for i := 0; i < n; i++ {
		p.Path[i] = int8(name[i])
	}
	const head = uint32(unsafe.Offsetof(p.Path))
	switch {
	case n == 0: // unnamed: autobind on bind, nothing to connect to
		return head, nil
	case abstract: // leading NUL, no terminator: the length delimits the name
		p.Path[0] = 0
		return head + uint32(n), nil
	}
	return head + uint32(n) + 1, nil // path and its NUL
}

// putPort stores port in network byte order.
func putPort(dst *uint16, port int) {
	b := (*[2]byte)(unsafe.Pointer(dst))
	b[0] = byte(port >> 8)
	b[1] = byte(port)
}

func getPort(src *uint16) int {
	b := (*[2]byte)(unsafe.Pointer(src))
	return int(b[0])<<8 | int(b[1])
}

// RawToAddr decodes a raw sockaddr filled by the kernel (accept, recvmsg)
// into a *net.TCPAddr or *net.UnixAddr; it returns nil for other families.
// It allocates the result.
//
// The kernel writes only the address's own length, and a unix name is read
// up to its first NUL (the convention Go's syscall package uses). Zero raw
// before reusing it for a unix-socket accept, or a stale name from an
// earlier peer may be reported; an unnamed unix peer gives Name "".
// LocalAddr and PeerAddr use the exact length and need no such care.
func RawToAddr(raw *unix.RawSockaddrAny) net.Addr {
	return rawToAddr(raw, unix.SizeofSockaddrAny, false)
}

// RawToAddrPort decodes an AF_INET or AF_INET6 raw sockaddr without
// allocating (except for the zone of a scoped IPv6 address). ok is false
// for other families. An IPv4-mapped IPv6 address stays in IPv6 form; call
// Unmap on the result for the IPv4 one.
func RawToAddrPort(raw *unix.RawSockaddrAny) (ap netip.AddrPort, ok bool) {
	switch raw.Addr.Family {
	case unix.AF_INET:
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		return netip.AddrPortFrom(netip.AddrFrom4(p.Addr), uint16(getPort(&p.Port))), true
	case unix.AF_INET6:
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(raw))
		ip := netip.AddrFrom16(p.Addr)
		if p.Scope_id != 0 {
			ip = ip.WithZone(zoneName(p.Scope_id))
		}
		return netip.AddrPortFrom(ip, uint16(getPort(&p.Port))), true
	}
	return netip.AddrPort{}, false
}

// rawToAddr decodes raw, of which the kernel filled salen bytes, as the
// address of a stream socket (*net.TCPAddr, *net.UnixAddr of "unix") or,
// with dgram, of a datagram one (*net.UDPAddr, *net.UnixAddr of "unixgram").
func rawToAddr(raw *unix.RawSockaddrAny, salen uint32, dgram bool) net.Addr {
	if salen > unix.SizeofSockaddrAny {
		salen = unix.SizeofSockaddrAny
	}
	switch raw.Addr.Family {
	case unix.AF_INET:
		if salen < unix.SizeofSockaddrInet4 {
			return nil
		}
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(raw))
		ip, port := net.IP(p.Addr[:]).To16(), getPort(&p.Port)
		if dgram {
			return &net.UDPAddr{IP: ip, Port: port}
		}
		return &net.TCPAddr{IP: ip, Port: port}
	case unix.AF_INET6:
		if salen < unix.SizeofSockaddrInet6 {
			return nil
		}
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(raw))
		ip := make(net.IP, net.IPv6len)
		copy(ip, p.Addr[:])
		if dgram {
			return &net.UDPAddr{IP: ip, Port: getPort(&p.Port), Zone: zoneName(p.Scope_id)}
		}
		return &net.TCPAddr{IP: ip, Port: getPort(&p.Port), Zone: zoneName(p.Scope_id)}
	case unix.AF_UNIX:
		p := (*unix.RawSockaddrUnix)(unsafe.Pointer(raw))
		head := uint32(unsafe.Offsetof(p.Path))
		if salen < head {
			return nil
		}
		n := min(salen-head, uint32(len(p.Path)))
		if dgram {
			return &net.UnixAddr{Name: unixName(p.Path[:n]), Net: "unixgram"}
		}
		return &net.UnixAddr{Name: unixName(p.Path[:n]), Net: "unix"}
	}
	return nil
}

// unixName turns sun_path bytes into a name: "@" for a leading NUL
// (abstract), cut at the next NUL; "" when the socket is unnamed.
func unixName(path []int8) string {
	if len(path) == 0 {
		return ""
	}
	start := 0
	if path[0] == 0 {
		start = 1
	}
	end := start
	for end < len(path) && path[end] != 0 {
		end++
	}
	if end == start {
		return ""
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&path[0])), end)
	name := string(b)
	if start == 1 {
		name = "@" + name[1:]
	}
	return name
}

// rawSockname runs getsockname or getpeername into raw, updating salen to
// the length the kernel reports.
func rawSockname(trap uintptr, fd int, raw *unix.RawSockaddrAny, salen *uint32) error {
	_, _, errno := unix.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(raw)), uintptr(unsafe.Pointer(salen)))
	if errno != 0 {
		return errno
	}
	return nil
}
