package ring

// The conformance suite: every test runs on each backend that opens here
// (io_uring when the kernel allows it, epoll always) and holds both to the
// same completion semantics.

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// testWait bounds every wait for an expected completion.
const testWait = 5 * time.Second

// suiteBackend is one Ring implementation under test.
type suiteBackend struct {
	name string                      // subtest name
	open func(Options) (Ring, error) // constructor
}

// suiteBackends lists every implementation; those that fail to open are logged.
var suiteBackends = []suiteBackend{{"io_uring", newUring}, {"epoll", newEpoll}}

// available returns the backends that open on this machine and logs which.
func available(tb testing.TB) []suiteBackend {
	var ok []suiteBackend
	var names []string
	for _, b := range suiteBackends {
		r, err := b.open(Options{})
		if err != nil {
			require.NotEqual(tb, "epoll", b.name, "epoll must always open: %v", err)
			tb.Logf("backend %s not run: %v", b.name, err)
			continue
		}
		require.NoError(tb, r.Close())
		ok = append(ok, b)
		names = append(names, b.name)
	}
	tb.Logf("backends run: %v", names)
	return ok
}

// forEachBackend runs fn as a subtest per available backend; newRing opens
// a ring that is closed when the subtest ends.
func forEachBackend(t *testing.T, fn func(t *testing.T, newRing func() Ring)) {
	for _, b := range available(t) {
		t.Run(b.name, func(t *testing.T) {
			fn(t, func() Ring {
				r, err := b.open(Options{})
				require.NoError(t, err)
				t.Cleanup(func() { _ = r.Close() })
				return r
			})
		})
	}
}

// reaper collects a ring's completions and hands them out by user_data.
type reaper struct {
	t   testing.TB
	r   Ring
	got []Completion // reaped, not yet claimed
}

// within returns the next completion for ud, waiting at most d.
func (h *reaper) within(ud uint64, d time.Duration) (Completion, bool) {
	deadline := time.Now().Add(d)
	for {
		for i, c := range h.got {
			if c.UserData == ud {
				h.got = append(h.got[:i], h.got[i+1:]...)
				return c, true
			}
		}
		left := time.Until(deadline)
		if left <= 0 {
			return Completion{}, false
		}
		var err error
		h.got, err = h.r.Wait(h.got, left)
		require.NoError(h.t, err)
	}
}

// next returns the next completion for ud or fails the test.
func (h *reaper) next(ud uint64) Completion {
	c, ok := h.within(ud, testWait)
	require.True(h.t, ok, "no completion for user_data %d within %v; others: %+v", ud, testWait, h.got)
	return c
}

// res returns Res of the next completion for ud.
func (h *reaper) res(ud uint64) int32 { return h.next(ud).Res }

// negErrno is the Res of a failure with e.
func negErrno(e unix.Errno) int32 { return -int32(e) }

// listenLoopback opens a non-blocking listener on 127.0.0.1:0.
func listenLoopback(t testing.TB, backlog int) (fd, port int) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = unix.Close(fd) })
	require.NoError(t, unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, unix.Listen(fd, backlog))
	sa, err := unix.Getsockname(fd)
	require.NoError(t, err)
	return fd, sa.(*unix.SockaddrInet4).Port
}

// dialPeer connects a peer to 127.0.0.1:port.
func dialPeer(t testing.TB, port int) *net.TCPConn {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), testWait)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c.(*net.TCPConn)
}

// acceptOne returns the ring's side of a connection from peer, accepted with
// the ring on listener lfd.
func acceptOne(t testing.TB, h *reaper, lfd int, ud uint64) int {
	h.r.Accept(ud, lfd, false)
	c := h.next(ud)
	require.GreaterOrEqual(t, c.Res, int32(0), "accept: %v", c.Err())
	require.Zero(t, c.Flags&FlagMore)
	fd := int(c.Res)
	t.Cleanup(func() { _ = unix.Close(fd) })
	return fd
}

// tcpPair returns the ring's fd of a fresh TCP connection and its peer.
func tcpPair(t testing.TB, h *reaper) (int, *net.TCPConn) {
	lfd, port := listenLoopback(t, 16)
	peer := dialPeer(t, port)
	return acceptOne(t, h, lfd, 1<<40), peer
}

