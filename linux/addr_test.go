package linux

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestParseAddr(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	require.NoError(t, err)
	loopback6 := [16]byte{15: 1}
	mapped := [16]byte{10: 0xff, 11: 0xff, 12: 1, 13: 2, 14: 3, 15: 4}
	linkLocal := [16]byte{0: 0xfe, 1: 0x80, 15: 1}
	abstract108 := "@" + strings.Repeat("a", 107)

	for _, tc := range []struct {
		name, network, address string
		want                   unix.Sockaddr
		family                 int
	}{
		{"ipv4 literal", "tcp", "127.0.0.1:80", &unix.SockaddrInet4{Port: 80, Addr: [4]byte{127, 0, 0, 1}}, unix.AF_INET},
		{"empty host is 0.0.0.0 like nginx", "tcp", ":8080", &unix.SockaddrInet4{Port: 8080}, unix.AF_INET},
		{"tcp4 empty host", "tcp4", ":1", &unix.SockaddrInet4{Port: 1}, unix.AF_INET},
		{"tcp6 empty host is ::", "tcp6", ":443", &unix.SockaddrInet6{Port: 443}, unix.AF_INET6},
		{"localhost", "tcp", "localhost:1", &unix.SockaddrInet4{Port: 1, Addr: [4]byte{127, 0, 0, 1}}, unix.AF_INET},
		{"localhost tcp6", "tcp6", "localhost:1", &unix.SockaddrInet6{Port: 1, Addr: loopback6}, unix.AF_INET6},
		{"ipv6 in brackets", "tcp", "[::1]:65535", &unix.SockaddrInet6{Port: 65535, Addr: loopback6}, unix.AF_INET6},
		{"v4-mapped is ipv4 for tcp", "tcp", "[::ffff:1.2.3.4]:80", &unix.SockaddrInet4{Port: 80, Addr: [4]byte{1, 2, 3, 4}}, unix.AF_INET},
		{"v4-mapped is ipv4 for tcp4", "tcp4", "[::ffff:1.2.3.4]:80", &unix.SockaddrInet4{Port: 80, Addr: [4]byte{1, 2, 3, 4}}, unix.AF_INET},
		{"v4-mapped stays ipv6 for tcp6", "tcp6", "[::ffff:1.2.3.4]:80", &unix.SockaddrInet6{Port: 80, Addr: mapped}, unix.AF_INET6},
		{"numeric zone", "tcp6", "[fe80::1%7]:80", &unix.SockaddrInet6{Port: 80, Addr: linkLocal, ZoneId: 7}, unix.AF_INET6},
		{"named zone", "tcp", "[fe80::1%lo]:80", &unix.SockaddrInet6{Port: 80, Addr: linkLocal, ZoneId: uint32(lo.Index)}, unix.AF_INET6},
		{"unix path", "unix", "/run/luring.sock", &unix.SockaddrUnix{Name: "/run/luring.sock"}, unix.AF_UNIX},
		{"unix abstract", "unix", "@luring", &unix.SockaddrUnix{Name: "@luring"}, unix.AF_UNIX},
		{"abstract fills sun_path", "unix", abstract108, &unix.SockaddrUnix{Name: abstract108}, unix.AF_UNIX},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sa, family, err := ParseAddr(tc.network, tc.address)
			require.NoError(t, err)
			assert.Equal(t, tc.want, sa)
			assert.Equal(t, tc.family, family)
		})
	}
}

func TestParseAddrErrors(t *testing.T) {
	for _, tc := range []struct {
		name, network, address string
		want                   error
	}{
		{"udp", "udp", "127.0.0.1:53", ErrNetwork},
		{"empty network", "", "127.0.0.1:53", ErrNetwork},
		{"host name needs DNS", "tcp", "example.com:80", ErrAddress},
		{"missing port", "tcp", "127.0.0.1", ErrAddress},
		{"empty port", "tcp", "127.0.0.1:", ErrAddress},
		{"service name", "tcp", "127.0.0.1:http", ErrAddress},
		{"port too big", "tcp", "127.0.0.1:65536", ErrAddress},
		{"negative port", "tcp", "127.0.0.1:-1", ErrAddress},
		{"ipv6 without brackets", "tcp", "::1:80", ErrAddress},
		{"ipv6 for tcp4", "tcp4", "[::1]:80", ErrAddress},
		{"ipv4 for tcp6", "tcp6", "1.2.3.4:80", ErrAddress},
		{"unknown zone", "tcp6", "[fe80::1%no-such-if0]:80", ErrAddress},
		{"empty unix path", "unix", "", ErrAddress},
		{"empty abstract name", "unix", "@", ErrAddress},
		{"unix path without room for NUL", "unix", "/" + strings.Repeat("p", 107), ErrAddress},
		{"abstract name too long", "unix", "@" + strings.Repeat("a", 108), ErrAddress},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sa, _, err := ParseAddr(tc.network, tc.address)
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, sa)
		})
	}
}

func TestSockaddrToRawRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sa    unix.Sockaddr
		salen uint32
		want  net.Addr
	}{
		{"inet4", &unix.SockaddrInet4{Port: 0x1234, Addr: [4]byte{10, 1, 2, 3}}, 16,
			&net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 0x1234}},
		{"inet6", &unix.SockaddrInet6{Port: 443, Addr: [16]byte{0: 0x20, 1: 0x01, 2: 0x0d, 3: 0xb8, 15: 9}}, 28,
			&net.TCPAddr{IP: net.ParseIP("2001:db8::9"), Port: 443}},
		{"unix path", &unix.SockaddrUnix{Name: "/tmp/s"}, 2 + 6 + 1,
			&net.UnixAddr{Name: "/tmp/s", Net: "unix"}},
		{"unix abstract", &unix.SockaddrUnix{Name: "@abs"}, 2 + 4,
			&net.UnixAddr{Name: "@abs", Net: "unix"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var raw unix.RawSockaddrAny
			// Dirty the buffer: SockaddrToRaw must not leave stale bytes.
			for i := range raw.Pad {
				raw.Pad[i] = -1
			}
			salen, err := SockaddrToRaw(tc.sa, &raw)
			require.NoError(t, err)
			assert.Equal(t, tc.salen, salen)
			assert.Equal(t, tc.want, RawToAddr(&raw))
			assert.Equal(t, tc.want, rawToAddr(&raw, salen, false), "with the exact length")

			allocs := testing.AllocsPerRun(100, func() {
				_, _ = SockaddrToRaw(tc.sa, &raw)
			})
			assert.Zero(t, allocs, "SockaddrToRaw allocates")
		})
	}
}

func TestSockaddrToRawBytes(t *testing.T) {
	var raw unix.RawSockaddrAny
	_, err := SockaddrToRaw(&unix.SockaddrInet4{Port: 0x1F90, Addr: [4]byte{127, 0, 0, 1}}, &raw)
	require.NoError(t, err)
	p := (*[16]byte)(rawBytes(&raw))
	assert.Equal(t, [16]byte{byte(unix.AF_INET), 0, 0x1F, 0x90, 127, 0, 0, 1}, *p, "family host order, port network order")

	_, err = SockaddrToRaw(&unix.SockaddrUnix{Name: "@x"}, &raw)
	require.NoError(t, err)
	assert.Equal(t, [5]byte{byte(unix.AF_UNIX), 0, 0, 'x', 0}, [5]byte((*[16]byte)(rawBytes(&raw))[:5]), "abstract: leading NUL")
}

func TestSockaddrToRawErrors(t *testing.T) {
	var raw unix.RawSockaddrAny
	_, err := SockaddrToRaw(&unix.SockaddrNetlink{}, &raw)
	require.ErrorIs(t, err, ErrFamily)
	_, err = SockaddrToRaw(nil, &raw)
	require.ErrorIs(t, err, ErrFamily)
	_, err = SockaddrToRaw(&unix.SockaddrUnix{Name: "/" + strings.Repeat("p", 107)}, &raw)
	require.ErrorIs(t, err, ErrAddress)
	salen, err := SockaddrToRaw(&unix.SockaddrUnix{Name: "@" + strings.Repeat("a", 107)}, &raw)
	require.NoError(t, err)
	assert.Equal(t, uint32(2+108), salen)
}

func TestRawToAddrPort(t *testing.T) {
	var raw unix.RawSockaddrAny
	for _, tc := range []struct {
		want string
		sa   unix.Sockaddr
	}{
		{"10.0.0.1:80", &unix.SockaddrInet4{Port: 80, Addr: [4]byte{10, 0, 0, 1}}},
		{"[2001:db8::1]:8080", &unix.SockaddrInet6{Port: 8080, Addr: netip.MustParseAddr("2001:db8::1").As16()}},
	} {
		_, err := SockaddrToRaw(tc.sa, &raw)
		require.NoError(t, err)
		got, ok := RawToAddrPort(&raw)
		require.True(t, ok)
		assert.Equal(t, tc.want, got.String())
		allocs := testing.AllocsPerRun(100, func() { _, _ = RawToAddrPort(&raw) })
		assert.Zero(t, allocs, "RawToAddrPort(%s) allocates", tc.want)
	}

	_, err := SockaddrToRaw(&unix.SockaddrUnix{Name: "/x"}, &raw)
	require.NoError(t, err)
	_, ok := RawToAddrPort(&raw)
	assert.False(t, ok, "unix is not inet")
}

func TestRawToAddrUnknown(t *testing.T) {
	raw := unix.RawSockaddrAny{Addr: unix.RawSockaddr{Family: unix.AF_NETLINK}}
	assert.Nil(t, RawToAddr(&raw))
	raw.Addr.Family = unix.AF_INET6
	assert.Nil(t, rawToAddr(&raw, 8, false), "truncated")
}

func TestLocalAddrNotSocket(t *testing.T) {
	var p [2]int
	require.NoError(t, unix.Pipe2(p[:], unix.O_CLOEXEC))
	closeOnCleanup(t, p[0])
	closeOnCleanup(t, p[1])
	_, err := LocalAddr(p[0])
	require.ErrorIs(t, err, unix.ENOTSOCK)
	_, err = PeerAddr(p[0])
	require.ErrorIs(t, err, unix.ENOTSOCK)
}
