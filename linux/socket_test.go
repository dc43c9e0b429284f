package linux

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// requireListening checks the flags every listener must carry.
func requireListening(t *testing.T, fd int) {
	t.Helper()
	acc, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	require.NoError(t, err)
	assert.Equal(t, 1, acc, "SO_ACCEPTCONN")
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	require.NoError(t, err)
	assert.NotZero(t, fl&unix.O_NONBLOCK, "O_NONBLOCK")
	fdfl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	require.NoError(t, err)
	assert.NotZero(t, fdfl&unix.FD_CLOEXEC, "FD_CLOEXEC")
}

func TestListenTCP4(t *testing.T) {
	fd := listen(t, "tcp4", "127.0.0.1:0", ListenOptions{})
	requireListening(t, fd)
	reuse, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR)
	require.NoError(t, err)
	assert.Equal(t, 1, reuse, "SO_REUSEADDR")

	laddr, err := LocalAddr(fd)
	require.NoError(t, err)
	tcp, ok := laddr.(*net.TCPAddr)
	require.True(t, ok, "LocalAddr type %T", laddr)
	assert.True(t, tcp.IP.Equal(net.IPv4(127, 0, 0, 1)), "ip %v", tcp.IP)
	assert.NotZero(t, tcp.Port)

	cfd := dial(t, fd)
	sfd, raw, salen := acceptRaw(t, fd)
	assert.Equal(t, uint32(unix.SizeofSockaddrInet4), salen)
	caddr, err := LocalAddr(cfd)
	require.NoError(t, err)
	peer, err := PeerAddr(sfd)
	require.NoError(t, err)
	assert.Equal(t, caddr.String(), peer.String(), "server's peer is the client")
	assert.Equal(t, caddr.String(), RawToAddr(raw).String(), "accept's raw address")
	ap, ok := RawToAddrPort(raw)
	require.True(t, ok)
	assert.Equal(t, caddr.String(), ap.String())
	cpeer, err := PeerAddr(cfd)
	require.NoError(t, err)
	assert.Equal(t, laddr.String(), cpeer.String(), "client's peer is the listener")
}

// ::1 is configured on the machine these tests were written on; on a host
// without IPv6 this test fails rather than skips, by design.
func TestListenTCP6(t *testing.T) {
	fd := listen(t, "tcp6", "[::1]:0", ListenOptions{})
	requireListening(t, fd)
	v6only, err := unix.GetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
	require.NoError(t, err)
	assert.Equal(t, 1, v6only, "IPV6_V6ONLY by default, like nginx ipv6only=on")

	laddr, err := LocalAddr(fd)
	require.NoError(t, err)
	assert.Regexp(t, `^\[::1\]:[1-9][0-9]*$`, laddr.String())

	cfd := dial(t, fd)
	sfd, raw, salen := acceptRaw(t, fd)
	assert.Equal(t, uint32(unix.SizeofSockaddrInet6), salen)
	caddr, err := LocalAddr(cfd)
	require.NoError(t, err)
	peer, err := PeerAddr(sfd)
	require.NoError(t, err)
	assert.Equal(t, caddr.String(), peer.String())
	assert.Equal(t, caddr.String(), RawToAddr(raw).String())

}

// The kernel sets IPV6_V6ONLY itself when a socket binds a specific IPv6
// address, so DualStack only matters for "[::]:port". Check the option on
// an unbound socket rather than expose a wildcard listener in a test.
func TestListenDualStackOption(t *testing.T) {
	for _, tc := range []struct {
		dual bool
		want int
	}{{false, 1}, {true, 0}} {
		fd, err := Socket(unix.AF_INET6)
		require.NoError(t, err)
		closeOnCleanup(t, fd)
		require.NoError(t, prepareListener(fd, unix.AF_INET6, &unix.SockaddrInet6{}, ListenOptions{DualStack: tc.dual}))
		v6only, err := unix.GetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
		require.NoError(t, err)
		assert.Equal(t, tc.want, v6only, "DualStack=%v", tc.dual)
	}
}

func TestListenUnixPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.sock")
	fd := listen(t, "unix", path, ListenOptions{})
	requireListening(t, fd)
	laddr, err := LocalAddr(fd)
	require.NoError(t, err)
	assert.Equal(t, &net.UnixAddr{Name: path, Net: "unix"}, laddr)

	cfd := dial(t, fd)
	sfd, raw, _ := acceptRaw(t, fd)
	peer, err := PeerAddr(cfd)
	require.NoError(t, err)
	assert.Equal(t, path, peer.String(), "client's peer is the listener's path")
	unnamed, err := PeerAddr(sfd)
	require.NoError(t, err)
	assert.Equal(t, &net.UnixAddr{Name: "", Net: "unix"}, unnamed, "dialing socket is unnamed")
	assert.Equal(t, &net.UnixAddr{Name: "", Net: "unix"}, RawToAddr(raw))
}

func TestListenUnixAbstract(t *testing.T) {
	name := fmt.Sprintf("@luring-linux-test-%d", os.Getpid())
	fd := listen(t, "unix", name, ListenOptions{})
	requireListening(t, fd)
	laddr, err := LocalAddr(fd)
	require.NoError(t, err)
	assert.Equal(t, &net.UnixAddr{Name: name, Net: "unix"}, laddr)

	cfd := dial(t, fd)
	acceptRaw(t, fd)
	peer, err := PeerAddr(cfd)
	require.NoError(t, err)
	assert.Equal(t, name, peer.String())

	_, err = Listen("unix", name, ListenOptions{})
	require.ErrorIs(t, err, unix.EADDRINUSE, "abstract names are unique while bound")
}

func TestListenUnixStaleFile(t *testing.T) {
	dir := t.TempDir()

	t.Run("stale socket is replaced", func(t *testing.T) {
		path := filepath.Join(dir, "stale.sock")
		old, err := Listen("unix", path, ListenOptions{})
		require.NoError(t, err)
		require.NoError(t, unix.Close(old)) // the file stays behind
		_, err = os.Lstat(path)
		require.NoError(t, err)
		fd := listen(t, "unix", path, ListenOptions{})
		dial(t, fd)
	})

	t.Run("live socket is kept", func(t *testing.T) {
		path := filepath.Join(dir, "live.sock")
		live := listen(t, "unix", path, ListenOptions{})
		_, err := Listen("unix", path, ListenOptions{})
		require.ErrorIs(t, err, unix.EADDRINUSE)
		dial(t, live) // still reachable through the same file
	})

	t.Run("regular file is kept", func(t *testing.T) {
		path := filepath.Join(dir, "data")
		require.NoError(t, os.WriteFile(path, []byte("keep"), 0o600))
		_, err := Listen("unix", path, ListenOptions{})
		require.ErrorIs(t, err, unix.EADDRINUSE)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, "keep", string(b))
	})
}

func TestListenReusePort(t *testing.T) {
	first := listen(t, "tcp4", "127.0.0.1:0", ListenOptions{ReusePort: true})
	laddr, err := LocalAddr(first)
	require.NoError(t, err)
	second := listen(t, "tcp4", laddr.String(), ListenOptions{ReusePort: true})
	requireListening(t, second)
	for _, fd := range []int{first, second} {
		v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT)
		require.NoError(t, err)
		assert.Equal(t, 1, v, "SO_REUSEPORT on fd %d", fd)
	}

	_, err = Listen("tcp4", laddr.String(), ListenOptions{})
	require.ErrorIs(t, err, unix.EADDRINUSE, "a listener without reuseport cannot join")
	var se *os.SyscallError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "bind", se.Syscall)
}

// Linux 6.18 (this machine) refuses SO_REUSEPORT on unix sockets.
func TestListenReusePortUnix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.sock")
	fd, err := Listen("unix", path, ListenOptions{ReusePort: true})
	require.ErrorIs(t, err, unix.EOPNOTSUPP)
	assert.Equal(t, -1, fd)
	_, err = os.Lstat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "failed before bind: no file left behind")
}

