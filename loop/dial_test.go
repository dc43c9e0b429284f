package loop

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// dialResult runs l.Dial and waits for its callback.
func dialResult(t *testing.T, l *Loop, network, addr string, timeout time.Duration) (*Conn, error) {
	t.Helper()
	type res struct {
		c   *Conn
		err error
	}
	ch := make(chan res, 2)
	require.NoError(t, l.Post(func() {
		l.Dial(network, addr, timeout, func(c *Conn, err error) { ch <- res{c, err} })
	}))
	select {
	case r := <-ch:
		return r.c, r.err
	case <-time.After(20 * time.Second):
		t.Fatal("dial callback did not run")
		return nil, nil
	}
}

func TestDialEchoesOverTCP(t *testing.T) {
	_, addr := echoServer(t, Options{})
	l := startLoop(t, Options{}, nil)
	got := make(chan string, 1)
	c, err := dialResult(t, l, "tcp", addr, time.Second)
	require.NoError(t, err)
	onLoop(t, l, func() {
		c.OnData(func(c *Conn, b []byte) int { got <- string(b); c.Close(); return len(b) })
		c.WriteString("ping")
	})
	assert.Equal(t, "ping", <-got)
}

func TestDialIPv6Loopback(t *testing.T) {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		// No IPv6 on this host: dialing it must fail cleanly, not hang.
		l := startLoop(t, Options{}, nil)
		_, derr := dialResult(t, l, "tcp6", "[::1]:1", time.Second)
		require.Error(t, derr)
		return
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Write([]byte("v6"))
			c.Close()
		}
	}()
	l := startLoop(t, Options{}, nil)
	got := make(chan string, 1)
	c, err := dialResult(t, l, "tcp6", ln.Addr().String(), time.Second)
	require.NoError(t, err)
	onLoop(t, l, func() {
		c.OnData(func(c *Conn, b []byte) int { got <- string(b); return len(b) })
	})
	assert.Equal(t, "v6", <-got)
}

func TestDialUnixPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "echo.sock")
	var started string
	startLoop(t, Options{}, func(l *Loop) error {
		ln, err := l.Listen("unix", path, func(c *Conn) {
			c.OnData(func(c *Conn, b []byte) int { c.Write(b); return len(b) })
		})
		if err == nil {
			started = ln.Addr().String()
		}
		return err
	})
	require.NotEmpty(t, started)
	l := startLoop(t, Options{}, nil)
	c, err := dialResult(t, l, "unix", path, time.Second)
	require.NoError(t, err)
	got := make(chan string, 1)
	onLoop(t, l, func() {
		c.OnData(func(c *Conn, b []byte) int { got <- string(b); return len(b) })
		c.WriteString("via unix")
	})
	assert.Equal(t, "via unix", <-got)
}

func TestDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	l := startLoop(t, Options{}, nil)
	_, err = dialResult(t, l, "tcp", addr, time.Second)
	assert.ErrorIs(t, err, unix.ECONNREFUSED)
}

func TestDialTimesOut(t *testing.T) {
	// A listener that never accepts, with its backlog full: further SYNs are
	// dropped and a connect waits until its timeout.
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	require.NoError(t, unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, unix.Listen(fd, 0))
	sa, err := unix.Getsockname(fd)
	require.NoError(t, err)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*unix.SockaddrInet4).Port))
	for i := 0; i < 4; i++ { // fill the accept queue
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			defer c.Close()
		}
	}
	l := startLoop(t, Options{}, nil)
	start := time.Now()
	_, err = dialResult(t, l, "tcp", addr, 300*time.Millisecond)
	assert.ErrorIs(t, err, unix.ETIMEDOUT)
	assert.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond)
}

func TestDialUnreachable(t *testing.T) {
	// In a fresh network namespace even loopback is down, so a connect to
	// 127.0.0.1 is unreachable. The namespace belongs to the loop's thread,
	// which ends with the loop.
	l, err := Start(Options{Log: func(string) {}}, func(l *Loop) error {
		return unix.Unshare(unix.CLONE_NEWNET)
	})
	if err != nil {
		require.ErrorIs(t, err, unix.EPERM, "only a missing privilege may stop this test")
		t.Log("no CAP_SYS_ADMIN: unreachable checked through the error path only")
		return
	}
	defer l.Stop()
	_, err = dialResult(t, l, "tcp", "127.0.0.1:80", time.Second)
	assert.ErrorIs(t, err, unix.ENETUNREACH)
}

func TestDialBadAddress(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	_, err := dialResult(t, l, "tcp", "no-port", time.Second)
	assert.Error(t, err)
	_, err = dialResult(t, l, "unix", filepath.Join(os.TempDir(), "luring-absent.sock"), time.Second)
	assert.ErrorIs(t, err, unix.ENOENT)
}