// tcpSocket returns a non-blocking TCP socket for Connect.
func tcpSocket(t testing.TB) int {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = unix.Close(fd) })
	return fd
}

// rawInet4 builds the raw address 127.0.0.1:port.
func rawInet4(port int) (*unix.RawSockaddrAny, uint32) {
	sa := new(unix.RawSockaddrAny)
	in := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
	in.Family = unix.AF_INET
	p := (*[2]byte)(unsafe.Pointer(&in.Port))
	p[0], p[1] = byte(port>>8), byte(port)
	in.Addr = [4]byte{127, 0, 0, 1}
	return sa, unix.SizeofSockaddrInet4
}

// readExactly reads exactly n bytes from c within testWait.
func readExactly(t testing.TB, c net.Conn, n int) []byte {
	require.NoError(t, c.SetReadDeadline(time.Now().Add(testWait)))
	b := make([]byte, n)
	_, err := io.ReadFull(c, b)
	require.NoError(t, err)
	return b
}

func TestAccept(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		lfd, port := listenLoopback(t, 16)
		peer := dialPeer(t, port)
		fd := acceptOne(t, h, lfd, 1)
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		require.NoError(t, err)
		assert.NotZero(t, fl&unix.O_NONBLOCK, "accepted fd must be non-blocking")
		fdfl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		require.NoError(t, err)
		assert.NotZero(t, fdfl&unix.FD_CLOEXEC, "accepted fd must be close-on-exec")
		_, err = peer.Write([]byte("x"))
		require.NoError(t, err)
		buf := make([]byte, 4)
		h.r.Recv(2, fd, buf)
		require.Equal(t, int32(1), h.res(2))
		assert.Equal(t, byte('x'), buf[0])
	})
}

func TestAcceptMultishot(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		require.True(t, h.r.Features().MultishotAccept)
		lfd, port := listenLoopback(t, 16)
		h.r.Accept(1, lfd, true)
		seen := map[int32]bool{}
		for i := 0; i < 5; i++ {
			dialPeer(t, port)
			c := h.next(1)
			require.GreaterOrEqual(t, c.Res, int32(0), "accept %d: %v", i, c.Err())
			require.NotZero(t, c.Flags&FlagMore, "multishot accept must stay armed")
			require.False(t, seen[c.Res], "fd %d handed out twice", c.Res)
			seen[c.Res] = true
			t.Cleanup(func() { _ = unix.Close(int(c.Res)) })
		}
		h.r.Cancel(2, lfd, 1)
		c := h.next(1)
		assert.Equal(t, negErrno(unix.ECANCELED), c.Res)
		assert.Zero(t, c.Flags&FlagMore, "the cancelled multishot's last completion")
		assert.Equal(t, int32(0), h.res(2))
	})
}

func TestRecv(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		fd, peer := tcpPair(t, h)
		buf := make([]byte, 64)
		h.r.Recv(1, fd, buf) // queued before the data exists
		_, err := peer.Write([]byte("hello"))
		require.NoError(t, err)
		require.Equal(t, int32(5), h.res(1))
		assert.Equal(t, "hello", string(buf[:5]))
	})
}

func TestRecvEOFHalfClose(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		fd, peer := tcpPair(t, h)
		require.NoError(t, peer.CloseWrite())
		h.r.Recv(1, fd, make([]byte, 16))
		assert.Equal(t, int32(0), h.res(1), "end of stream")
		h.r.Send(2, fd, []byte("bye"))
		require.Equal(t, int32(3), h.res(2), "the other direction stays open")
		assert.Equal(t, "bye", string(readExactly(t, peer, 3)))
	})
}

func TestSendAndSendmsg(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		fd, peer := tcpPair(t, h)
		h.r.Send(1, fd, []byte("send:"))
		require.Equal(t, int32(5), h.res(1))
		parts := [3][]byte{[]byte("one,"), []byte("two,"), []byte("three")}
		var iov [3]unix.Iovec
		for i, p := range parts {
			iov[i].Base = &p[0]
			iov[i].SetLen(len(p))
		}
		msg := &unix.Msghdr{Iov: &iov[0]}
		msg.SetIovlen(len(iov))
		h.r.Sendmsg(2, fd, msg)
		require.Equal(t, int32(13), h.res(2))
		assert.Equal(t, "send:one,two,three", string(readExactly(t, peer, 18)))
	})
}

