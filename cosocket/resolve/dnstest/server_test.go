package dnstest_test

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/luring/luring/cosocket/resolve"
	"github.com/luring/luring/cosocket/resolve/dnstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ask sends one query over UDP (or TCP) and parses the answer; ok is false
// when none came within wait.
func ask(t *testing.T, s *dnstest.Server, name string, qt resolve.Type, tcp bool, wait time.Duration) (resolve.Answer, bool) {
	t.Helper()
	const id = 0x4242
	network := "udp"
	if tcp {
		network = "tcp"
	}
	c, err := net.Dial(network, s.Addr())
	require.NoError(t, err)
	defer c.Close()
	buf := make([]byte, resolve.MaxQueryLenTCP)
	var n int
	if tcp {
		n, err = resolve.BuildQueryTCP(buf, id, name, qt)
	} else {
		n, err = resolve.BuildQuery(buf, id, name, qt)
	}
	require.NoError(t, err)
	_, err = c.Write(buf[:n])
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(wait)))
	var msg []byte
	if tcp {
		var got []byte
		chunk := make([]byte, 512)
		for {
			m, _, ok := resolve.TCPFrame(got)
			if ok {
				msg = m
				break
			}
			k, err := c.Read(chunk)
			if err != nil {
				return resolve.Answer{}, false
			}
			got = append(got, chunk[:k]...)
		}
	} else {
		in := make([]byte, resolve.UDPBufferLen)
		k, err := c.Read(in)
		if err != nil {
			return resolve.Answer{}, false
		}
		msg = in[:k]
	}
	var ans resolve.Answer
	require.NoError(t, ans.Parse(msg, id, name, qt))
	return ans, true
}

// within is how long a test waits for an answer that should come.
const within = 5 * time.Second

func TestServerAnswers(t *testing.T) {
	s := dnstest.Start(t)
	s.SetA("www.example.com", 300, "192.0.2.1", "192.0.2.2")
	s.Set("v6.example.com", dnstest.Name{TTL: 60, AAAA: []netip.Addr{netip.MustParseAddr("2001:db8::1")}})
	s.Set("alias.example.com", dnstest.Name{CNAME: "mid.example.com", TTL: 30})
	s.Set("mid.example.com", dnstest.Name{CNAME: "www.example.com", TTL: 20})
	s.Set("only.example.com", dnstest.Name{CNAME: "www.example.com", CNAMEOnly: true, TTL: 10})
	s.Set("dangling.example.com", dnstest.Name{CNAME: "nowhere.example.com", TTL: 10})

	for _, tc := range []struct {
		name   string
		qt     resolve.Type
		step   resolve.Step
		addrs  []string
		target string
		ttl    uint32
		code   resolve.Code
	}{
		{name: "www.example.com", qt: resolve.TypeA, step: resolve.StepDone, addrs: []string{"192.0.2.1", "192.0.2.2"}, ttl: 300},
		{name: "WWW.Example.Com", qt: resolve.TypeA, step: resolve.StepDone, addrs: []string{"192.0.2.1", "192.0.2.2"}, ttl: 300},
		{name: "v6.example.com", qt: resolve.TypeAAAA, step: resolve.StepDone, addrs: []string{"2001:db8::1"}, ttl: 60},
		{name: "v6.example.com", qt: resolve.TypeA, step: resolve.StepFail, code: resolve.CodeNotFound},
		{name: "alias.example.com", qt: resolve.TypeA, step: resolve.StepDone, addrs: []string{"192.0.2.1", "192.0.2.2"}, ttl: 20},
		{name: "only.example.com", qt: resolve.TypeA, step: resolve.StepFollow, target: "www.example.com", ttl: 10},
		{name: "dangling.example.com", qt: resolve.TypeA, step: resolve.StepFollow, target: "nowhere.example.com", ttl: 10},
		{name: "unknown.example.com", qt: resolve.TypeA, step: resolve.StepFail, code: resolve.CodeNotFound},
	} {
		for _, tcp := range []bool{false, true} {
			t.Run(tc.name+map[bool]string{false: " udp", true: " tcp"}[tcp], func(t *testing.T) {
				ans, ok := ask(t, s, tc.name, tc.qt, tcp, within)
				require.True(t, ok)
				require.Equal(t, tc.step, ans.Next(tcp))
				var got []string
				for _, a := range ans.Addrs {
					got = append(got, a.String())
				}
				assert.Equal(t, tc.addrs, got)
				assert.Equal(t, tc.target, string(ans.Target))
				assert.Equal(t, tc.ttl, ans.TTL)
				if tc.step == resolve.StepFail {
					assert.Equal(t, tc.code, ans.Code())
				}
			})
		}
	}
}

func TestServerRcodes(t *testing.T) {
	s := dnstest.Start(t)
	for _, c := range []resolve.Code{resolve.CodeFormErr, resolve.CodeServFail, resolve.CodeNotFound, resolve.CodeNotImpl, resolve.CodeRefused} {
		s.Set("x.example", dnstest.Name{Rcode: c, A: []netip.Addr{netip.MustParseAddr("192.0.2.1")}})
		ans, ok := ask(t, s, "x.example", resolve.TypeA, false, within)
		require.True(t, ok)
		assert.Equal(t, uint8(c), ans.Rcode)
		assert.Empty(t, ans.Addrs)
	}
}

