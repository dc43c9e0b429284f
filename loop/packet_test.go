package loop

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/luring/luring/linux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// packetWait bounds every wait for a callback or a datagram in these tests.
const packetWait = 10 * time.Second

// recvResult is what a Recv callback reported, and whether it ran inside
// the Recv call.
type recvResult struct {
	data   string
	err    error
	inline bool
}

// dialPacketT runs l.DialPacket on the loop's thread.
func dialPacketT(t *testing.T, l *Loop, network, address string) (*PacketConn, error) {
	t.Helper()
	var pc *PacketConn
	var err error
	onLoop(t, l, func() { pc, err = l.DialPacket(network, address) })
	return pc, err
}

// recvAsync starts a Recv with a buffer of size bytes; its result arrives
// on out.
func recvAsync(pc *PacketConn, size int, out chan<- recvResult) { recvDuring(pc, size, out, nil) }

// recvDuring is recvAsync that also counts the callback as inline when it
// runs while *during is true (inside a Close, say).
func recvDuring(pc *PacketConn, size int, out chan<- recvResult, during *bool) {
	buf := make([]byte, size)
	inside := true
	pc.Recv(buf, func(n int, err error) {
		out <- recvResult{string(buf[:n]), err, inside || (during != nil && *during)}
	})
	inside = false
}

// sendAsync sends msg; the callback's error arrives on out, with msg.
func sendAsync(pc *PacketConn, msg string, out chan<- recvResult) { sendDuring(pc, msg, out, nil) }

// sendDuring is sendAsync with recvDuring's during.
func sendDuring(pc *PacketConn, msg string, out chan<- recvResult, during *bool) {
	inside := true
	pc.Send([]byte(msg), func(err error) {
		out <- recvResult{msg, err, inside || (during != nil && *during)}
	})
	inside = false
}

// next waits for one result.
func next(t *testing.T, ch <-chan recvResult) recvResult {
	t.Helper()
	select {
	case r := <-ch:
		require.False(t, r.inline, "a callback ran inside the call that passed it")
		return r
	case <-time.After(packetWait):
		t.Fatal("no callback")
		return recvResult{}
	}
}

// quiet checks that nothing more arrives on ch within a few loop turns.
func quiet(t *testing.T, l *Loop, ch <-chan recvResult) {
	t.Helper()
	for range 3 {
		onLoop(t, l, func() {})
	}
	select {
	case r := <-ch:
		t.Fatalf("unexpected callback: %+v", r)
	default:
	}
}

// udpPeer is a UDP socket on 127.0.0.1 in the test goroutine.
func udpPeer(t *testing.T, network, address string) net.PacketConn {
	t.Helper()
	p, err := net.ListenPacket(network, address)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	require.NoError(t, p.SetDeadline(time.Now().Add(2*packetWait)))
	return p
}

// readFrom reads one datagram at the peer.
func readFrom(t *testing.T, p net.PacketConn) (string, net.Addr) {
	t.Helper()
	b := make([]byte, 70000)
	n, from, err := p.ReadFrom(b)
	require.NoError(t, err)
	return string(b[:n]), from
}

// echoRoundTrip sends a query from pc to peer and an answer back.
func echoRoundTrip(t *testing.T, l *Loop, pc *PacketConn, peer net.PacketConn) {
	t.Helper()
	got := make(chan recvResult, 4)
	var local net.Addr
	onLoop(t, l, func() {
		local = pc.LocalAddr()
		recvAsync(pc, 512, got)
		sendAsync(pc, "query", got)
	})
	require.NoError(t, next(t, got).err, "send")
	q, from := readFrom(t, peer)
	assert.Equal(t, "query", q)
	assert.Equal(t, local.String(), from.String())
	_, err := peer.WriteTo([]byte("answer"), from)
	require.NoError(t, err)
	r := next(t, got)
	require.NoError(t, r.err)
	assert.Equal(t, "answer", r.data)
}

