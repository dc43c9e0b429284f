package resolve

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCanonical(t *testing.T) {
	long := strings.Repeat(label(63)+".", 3) + label(61) // 253 bytes
	for _, tc := range []struct {
		name, host, want string
		err              error
	}{
		{name: "plain", host: "example.com", want: "example.com"},
		{name: "upper case folds", host: "WWW.Example.COM", want: "www.example.com"},
		{name: "one trailing dot dropped", host: "example.com.", want: "example.com"},
		{name: "single label", host: "localhost", want: "localhost"},
		{name: "253 bytes", host: long, want: long},
		{name: "253 bytes and the root", host: long + ".", want: long},
		{name: "digits and dashes kept", host: "a-1.B_2", want: "a-1.b_2"},
		{name: "empty", host: "", err: ErrBadName},
		{name: "root only", host: ".", err: ErrBadName},
		{name: "two trailing dots", host: "example.com..", err: ErrBadName},
		{name: "leading dot", host: ".example.com", err: ErrBadName},
		{name: "empty label", host: "a..b", err: ErrBadName},
		{name: "label of 64", host: label(64) + ".com", err: ErrBadName},
		{name: "254 bytes", host: long + "x", err: ErrBadName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonical(tc.host)
			require.ErrorIs(t, err, tc.err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestBuildQuery(t *testing.T) {
	buf := make([]byte, MaxQueryLen)
	n, err := BuildQuery(buf, 0xBEEF, "www.Example.com", TypeA)
	require.NoError(t, err)
	want := cat(
		[]byte{0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}, // ID, RD, QDCOUNT 1
		[]byte("\x03www\x07example\x03com\x00"),                // lower-cased
		[]byte{0, 1, 0, 1},                                     // A, IN
	)
	assert.Equal(t, want, buf[:n])

	n, err = BuildQuery(buf, 7, "h", TypeAAAA)
	require.NoError(t, err)
	assert.Equal(t, cat(hdr(7, flagRD, 1, 0), []byte("\x01h\x00"), []byte{0, 28, 0, 1}), buf[:n])
}

func TestBuildQueryLimits(t *testing.T) {
	longest := strings.Repeat(label(63)+".", 3) + label(61)
	buf := make([]byte, MaxQueryLen)
	n, err := BuildQuery(buf, 1, longest, TypeA)
	require.NoError(t, err)
	assert.Equal(t, MaxQueryLen, n, "MaxQueryLen fits the longest name")

	for _, tc := range []struct {
		name string
		host string
		buf  int
		err  error
	}{
		{name: "empty name", host: "", buf: MaxQueryLen, err: ErrBadName},
		{name: "empty label", host: "a..b", buf: MaxQueryLen, err: ErrBadName},
		{name: "trailing dot (not canonical)", host: "a.", buf: MaxQueryLen, err: ErrBadName},
		{name: "label too long", host: label(64), buf: MaxQueryLen, err: ErrBadName},
		{name: "name too long", host: longest + "x", buf: MaxQueryLen, err: ErrBadName},
		{name: "buffer one short", host: "example.com", buf: 12 + 13 + 4 - 1, err: ErrShortBuffer},
		{name: "no buffer", host: "example.com", buf: 0, err: ErrShortBuffer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := BuildQuery(make([]byte, tc.buf), 1, tc.host, TypeA)
			require.ErrorIs(t, err, tc.err)
			_, err = BuildQueryTCP(make([]byte, tc.buf+2), 1, tc.host, TypeA)
			require.ErrorIs(t, err, tc.err)
		})
	}
	_, err = BuildQueryTCP(make([]byte, 1), 1, "a", TypeA)
	require.ErrorIs(t, err, ErrShortBuffer)
}

func TestBuildQueryTCP(t *testing.T) {
	buf := make([]byte, MaxQueryLenTCP)
	n, err := BuildQueryTCP(buf, 0x0102, "example.com", TypeAAAA)
	require.NoError(t, err)
	udp := make([]byte, MaxQueryLen)
	m, err := BuildQuery(udp, 0x0102, "example.com", TypeAAAA)
	require.NoError(t, err)
	assert.Equal(t, 2+m, n)
	assert.Equal(t, []byte{0, byte(m)}, buf[:2])
	assert.Equal(t, udp[:m], buf[2:n])
}

func TestQueryRoundTrip(t *testing.T) {
	buf := make([]byte, MaxQueryLen)
	for _, name := range []string{"a", "example.com", "x-1.y_2.z", strings.Repeat("ab.", 80) + "c"} {
		for _, qt := range []Type{TypeA, TypeAAAA} {
			n, err := BuildQuery(buf, 4242, name, qt)
			require.NoError(t, err)
			q, err := ParseQuery(buf[:n])
			require.NoError(t, err)
			assert.Equal(t, Query{ID: 4242, Name: name, Type: qt, RD: true}, q)
		}
	}
}

func TestParseQueryRejects(t *testing.T) {
	good := cat(hdr(1, flagRD, 1, 0), question("a.b", TypeA))
	for _, tc := range []struct {
		name string
		msg  []byte
	}{
		{name: "empty", msg: nil},
		{name: "header only", msg: hdr(1, 0, 1, 0)},
		{name: "a response", msg: cat(hdr(1, flagQR, 1, 0), question("a.b", TypeA))},
		{name: "opcode 2", msg: cat(hdr(1, 0x1000, 1, 0), question("a.b", TypeA))},
		{name: "two questions", msg: cat(hdr(1, 0, 2, 0), question("a.b", TypeA), question("a.b", TypeA))},
		{name: "type cut", msg: good[:len(good)-3]},
		{name: "class CH", msg: cat(hdr(1, 0, 1, 0), wire("a.b"), []byte{0, 1, 0, 3})},
		{name: "pointer in question", msg: cat(hdr(1, 0, 1, 0), ptr(12), []byte{0, 1, 0, 1})},
		{name: "root name", msg: cat(hdr(1, 0, 1, 0), []byte{0, 0, 1, 0, 1})},
		{name: "dot inside a label", msg: cat(hdr(1, 0, 1, 0), []byte("\x03a.b\x00"), []byte{0, 1, 0, 1})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseQuery(tc.msg)
			require.ErrorIs(t, err, ErrMalformed)
		})
	}
	q, err := ParseQuery(cat(hdr(9, 0, 1, 0), []byte("\x05MiXeD\x04CaSe\x00"), []byte{0, 1, 0, 1}))
	require.NoError(t, err)
	assert.Equal(t, "MiXeD.CaSe", q.Name, "the case sent is kept, for 0x20 tests")
}

// TestTCPFrame feeds two framed messages whole, in two halves and one byte
// at a time, as a stream reader would see them.
func TestTCPFrame(t *testing.T) {
	m1 := []byte("first message")
	m2 := []byte{}
	stream := cat([]byte{0, byte(len(m1))}, m1, []byte{0, 0}, m2, []byte{0x01, 0x00}) // last frame incomplete
	for _, chunk := range []int{len(stream), len(stream) / 2, 1} {
		t.Run(fmt.Sprintf("chunks of %d", chunk), func(t *testing.T) {
			var got [][]byte
			var buf []byte
			need := 0
			for i := 0; i < len(stream); i += chunk {
				buf = append(buf, stream[i:min(i+chunk, len(stream))]...)
				for {
					msg, n, ok := TCPFrame(buf)
					if !ok {
						need = n
						assert.Greater(t, n, len(buf))
						break
					}
					got = append(got, append([]byte{}, msg...))
					buf = buf[n:]
				}
			}
			assert.Equal(t, [][]byte{m1, m2}, got)
			assert.Equal(t, 2+256, need, "the third frame announces 256 bytes")
		})
	}
	_, n, ok := TCPFrame(nil)
	assert.False(t, ok)
	assert.Equal(t, 2, n)
	_, n, ok = TCPFrame([]byte{1})
	assert.False(t, ok)
	assert.Equal(t, 2, n)
}
