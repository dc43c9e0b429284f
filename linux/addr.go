package linux

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// maxUnixPath is the size of sun_path. A filesystem path needs one byte
// for its terminating NUL; an abstract name (leading "@") does not.
const maxUnixPath = len(unix.RawSockaddrUnix{}.Path)

// ParseAddr turns a listen or dial address into a sockaddr and its address
// family (unix.AF_INET, unix.AF_INET6 or unix.AF_UNIX) without any DNS.
//
// For "tcp", "tcp4" and "tcp6" the address is host:port with an IPv6 host
// in brackets ("[::1]:80", "[fe80::1%eth0]:80"). The host must be a literal
// IP or "localhost" (127.0.0.1, or ::1 for "tcp6"); the port must be
// numeric. An empty host means all addresses: 0.0.0.0 for "tcp" and "tcp4"
// (nginx's "listen 80"), :: for "tcp6". For "tcp" an IPv4-mapped IPv6
// literal is treated as IPv4; "tcp4" and "tcp6" reject an IP of the other
// family.
//
// For "unix" the address is a filesystem path, or an abstract name when it
// starts with "@".
//
// Errors wrap ErrNetwork or ErrAddress.
func ParseAddr(network, address string) (sa unix.Sockaddr, family int, err error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
		return parseInet(network, address)
	case "unix":
		return parseUnix(address)
	}
	return nil, 0, fmt.Errorf("%w: %q", ErrNetwork, network)
}

func parseInet(network, address string) (unix.Sockaddr, int, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %s", ErrAddress, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: port %q of %q is not a number in 0-65535", ErrAddress, portStr, address)
	}
	ip, err := parseHost(network, host)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %q: %s", ErrAddress, address, err)
	}
	if ip.Is4() {
		return &unix.SockaddrInet4{Port: int(port), Addr: ip.As4()}, unix.AF_INET, nil
	}
	zone, err := zoneIndex(ip.Zone())
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %q: %s", ErrAddress, address, err)
	}
	return &unix.SockaddrInet6{Port: int(port), Addr: ip.As16(), ZoneId: zone}, unix.AF_INET6, nil
}

// parseHost resolves host without DNS for the given tcp network.
func parseHost(network, host string) (netip.Addr, error) {
	switch host {
	case "":
		if network == "tcp6" {
			return netip.IPv6Unspecified(), nil
		}
		return netip.IPv4Unspecified(), nil
	case "localhost":
		if network == "tcp6" {
			return netip.IPv6Loopback(), nil
		}
		return netip.AddrFrom4([4]byte{127, 0, 0, 1}), nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("host %q is not a literal IP (no DNS here)", host)
	}
	if network == "tcp6" {
		if ip.Is4() {
			return netip.Addr{}, fmt.Errorf("host %q is not an IPv6 address", host)
		}
		return ip, nil
	}
	if ip.Is4In6() && ip.Zone() == "" {
		ip = ip.Unmap()
	}
	if network == "tcp4" && !ip.Is4() {
		return netip.Addr{}, fmt.Errorf("host %q is not an IPv4 address", host)
	}
	return ip, nil
}

// zoneIndex maps an IPv6 zone (interface name or number) to a scope id.
// Looking an interface up by name asks the kernel over netlink, not DNS.
func zoneIndex(zone string) (uint32, error) {
	if zone == "" {
		return 0, nil
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n), nil
	}
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return 0, fmt.Errorf("zone %q: %s", zone, err)
	}
	return uint32(ifi.Index), nil
}

// zoneName is the reverse of zoneIndex: the interface name, else the number.
func zoneName(index uint32) string {
	if index == 0 {
		return ""
	}
	if ifi, err := net.InterfaceByIndex(int(index)); err == nil {
		return ifi.Name
	}
	return strconv.FormatUint(uint64(index), 10)
}

func parseUnix(path string) (unix.Sockaddr, int, error) {
	switch {
	case path == "" || path == "@":
		return nil, 0, fmt.Errorf("%w: empty unix socket name", ErrAddress)
	case path[0] == '@' && len(path) > maxUnixPath:
		return nil, 0, fmt.Errorf("%w: abstract name %q longer than %d bytes", ErrAddress, path, maxUnixPath-1)
	case path[0] != '@' && len(path) >= maxUnixPath:
		return nil, 0, fmt.Errorf("%w: unix path %q longer than %d bytes", ErrAddress, path, maxUnixPath-1)
	}
	return &unix.SockaddrUnix{Name: path}, unix.AF_UNIX, nil
}

// LocalAddr returns the address fd is bound to (getsockname) as a
// *net.TCPAddr or *net.UnixAddr. An unnamed unix socket gives Name "".
func LocalAddr(fd int) (net.Addr, error) {
	return sockname(unix.SYS_GETSOCKNAME, "getsockname", fd, false)
}

// PeerAddr returns the address of fd's peer (getpeername) as a
// *net.TCPAddr or *net.UnixAddr. An unnamed unix peer gives Name "".
func PeerAddr(fd int) (net.Addr, error) {
	return sockname(unix.SYS_GETPEERNAME, "getpeername", fd, false)
}

// sockname runs getsockname or getpeername and decodes the address, as a
// datagram one (*net.UDPAddr, *net.UnixAddr of "unixgram") with dgram.
func sockname(trap uintptr, name string, fd int, dgram bool) (net.Addr, error) {
	var raw unix.RawSockaddrAny
	salen := uint32(unix.SizeofSockaddrAny)
	if err := rawSockname(trap, fd, &raw, &salen); err != nil {
		return nil, &os.SyscallError{Syscall: name, Err: err}
	}
	addr := rawToAddr(&raw, salen, dgram)
	if addr == nil {
		return nil, &os.SyscallError{Syscall: name, Err: unix.EAFNOSUPPORT}
	}
	return addr, nil
}
