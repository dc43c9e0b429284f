package resolve

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const hostsText = `# /etc/hosts as Debian writes it
127.0.0.1	localhost
127.0.1.1	box.example.org	box

# The following lines are desirable for IPv6 capable hosts
::1     localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters

192.0.2.10  Web.Example.COM web   # trailing comment
192.0.2.11  web.example.com       # later line, same family: ignored
2001:db8::10 web.example.com
2001:db8::11 web.example.com
10.0.0.1 dotted.example.
	  10.0.0.2   indented.example
10.0.0.3 crlf.example` + "\r" + `
10.0.0.4 bad..name good.example
not-an-address ignored.example
10.0.0.5
#10.0.0.6 commented.example
10.0.0.7#glued.example
::ffff:10.0.0.8 mapped.example
fe80::1%lo zoned.example
10.0.0.9 last.example`

func TestHostsLookup(t *testing.T) {
	h := ParseHosts([]byte(hostsText))
	for _, tc := range []struct {
		name string
		want []netip.Addr
	}{
		{name: "localhost", want: ips("127.0.0.1", "::1")},
		{name: "box", want: ips("127.0.1.1")},
		{name: "box.example.org", want: ips("127.0.1.1")},
		{name: "ip6-loopback", want: ips("::1")},
		{name: "ip6-allrouters", want: ips("ff02::2")},
		{name: "web.example.com", want: ips("192.0.2.10", "2001:db8::10")},
		{name: "web", want: ips("192.0.2.10")},
		{name: "dotted.example", want: ips("10.0.0.1")},
		{name: "indented.example", want: ips("10.0.0.2")},
		{name: "crlf.example", want: ips("10.0.0.3")},
		{name: "good.example", want: ips("10.0.0.4")},
		{name: "mapped.example", want: ips("::ffff:10.0.0.8")},
		{name: "zoned.example", want: ips("fe80::1%lo")},
		{name: "last.example", want: ips("10.0.0.9")},
		{name: "bad..name"},
		{name: "ignored.example"},
		{name: "commented.example"},
		{name: "glued.example"},
		{name: "trailing"},
		{name: "comment"},
		{name: "Web.Example.COM"}, // Lookup takes the Canonical form
		{name: "absent.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, h.Lookup(tc.name))
		})
	}
	assert.Equal(t, 16, h.Len())
	changed, err := h.Changed()
	require.NoError(t, err)
	assert.False(t, changed, "parsed bytes have no file")
}

func TestHostsEmpty(t *testing.T) {
	for _, text := range []string{"", "\n\n", "# only comments\n  # indented\n", "\x00\xff garbage"} {
		assert.Zero(t, ParseHosts([]byte(text)).Len(), "%q", text)
	}
}

func TestLoadHosts(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hosts")
	require.NoError(t, os.WriteFile(path, []byte(hostsText), 0o644))
	h, err := LoadHosts(path)
	require.NoError(t, err)
	assert.Equal(t, ips("192.0.2.10", "2001:db8::10"), h.Lookup("web.example.com"))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, Stamp{ModTime: st.ModTime().UnixNano(), Size: st.Size()}, h.Stamp())

	changed, err := h.Changed()
	require.NoError(t, err)
	assert.False(t, changed)

	// Same size, new time: changed.
	later := st.ModTime().Add(time.Second)
	require.NoError(t, os.Chtimes(path, later, later))
	changed, err = h.Changed()
	require.NoError(t, err)
	assert.True(t, changed, "mtime")

	// Same time, new size: changed.
	require.NoError(t, os.WriteFile(path, []byte(hostsText+"\n"), 0o644))
	require.NoError(t, os.Chtimes(path, st.ModTime(), st.ModTime()))
	changed, err = h.Changed()
	require.NoError(t, err)
	assert.True(t, changed, "size")

	// Reloaded: unchanged again. Then removed: changed.
	h, err = LoadHosts(path)
	require.NoError(t, err)
	changed, _ = h.Changed()
	assert.False(t, changed)
	require.NoError(t, os.Remove(path))
	changed, err = h.Changed()
	require.NoError(t, err)
	assert.True(t, changed, "removed")
}

func TestLoadHostsMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts")
	h, err := LoadHosts(path)
	require.NoError(t, err, "a missing file is an empty table")
	assert.Zero(t, h.Len())
	assert.Nil(t, h.Lookup("localhost"))
	changed, err := h.Changed()
	require.NoError(t, err)
	assert.False(t, changed, "still missing")
	require.NoError(t, os.WriteFile(path, []byte("127.0.0.1 x\n"), 0o644))
	changed, err = h.Changed()
	require.NoError(t, err)
	assert.True(t, changed, "appeared")
}

func TestLoadHostsUnreadable(t *testing.T) {
	dir := t.TempDir() // a directory is not a hosts file
	h, err := LoadHosts(dir)
	require.Error(t, err)
	require.NotNil(t, h)
	assert.Zero(t, h.Len())
}

// TestLoadHostsSystem loads the machine's /etc/hosts, which every Linux
// test box has, and finds localhost.
func TestLoadHostsSystem(t *testing.T) {
	h, err := LoadHosts(DefaultHostsPath)
	require.NoError(t, err)
	if h.Len() == 0 {
		t.Skip("no /etc/hosts here")
	}
	addrs := h.Lookup("localhost")
	require.NotEmpty(t, addrs)
	assert.True(t, addrs[0].IsLoopback())
}

// BenchmarkLoadHosts measures the blocking load at worker start, for a
// small file and a large (ad-blocking size) one.
func BenchmarkLoadHosts(b *testing.B) {
	for _, lines := range []int{10, 10000} {
		b.Run(fmt.Sprintf("%d lines", lines), func(b *testing.B) {
			var sb strings.Builder
			for i := 0; i < lines; i++ {
				fmt.Fprintf(&sb, "10.%d.%d.%d host%d.example.com host%d\n", i>>16&255, i>>8&255, i&255, i, i)
			}
			path := filepath.Join(b.TempDir(), "hosts")
			require.NoError(b, os.WriteFile(path, []byte(sb.String()), 0o644))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := LoadHosts(path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
