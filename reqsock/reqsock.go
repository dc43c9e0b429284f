// Package reqsock is the downstream request socket: a cosocket.TCP whose
// connection is the client's, for ngx.req.socket() and for Go code that
// streams a request body the same way.
//
// In body mode the socket reads through httpd's BodyReader: the body
// bytes that came with the request head first, straight from the
// connection's buffer where the parser left them, then the wire, up to the
// end of the body (Content-Length, or chunked decoded), where reads see the
// stream end ("closed" with the partial data); a pipelined request behind
// the body is left to the HTTP session. In raw mode the client connection
// is hijacked whole: every byte the session has not consumed, then the
// wire, and sends go straight to the client.
//
// Place in the import graph: above httpd and cosocket, below ngx. Loop
// thread only, as everything it touches.
package reqsock

import (
	"github.com/luring/luring/cosocket"
	"github.com/luring/luring/httpd"
)

// Attach makes s the request socket of x: the body reader, or with raw the
// whole client connection. Refusals are httpd's errors, worded as ngx_lua
// words them (httpd.ErrNoBody "no body", httpd.ErrBodyExists, ...,
// httpd.ErrHijackPending "pending data to write"). s stays attached until
// it is closed or reset; that lets go of the connection without closing it.
// The reader is returned for BodyReader.CountSent: bytes a raw socket
// sends count as the response's in the access log.
func Attach(s *cosocket.TCP, x httpd.Exchange, raw bool) (*httpd.BodyReader, error) {
	var br *httpd.BodyReader
	var err error
	if raw {
		br, err = x.Hijack()
	} else {
		br, err = x.BodyReader()
	}
	if err != nil {
		return nil, err
	}
	s.Attach(br.Conn(), br)
	return br, nil
}