func TestPacketUDPEchoRoundTrip(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	peer := udpPeer(t, "udp4", "127.0.0.1:0")
	pc, err := dialPacketT(t, l, "udp", peer.LocalAddr().String())
	require.NoError(t, err)
	var local, remote net.Addr
	var fd int
	onLoop(t, l, func() { local, remote, fd = pc.LocalAddr(), pc.RemoteAddr(), pc.Fd() })
	assert.IsType(t, &net.UDPAddr{}, local)
	assert.Equal(t, peer.LocalAddr().String(), remote.String())
	assert.Greater(t, fd, 2)
	echoRoundTrip(t, l, pc, peer)
	echoRoundTrip(t, l, pc, peer) // and again on the same socket
}

func TestPacketIPv6Loopback(t *testing.T) {
	p, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this host (listen on [::1]: %v)", err)
	}
	p.Close()
	l := startLoop(t, Options{}, nil)
	peer := udpPeer(t, "udp6", "[::1]:0")
	pc, err := dialPacketT(t, l, "udp6", peer.LocalAddr().String())
	require.NoError(t, err)
	echoRoundTrip(t, l, pc, peer)
}

func TestPacketUnixgramRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dns.sock")
	peer, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	defer peer.Close()
	require.NoError(t, peer.SetDeadline(time.Now().Add(2*packetWait)))
	l := startLoop(t, Options{}, nil)
	pc, err := dialPacketT(t, l, "unixgram", path)
	require.NoError(t, err)
	var local, remote net.Addr
	onLoop(t, l, func() { local, remote = pc.LocalAddr(), pc.RemoteAddr() })
	assert.Equal(t, "unixgram", local.Network())
	assert.True(t, strings.HasPrefix(local.String(), "@"), "autobound to an abstract name: %q", local)
	assert.Equal(t, path, remote.String())
	echoRoundTrip(t, l, pc, peer)
}

// A listener's socket is closed behind the ring's back; a PacketConn that
// gets its number next must still hear of its datagrams (ring.Fresh: the
// epoll backend would otherwise take the number for registered already).
func TestPacketConnOnAClosedListenersNumber(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	peer := udpPeer(t, "udp4", "127.0.0.1:0")
	closed := make(chan int, 1)
	onLoop(t, l, func() {
		ln, err := l.Listen("tcp", "127.0.0.1:0", func(c *Conn) {})
		if err != nil {
			closed <- -1
			return
		}
		fd := ln.Fd()
		ln.OnClosed(func() { closed <- fd })
		ln.Close()
	})
	var lnFd int
	select {
	case lnFd = <-closed:
		require.GreaterOrEqual(t, lnFd, 0, "listen failed")
	case <-time.After(packetWait):
		t.Fatal("the listener never closed")
	}
	var pc *PacketConn
	var err error
	onLoop(t, l, func() { pc, err = l.DialPacket("udp", peer.LocalAddr().String()) })
	require.NoError(t, err)
	if pc.fd != lnFd {
		t.Logf("the socket got fd %d, not the listener's %d: the reuse is not exercised", pc.fd, lnFd)
	}
	echoRoundTrip(t, l, pc, peer)
}

// Datagrams keep their boundaries both ways, and queued sends go out and
// report in the order they were made.
func TestPacketBoundariesAndSendOrder(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	peer := udpPeer(t, "udp4", "127.0.0.1:0")
	pc, err := dialPacketT(t, l, "udp", peer.LocalAddr().String())
	require.NoError(t, err)
	sent := make(chan recvResult, 8)
	onLoop(t, l, func() {
		for _, q := range []string{"A query", "AAAA query", "third"} {
			sendAsync(pc, q, sent) // back to back: one in flight, the rest queued
		}
	})
	var from net.Addr
	for _, want := range []string{"A query", "AAAA query", "third"} {
		r := next(t, sent)
		require.NoError(t, r.err)
		assert.Equal(t, want, r.data, "callbacks in the order of the sends")
		var got string
		got, from = readFrom(t, peer)
		assert.Equal(t, want, got, "one datagram per send, in order")
	}

	_, err = peer.WriteTo([]byte("one"), from)
	require.NoError(t, err)
	_, err = peer.WriteTo([]byte("two"), from)
	require.NoError(t, err)
	got := make(chan recvResult, 4)
	onLoop(t, l, func() {
		buf := make([]byte, 64)
		var second func(n int, err error)
		first := func(n int, err error) {
			got <- recvResult{data: string(buf[:n]), err: err}
			pc.Recv(buf, second)
		}
		second = func(n int, err error) { got <- recvResult{data: string(buf[:n]), err: err} }
		pc.Recv(buf, first)
	})
	assert.Equal(t, recvResult{data: "one"}, next(t, got))
	assert.Equal(t, recvResult{data: "two"}, next(t, got))
}

