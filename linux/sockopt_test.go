package linux

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// tcpSocket returns a fresh unconnected AF_INET stream socket.
func tcpSocket(t *testing.T) int {
	t.Helper()
	fd, err := Socket(unix.AF_INET)
	require.NoError(t, err)
	closeOnCleanup(t, fd)
	return fd
}

func getInt(t *testing.T, fd, level, opt int) int {
	t.Helper()
	v, err := unix.GetsockoptInt(fd, level, opt)
	require.NoError(t, err)
	return v
}

func TestBoolOptionsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name       string
		set        func(int, bool) error
		level, opt int
	}{
		{"TCP_NODELAY", SetNoDelay, unix.IPPROTO_TCP, unix.TCP_NODELAY},
		{"SO_KEEPALIVE", SetKeepAlive, unix.SOL_SOCKET, unix.SO_KEEPALIVE},
		{"SO_REUSEADDR", SetReuseAddr, unix.SOL_SOCKET, unix.SO_REUSEADDR},
		{"SO_REUSEPORT", SetReusePort, unix.SOL_SOCKET, unix.SO_REUSEPORT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fd := tcpSocket(t)
			require.NoError(t, tc.set(fd, true))
			assert.Equal(t, 1, getInt(t, fd, tc.level, tc.opt))
			require.NoError(t, tc.set(fd, false))
			assert.Equal(t, 0, getInt(t, fd, tc.level, tc.opt))
		})
	}
}

func TestSetKeepAlivePeriod(t *testing.T) {
	fd := tcpSocket(t)
	require.NoError(t, SetKeepAlivePeriod(fd, 90*time.Second, 1500*time.Millisecond, 4))
	assert.Equal(t, 90, getInt(t, fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE))
	assert.Equal(t, 2, getInt(t, fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL), "rounded up to whole seconds")
	assert.Equal(t, 4, getInt(t, fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT))

	require.NoError(t, SetKeepAlivePeriod(fd, 0, -time.Second, 0), "zero and negative leave settings alone")
	assert.Equal(t, 90, getInt(t, fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE))
	assert.Equal(t, 2, getInt(t, fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL))
	assert.Equal(t, 4, getInt(t, fd, unix.IPPROTO_TCP, unix.TCP_KEEPCNT))

	require.NoError(t, SetKeepAlivePeriod(fd, time.Nanosecond, 0, 0))
	assert.Equal(t, 1, getInt(t, fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE), "a sub-second idle becomes 1s")
}

// The kernel stores twice the requested size (half is for its own
// bookkeeping) and getsockopt reports that; 64 KiB stays under the
// default net.core.[rw]mem_max of 208 KiB.
func TestBufferSizesRoundTrip(t *testing.T) {
	fd := tcpSocket(t)
	require.NoError(t, SetSendBuffer(fd, 64<<10))
	assert.Equal(t, 128<<10, getInt(t, fd, unix.SOL_SOCKET, unix.SO_SNDBUF))
	require.NoError(t, SetRecvBuffer(fd, 64<<10))
	assert.Equal(t, 128<<10, getInt(t, fd, unix.SOL_SOCKET, unix.SO_RCVBUF))
}

func TestSetLinger(t *testing.T) {
	fd := tcpSocket(t)
	for _, tc := range []struct {
		sec  int
		want unix.Linger
	}{
		{5, unix.Linger{Onoff: 1, Linger: 5}},
		{0, unix.Linger{Onoff: 1, Linger: 0}},
		{-1, unix.Linger{}},
	} {
		require.NoError(t, SetLinger(fd, tc.sec))
		got, err := unix.GetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER)
		require.NoError(t, err)
		assert.Equal(t, tc.want, *got, "SetLinger(%d)", tc.sec)
	}
}

func TestSocketOptionsOnNonSocket(t *testing.T) {
	var p [2]int
	require.NoError(t, unix.Pipe2(p[:], unix.O_CLOEXEC))
	closeOnCleanup(t, p[0])
	closeOnCleanup(t, p[1])
	for name, err := range map[string]error{
		"SetNoDelay":         SetNoDelay(p[0], true),
		"SetKeepAlive":       SetKeepAlive(p[0], true),
		"SetKeepAlivePeriod": SetKeepAlivePeriod(p[0], time.Second, time.Second, 1),
		"SetSendBuffer":      SetSendBuffer(p[0], 1<<16),
		"SetRecvBuffer":      SetRecvBuffer(p[0], 1<<16),
		"SetReuseAddr":       SetReuseAddr(p[0], true),
		"SetReusePort":       SetReusePort(p[0], true),
		"SetLinger":          SetLinger(p[0], 1),
	} {
		var se *os.SyscallError
		require.ErrorAs(t, err, &se, name)
		assert.Equal(t, "setsockopt", se.Syscall, name)
		assert.ErrorIs(t, err, unix.ENOTSOCK, name)
	}
	err := SocketError(p[0])
	var se *os.SyscallError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "getsockopt", se.Syscall)
	assert.ErrorIs(t, err, unix.ENOTSOCK)
}

func TestSocketFlags(t *testing.T) {
	for _, family := range []int{unix.AF_INET, unix.AF_INET6, unix.AF_UNIX} {
		fd, err := Socket(family)
		require.NoError(t, err)
		closeOnCleanup(t, fd)
		typ := getInt(t, fd, unix.SOL_SOCKET, unix.SO_TYPE)
		assert.Equal(t, unix.SOCK_STREAM, typ)
		assert.Equal(t, family, getInt(t, fd, unix.SOL_SOCKET, unix.SO_DOMAIN))
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		require.NoError(t, err)
		assert.NotZero(t, fl&unix.O_NONBLOCK)
		fdfl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		require.NoError(t, err)
		assert.NotZero(t, fdfl&unix.FD_CLOEXEC)
		assert.NoError(t, SocketError(fd), "fresh socket has no pending error")
	}
	_, err := Socket(-1)
	var se *os.SyscallError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "socket", se.Syscall)
}
