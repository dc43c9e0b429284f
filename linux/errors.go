package linux

import "errors"

// ErrNetwork is returned (wrapped) by ParseAddr and Listen when the network
// is not one of "tcp", "tcp4", "tcp6" or "unix", and by ParsePacketAddr and
// DialPacket when it is not one of "udp", "udp4", "udp6" or "unixgram".
var ErrNetwork = errors.New("linux: unsupported network")

// ErrAddress is returned (wrapped) by ParseAddr and Listen when the address
// cannot be used without DNS: a host that is neither a literal IP nor
// "localhost", a bad port, an IP of the wrong family for the network, or a
// unix path that is empty or too long.
var ErrAddress = errors.New("linux: invalid address")

// ErrFamily is returned (wrapped) by SockaddrToRaw for a sockaddr type other
// than inet4, inet6 and unix.
var ErrFamily = errors.New("linux: unsupported address family")

// ErrCPU is returned (wrapped) by PinToCPU for a CPU number outside the
// range a CPU set can hold.
var ErrCPU = errors.New("linux: CPU number out of range")