// TestServerTruncate: TC over UDP, the whole answer over TCP, as a client
// retrying over TCP sees it.
func TestServerTruncate(t *testing.T) {
	s := dnstest.Start(t)
	s.Set("big.example", dnstest.Name{Truncate: true, TTL: 5, A: []netip.Addr{netip.MustParseAddr("192.0.2.7")}})
	ans, ok := ask(t, s, "big.example", resolve.TypeA, false, within)
	require.True(t, ok)
	assert.True(t, ans.Truncated)
	assert.Equal(t, resolve.StepRetryTCP, ans.Next(false))
	ans, ok = ask(t, s, "big.example", resolve.TypeA, true, within)
	require.True(t, ok)
	assert.False(t, ans.Truncated)
	assert.Equal(t, resolve.StepDone, ans.Next(true))
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("192.0.2.7")}, ans.Addrs)
	log := s.Log()
	require.Len(t, log, 2)
	assert.False(t, log[0].TCP)
	assert.True(t, log[1].TCP)
}

func TestServerSilentAndCounts(t *testing.T) {
	s := dnstest.Start(t)
	s.Set("quiet.example", dnstest.Name{Silent: true})
	for _, tcp := range []bool{false, true, false} {
		_, ok := ask(t, s, "quiet.example", resolve.TypeA, tcp, 100*time.Millisecond)
		assert.False(t, ok, "never answers")
	}
	assert.Equal(t, 3, s.Queries("quiet.example"))
	assert.Equal(t, 3, s.Queries("QUIET.example."), "any case, trailing dot")
	assert.Equal(t, 0, s.Queries("other.example"))
	ask(t, s, "other.example", resolve.TypeAAAA, false, within)
	assert.Equal(t, 1, s.Queries("other.example"))
	log := s.Log()
	require.Len(t, log, 4)
	assert.Equal(t, resolve.TypeAAAA, log[3].Type)
	assert.Equal(t, "other.example", log[3].Name)
}

func TestServerDelay(t *testing.T) {
	s := dnstest.Start(t)
	s.Set("slow.example", dnstest.Name{Delay: 200 * time.Millisecond, TTL: 1, A: []netip.Addr{netip.MustParseAddr("192.0.2.3")}})
	_, ok := ask(t, s, "slow.example", resolve.TypeA, false, 20*time.Millisecond)
	assert.False(t, ok, "not within 20ms")
	ans, ok := ask(t, s, "slow.example", resolve.TypeA, false, within)
	require.True(t, ok, "in the end")
	assert.Equal(t, resolve.StepDone, ans.Next(false))
}

func TestServerRaw(t *testing.T) {
	s := dnstest.Start(t)
	s.Set("raw.example", dnstest.Name{Raw: func(q resolve.Query, tcp bool) []byte {
		// Runs on the server's goroutine: no require here (the test
		// goroutine sees the outcome).
		msg, _ := resolve.AppendResponse(nil, &resolve.Response{ID: q.ID + 1, Name: q.Name, Type: q.Type})
		return msg
	}})
	c, err := net.Dial("udp", s.Addr())
	require.NoError(t, err)
	defer c.Close()
	buf := make([]byte, resolve.MaxQueryLen)
	n, err := resolve.BuildQuery(buf, 7, "raw.example", resolve.TypeA)
	require.NoError(t, err)
	_, err = c.Write(buf[:n])
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(within)))
	in := make([]byte, 512)
	k, err := c.Read(in)
	require.NoError(t, err)
	var ans resolve.Answer
	require.ErrorIs(t, ans.Parse(in[:k], 7, "raw.example", resolve.TypeA), resolve.ErrMismatch)
}

// TestServerGarbage: the server ignores what is not a query and goes on.
func TestServerGarbage(t *testing.T) {
	s := dnstest.Start(t)
	s.SetA("ok.example", 1, "192.0.2.1")
	c, err := net.Dial("udp", s.Addr())
	require.NoError(t, err)
	_, err = c.Write([]byte("not dns"))
	require.NoError(t, err)
	c.Close()
	tc, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	_, err = tc.Write([]byte{0, 3, 'x', 'y', 'z'})
	require.NoError(t, err)
	tc.Close()
	_, ok := ask(t, s, "ok.example", resolve.TypeA, false, within)
	assert.True(t, ok)
	assert.Len(t, s.Log(), 1)
}

// TestServerClose: Close ends the goroutines even with a TCP client
// connected and an answer still delayed; a second Close is harmless.
func TestServerClose(t *testing.T) {
	s := dnstest.Start(t)
	s.Set("slow.example", dnstest.Name{Delay: time.Hour})
	c, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	defer c.Close()
	buf := make([]byte, resolve.MaxQueryLenTCP)
	n, err := resolve.BuildQueryTCP(buf, 1, "slow.example", resolve.TypeA)
	require.NoError(t, err)
	_, err = c.Write(buf[:n])
	require.NoError(t, err)
	require.Eventually(t, func() bool { return s.Queries("slow.example") == 1 }, within, time.Millisecond)
	done := make(chan struct{})
	go func() { s.Close(); s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(within):
		t.Fatal("Close did not return")
	}
	require.NoError(t, c.SetReadDeadline(time.Now().Add(within)))
	_, err = c.Read(buf)
	assert.ErrorIs(t, err, io.EOF, "the server closed the connection")
}

func TestServerAddr(t *testing.T) {
	s := dnstest.Start(t)
	ap, err := netip.ParseAddrPort(s.Addr())
	require.NoError(t, err)
	assert.Equal(t, netip.MustParseAddr("127.0.0.1"), ap.Addr())
	assert.Equal(t, s.Port(), int(ap.Port()))
	assert.NotZero(t, s.Port())
}
