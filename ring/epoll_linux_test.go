package ring

// Tests of the epoll backend's own machinery; its semantics are held to
// io_uring's by the conformance suite in ring_test.go.

import (
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// openEpoll opens an epoll ring closed at the end of the test.
func openEpoll(t testing.TB) *reaper {
	r, err := newEpoll(Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	return &reaper{t: t, r: r}
}

func TestEpollCloseFDCancelsPending(t *testing.T) {
	h := openEpoll(t)
	assert.Equal(t, BackendEpoll, h.r.Backend())
	fd, _ := tcpPair(t, h)
	dup, err := unix.Dup(fd)
	require.NoError(t, err)
	h.r.Recv(1, dup, make([]byte, 8))
	h.r.CloseFD(2, dup)
	assert.Equal(t, negErrno(unix.ECANCELED), h.res(1), "pending op cancelled first")
	assert.Equal(t, int32(0), h.res(2))
}

func TestEpollTimerHeapOrder(t *testing.T) {
	var h timerHeap
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[uint64]int64{}
	for ud := uint64(0); ud < 500; ud++ {
		at := rng.Int64N(1000)
		h.push(timer{at: at, ud: ud})
		want[ud] = at
	}
	for ud := uint64(0); ud < 500; ud += 3 {
		require.True(t, h.remove(ud))
		delete(want, ud)
	}
	require.False(t, h.remove(0), "already removed")
	var got []int64
	for len(h) > 0 {
		tm := h.pop()
		require.Equal(t, want[tm.ud], tm.at)
		got = append(got, tm.at)
	}
	assert.Len(t, got, len(want))
	assert.True(t, sort.SliceIsSorted(got, func(i, j int) bool { return got[i] < got[j] }))
}

func TestEpollAcceptBeyondBudget(t *testing.T) {
	h := openEpoll(t)
	lfd, port := listenLoopback(t, 128)
	const n = 3*shotBudget + 5 // several rounds of the multishot budget
	for i := 0; i < n; i++ {
		dialPeer(t, port)
	}
	h.r.Accept(1, lfd, true)
	for i := 0; i < n; i++ {
		c := h.next(1)
		require.GreaterOrEqual(t, c.Res, int32(0), "accept %d: %v", i, c.Err())
		require.NotZero(t, c.Flags&FlagMore)
		require.NoError(t, unix.Close(int(c.Res)))
	}
	h.r.Cancel(2, lfd, 1)
	assert.Equal(t, negErrno(unix.ECANCELED), h.res(1))
	assert.Equal(t, int32(0), h.res(2))
}

func TestEpollRecvMultishotBeyondBudget(t *testing.T) {
	h := openEpoll(t)
	require.NoError(t, h.r.SetupBuffers(0, 128, 8))
	fd, peer := tcpPair(t, h)
	payload := make([]byte, 8*(2*shotBudget+3))
	for i := range payload {
		payload[i] = byte(i)
	}
	_, err := peer.Write(payload)
	require.NoError(t, err)
	h.r.RecvMultishot(1, fd, 0)
	var got []byte
	for len(got) < len(payload) {
		c := h.next(1)
		require.NotZero(t, c.Flags&FlagMore, "%v", c.Err())
		got = append(got, h.r.Buffer(0, c.BufID)[:c.Res]...)
		h.r.ReleaseBuffer(0, c.BufID)
	}
	assert.Equal(t, payload, got)
}

func TestEpollFDTableGrows(t *testing.T) {
	h := openEpoll(t)
	fd, peer := tcpPair(t, h)
	high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 4*fdChunk)
	require.NoError(t, err)
	t.Cleanup(func() { _ = unix.Close(high) })
	require.GreaterOrEqual(t, high, 4*fdChunk)
	buf := make([]byte, 4)
	h.r.Recv(1, high, buf)
	_, err = peer.Write([]byte("hi"))
	require.NoError(t, err)
	require.Equal(t, int32(2), h.res(1))
	assert.Equal(t, "hi", string(buf[:2]))
}

// An fd closed behind the ring's back leaves stale state; a fresh accept
// with the same number must not inherit it.
func TestEpollAcceptedFDForgetsStaleState(t *testing.T) {
	h := openEpoll(t)
	lfd, port := listenLoopback(t, 16)
	dialPeer(t, port)
	h.r.Accept(1, lfd, false)
	old := int(h.res(1))
	h.r.Recv(2, old, make([]byte, 4)) // no data: readable is now false
	h.r.Cancel(3, old, 2)
	require.Equal(t, negErrno(unix.ECANCELED), h.res(2))
	require.Equal(t, int32(0), h.res(3))
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), testWait)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, unix.Close(old)) // not through CloseFD
	h.r.Accept(4, lfd, false)
	nfd := int(h.res(4))
	t.Cleanup(func() { _ = unix.Close(nfd) })
	require.Equal(t, old, nfd, "the kernel hands out the lowest free number")
	_, err = c.Write([]byte("new"))
	require.NoError(t, err)
	buf := make([]byte, 4)
	h.r.Recv(5, nfd, buf)
	require.Equal(t, int32(3), h.res(5))
	assert.Equal(t, "new", string(buf[:3]))
}

func TestEpollRoundTripAllocatesNothing(t *testing.T) {
	h := openEpoll(t)
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = unix.Close(sp[0]); _ = unix.Close(sp[1]) })
	msg, buf := make([]byte, 64), make([]byte, 64)
	out := make([]Completion, 0, 8)
	h.r.Timeout(9, &unix.Timespec{Sec: 60}) // a pending timer bounds every Wait
	allocs := testing.AllocsPerRun(200, func() {
		h.r.Send(1, sp[0], msg)
		h.r.Recv(2, sp[1], buf)
		for done := 0; done < 2; {
			out, err = h.r.Wait(out[:0], time.Second)
			done += len(out)
		}
	})
	require.NoError(t, err)
	assert.Zero(t, allocs)
}

func TestEpollClosedRing(t *testing.T) {
	r, err := newEpoll(Options{})
	require.NoError(t, err)
	require.NoError(t, r.Close())
	_, err = r.Wait(nil, 0)
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, r.Wake(), ErrClosed)
	assert.ErrorIs(t, r.Close(), ErrClosed)
}