func TestListenWithoutReusePort(t *testing.T) {
	first := listen(t, "tcp4", "127.0.0.1:0", ListenOptions{})
	laddr, err := LocalAddr(first)
	require.NoError(t, err)
	_, err = Listen("tcp4", laddr.String(), ListenOptions{})
	require.ErrorIs(t, err, unix.EADDRINUSE)
	_, err = Listen("tcp4", laddr.String(), ListenOptions{ReusePort: true})
	require.ErrorIs(t, err, unix.EADDRINUSE, "every listener on the port must set SO_REUSEPORT")
}

// A unix stream listener refuses a non-blocking connect with EAGAIN once
// its queue holds more than backlog connections (unix_recvq_full), which
// makes the backlog Listen passed observable.
func TestListenBacklog(t *testing.T) {
	for _, tc := range []struct {
		name    string
		backlog int
		want    int // accepted connects before EAGAIN
	}{
		{"explicit 2", 2, 3},
		{"default 511 like nginx", 0, DefaultBacklog + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "b.sock")
			listen(t, "unix", path, ListenOptions{Backlog: tc.backlog})
			sa := &unix.SockaddrUnix{Name: path}
			for i := 0; i < tc.want; i++ {
				fd, err := Socket(unix.AF_UNIX)
				require.NoError(t, err)
				closeOnCleanup(t, fd)
				require.NoError(t, unix.Connect(fd, sa), "connect %d", i)
			}
			fd, err := Socket(unix.AF_UNIX)
			require.NoError(t, err)
			closeOnCleanup(t, fd)
			require.ErrorIs(t, unix.Connect(fd, sa), unix.EAGAIN, "queue full after %d", tc.want)
		})
	}
}

func TestListenErrors(t *testing.T) {
	_, err := Listen("udp", "127.0.0.1:0", ListenOptions{})
	require.ErrorIs(t, err, ErrNetwork)
	_, err = Listen("tcp", "example.com:80", ListenOptions{})
	require.ErrorIs(t, err, ErrAddress)
	_, err = Listen("tcp4", "203.0.113.1:0", ListenOptions{})
	require.ErrorIs(t, err, unix.EADDRNOTAVAIL, "an address not on this host")
	_, err = Listen("unix", filepath.Join(t.TempDir(), "missing", "s.sock"), ListenOptions{})
	require.ErrorIs(t, err, unix.ENOENT)
}

// A Listen that fails after creating its socket closes it: the next
// socket gets the same (lowest free) descriptor number.
func TestListenFailureClosesSocket(t *testing.T) {
	first := listen(t, "tcp4", "127.0.0.1:0", ListenOptions{})
	laddr, err := LocalAddr(first)
	require.NoError(t, err)
	for _, tc := range []struct {
		name, network, address string
		opts                   ListenOptions
	}{
		{"bind fails", "tcp4", laddr.String(), ListenOptions{}},
		{"setsockopt fails", "unix", filepath.Join(t.TempDir(), "x.sock"), ListenOptions{ReusePort: true}},
	} {
		probe, err := Socket(unix.AF_INET)
		require.NoError(t, err)
		require.NoError(t, unix.Close(probe))
		_, err = Listen(tc.network, tc.address, tc.opts)
		require.Error(t, err, tc.name)
		next, err := Socket(unix.AF_INET)
		require.NoError(t, err)
		closeOnCleanup(t, next)
		assert.Equal(t, probe, next, "%s: the failed listener's fd was closed", tc.name)
	}
}

func TestSocketConnectRefused(t *testing.T) {
	lfd, err := Listen("tcp4", "127.0.0.1:0", ListenOptions{})
	require.NoError(t, err)
	laddr, err := LocalAddr(lfd)
	require.NoError(t, err)
	require.NoError(t, unix.Close(lfd))

	sa, family, err := ParseAddr("tcp4", laddr.String())
	require.NoError(t, err)
	fd, err := Socket(family)
	require.NoError(t, err)
	closeOnCleanup(t, fd)
	err = unix.Connect(fd, sa)
	if err != nil && err != unix.EINPROGRESS {
		require.ErrorIs(t, err, unix.ECONNREFUSED)
		return
	}
	waitFD(t, fd, unix.POLLOUT)
	require.ErrorIs(t, SocketError(fd), unix.ECONNREFUSED)
	require.NoError(t, SocketError(fd), "SO_ERROR is cleared by reading it")
}
