package testsrv

import (
	"io"
	"net"
	"net/http"
	"time"
)

// RequestTimeout bounds one request of Get and a Dial.
const RequestTimeout = 10 * time.Second

// Response is a response Get read in full.
type Response struct {
	Status int         // status code
	Header http.Header // response headers
	Body   string      // the whole body
}

// client makes one connection per request, so each request is a new
// connection the kernel hands to one of the workers.
var client = &http.Client{
	Timeout:   RequestTimeout,
	Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
}

// Get requests path from the server's Addr on a new connection and fails
// the test on a transport error.
func (s *Server) Get(path string) Response {
	s.t.Helper()
	resp, err := client.Get("http://" + s.Addr + path)
	if err != nil {
		s.t.Fatalf("testsrv: GET %s: %v\n%s", path, err, s.Output())
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("testsrv: GET %s: reading the body: %v", path, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// Dial opens a raw TCP connection to the server's Addr, closed when the
// test ends; reads and writes on it time out after RequestTimeout.
func (s *Server) Dial() net.Conn {
	s.t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr, RequestTimeout)
	if err != nil {
		s.t.Fatalf("testsrv: dial %s: %v", s.Addr, err)
	}
	_ = c.SetDeadline(time.Now().Add(RequestTimeout))
	s.t.Cleanup(func() { c.Close() })
	return c
}
