package ring

import (
	"encoding/binary"
	"net"
	"os"
	"os/signal"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestUringMultishotAccept(t *testing.T) {
	for _, native := range []bool{true, false} {
		name := "native"
		if !native {
			name = "emulated" // as on kernels before 5.19
		}
		t.Run(name, func(t *testing.T) {
			r := openTestUring(t, Options{Entries: 8})
			r.feat.MultishotAccept = native
			lfd, addr := listenTCP(t)
			r.Accept(1, lfd, true)
			const conns = 3
			var clients []net.Conn
			var fds []int
			for i := range conns {
				c, err := net.DialTCP("tcp4", nil, addr)
				require.NoError(t, err)
				clients = append(clients, c)
				got := collect(t, r, 1)[0]
				require.Equal(t, uint64(1), got.UserData)
				require.GreaterOrEqual(t, got.Res, int32(0), "connection %d: %v", i, got.Err())
				assert.Equal(t, FlagMore, got.Flags, "multishot accept stays armed")
				fds = append(fds, int(got.Res))
			}
			for _, fd := range fds {
				fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
				require.NoError(t, err)
				assert.NotZero(t, fl&unix.O_NONBLOCK, "accepted fd is non-blocking")
				fdfl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
				require.NoError(t, err)
				assert.NotZero(t, fdfl&unix.FD_CLOEXEC, "accepted fd is close-on-exec")
				require.NoError(t, unix.Close(fd))
			}
			for _, c := range clients {
				require.NoError(t, c.Close())
			}
			r.Cancel(2, lfd, 1)
			cs := byUD(t, collect(t, r, 2))
			assert.Equal(t, Completion{UserData: 1, Res: -int32(unix.ECANCELED)}, cs[1])
			assert.Equal(t, Completion{UserData: 2}, cs[2])
		})
	}
}

func TestUringSingleAccept(t *testing.T) {
	r := openTestUring(t, Options{Entries: 8})
	lfd, addr := listenTCP(t)
	r.Accept(1, lfd, false)
	c, err := net.DialTCP("tcp4", nil, addr)
	require.NoError(t, err)
	defer c.Close()
	got := collect(t, r, 1)[0]
	require.GreaterOrEqual(t, got.Res, int32(0))
	assert.Zero(t, got.Flags, "a single accept ends with its connection")
	require.NoError(t, unix.Close(int(got.Res)))
}

func TestUringConnectShutdownClose(t *testing.T) {
	r := openTestUring(t, Options{Entries: 8})
	lfd, addr := listenTCP(t)
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	sa := &unix.RawSockaddrAny{}
	in4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
	in4.Family = unix.AF_INET
	in4.Addr = [4]byte{127, 0, 0, 1}
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&in4.Port))[:], uint16(addr.Port))
	r.Connect(1, fd, sa, uint32(unsafe.Sizeof(*in4)))
	r.Accept(2, lfd, false)
	cs := byUD(t, collect(t, r, 2))
	require.Equal(t, int32(0), cs[1].Res, "connect: %v", cs[1].Err())
	srv := int(cs[2].Res)
	require.GreaterOrEqual(t, srv, 0)
	defer unix.Close(srv)

	buf := make([]byte, 8)
	r.Shutdown(3, fd, unix.SHUT_WR)
	r.Recv(4, srv, buf)
	cs = byUD(t, collect(t, r, 2))
	assert.Equal(t, int32(0), cs[3].Res)
	assert.Equal(t, int32(0), cs[4].Res, "the peer sees end of stream")

	r.CloseFD(5, fd)
	assert.Equal(t, Completion{UserData: 5}, collect(t, r, 1)[0])
	_, err = unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	assert.ErrorIs(t, err, unix.EBADF, "the descriptor is closed")
}