func TestShortWrites(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		lfd, port := listenLoopback(t, 16)
		d := net.Dialer{Timeout: testWait, Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096) })
			if err != nil {
				return err
			}
			return serr
		}}
		pc, err := d.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		require.NoError(t, err)
		t.Cleanup(func() { _ = pc.Close() })
		fd := acceptOne(t, h, lfd, 1)
		require.NoError(t, unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096))

		payload := make([]byte, 2<<20)
		for i := range payload {
			payload[i] = byte(i * 7)
		}
		startReading := make(chan struct{})
		received := make(chan []byte, 1)
		go func() {
			<-startReading
			got := make([]byte, len(payload))
			_ = pc.SetReadDeadline(time.Now().Add(2 * testWait))
			n, _ := io.ReadFull(pc, got)
			received <- got[:n]
		}()
		off, shorts, waited := 0, 0, false
		for ud := uint64(10); off < len(payload); ud++ {
			h.r.Send(ud, fd, payload[off:])
			c, ok := h.within(ud, 200*time.Millisecond)
			if !ok { // the send waits for room while the peer does not read
				require.False(t, waited, "send stalled although the peer reads")
				waited = true
				close(startReading)
				c = h.next(ud)
			}
			require.Greater(t, c.Res, int32(0), "send: %v", c.Err())
			if int(c.Res) < len(payload)-off {
				shorts++
			}
			off += int(c.Res)
		}
		require.Equal(t, len(payload), off)
		assert.Positive(t, shorts, "a non-reading peer must cause short writes")
		assert.True(t, waited, "a full socket must make send wait")
		select {
		case got := <-received:
			assert.True(t, bytes.Equal(payload, got), "every byte arrives once, in order (%d of %d)", len(got), len(payload))
		case <-time.After(3 * testWait):
			t.Fatal("peer did not finish reading")
		}
	})
}

// resetPair returns the ring's fd of a connection its peer has reset.
func resetPair(t *testing.T, h *reaper) int {
	fd, peer := tcpPair(t, h)
	require.NoError(t, peer.SetLinger(0))
	require.NoError(t, peer.Close())
	return fd
}

func TestRecvConnReset(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		fd := resetPair(t, h)
		h.r.Recv(1, fd, make([]byte, 16))
		assert.Equal(t, negErrno(unix.ECONNRESET), h.res(1))
	})
}

func TestSendEPIPENoSignal(t *testing.T) {
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGPIPE)
	defer signal.Stop(sig)
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		fd := resetPair(t, h)
		h.r.Recv(1, fd, make([]byte, 16))
		require.Equal(t, negErrno(unix.ECONNRESET), h.res(1))
		h.r.Send(2, fd, []byte("late"))
		assert.Equal(t, negErrno(unix.EPIPE), h.res(2))
		msg := &unix.Msghdr{Iov: &unix.Iovec{Base: &[]byte("x")[0], Len: 1}, Iovlen: 1}
		h.r.Sendmsg(3, fd, msg)
		assert.Equal(t, negErrno(unix.EPIPE), h.res(3))
		select {
		case s := <-sig:
			t.Fatalf("ring send raised %v", s)
		case <-time.After(100 * time.Millisecond): // no signal is a non-event: bounded look
		}
		// Control: a plain write on the same socket does raise SIGPIPE, so the
		// silence above is MSG_NOSIGNAL at work.
		_, err := unix.Write(fd, []byte("x"))
		require.ErrorIs(t, err, unix.EPIPE)
		select {
		case <-sig:
		case <-time.After(testWait):
			t.Fatal("control write raised no SIGPIPE: the check above proves nothing")
		}
	})
}

