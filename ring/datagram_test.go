package ring

// Datagram sockets through the conformance suite: Recv and Send on a
// connected UDP or unixgram socket keep datagram boundaries, truncate a
// datagram longer than the buffer (as recv(2) does), report a zero-length
// datagram as Res 0 (not an end of stream: there is none on a datagram
// socket) and pass an ICMP error through as -ECONNREFUSED.

import (
	"net"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// udpPair returns a connected non-blocking UDP socket for the ring and its
// peer, a net.UDPConn connected back to it.
func udpPair(t testing.TB) (int, *net.UDPConn) {
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = peer.Close() })
	fd := udpSocket(t)
	sa, salen := rawInet4(peer.LocalAddr().(*net.UDPAddr).Port)
	require.NoError(t, connectSockaddr(fd, sa, salen))
	local, err := unix.Getsockname(fd)
	require.NoError(t, err)
	// The peer answers only the ring's socket from now on.
	back := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: local.(*unix.SockaddrInet4).Port}
	rc, err := peer.SyscallConn()
	require.NoError(t, err)
	var cerr error
	require.NoError(t, rc.Control(func(pfd uintptr) {
		cerr = unix.Connect(int(pfd), &unix.SockaddrInet4{Port: back.Port, Addr: [4]byte{127, 0, 0, 1}})
	}))
	require.NoError(t, cerr)
	return fd, peer
}

// udpSocket returns a non-blocking UDP socket closed when the test ends.
func udpSocket(t testing.TB) int {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = unix.Close(fd) })
	return fd
}

// connectSockaddr is connect(2) with a raw address: immediate on a
// datagram socket.
func connectSockaddr(fd int, sa *unix.RawSockaddrAny, salen uint32) error {
	_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(sa)), uintptr(salen))
	if e != 0 {
		return e
	}
	return nil
}

// readDatagram reads one datagram from peer within testWait.
func readDatagram(t testing.TB, peer *net.UDPConn) string {
	require.NoError(t, peer.SetReadDeadline(time.Now().Add(testWait)))
	b := make([]byte, 2048)
	n, err := peer.Read(b)
	require.NoError(t, err)
	return string(b[:n])
}

func TestDatagramBoundariesAndTruncation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		fd, peer := udpPair(t)
		buf := make([]byte, 64)
		h.r.Recv(1, fd, buf) // queued before the datagram exists
		_, err := peer.Write([]byte("first"))
		require.NoError(t, err)
		_, err = peer.Write([]byte("second"))
		require.NoError(t, err)
		require.Equal(t, int32(5), h.res(1), "one datagram per recv")
		assert.Equal(t, "first", string(buf[:5]))
		h.r.Recv(2, fd, buf)
		require.Equal(t, int32(6), h.res(2))
		assert.Equal(t, "second", string(buf[:6]))

		_, err = peer.Write([]byte("0123456789"))
		require.NoError(t, err)
		short := make([]byte, 4)
		h.r.Recv(3, fd, short)
		require.Equal(t, int32(4), h.res(3), "a longer datagram is truncated to the buffer")
		assert.Equal(t, "0123", string(short))
		_, err = peer.Write([]byte("next"))
		require.NoError(t, err)
		h.r.Recv(4, fd, buf)
		require.Equal(t, int32(4), h.res(4), "the truncated rest is gone, not read as the next datagram")
		assert.Equal(t, "next", string(buf[:4]))

		h.r.Send(5, fd, []byte("one"))
		require.Equal(t, int32(3), h.res(5))
		h.r.Send(6, fd, []byte("two"))
		require.Equal(t, int32(3), h.res(6))
		assert.Equal(t, "one", readDatagram(t, peer))
		assert.Equal(t, "two", readDatagram(t, peer))
	})
}

func TestDatagramZeroLength(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		fd, peer := udpPair(t)
		h.r.Recv(1, fd, make([]byte, 16))
		_, err := peer.Write(nil)
		require.NoError(t, err)
		assert.Equal(t, int32(0), h.res(1), "an empty datagram")
		buf := make([]byte, 16)
		h.r.Recv(2, fd, buf)
		_, err = peer.Write([]byte("after"))
		require.NoError(t, err)
		require.Equal(t, int32(5), h.res(2), "Res 0 ended nothing")
		assert.Equal(t, "after", string(buf[:5]))

		h.r.Send(3, fd, []byte{})
		require.Equal(t, int32(0), h.res(3))
		assert.Equal(t, "", readDatagram(t, peer))
	})
}

func TestDatagramConnectionRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		// A port nobody listens on: bind one, note it, close it.
		gone, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		require.NoError(t, err)
		port := gone.LocalAddr().(*net.UDPAddr).Port
		require.NoError(t, gone.Close())
		fd := udpSocket(t)
		sa, salen := rawInet4(port)
		require.NoError(t, connectSockaddr(fd, sa, salen))
		h.r.Send(1, fd, []byte("anyone?"))
		require.Equal(t, int32(7), h.res(1), "the datagram leaves; the refusal comes back as ICMP")
		h.r.Recv(2, fd, make([]byte, 16))
		assert.Equal(t, negErrno(unix.ECONNREFUSED), h.res(2))
	})
}

func TestDatagramUnixgram(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		require.NoError(t, err)
		t.Cleanup(func() { _ = unix.Close(fds[0]); _ = unix.Close(fds[1]) })
		buf := make([]byte, 8)
		h.r.Recv(1, fds[0], buf)
		h.r.Send(2, fds[1], []byte("dgram"))
		require.Equal(t, int32(5), h.res(2))
		require.Equal(t, int32(5), h.res(1))
		assert.Equal(t, "dgram", string(buf[:5]))
		h.r.Send(3, fds[1], nil)
		require.Equal(t, int32(0), h.res(3))
		h.r.Recv(4, fds[0], buf)
		assert.Equal(t, int32(0), h.res(4), "an empty unix datagram")
	})
}

// A descriptor number closed behind the ring's back and reused by a socket
// whose first operation is not a Connect: Fresh makes the ring forget the
// old one (the epoll backend would otherwise think it registered already
// and never hear of the new one).
func TestFreshDescriptorReusingANumber(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		old, oldPeer := udpPair(t)
		h.r.Recv(1, old, make([]byte, 8))
		_, err := oldPeer.Write([]byte("x"))
		require.NoError(t, err)
		require.Equal(t, int32(1), h.res(1)) // the ring has seen old
		fd, peer := udpPair(t)
		// Put the new socket at old's number, as a close and a socket call
		// would: dup3 closes old without the ring seeing it.
		require.NoError(t, unix.Dup3(fd, old, unix.O_CLOEXEC))
		h.r.Fresh(old)
		buf := make([]byte, 8)
		h.r.Recv(2, old, buf)
		_, err = peer.Write([]byte("new"))
		require.NoError(t, err)
		require.Equal(t, int32(3), h.res(2))
		assert.Equal(t, "new", string(buf[:3]))
	})
}
