package ngx

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// peer is a loopback server a socket test talks to: each accepted
// connection is handed to serve on its own goroutine (a test peer, not the
// engine). It counts the connections it accepted.
type peer struct {
	ln       net.Listener
	accepted atomic.Int64
	active   atomic.Int64 // connections being served now
	wg       sync.WaitGroup
}

// startPeer listens on 127.0.0.1:0 (or a unix path when network is
// "unix") and serves each connection with serve until the test ends.
func startPeer(t *testing.T, network string, serve func(c net.Conn)) *peer {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = t.TempDir() + "/peer.sock"
	}
	ln, err := net.Listen(network, addr)
	require.NoError(t, err)
	p := &peer{ln: ln}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.accepted.Add(1)
			p.active.Add(1)
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer p.active.Add(-1)
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				serve(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

// port is the peer's TCP port as a string (for ngx.var.port).
func (p *peer) port() string {
	return strconv.Itoa(p.ln.Addr().(*net.TCPAddr).Port)
}

// path is the peer's unix socket path.
func (p *peer) path() string { return p.ln.Addr().String() }

// readHead reads an HTTP request head.
func readHead(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			return b.String(), err
		}
		if line == "\r\n" || line == "\n" {
			return b.String(), nil
		}
	}
}

// httpOnce answers one request with resp, then closes.
func httpOnce(resp string) func(c net.Conn) {
	return func(c net.Conn) {
		if _, err := readHead(bufio.NewReader(c)); err != nil {
			return
		}
		_, _ = io.WriteString(c, resp)
	}
}

// lineServer answers every line it reads with reply(line), keeping the
// connection open, as memcached does.
func lineServer(reply func(line string) string) func(c net.Conn) {
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if _, err := io.WriteString(c, reply(strings.TrimRight(line, "\r\n"))); err != nil {
				return
			}
		}
	}
}

// withPort sets ngx.var.port for a spec row.
func withPort(port string) func(x *fakeX) {
	return func(x *fakeX) { x.vars["port"] = port }
}
