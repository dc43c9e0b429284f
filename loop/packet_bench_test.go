package loop

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// packetEcho is a PacketConn on a loop that sends every datagram it gets
// back to its peer, with its callbacks bound once; the peer is a raw
// blocking socket connected to it, written and read by the test goroutine
// (it allocates nothing), so what ReportAllocs shows is the loop's.
type packetEcho struct {
	l    *Loop
	pc   *PacketConn
	peer int    // the test goroutine's socket
	buf  []byte // pc's receive buffer
	msg  []byte // what the peer sends
	got  []byte // what the peer reads back
	// onRecv and onSent are bound once: no closure per datagram.
	onRecv func(n int, err error)
	onSent func(err error)
}

// newPacketEcho starts a loop and an echoing PacketConn of network
// ("udp" or "unixgram") with a size-byte message.
func newPacketEcho(tb testing.TB, network string, size int) *packetEcho {
	tb.Helper()
	e := &packetEcho{buf: make([]byte, 65536), msg: make([]byte, size), got: make([]byte, size+1)}
	var family int
	var addr unix.Sockaddr
	var address string
	switch network {
	case "udp":
		family, addr = unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	case "unixgram":
		address = filepath.Join(tb.TempDir(), "peer.sock")
		family, addr = unix.AF_UNIX, &unix.SockaddrUnix{Name: address}
	}
	var err error
	e.peer, err = unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(tb, err)
	tb.Cleanup(func() { unix.Close(e.peer) })
	require.NoError(tb, unix.Bind(e.peer, addr))
	// A lost datagram fails the run instead of hanging it.
	tv := unix.NsecToTimeval(int64(10 * time.Second))
	require.NoError(tb, unix.SetsockoptTimeval(e.peer, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv))
	if network == "udp" {
		sa, err := unix.Getsockname(e.peer)
		require.NoError(tb, err)
		address = "127.0.0.1:" + strconv.Itoa(sa.(*unix.SockaddrInet4).Port)
	}

	e.l, err = Start(Options{Log: func(string) {}}, nil)
	require.NoError(tb, err)
	tb.Cleanup(func() { e.l.Stop() })
	var local unix.Sockaddr
	ready := make(chan error, 1)
	e.l.Post(func() {
		pc, err := e.l.DialPacket(network, address)
		if err != nil {
			ready <- err
			return
		}
		e.pc = pc
		local, err = unix.Getsockname(pc.Fd())
		e.onSent = func(error) {}
		e.onRecv = func(n int, err error) {
			if err != nil {
				return // closed: the loop is stopping
			}
			e.pc.Send(e.buf[:n], e.onSent) // copied: buf is free again at once
			e.pc.Recv(e.buf, e.onRecv)
		}
		e.pc.Recv(e.buf, e.onRecv)
		ready <- err
	})
	require.NoError(tb, <-ready)
	require.NoError(tb, unix.Connect(e.peer, local))
	return e
}

// once sends the message and reads the echo; it returns the echo's length.
func (e *packetEcho) once() (int, error) {
	if _, err := unix.Write(e.peer, e.msg); err != nil {
		return 0, err
	}
	return unix.Read(e.peer, e.got)
}

// BenchmarkPacketEcho measures one datagram round trip through a
// PacketConn: the peer sends, the loop's Recv callback sends it back (Send
// copies it) and receives again. 0 allocations per datagram.
func BenchmarkPacketEcho(b *testing.B) {
	for _, network := range []string{"udp", "unixgram"} {
		for _, size := range []int{64, 1024} {
			b.Run(network+"/"+sizeName(size), func(b *testing.B) {
				e := newPacketEcho(b, network, size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					n, err := e.once()
					if err != nil || n != size {
						b.Fatalf("echo %d: %d bytes, %v", i, n, err)
					}
				}
			})
		}
	}
}

func TestPacketEchoAllocatesNothing(t *testing.T) {
	for _, network := range []string{"udp", "unixgram"} {
		t.Run(network, func(t *testing.T) {
			e := newPacketEcho(t, network, 64)
			for range 10 { // warm the op slab, the buffers, the ring
				n, err := e.once()
				require.NoError(t, err)
				require.Equal(t, 64, n)
			}
			var failed error
			allocs := testing.AllocsPerRun(500, func() {
				if n, err := e.once(); err != nil || n != 64 {
					failed = err
				}
			})
			require.NoError(t, failed)
			require.Zero(t, allocs, "allocations per datagram round trip")
		})
	}
}