func TestPacketTruncatesToBuffer(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	peer := udpPeer(t, "udp4", "127.0.0.1:0")
	pc, err := dialPacketT(t, l, "udp", peer.LocalAddr().String())
	require.NoError(t, err)
	var local net.Addr
	onLoop(t, l, func() { local = pc.LocalAddr() })
	_, err = peer.WriteTo([]byte(strings.Repeat("x", 100)), local)
	require.NoError(t, err)
	_, err = peer.WriteTo([]byte("next"), local)
	require.NoError(t, err)
	got := make(chan recvResult, 2)
	onLoop(t, l, func() { recvAsync(pc, 10, got) })
	r := next(t, got)
	require.NoError(t, r.err)
	assert.Equal(t, strings.Repeat("x", 10), r.data, "cut to len(buf)")
	onLoop(t, l, func() { recvAsync(pc, 10, got) })
	assert.Equal(t, "next", next(t, got).data, "the rest of the long one was dropped")
}

func TestPacketZeroLengthDatagram(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	peer := udpPeer(t, "udp4", "127.0.0.1:0")
	pc, err := dialPacketT(t, l, "udp", peer.LocalAddr().String())
	require.NoError(t, err)
	got := make(chan recvResult, 4)
	onLoop(t, l, func() { sendAsync(pc, "", got) })
	require.NoError(t, next(t, got).err)
	empty, from := readFrom(t, peer)
	assert.Equal(t, "", empty, "an empty datagram reached the peer")

	_, err = peer.WriteTo(nil, from)
	require.NoError(t, err)
	onLoop(t, l, func() { recvAsync(pc, 64, got) })
	assert.Equal(t, recvResult{}, next(t, got), "n 0 and no error: an empty datagram, not an end")
	_, err = peer.WriteTo([]byte("still open"), from)
	require.NoError(t, err)
	onLoop(t, l, func() { recvAsync(pc, 64, got) })
	assert.Equal(t, recvResult{data: "still open"}, next(t, got))
}

func TestPacketConnectionRefused(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	gone, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	addr := gone.LocalAddr().String()
	gone.Close() // nobody listens on this port now
	pc, err := dialPacketT(t, l, "udp", addr)
	require.NoError(t, err)
	got := make(chan recvResult, 4)
	onLoop(t, l, func() { sendAsync(pc, "anyone?", got) })
	require.NoError(t, next(t, got).err, "the datagram leaves; ICMP port unreachable comes back")
	onLoop(t, l, func() { recvAsync(pc, 64, got) })
	r := next(t, got)
	assert.ErrorIs(t, r.err, unix.ECONNREFUSED)
	var se *os.SyscallError
	assert.True(t, errors.As(r.err, &se), "a syscall error: %T", r.err)

	// Reported once; the socket stays usable.
	onLoop(t, l, func() { sendAsync(pc, "again", got) })
	assert.NoError(t, next(t, got).err)
}