func TestConnect(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { _ = ln.Close() })
		fd := tcpSocket(t)
		sa, salen := rawInet4(ln.Addr().(*net.TCPAddr).Port)
		h.r.Connect(1, fd, sa, salen)
		c := h.next(1)
		require.Equal(t, int32(0), c.Res, "connect: %v", c.Err())
		h.r.Send(2, fd, []byte("hi"))
		require.Equal(t, int32(2), h.res(2))
		require.NoError(t, ln.(*net.TCPListener).SetDeadline(time.Now().Add(testWait)))
		pc, err := ln.Accept()
		require.NoError(t, err)
		defer pc.Close()
		assert.Equal(t, "hi", string(readExactly(t, pc, 2)))
	})
}

func TestConnectRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		require.NoError(t, ln.Close()) // the port is now closed
		fd := tcpSocket(t)
		sa, salen := rawInet4(ln.Addr().(*net.TCPAddr).Port)
		h.r.Connect(1, fd, sa, salen)
		assert.Equal(t, negErrno(unix.ECONNREFUSED), h.res(1))
	})
}

func TestConnectCancelledAfterTimeout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		// A listener that never accepts, with a full accept queue, drops SYNs:
		// connects to it stay pending (loopback only; no unroutable address).
		_, port := listenLoopback(t, 0)
		full := false
		for i := 0; i < 8 && !full; i++ {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
			if err != nil {
				full = true
				break
			}
			t.Cleanup(func() { _ = c.Close() })
		}
		require.True(t, full, "backlog never filled")
		fd := tcpSocket(t)
		sa, salen := rawInet4(port)
		h.r.Connect(1, fd, sa, salen)
		h.r.Timeout(2, &unix.Timespec{Nsec: int64(50 * time.Millisecond)})
		require.Equal(t, negErrno(unix.ETIME), h.res(2))
		assert.Empty(t, h.got, "the connect must still be pending")
		h.r.Cancel(3, fd, 1)
		assert.Equal(t, negErrno(unix.ECANCELED), h.res(1))
		assert.Equal(t, int32(0), h.res(3))
	})
}

func TestConnectUnix(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		path := filepath.Join(t.TempDir(), "s")
		ln, err := net.Listen("unix", path)
		require.NoError(t, err)
		t.Cleanup(func() { _ = ln.Close() })
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		require.NoError(t, err)
		t.Cleanup(func() { _ = unix.Close(fd) })
		sa := new(unix.RawSockaddrAny)
		un := (*unix.RawSockaddrUnix)(unsafe.Pointer(sa))
		un.Family = unix.AF_UNIX
		for i := 0; i < len(path); i++ {
			un.Path[i] = int8(path[i])
		}
		salen := uint32(unsafe.Offsetof(un.Path)) + uint32(len(path)) + 1
		h.r.Connect(1, fd, sa, salen)
		require.Equal(t, int32(0), h.res(1))
		h.r.Send(2, fd, []byte("ping"))
		require.Equal(t, int32(4), h.res(2))
		require.NoError(t, ln.(*net.UnixListener).SetDeadline(time.Now().Add(testWait)))
		c, err := ln.Accept()
		require.NoError(t, err)
		defer c.Close()
		assert.Equal(t, "ping", string(readExactly(t, c, 4)))
	})
}

func TestTimeout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		start := time.Now()
		h.r.Timeout(1, &unix.Timespec{Nsec: int64(40 * time.Millisecond)})
		h.r.Timeout(2, &unix.Timespec{Nsec: int64(20 * time.Millisecond)})
		h.r.Timeout(3, &unix.Timespec{Sec: 60})
		var order []uint64
		for len(order) < 2 {
			var err error
			h.got, err = h.r.Wait(h.got[:0], testWait)
			require.NoError(t, err)
			for _, c := range h.got {
				assert.Equal(t, negErrno(unix.ETIME), c.Res, "ud %d", c.UserData)
				order = append(order, c.UserData)
			}
		}
		h.got = h.got[:0]
		assert.Equal(t, []uint64{2, 1}, order, "earliest deadline first")
		assert.GreaterOrEqual(t, time.Since(start), 40*time.Millisecond)
		h.r.Cancel(4, -1, 3)
		assert.Equal(t, negErrno(unix.ECANCELED), h.res(3))
		assert.Equal(t, int32(0), h.res(4))
	})
}

