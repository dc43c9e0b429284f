// Package httpd is luring's HTTP/1.1 server side: it parses requests on a
// loop.Conn, runs the nginx phases, and writes responses. In the import
// graph it sits above loop and conf and below reqsock, ngx and server; it
// never imports net/http.
//
// This part of the package is the wire level, standard library only:
//
//   - Parser parses a request head in place in the connection's receive
//     buffer, incrementally, with nginx's limits, and answers malformed
//     input with the status nginx answers to the same bytes (as *Error).
//     Request gives the method, target, decoded path, args, version,
//     headers and the framing (Content-Length or chunked, keep-alive) as
//     slices of that buffer: nothing is copied and nothing is allocated
//     once the parser is warm.
//   - ChunkedDecoder reads or skips a chunked body from any split of the
//     input, stopping exactly at its end.
//   - StatusText, AppendStatusLine and ErrorPage give nginx's status lines
//     and default error pages.
//
// Buffer contract, for every zero-copy getter: offsets are kept, not
// slices, so the connection layer may compact or grow its buffer while a
// head is incomplete (see Parser and Parser.Rebase); a returned slice is
// valid until the bytes it points at are moved, reused or overwritten.
//
// nginx behaviour reproduced here was read from nginx 1.31
// (src/http/ngx_http_parse.c, ngx_http_request.c, ngx_http_special_response.c,
// ngx_http_header_filter_module.c); differences are documented where they
// are.
package httpd