// CancelRecv drops the pending callback; a Recv right after it waits for
// the next datagram.
func TestPacketCancelRecvThenRecv(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	peer := udpPeer(t, "udp4", "127.0.0.1:0")
	pc, err := dialPacketT(t, l, "udp", peer.LocalAddr().String())
	require.NoError(t, err)
	cancelled := make(chan recvResult, 2)
	got := make(chan recvResult, 2)
	var local net.Addr
	onLoop(t, l, func() {
		local = pc.LocalAddr()
		recvAsync(pc, 64, cancelled)
	})
	onLoop(t, l, func() {}) // a turn: the receive is in the kernel
	onLoop(t, l, func() {
		pc.CancelRecv()
		assert.False(t, pc.Receiving())
		recvAsync(pc, 64, got) // at once, while the cancel is in flight
	})
	_, err = peer.WriteTo([]byte("late"), local)
	require.NoError(t, err)
	assert.Equal(t, "late", next(t, got).data)
	quiet(t, l, cancelled)
	// Cancel with nothing pending does nothing.
	onLoop(t, l, func() { pc.CancelRecv() })
}

// The resolver's way: a Timer bounds the Recv, and when it fires first the
// caller cancels the Recv and tries again.
func TestPacketRecvTimeoutWithTimer(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	peer := udpPeer(t, "udp4", "127.0.0.1:0")
	pc, err := dialPacketT(t, l, "udp", peer.LocalAddr().String())
	require.NoError(t, err)
	events := make(chan string, 8)
	buf := make([]byte, 64)
	var timer *Timer
	var onRecv func(n int, err error)
	onRecv = func(n int, err error) {
		if timer.Stop() {
			events <- "answer " + string(buf[:n])
		} else {
			events <- "answer after the timeout"
		}
	}
	onLoop(t, l, func() {
		timer = l.NewTimer(func() {
			pc.CancelRecv()
			events <- "timeout"
			timer.Reset(packetWait) // the retry: the same buffer, the same callback
			pc.Recv(buf, onRecv)
			pc.Send([]byte("retry"), nil)
		})
		timer.Reset(20 * time.Millisecond)
		pc.Recv(buf, onRecv) // nobody answers this one
	})
	event := func() string {
		select {
		case e := <-events:
			return e
		case <-time.After(packetWait):
			t.Fatal("nothing happened")
			return ""
		}
	}
	assert.Equal(t, "timeout", event())
	q, from := readFrom(t, peer)
	require.Equal(t, "retry", q)
	_, err = peer.WriteTo([]byte("at last"), from)
	require.NoError(t, err)
	assert.Equal(t, "answer at last", event())
}

// A receive cancelled after it took a datagram (the datagram was already
// there) hands the datagram to the next Recv, at once or in a later turn:
// CancelRecv loses nothing.
func TestPacketCancelledReceiveLosesNothing(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	peer := udpPeer(t, "udp4", "127.0.0.1:0")
	pc, err := dialPacketT(t, l, "udp", peer.LocalAddr().String())
	require.NoError(t, err)
	var local net.Addr
	var fd int
	onLoop(t, l, func() { local, fd = pc.LocalAddr(), pc.Fd() })
	waitQueued := func() {
		deadline := time.Now().Add(packetWait)
		for {
			n, err := unix.IoctlGetInt(fd, unix.SIOCINQ)
			require.NoError(t, err)
			if n > 0 {
				return
			}
			require.True(t, time.Now().Before(deadline), "the datagram never reached the socket")
			time.Sleep(time.Millisecond)
		}
	}
	cancelled := make(chan recvResult, 4)
	got := make(chan recvResult, 4)

	_, err = peer.WriteTo([]byte("first"), local)
	require.NoError(t, err)
	waitQueued()
	onLoop(t, l, func() {
		recvAsync(pc, 64, cancelled) // takes "first" when submitted...
		pc.CancelRecv()              // ...before this cancel lands
		recvAsync(pc, 64, got)
	})
	assert.Equal(t, "first", next(t, got).data, "handed to the Recv after the cancel")

	_, err = peer.WriteTo([]byte("second"), local)
	require.NoError(t, err)
	waitQueued()
	onLoop(t, l, func() {
		recvAsync(pc, 64, cancelled)
		pc.CancelRecv()
	})
	onLoop(t, l, func() {}) // the cancelled receive ends with nobody waiting
	onLoop(t, l, func() { recvAsync(pc, 3, got) })
	assert.Equal(t, "sec", next(t, got).data, "kept, then copied into the new buffer (cut to it)")
	quiet(t, l, cancelled)
}

