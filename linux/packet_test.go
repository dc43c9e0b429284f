package linux

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestParsePacketAddr(t *testing.T) {
	loopback6 := [16]byte{15: 1}
	for _, tc := range []struct {
		name, network, address string
		want                   unix.Sockaddr
		family                 int
	}{
		{"udp ipv4", "udp", "127.0.0.1:53", &unix.SockaddrInet4{Port: 53, Addr: [4]byte{127, 0, 0, 1}}, unix.AF_INET},
		{"udp ipv6", "udp", "[::1]:53", &unix.SockaddrInet6{Port: 53, Addr: loopback6}, unix.AF_INET6},
		{"udp4", "udp4", "10.0.0.1:5353", &unix.SockaddrInet4{Port: 5353, Addr: [4]byte{10, 0, 0, 1}}, unix.AF_INET},
		{"udp6 localhost", "udp6", "localhost:53", &unix.SockaddrInet6{Port: 53, Addr: loopback6}, unix.AF_INET6},
		{"unixgram path", "unixgram", "/run/dns.sock", &unix.SockaddrUnix{Name: "/run/dns.sock"}, unix.AF_UNIX},
		{"unixgram abstract", "unixgram", "@dns", &unix.SockaddrUnix{Name: "@dns"}, unix.AF_UNIX},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sa, family, err := ParsePacketAddr(tc.network, tc.address)
			require.NoError(t, err)
			assert.Equal(t, tc.want, sa)
			assert.Equal(t, tc.family, family)
		})
	}
}

func TestParsePacketAddrErrors(t *testing.T) {
	for _, tc := range []struct {
		name, network, address string
		want                   error
	}{
		{"a stream network", "tcp", "127.0.0.1:53", ErrNetwork},
		{"unix is the stream one", "unix", "/run/dns.sock", ErrNetwork},
		{"host name needs DNS", "udp", "dns.example:53", ErrAddress},
		{"missing port", "udp", "127.0.0.1", ErrAddress},
		{"ipv6 for udp4", "udp4", "[::1]:53", ErrAddress},
		{"ipv4 for udp6", "udp6", "127.0.0.1:53", ErrAddress},
		{"empty unixgram path", "unixgram", "", ErrAddress},
		{"unixgram path too long", "unixgram", "/" + strings.Repeat("p", 107), ErrAddress},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sa, _, err := ParsePacketAddr(tc.network, tc.address)
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, sa)
		})
	}
}

// dialPacket is DialPacket that fails the test on error and closes the fd
// at the end.
func dialPacket(t *testing.T, network, address string) int {
	t.Helper()
	fd, err := DialPacket(network, address)
	require.NoError(t, err)
	closeOnCleanup(t, fd)
	return fd
}

// requireDatagram checks the flags every dialed datagram socket carries.
func requireDatagram(t *testing.T, fd int) {
	t.Helper()
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	require.NoError(t, err)
	assert.Equal(t, unix.SOCK_DGRAM, typ, "SO_TYPE")
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	require.NoError(t, err)
	assert.NotZero(t, fl&unix.O_NONBLOCK, "O_NONBLOCK")
	fdfl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.NoError(t, err)
	assert.NotZero(t, fdfl&unix.FD_CLOEXEC, "FD_CLOEXEC")
}

// readPacket waits for one datagram on fd and returns it.
func readPacket(t *testing.T, fd int) string {
	t.Helper()
	waitFD(t, fd, unix.POLLIN)
	b := make([]byte, 256)
	n, err := unix.Read(fd, b)
	require.NoError(t, err)
	return string(b[:n])
}

// packetRoundTrip sends "ping" from fd to peer, checks where it came from
// and that the answer reaches fd.
func packetRoundTrip(t *testing.T, fd int, peer net.PacketConn) {
	t.Helper()
	local, err := PacketLocalAddr(fd)
	require.NoError(t, err)
	_, err = unix.Write(fd, []byte("ping"))
	require.NoError(t, err)
	require.NoError(t, peer.SetDeadline(time.Now().Add(5*time.Second)))
	b := make([]byte, 16)
	n, from, err := peer.ReadFrom(b)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(b[:n]))
	assert.Equal(t, local.String(), from.String(), "the datagram comes from the local address")
	_, err = peer.WriteTo([]byte("pong"), from)
	require.NoError(t, err)
	assert.Equal(t, "pong", readPacket(t, fd))
}

func TestDialPacketUDP(t *testing.T) {
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer peer.Close()
	fd := dialPacket(t, "udp", peer.LocalAddr().String())
	requireDatagram(t, fd)
	local, err := PacketLocalAddr(fd)
	require.NoError(t, err)
	udp, ok := local.(*net.UDPAddr)
	require.True(t, ok, "PacketLocalAddr type %T", local)
	assert.True(t, udp.IP.Equal(net.IPv4(127, 0, 0, 1)), "connect picked the loopback source: %v", udp.IP)
	assert.NotZero(t, udp.Port, "connect bound a port")
	remote, err := PacketPeerAddr(fd)
	require.NoError(t, err)
	assert.Equal(t, "udp", remote.Network())
	assert.Equal(t, peer.LocalAddr().String(), remote.String())
	packetRoundTrip(t, fd, peer)
}

func TestDialPacketUDP6(t *testing.T) {
	peer, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this host (listen on [::1]: %v)", err)
	}
	defer peer.Close()
	fd := dialPacket(t, "udp6", peer.LocalAddr().String())
	requireDatagram(t, fd)
	packetRoundTrip(t, fd, peer)
}

func TestDialPacketUnixgramAutobinds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peer.sock")
	peer, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	defer peer.Close()
	fd := dialPacket(t, "unixgram", path)
	requireDatagram(t, fd)
	local, err := PacketLocalAddr(fd)
	require.NoError(t, err)
	assert.Equal(t, "unixgram", local.Network())
	assert.True(t, strings.HasPrefix(local.String(), "@"), "autobound to an abstract name, got %q", local)
	remote, err := PacketPeerAddr(fd)
	require.NoError(t, err)
	assert.Equal(t, path, remote.String())
	packetRoundTrip(t, fd, peer)
}

func TestDialPacketErrors(t *testing.T) {
	_, err := DialPacket("udp", "no-port")
	assert.ErrorIs(t, err, ErrAddress)
	_, err = DialPacket("tcp", "127.0.0.1:53")
	assert.ErrorIs(t, err, ErrNetwork)
	_, err = DialPacket("unixgram", filepath.Join(os.TempDir(), "luring-absent-dgram.sock"))
	assert.ErrorIs(t, err, unix.ENOENT, "a unix peer must exist at connect")
}