func TestCancelInFlightRecv(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		fd, peer := tcpPair(t, h)
		h.r.Recv(1, fd, make([]byte, 16))
		out, err := h.r.Wait(nil, 0)
		require.NoError(t, err)
		require.Empty(t, out, "nothing to read yet")
		h.r.Cancel(2, fd, 1)
		assert.Equal(t, negErrno(unix.ECANCELED), h.res(1))
		assert.Equal(t, int32(0), h.res(2))
		// The connection is still usable after the cancel.
		buf := make([]byte, 16)
		h.r.Recv(3, fd, buf)
		_, err = peer.Write([]byte("ok"))
		require.NoError(t, err)
		require.Equal(t, int32(2), h.res(3))
		assert.Equal(t, "ok", string(buf[:2]))
	})
}

func TestCancelFinished(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		h.r.Timeout(1, &unix.Timespec{Nsec: int64(time.Millisecond)})
		require.Equal(t, negErrno(unix.ETIME), h.res(1))
		h.r.Cancel(2, -1, 1)
		assert.Equal(t, negErrno(unix.ENOENT), h.res(2))

		fd, peer := tcpPair(t, h)
		_, err := peer.Write([]byte("z"))
		require.NoError(t, err)
		h.r.Recv(3, fd, make([]byte, 4))
		require.Equal(t, int32(1), h.res(3))
		h.r.Cancel(4, fd, 3)
		assert.Equal(t, negErrno(unix.ENOENT), h.res(4))
		h.r.Cancel(5, fd, 999)
		assert.Equal(t, negErrno(unix.ENOENT), h.res(5), "never queued")
	})
}

func TestShutdownAndCloseFD(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		fd, peer := tcpPair(t, h)
		dup, err := unix.Dup(fd) // the cleanup of tcpPair closes fd again
		require.NoError(t, err)
		h.r.Shutdown(1, dup, unix.SHUT_WR)
		require.Equal(t, int32(0), h.res(1))
		require.NoError(t, peer.SetReadDeadline(time.Now().Add(testWait)))
		n, err := peer.Read(make([]byte, 1))
		assert.Equal(t, 0, n)
		assert.ErrorIs(t, err, io.EOF)
		h.r.CloseFD(2, dup)
		assert.Equal(t, int32(0), h.res(2))
		h.r.CloseFD(3, -1)
		assert.Equal(t, negErrno(unix.EBADF), h.res(3))
	})
}

func TestRecvMultishotBuffers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		require.True(t, h.r.Features().MultishotRecv)
		const group, count, size = 3, 4, 16
		require.NoError(t, h.r.SetupBuffers(group, count, size))
		fd, peer := tcpPair(t, h)
		var stream, got []byte
		shots := 0
		write := func(n int) {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte('a' + (len(stream)+i)%26)
			}
			stream = append(stream, b...)
			_, err := peer.Write(b)
			require.NoError(t, err)
		}
		// collect reads data completions until want bytes arrived or the
		// multishot ends; it releases buffers only when release is set.
		collect := func(want int, release bool) Completion {
			for len(got) < want {
				c := h.next(1)
				if c.Flags&FlagMore == 0 {
					return c
				}
				require.NotZero(t, c.Flags&FlagBuffer)
				require.Less(t, c.BufID, uint16(count))
				require.Positive(t, c.Res)
				require.LessOrEqual(t, c.Res, int32(size))
				got = append(got, h.r.Buffer(group, c.BufID)[:c.Res]...)
				shots++
				if release {
					h.r.ReleaseBuffer(group, c.BufID)
				}
			}
			return Completion{Flags: FlagMore}
		}
		h.r.RecvMultishot(1, fd, group)
		write(40)
		require.NotZero(t, collect(40, true).Flags&FlagMore)
		assert.GreaterOrEqual(t, shots, 3, "40 bytes need three 16-byte buffers")
		write(40)
		require.NotZero(t, collect(80, true).Flags&FlagMore)
		assert.Greater(t, shots, count, "buffers were released and reused")
		assert.Equal(t, stream, got)

		// Keep every buffer: the multishot runs dry and ends with -ENOBUFS.
		held := len(got)
		write(100)
		end := collect(len(stream), false)
		require.Zero(t, end.Flags&FlagMore, "a multishot without buffers ends")
		assert.Equal(t, negErrno(unix.ENOBUFS), end.Res)
		assert.LessOrEqual(t, len(got)-held, count*size)
		for bid := uint16(0); bid < count; bid++ {
			h.r.ReleaseBuffer(group, bid)
		}
		// Re-armed, it delivers the rest: nothing lost, nothing twice.
		h.r.RecvMultishot(1, fd, group)
		require.NotZero(t, collect(len(stream), true).Flags&FlagMore)
		assert.Equal(t, stream, got)
		require.NoError(t, peer.Close())
		end = h.next(1)
		assert.Equal(t, int32(0), end.Res, "end of stream ends the multishot: %v", end.Err())
		assert.Zero(t, end.Flags&FlagMore)
		if end.Flags&FlagBuffer != 0 {
			h.r.ReleaseBuffer(group, end.BufID)
		}
	})
}