func TestPacketSecondRecvIsBusy(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	peer := udpPeer(t, "udp4", "127.0.0.1:0")
	pc, err := dialPacketT(t, l, "udp", peer.LocalAddr().String())
	require.NoError(t, err)
	first := make(chan recvResult, 2)
	second := make(chan recvResult, 2)
	var local net.Addr
	onLoop(t, l, func() {
		local = pc.LocalAddr()
		recvAsync(pc, 64, first)
		recvAsync(pc, 64, second)
	})
	assert.ErrorIs(t, next(t, second).err, ErrRecvBusy)
	_, err = peer.WriteTo([]byte("for the first"), local)
	require.NoError(t, err)
	assert.Equal(t, "for the first", next(t, first).data)
}

// Close with a Recv pending and Sends queued: each callback gets ErrClosed
// once, after Close has returned; so do Send and Recv after Close.
func TestPacketCloseDeliversErrClosedOnce(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	peer := udpPeer(t, "udp4", "127.0.0.1:0")
	pc, err := dialPacketT(t, l, "udp", peer.LocalAddr().String())
	require.NoError(t, err)
	got := make(chan recvResult, 16)
	closing := false // loop thread: inside the Close call below
	onLoop(t, l, func() { recvDuring(pc, 64, got, &closing) })
	onLoop(t, l, func() {}) // the receive is in the kernel
	onLoop(t, l, func() {
		sendDuring(pc, "queued 1", got, &closing) // in flight when Close comes
		sendDuring(pc, "queued 2", got, &closing)
		closing = true
		pc.Close()
		pc.Close() // twice does nothing
		closing = false
		sendAsync(pc, "after close", got)
		recvAsync(pc, 64, got) // the first Recv still waits for its ErrClosed: busy
	})
	results := map[string][]error{}
	for range 5 {
		r := next(t, got)
		results[r.data] = append(results[r.data], r.err)
	}
	quiet(t, l, got)
	require.Len(t, results[""], 2, "the pending Recv and the busy one: %v", results)
	assert.Contains(t, results[""], ErrClosed)
	assert.Contains(t, results[""], ErrRecvBusy)
	require.Len(t, results["queued 1"], 1)
	if e := results["queued 1"][0]; e != nil {
		assert.ErrorIs(t, e, ErrClosed, "cancelled, or reported sent")
	}
	assert.Equal(t, []error{ErrClosed}, results["queued 2"])
	assert.Equal(t, []error{ErrClosed}, results["after close"])

	var fd int
	var local net.Addr
	var isClosed bool
	onLoop(t, l, func() {
		fd, local, isClosed = pc.Fd(), pc.LocalAddr(), pc.Closed()
		recvAsync(pc, 64, got)
		sendAsync(pc, "closed", got)
	})
	assert.Equal(t, ErrClosed, next(t, got).err, "Recv on a closed PacketConn")
	assert.Equal(t, recvResult{data: "closed", err: ErrClosed}, next(t, got), "Send on a closed PacketConn")
	assert.Equal(t, -1, fd)
	assert.Nil(t, local)
	assert.True(t, isClosed)
}

// A datagram longer than a loop buffer is sent from its own copy; one
// longer than UDP allows fails its Send, and the next one goes on.
func TestPacketLargeDatagrams(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	peer := udpPeer(t, "udp4", "127.0.0.1:0")
	pc, err := dialPacketT(t, l, "udp", peer.LocalAddr().String())
	require.NoError(t, err)
	big := strings.Repeat("b", 60000)
	got := make(chan recvResult, 4)
	onLoop(t, l, func() {
		sendAsync(pc, strings.Repeat("t", 70000), got)
		sendAsync(pc, big, got)
	})
	assert.ErrorIs(t, next(t, got).err, unix.EMSGSIZE)
	assert.NoError(t, next(t, got).err)
	data, from := readFrom(t, peer)
	assert.Equal(t, big, data)
	_, err = peer.WriteTo([]byte(big), from)
	require.NoError(t, err)
	onLoop(t, l, func() { recvAsync(pc, 65536, got) })
	assert.Equal(t, recvResult{data: big}, next(t, got))
}

