package ring

import (
	"net"
	"testing"
	"time"

	"github.com/pawelgaczynski/giouring"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// testDeadline bounds every wait for completions in these tests.
const testDeadline = 5 * time.Second

// openTestUring opens an io_uring backend that is closed when t ends.
func openTestUring(t testing.TB, opts Options) *uring {
	t.Helper()
	r, err := openUring(opts, 0)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, r.Close()) })
	return r
}

// collect calls Wait until n completions arrived or testDeadline passed.
func collect(t testing.TB, r Ring, n int) []Completion {
	t.Helper()
	var out []Completion
	deadline := time.Now().Add(testDeadline)
	for len(out) < n && time.Now().Before(deadline) {
		var err error
		out, err = r.Wait(out, 100*time.Millisecond)
		require.NoError(t, err)
	}
	require.Len(t, out, n, "completions: %+v", out)
	return out
}

// byUD indexes completions by user_data; each must be unique.
func byUD(t testing.TB, cs []Completion) map[uint64]Completion {
	t.Helper()
	m := make(map[uint64]Completion, len(cs))
	for _, c := range cs {
		_, dup := m[c.UserData]
		require.False(t, dup, "two completions for %d", c.UserData)
		m[c.UserData] = c
	}
	return m
}

// socketPair returns a connected non-blocking stream socketpair closed at
// the end of t (unless the test closed them already).
func socketPair(t testing.TB) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = unix.Close(fds[0]); _ = unix.Close(fds[1]) })
	return fds[0], fds[1]
}

// listenTCP returns a non-blocking listening socket on 127.0.0.1 port 0 and
// its address.
func listenTCP(t testing.TB) (int, *net.TCPAddr) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = unix.Close(fd) })
	require.NoError(t, unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, unix.Listen(fd, 64))
	sa, err := unix.Getsockname(fd)
	require.NoError(t, err)
	return fd, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*unix.SockaddrInet4).Port}
}

func TestUringFeaturesOnThisKernel(t *testing.T) {
	r := openTestUring(t, Options{})
	assert.Equal(t, BackendUring, r.Backend())
	ok, err := giouring.CheckKernelVersion(6, 0, 0)
	require.NoError(t, err)
	require.True(t, ok, "these tests expect a kernel >= 6.0")
	f := r.Features()
	assert.True(t, f.MultishotAccept)
	assert.True(t, f.MultishotRecv)
	assert.True(t, f.ExtArgWait)
	assert.True(t, f.NoDrop)
	assert.Equal(t, uint32(defaultEntries), r.sqSize)
	assert.Equal(t, uint32(4*defaultEntries), r.cqSize, "CQ is four times the SQ")
	const want = giouring.SetupCQSize | giouring.SetupClamp | giouring.SetupSubmitAll | giouring.SetupCoopTaskrun | giouring.SetupTaskrunFlag
	assert.Equal(t, want, r.flags)
	big := openTestUring(t, Options{Entries: 1 << 15})
	assert.Equal(t, uint32(1<<16), big.cqSize, "CLAMP caps the CQ at the kernel's maximum")

}

func TestUringSendRecv(t *testing.T) {
	r := openTestUring(t, Options{Entries: 8})
	a, b := socketPair(t)
	msg := []byte("hello, ring")
	buf := make([]byte, 64)
	r.Send(1, a, msg)
	r.Recv(2, b, buf)
	cs := byUD(t, collect(t, r, 2))
	assert.Equal(t, Completion{UserData: 1, Res: int32(len(msg))}, cs[1])
	assert.Equal(t, Completion{UserData: 2, Res: int32(len(msg))}, cs[2])
	assert.Equal(t, msg, buf[:len(msg)])
}

func TestUringSendmsgGathers(t *testing.T) {
	r := openTestUring(t, Options{Entries: 8})
	a, b := socketPair(t)
	parts := [][]byte{[]byte("GET "), []byte("/ "), []byte("HTTP/1.1\r\n")}
	iov := make([]unix.Iovec, len(parts))
	for i, p := range parts {
		iov[i].Base = &p[0]
		iov[i].SetLen(len(p))
	}
	msg := &unix.Msghdr{Iov: &iov[0]}
	msg.SetIovlen(len(iov))
	buf := make([]byte, 64)
	r.Sendmsg(1, a, msg)
	r.Recv(2, b, buf)
	cs := byUD(t, collect(t, r, 2))
	assert.Equal(t, int32(16), cs[1].Res)
	require.Equal(t, int32(16), cs[2].Res)
	assert.Equal(t, "GET / HTTP/1.1\r\n", string(buf[:16]))
}

// TestUringOverflow queues far more completions than a tiny CQ holds; the
// kernel parks the rest on its overflow list and Wait must flush it.
func TestUringOverflow(t *testing.T) {
	r := openTestUring(t, Options{Entries: 2})
	require.Equal(t, uint32(8), r.cqSize)
	const n = 300
	ts := &unix.Timespec{} // 0: expires at once
	for i := range n {
		r.Timeout(uint64(i+1), ts)
	}
	cs := byUD(t, collect(t, r, n))
	for i := range n {
		c, ok := cs[uint64(i+1)]
		require.True(t, ok, "completion %d lost", i+1)
		assert.Equal(t, -int32(unix.ETIME), c.Res)
	}
	assert.Positive(t, r.overflows, "the CQ never overflowed: the test proves nothing")
}

// TestUringOverflowRecv overflows the CQ with socket completions too.
func TestUringOverflowRecv(t *testing.T) {
	r := openTestUring(t, Options{Entries: 2})
	const pairs = 40
	bufs := make([][]byte, pairs)
	for i := range pairs {
		a, b := socketPair(t)
		_, err := unix.Write(a, []byte{byte(i)})
		require.NoError(t, err)
		bufs[i] = make([]byte, 4)
		r.Recv(uint64(i+1), b, bufs[i])
	}
	cs := byUD(t, collect(t, r, pairs))
	for i := range pairs {
		assert.Equal(t, int32(1), cs[uint64(i+1)].Res)
		assert.Equal(t, byte(i), bufs[i][0])
	}
	assert.Positive(t, r.overflows)
}