func TestUringSyncFallbackOps(t *testing.T) {
	r := openTestUring(t, Options{Entries: 8})
	r.hasClose, r.hasShutdown = false, false // as on kernels before 5.6 / 5.11
	a, _ := socketPair(t)
	fd, err := unix.Dup(a)
	require.NoError(t, err)
	r.Shutdown(1, fd, unix.SHUT_RDWR)
	r.CloseFD(2, fd)
	r.CloseFD(3, fd)
	cs := byUD(t, collect(t, r, 3))
	assert.Equal(t, int32(0), cs[1].Res)
	assert.Equal(t, int32(0), cs[2].Res)
	assert.Equal(t, -int32(unix.EBADF), cs[3].Res)
}

func TestUringTimeoutAndCancel(t *testing.T) {
	r := openTestUring(t, Options{Entries: 8})
	short := &unix.Timespec{Nsec: int64(5 * time.Millisecond)}
	long := &unix.Timespec{Sec: 60}
	r.Timeout(1, short)
	r.Timeout(2, long)
	assert.Equal(t, Completion{UserData: 1, Res: -int32(unix.ETIME)}, collect(t, r, 1)[0])
	r.Cancel(3, -1, 2)
	r.Cancel(4, -1, 99) // no such operation
	cs := byUD(t, collect(t, r, 3))
	assert.Equal(t, -int32(unix.ECANCELED), cs[2].Res)
	assert.Equal(t, int32(0), cs[3].Res)
	assert.Equal(t, -int32(unix.ENOENT), cs[4].Res)
}

func TestUringWaitTimeout(t *testing.T) {
	for _, extArg := range []bool{true, false} {
		name := "ext_arg"
		if !extArg {
			name = "timeout_sqe" // as on kernels before 5.11
		}
		t.Run(name, func(t *testing.T) {
			r := openTestUring(t, Options{Entries: 8})
			r.feat.ExtArgWait = extArg
			const timeout = 20 * time.Millisecond
			wait := func(t *testing.T, round int) {
				// Wait retries across EINTR on the monotonic clock, which
				// the test reads first: it never returns early, no slack.
				start := time.Now()
				out, err := r.Wait(nil, timeout)
				took := time.Since(start)
				require.NoError(t, err)
				assert.Empty(t, out, "the internal timeout is not a completion")
				assert.GreaterOrEqual(t, took, timeout, "round %d returned early", round)
				assert.Less(t, took, testDeadline, "round %d", round)
			}
			for round := range 3 {
				wait(t, round)
			}
			// The Go runtime's SIGURG at the waiting thread, many times
			// per wait: each interrupts io_uring_enter, none ends Wait.
			t.Run("signals", func(t *testing.T) {
				signalStorm(t)
				for round := range 3 {
					wait(t, round)
				}
				// A Wake still ends an interrupted Wait.
				woke := make(chan error, 1)
				go func() { woke <- r.Wake() }()
				start := time.Now()
				out, err := r.Wait(nil, 10*time.Second)
				require.NoError(t, err)
				assert.Empty(t, out, "a wake is not a completion")
				assert.Less(t, time.Since(start), testDeadline, "Wake did not end Wait")
				require.NoError(t, <-woke)
			})
			out, err := r.Wait(nil, 0)
			require.NoError(t, err)
			assert.Empty(t, out)
			// A completion ends the wait early.
			a, b := socketPair(t)
			buf := make([]byte, 4)
			r.Recv(1, b, buf)
			_, err = unix.Write(a, []byte("z"))
			require.NoError(t, err)
			assert.Equal(t, int32(1), collect(t, r, 1)[0].Res)
		})
	}
}

