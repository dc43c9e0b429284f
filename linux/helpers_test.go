package linux

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// pollTimeoutMS bounds every wait in these tests; loopback events arrive
// in microseconds, so hitting it means the behaviour under test is wrong.
const pollTimeoutMS = 5000

// closeOnCleanup closes fd when the test ends.
func closeOnCleanup(t *testing.T, fd int) {
	t.Helper()
	t.Cleanup(func() { _ = unix.Close(fd) })
}

// listen is Listen that fails the test on error and closes the fd at the end.
func listen(t *testing.T, network, address string, opts ListenOptions) int {
	t.Helper()
	fd, err := Listen(network, address, opts)
	require.NoError(t, err)
	closeOnCleanup(t, fd)
	return fd
}

// waitFD blocks in poll(2) until fd reports one of events.
func waitFD(t *testing.T, fd int, events int16) {
	t.Helper()
	pfd := []unix.PollFd{{Fd: int32(fd), Events: events}}
	n, err := unix.Poll(pfd, pollTimeoutMS)
	require.NoError(t, err)
	require.Equal(t, 1, n, "fd %d not ready for %#x within %d ms", fd, events, pollTimeoutMS)
}

// connectRaw calls connect(2) with a raw sockaddr, as an io_uring connect
// SQE would pass it.
func connectRaw(fd int, raw *unix.RawSockaddrAny, salen uint32) error {
	_, _, errno := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(raw)), uintptr(salen))
	if errno != 0 {
		return errno
	}
	return nil
}

// acceptRaw accepts one connection on the listener lfd and returns the
// new fd with the peer address as the kernel wrote it.
func acceptRaw(t *testing.T, lfd int) (int, *unix.RawSockaddrAny, uint32) {
	t.Helper()
	waitFD(t, lfd, unix.POLLIN)
	raw := new(unix.RawSockaddrAny)
	salen := uint32(unix.SizeofSockaddrAny)
	r, _, errno := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(lfd), uintptr(unsafe.Pointer(raw)),
		uintptr(unsafe.Pointer(&salen)), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	require.Zero(t, errno, "accept4: %v", errno)
	closeOnCleanup(t, int(r))
	return int(r), raw, salen
}

// dial connects a new socket to the address lfd listens on, going through
// LocalAddr, ParseAddr and SockaddrToRaw like the loop does, and waits for
// the connect to finish. It returns the connected fd.
func dial(t *testing.T, lfd int) int {
	t.Helper()
	laddr, err := LocalAddr(lfd)
	require.NoError(t, err)
	network := laddr.Network()
	sa, family, err := ParseAddr(network, laddr.String())
	require.NoError(t, err)
	fd, err := Socket(family)
	require.NoError(t, err)
	closeOnCleanup(t, fd)
	var raw unix.RawSockaddrAny
	salen, err := SockaddrToRaw(sa, &raw)
	require.NoError(t, err)
	err = connectRaw(fd, &raw, salen)
	if err != nil {
		require.ErrorIs(t, err, unix.EINPROGRESS)
		waitFD(t, fd, unix.POLLOUT)
		require.NoError(t, SocketError(fd))
	}
	return fd
}

// rawBytes exposes raw as bytes for layout checks.
func rawBytes(raw *unix.RawSockaddrAny) unsafe.Pointer {
	return unsafe.Pointer(raw)
}