func TestWakeFromGoroutines(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		r := newRing()
		for round := 0; round < 20; round++ {
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := 0; i < 8; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					assert.NoError(t, r.Wake())
				}()
			}
			close(start)
			begin := time.Now()
			out, err := r.Wait(nil, 10*time.Second)
			require.NoError(t, err)
			assert.Empty(t, out, "a wake is not a completion")
			assert.Less(t, time.Since(begin), testWait, "round %d: Wait did not wake", round)
			wg.Wait()
		}
		out, err := r.Wait(nil, 0)
		require.NoError(t, err)
		assert.Empty(t, out)
	})
}

func TestWaitZeroDoesNotBlock(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		fd, _ := tcpPair(t, h)
		h.r.Recv(1, fd, make([]byte, 8))
		h.r.Timeout(2, &unix.Timespec{Sec: 60})
		begin := time.Now()
		out, err := h.r.Wait(nil, 0)
		require.NoError(t, err)
		assert.Empty(t, out)
		assert.Less(t, time.Since(begin), 100*time.Millisecond)

		begin = time.Now()
		out, err = h.r.Wait(nil, 30*time.Millisecond)
		require.NoError(t, err)
		assert.Empty(t, out)
		assert.GreaterOrEqual(t, time.Since(begin), 30*time.Millisecond, "a timed Wait waits")
		assert.Less(t, time.Since(begin), testWait)
	})
}

// Signals interrupt the kernel wait (EINTR) but do not end Wait: it returns
// with nothing only once its timeout has passed or Wake was called.
func TestWaitHonoursTimeoutAcrossSignals(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		r := newRing()
		signalStorm(t)
		const timeout = 20 * time.Millisecond
		for round := range 5 {
			// Both sides read the monotonic clock, the test first: no slack.
			begin := time.Now()
			out, err := r.Wait(nil, timeout)
			took := time.Since(begin)
			require.NoError(t, err)
			assert.Empty(t, out)
			assert.GreaterOrEqual(t, took, timeout, "round %d: a signal ended Wait early", round)
			assert.Less(t, took, testWait, "round %d", round)
		}
		// A Wake still ends a Wait that signals keep interrupting.
		for _, timeout := range []time.Duration{-1, 10 * time.Second} {
			woke := make(chan error, 1)
			go func() { woke <- r.Wake() }()
			begin := time.Now()
			out, err := r.Wait(nil, timeout)
			require.NoError(t, err)
			assert.Empty(t, out, "a wake is not a completion")
			assert.Less(t, time.Since(begin), testWait, "timeout %v: Wake did not end Wait", timeout)
			require.NoError(t, <-woke)
		}
	})
}

func TestThousandOps(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		const pairs, timeouts = 100, 800
		msg := []byte("8 bytes!")
		bufs := make([][]byte, pairs)
		want := map[uint64]int32{}
		for i := 0; i < pairs; i++ {
			sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
			require.NoError(t, err)
			t.Cleanup(func() { _ = unix.Close(sp[0]); _ = unix.Close(sp[1]) })
			bufs[i] = make([]byte, 16)
			h.r.Recv(uint64(i), sp[0], bufs[i])
			h.r.Send(uint64(pairs+i), sp[1], msg)
			want[uint64(i)], want[uint64(pairs+i)] = int32(len(msg)), int32(len(msg))
		}
		for i := 0; i < timeouts; i++ {
			ud := uint64(2*pairs + i)
			h.r.Timeout(ud, &unix.Timespec{Nsec: int64(i%10+1) * int64(time.Millisecond)})
			want[ud] = negErrno(unix.ETIME)
		}
		require.Len(t, want, 1000)
		seen := map[uint64]int32{}
		deadline := time.Now().Add(testWait)
		for len(seen) < len(want) && time.Now().Before(deadline) {
			out, err := h.r.Wait(nil, time.Until(deadline))
			require.NoError(t, err)
			for _, c := range out {
				_, dup := seen[c.UserData]
				require.False(t, dup, "ud %d completed twice", c.UserData)
				seen[c.UserData] = c.Res
			}
		}
		assert.Equal(t, want, seen)
		for i := range bufs {
			assert.Equal(t, msg, bufs[i][:len(msg)])
		}
	})
}