func TestUringWakeFromGoroutines(t *testing.T) {
	r := openTestUring(t, Options{Entries: 8})
	const goroutines, wakes = 8, 200
	storm := func() {
		var start, done sync.WaitGroup
		start.Add(1)
		for range goroutines {
			done.Add(1)
			go func() {
				defer done.Done()
				start.Wait()
				for range wakes {
					assert.NoError(t, r.Wake())
				}
			}()
		}
		start.Done()
		done.Wait()
	}
	// A storm while nobody waits costs one eventfd write.
	storm()
	out, err := r.Wait(nil, testDeadline)
	require.NoError(t, err)
	assert.Empty(t, out, "a wake is not a completion")
	assert.Equal(t, uint64(1), binary.LittleEndian.Uint64(r.wakeBuf[:]), "wakes were coalesced")
	assert.False(t, r.wakePending.Load())

	// A Wait without limit returns when another goroutine wakes it.
	returned := make(chan error, 1)
	go func() {
		_, err := r.Wait(nil, -1)
		returned <- err
	}()
	storm()
	select {
	case err := <-returned:
		require.NoError(t, err)
	case <-time.After(testDeadline):
		t.Fatal("Wait did not return after Wake")
	}
}

func TestUringSendToClosedPeer(t *testing.T) {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, unix.SIGPIPE)
	defer signal.Stop(sigs)

	r := openTestUring(t, Options{Entries: 8})
	a, b := socketPair(t)
	require.NoError(t, unix.Close(b))
	payload := []byte("into the void")
	iov := []unix.Iovec{{Base: &payload[0]}}
	iov[0].SetLen(len(payload))
	msg := &unix.Msghdr{Iov: &iov[0]}
	msg.SetIovlen(1)
	r.Send(1, a, payload)
	r.Sendmsg(2, a, msg)
	cs := byUD(t, collect(t, r, 2))
	assert.Equal(t, -int32(unix.EPIPE), cs[1].Res)
	assert.Equal(t, -int32(unix.EPIPE), cs[2].Res)
	assert.ErrorIs(t, cs[1].Err(), unix.EPIPE)
	select {
	case s := <-sigs:
		t.Fatalf("got %v: MSG_NOSIGNAL missing", s)
	case <-time.After(50 * time.Millisecond): // a signal would be pending by now
	}
}

func TestUringConnectionReset(t *testing.T) {
	r := openTestUring(t, Options{Entries: 8})
	lfd, addr := listenTCP(t)
	client, err := net.DialTCP("tcp4", nil, addr)
	require.NoError(t, err)
	raw, err := client.SyscallConn()
	require.NoError(t, err)
	var cfd int
	require.NoError(t, raw.Control(func(fd uintptr) { cfd = int(fd) }))
	r.Accept(1, lfd, false)
	srv := int(collect(t, r, 1)[0].Res)
	require.GreaterOrEqual(t, srv, 0)
	// SO_LINGER 0: close sends RST.
	require.NoError(t, unix.SetsockoptLinger(srv, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1}))
	require.NoError(t, unix.Close(srv))
	buf := make([]byte, 8)
	r.Recv(2, cfd, buf)
	assert.Equal(t, -int32(unix.ECONNRESET), collect(t, r, 1)[0].Res)
	r.Send(3, cfd, []byte("late"))
	res := collect(t, r, 1)[0].Res
	assert.Contains(t, []int32{-int32(unix.EPIPE), -int32(unix.ECONNRESET)}, res)
	require.NoError(t, client.Close())
}

func TestUringClose(t *testing.T) {
	r, err := openUring(Options{Entries: 8}, 0)
	require.NoError(t, err)
	require.NoError(t, r.SetupBuffers(1, 8, 64))
	a, b := socketPair(t)
	r.RecvMultishot(1, b, 1)
	r.Recv(2, a, make([]byte, 8))
	_, err = r.Wait(nil, 0) // in flight now
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "a second Close is harmless")
	_, err = r.Wait(nil, 0)
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, r.Wake(), ErrClosed)
	assert.ErrorIs(t, r.SetupBuffers(2, 8, 64), ErrClosed)
	assert.Nil(t, r.Buffer(1, 0))
	r.Recv(3, a, make([]byte, 8)) // ignored, no panic
	r.ReleaseBuffer(1, 0)
}