func TestUringBufferRingRecycling(t *testing.T) {
	r := openTestUring(t, Options{Entries: 8})
	const group, count, size = 3, 4, 16
	require.NoError(t, r.SetupBuffers(group, count, size))
	require.Error(t, r.SetupBuffers(group, count, size), "a group registers once")
	require.Error(t, r.SetupBuffers(4, 3, size), "count must be a power of two")
	a, b := socketPair(t)
	r.RecvMultishot(7, b, group)
	seen := map[uint16]int{}
	for i := range 3 * count { // three times as many messages as buffers
		msg := []byte{'m', byte('a' + i)}
		_, err := unix.Write(a, msg)
		require.NoError(t, err)
		c := collect(t, r, 1)[0]
		require.Equal(t, uint64(7), c.UserData)
		require.Equal(t, FlagMore|FlagBuffer, c.Flags, "message %d: %+v", i, c)
		require.Equal(t, int32(len(msg)), c.Res)
		assert.Equal(t, msg, r.Buffer(group, c.BufID)[:c.Res])
		seen[c.BufID]++
		r.ReleaseBuffer(group, c.BufID)
	}
	assert.Len(t, seen, count, "every buffer was used")
	for bid, n := range seen {
		assert.Equal(t, 3, n, "buffer %d", bid)
	}
	require.NoError(t, unix.Close(a))
	c := collect(t, r, 1)[0]
	assert.Equal(t, Completion{UserData: 7}, c, "end of stream ends the multishot recv")
	assert.Nil(t, r.Buffer(9, 0), "unknown group")
	assert.Len(t, r.Buffer(group, count-1), size)
}

func TestUringBufferRingExhausted(t *testing.T) {
	r := openTestUring(t, Options{Entries: 8})
	require.NoError(t, r.SetupBuffers(1, 2, 8))
	a, b := socketPair(t)
	r.RecvMultishot(5, b, 1)
	for range 2 {
		_, err := unix.Write(a, []byte("x"))
		require.NoError(t, err)
		c := collect(t, r, 1)[0]
		require.Equal(t, FlagMore|FlagBuffer, c.Flags)
	}
	_, err := unix.Write(a, []byte("y"))
	require.NoError(t, err)
	c := collect(t, r, 1)[0]
	assert.Equal(t, Completion{UserData: 5, Res: -int32(unix.ENOBUFS)}, c,
		"no buffer left: the multishot recv ends and the caller re-arms")
}

func TestUringMultishotRecvUnsupported(t *testing.T) {
	r := openTestUring(t, Options{Entries: 8})
	r.feat.MultishotRecv = false // as on a kernel before 6.0
	assert.ErrorIs(t, r.SetupBuffers(1, 4, 64), ErrUnsupported)
	_, b := socketPair(t)
	r.RecvMultishot(9, b, 1)
	c := collect(t, r, 1)[0]
	assert.Equal(t, Completion{UserData: 9, Res: -int32(unix.EOPNOTSUPP)}, c)
}

// TestUringBufferRingGrows: a group starts with minPostedBuffers buffers in
// circulation, so light traffic touches only those; a receive that finds
// none ends with -ENOBUFS and doubles them.
func TestUringBufferRingGrows(t *testing.T) {
	r := openTestUring(t, Options{Entries: 64})
	const group, count, size = 2, 4 * minPostedBuffers, 8
	require.NoError(t, r.SetupBuffers(group, count, size))
	a, b := socketPair(t)
	recvOne := func(ud uint64) Completion {
		_, err := unix.Write(a, []byte("x"))
		require.NoError(t, err)
		return collect(t, r, 1)[0]
	}
	r.RecvMultishot(1, b, group)
	seen := map[uint16]bool{}
	for range 3 * minPostedBuffers {
		c := recvOne(1)
		require.Equal(t, FlagMore|FlagBuffer, c.Flags)
		seen[c.BufID] = true
		r.ReleaseBuffer(group, c.BufID)
	}
	assert.Len(t, seen, minPostedBuffers, "released buffers go round; the others stay untouched")
	for bid := range seen {
		assert.Less(t, bid, uint16(minPostedBuffers))
	}

	// Hold every buffer: the recv runs dry after the ones posted, and each
	// run doubles them, up to the whole group.
	var held []uint16
	for _, want := range []int{minPostedBuffers, 2 * minPostedBuffers, count} {
		for len(held) < want {
			c := recvOne(1)
			require.Equal(t, FlagMore|FlagBuffer, c.Flags, "buffer %d of %d", len(held), want)
			held = append(held, c.BufID)
		}
		c := recvOne(1)
		assert.Equal(t, Completion{UserData: 1, Res: -int32(unix.ENOBUFS)}, c, "dry after %d", want)
		// The byte that found no buffer waits in the socket for the re-armed recv.
		r.RecvMultishot(1, b, group)
		c = collect(t, r, 1)[0]
		if want == count {
			assert.Equal(t, Completion{UserData: 1, Res: -int32(unix.ENOBUFS)}, c, "the whole group is out")
			break
		}
		require.Equal(t, FlagMore|FlagBuffer, c.Flags)
		held = append(held, c.BufID)
	}
	distinct := map[uint16]bool{}
	for _, bid := range held {
		distinct[bid] = true
	}
	assert.Len(t, distinct, count, "every buffer of the group came out once")
	r.ReleaseBuffer(group, count) // out of range: ignored
}