// BenchmarkRoundTrip sends 64 bytes over a connected socket pair and receives
// them, through the ring, per operation.
func BenchmarkRoundTrip(b *testing.B) {
	for _, be := range available(b) {
		b.Run(be.name, func(b *testing.B) {
			r, err := be.open(Options{})
			require.NoError(b, err)
			defer r.Close()
			sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
			require.NoError(b, err)
			defer unix.Close(sp[0])
			defer unix.Close(sp[1])
			msg, buf := make([]byte, 64), make([]byte, 64)
			out := make([]Completion, 0, 16)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r.Send(1, sp[0], msg)
				r.Recv(2, sp[1], buf)
				for done := 0; done < 2; {
					out, err = r.Wait(out[:0], time.Second)
					if err != nil {
						b.Fatal(err)
					}
					for _, c := range out {
						if c.Res != 64 {
							b.Fatalf("ud %d: res %d", c.UserData, c.Res)
						}
					}
					done += len(out)
				}
			}
		})
	}
}

// A storm of Wakes racing with Waits that drain them must never leave the
// ring unable to wake: after it, one more Wake still ends a blocked Wait.
func TestWakeNeverLostAfterStorm(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		r := newRing()
		var out []Completion
		for round := 0; round < 20; round++ {
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 2000; i++ {
						_ = r.Wake()
					}
				}()
			}
			stormDone := make(chan struct{})
			go func() { wg.Wait(); close(stormDone) }()
		drain:
			for {
				var err error
				out, err = r.Wait(out[:0], time.Millisecond)
				require.NoError(t, err)
				select {
				case <-stormDone:
					break drain
				default:
				}
			}
			// Quiesce: take whatever wake is still pending.
			_, err := r.Wait(out[:0], 0)
			require.NoError(t, err)
			woke := make(chan struct{})
			go func() {
				defer close(woke)
				time.Sleep(time.Millisecond) // let Wait block first; the Wake must work either way
				assert.NoError(t, r.Wake())
			}()
			start := time.Now()
			_, err = r.Wait(out[:0], 5*time.Second)
			require.NoError(t, err)
			require.Less(t, time.Since(start), 4*time.Second, "round %d: Wake was lost", round)
			<-woke
		}
	})
}

// Data and then the peer's FIN arrive on an armed multishot recv: the data
// is delivered, then end of stream, even though the data read came up short.
func TestRecvMultishotDataThenQueuedEOF(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newRing func() Ring) {
		h := &reaper{t: t, r: newRing()}
		const group = 2
		require.NoError(t, h.r.SetupBuffers(group, 4, 1024))
		fd, peer := tcpPair(t, h)
		h.r.RecvMultishot(7, fd, group)
		_, err := h.r.Wait(nil, 0) // armed (and registered) before anything arrives
		require.NoError(t, err)
		_, err = peer.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
		require.NoError(t, err)
		require.NoError(t, peer.CloseWrite())
		var got []byte
		for {
			c := h.next(7)
			if c.Flags&FlagBuffer != 0 {
				got = append(got, h.r.Buffer(group, c.BufID)[:c.Res]...)
				h.r.ReleaseBuffer(group, c.BufID)
			}
			if c.Flags&FlagMore == 0 {
				assert.Zero(t, c.Res, "the multishot ends with end of stream")
				break
			}
		}
		assert.Equal(t, "GET / HTTP/1.1\r\n\r\n", string(got))
	})
}
