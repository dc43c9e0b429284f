package loadgen

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// serve runs a goroutine-per-connection server on loopback; handle gets
// each accepted connection.
func serve(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); handle(c) }()
		}
	}()
	return ln.Addr().String()
}

func TestRunCountsAndVerifiesEcho(t *testing.T) {
	for _, size := range []int{8, 64, 4096, 100000} {
		addr := serve(t, func(c net.Conn) { io.Copy(c, c) })
		res, err := Run(Config{Addr: addr, Conns: 4, Size: size, Warmup: 50 * time.Millisecond,
			Duration: 200 * time.Millisecond, VerifyEvery: 1}, nil)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if res.Msgs == 0 || res.Verified == 0 || res.MsgsPerSec <= 0 {
			t.Fatalf("size %d: %+v", size, res)
		}
	}
}

func TestRunRejectsBadServers(t *testing.T) {
	cases := []struct {
		name   string
		handle func(c net.Conn)
		want   string
	}{
		{"extra bytes", func(c net.Conn) {
			buf := make([]byte, 64)
			io.ReadFull(c, buf)
			c.Write(append(buf, 'x'))
			io.Copy(io.Discard, c)
		}, "bytes back"},
		{"wrong content", func(c net.Conn) {
			buf := make([]byte, 64)
			for {
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				buf[40]++
				c.Write(buf)
			}
		}, "differs"},
		{"wrong stamp", func(c net.Conn) {
			buf := make([]byte, 64)
			io.ReadFull(c, buf)
			buf[0]++
			c.Write(buf)
			io.Copy(io.Discard, c)
		}, "does not match"},
		{"closes", func(c net.Conn) { io.ReadFull(c, make([]byte, 64)) }, "closed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := serve(t, tc.handle)
			_, err := Run(Config{Addr: addr, Conns: 1, Size: 64, Duration: time.Second, VerifyEvery: 1}, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