// A send the kernel cannot take yet (a unix datagram peer whose queue is
// full) is in flight when Close comes: it is cancelled and reports
// ErrClosed, after it the queued ones, each once and in order.
func TestPacketCloseCancelsBlockedSend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.sock")
	peer, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	require.NoError(t, err)
	defer peer.Close() // never reads
	l := startLoop(t, Options{}, nil)
	pc, err := dialPacketT(t, l, "unixgram", path)
	require.NoError(t, err)
	const n = 64 // far more than net.unix.max_dgram_qlen (10 by default)
	got := make(chan recvResult, n)
	closing := false // loop thread: inside the Close call below
	onLoop(t, l, func() {
		for i := range n {
			sendDuring(pc, string(rune('A'+i%26)), got, &closing)
		}
	})
	var results []recvResult
	// Take what the kernel accepts until it stops accepting for a while.
	for waiting := true; waiting; {
		select {
		case r := <-got:
			require.NoError(t, r.err)
			results = append(results, r)
		case <-time.After(200 * time.Millisecond):
			waiting = false
		}
	}
	require.Less(t, len(results), n, "the peer's queue never filled")
	onLoop(t, l, func() {
		closing = true
		pc.Close()
		closing = false
	})
	failed := 0
	for len(results) < n {
		r := next(t, got)
		if r.err == nil {
			// Taken by the kernel after the quiet spell above (a slow
			// machine): only before the first failure.
			assert.Zero(t, failed, "a success after ErrClosed")
		} else {
			assert.Equal(t, ErrClosed, r.err)
			failed++
		}
		results = append(results, r)
	}
	quiet(t, l, got)
	assert.Greater(t, failed, 0, "the peer never reads: some sends cannot have gone")
	for i, r := range results {
		assert.Equal(t, string(rune('A'+i%26)), r.data, "in order")
	}
	t.Logf("the kernel took %d datagrams before the queue was full", n-failed)
}

func TestStopClosesPacketConns(t *testing.T) {
	peer := udpPeer(t, "udp4", "127.0.0.1:0")
	l, err := Start(Options{Log: func(string) {}}, nil)
	require.NoError(t, err)
	got := make(chan recvResult, 4)
	var pc *PacketConn
	onLoop(t, l, func() {
		pc, err = l.DialPacket("udp", peer.LocalAddr().String())
		if err == nil {
			recvAsync(pc, 64, got)
		}
	})
	require.NoError(t, err)
	require.NoError(t, l.Stop())
	r := next(t, got)
	assert.Equal(t, ErrClosed, r.err)
	assert.Equal(t, 0, l.packets.n)
	assert.Equal(t, -1, pc.fd)
}

func TestDialPacketErrors(t *testing.T) {
	l := startLoop(t, Options{}, nil)
	_, err := dialPacketT(t, l, "udp", "no-port")
	assert.ErrorIs(t, err, linux.ErrAddress)
	_, err = dialPacketT(t, l, "udp", "resolver.example:53")
	assert.ErrorIs(t, err, linux.ErrAddress, "no DNS here")
	_, err = dialPacketT(t, l, "tcp", "127.0.0.1:53")
	assert.ErrorIs(t, err, linux.ErrNetwork)
	_, err = dialPacketT(t, l, "unixgram", filepath.Join(t.TempDir(), "absent.sock"))
	assert.ErrorIs(t, err, unix.ENOENT)
	onLoop(t, l, func() { assert.Zero(t, l.packets.n, "nothing left open") })
}
