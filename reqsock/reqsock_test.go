package reqsock_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/cosocket"
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/loop"
	"github.com/luring/luring/reqsock"
)

// goHandler is a LuaRunner whose "handlers" are Go: what an embedder does
// with reqsock and a cosocket.TCP, without Lua.
type goHandler struct {
	w   *cosocket.Worker
	raw bool
}

// run reads the body (or, raw, the connection) 4 bytes at a time through
// a request socket and answers what it read, framed by "[...]".
func (g *goHandler) Run(x httpd.Exchange, phase httpd.Phase, code *conf.LuaCode) httpd.PhaseResult {
	s := g.w.NewTCP()
	s.ReadTimeout = 5 * time.Second
	if _, err := reqsock.Attach(s, x, g.raw); err != nil {
		_ = x.WriteString("refused: " + err.Error())
		return httpd.PhaseResult{}
	}
	var got strings.Builder
	var next func()
	finish := func(res cosocket.Result) {
		got.Write(res.Partial)
		if g.raw {
			s.Write([]byte("raw[" + got.String() + "]"))
			_, _ = s.EndSend()
		} else {
			_ = x.WriteString("[" + got.String() + "] " + res.Err.Error())
		}
		s.Reset()
		x.Resume(httpd.PhaseResult{})
	}
	s.OnRead = func(res cosocket.Result) {
		if res.Err != nil {
			finish(res)
			return
		}
		got.Write(res.Data)
		next()
	}
	next = func() {
		for {
			res, done := s.Receive(cosocket.Read{Mode: cosocket.ReadN, N: 4})
			if !done {
				return
			}
			if res.Err != nil {
				finish(res)
				return
			}
			got.Write(res.Data)
		}
	}
	// Start from the run queue: Run must return first (Pending).
	x.Loop().Soon(next)
	return httpd.PhaseResult{Outcome: httpd.Pending}
}

func (g *goHandler) Abort(x httpd.Exchange) {}
func (g *goHandler) Done(x httpd.Exchange)  {}

// serve starts an httpd server on a loop with the Go handler at /.
func serve(t *testing.T, raw bool) string {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "logs"), 0o755))
	cfg, err := conf.Parse(filepath.Join(dir, "nginx.conf"), []byte(`events {}
http {
    access_log off;
    server { listen 8080; location / { content_by_lua_block { go } } }
}`))
	require.NoError(t, err)
	var addr string
	l, err := loop.Start(loop.Options{}, func(l *loop.Loop) error {
		key := cfg.HTTP.Sockets()[0].Key()
		srv, err := httpd.NewServer(l, httpd.ServerOptions{Config: cfg, Runner: &goHandler{w: cosocket.NewWorker(l), raw: raw},
			ErrorLog: httpd.NewErrorLog(io.Discard, conf.LogError), Bind: map[string]string{key: "127.0.0.1:0"}})
		if err != nil {
			return err
		}
		if err := srv.Listen(); err != nil {
			return err
		}
		addr = srv.Addrs()[key].String()
		return nil
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Stop()) })
	return addr
}

// TestAttachBody: the body, split across the head's segment and later
// ones, comes whole and then ends ("closed"); the pipelined request behind
// it is answered on its own.
func TestAttachBody(t *testing.T) {
	c, err := net.Dial("tcp", serve(t, false))
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello")
	require.NoError(t, err)
	_, err = io.WriteString(c, " worldGET / HTTP/1.1\r\nHost: a\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(c)
	for _, want := range []string{"[hello world] closed", "refused: no body"} {
		res, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		b, _ := io.ReadAll(res.Body)
		assert.Equal(t, want, string(b))
	}
}

// TestAttachRaw: the raw socket reads every byte the client sent after the
// head, and writes straight to the client.
func TestAttachRaw(t *testing.T) {
	c, err := net.Dial("tcp", serve(t, true))
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\nabcdefgh")
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	b, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, "raw[abcdefgh]", string(b))
}
