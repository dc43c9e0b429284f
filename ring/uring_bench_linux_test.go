package ring

import (
	"runtime"
	"testing"
	"time"

	"github.com/pawelgaczynski/giouring"
	"github.com/stretchr/testify/require"
)

// roundTripper sends one message over a socketpair and receives it, through
// the ring, reusing every buffer.
type roundTripper struct {
	r    *uring
	a, b int
	msg  []byte
	buf  []byte
	out  []Completion
}

// newRoundTripper opens a ring with extra setup flags and a socketpair.
func newRoundTripper(t testing.TB, extra uint32) *roundTripper {
	r, err := openUring(Options{Entries: 64}, extra)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	a, b := socketPair(t)
	return &roundTripper{r: r, a: a, b: b, msg: make([]byte, 64), buf: make([]byte, 64), out: make([]Completion, 0, 16)}
}

// once does one send+recv and returns the number of bytes received.
func (rt *roundTripper) once() int32 {
	rt.r.Recv(2, rt.b, rt.buf)
	rt.r.Send(1, rt.a, rt.msg)
	var got int32
	for seen := 0; seen < 2; {
		out, err := rt.r.Wait(rt.out[:0], time.Second)
		if err != nil {
			return -1
		}
		for _, c := range out {
			if c.UserData == 2 {
				got = c.Res
			}
		}
		seen += len(out)
	}
	return got
}

func TestUringRoundTripAllocatesNothing(t *testing.T) {
	rt := newRoundTripper(t, 0)
	require.Equal(t, int32(64), rt.once())
	allocs := testing.AllocsPerRun(200, func() { rt.once() })
	require.Zero(t, allocs)
}

func TestUringWakeAllocatesNothing(t *testing.T) {
	r := openTestUring(t, Options{Entries: 8})
	allocs := testing.AllocsPerRun(100, func() {
		require.NoError(t, r.Wake())
		_, err := r.Wait(nil, time.Second)
		require.NoError(t, err)
	})
	require.Zero(t, allocs)
}

func BenchmarkUringRoundTrip(b *testing.B) {
	cases := []struct {
		name  string
		extra uint32
	}{
		{"coop_taskrun", 0},
		{"single_issuer+defer_taskrun", giouring.SetupSingleIssuer | giouring.SetupDeferTaskrun},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			runtime.LockOSThread() // SINGLE_ISSUER: every enter from this thread
			defer runtime.UnlockOSThread()
			rt := newRoundTripper(b, bc.extra)
			require.Equal(b, bc.extra, rt.r.flags&bc.extra, "the kernel refused the flags")
			b.ReportAllocs()
			b.SetBytes(int64(len(rt.msg)))
			for b.Loop() {
				if rt.once() != int32(len(rt.msg)) {
					b.Fatal("short round trip")
				}
			}
		})
	}
}
