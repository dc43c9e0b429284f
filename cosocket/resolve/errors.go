package resolve

import (
	"errors"
	"strconv"
)

// Code is a resolution outcome as nginx's resolver reports it in
// ngx_resolver_ctx_t.state: 0 for success, the DNS rcode for an error answer
// (1 to 5), or 110 (ETIMEDOUT on Linux) when no answer came in time.
// ngx_lua prints it, with its text, in the error Lua sees.
type Code int

// Codes nginx's resolver returns (src/core/ngx_resolver.h).
const (
	CodeOK          Code = 0   // resolved
	CodeFormErr     Code = 1   // FORMERR: the server could not read the query
	CodeServFail    Code = 2   // SERVFAIL
	CodeNotFound    Code = 3   // NXDOMAIN, and also "no address for this name"
	CodeNotImpl     Code = 4   // NOTIMP
	CodeRefused     Code = 5   // REFUSED
	CodeTimedOut    Code = 110 // NGX_RESOLVE_TIMEDOUT = NGX_ETIMEDOUT
	codeMaxAnswered Code = CodeRefused
)

// String returns the text nginx's ngx_resolver_strerror gives for c, the one
// ngx_lua puts in parentheses: "Host not found" for 3, "Operation timed out"
// for 110, "Unknown error" for codes it does not know (0 included).
func (c Code) String() string {
	switch c {
	case CodeFormErr:
		return "Format error"
	case CodeServFail:
		return "Server failure"
	case CodeNotFound:
		return "Host not found"
	case CodeNotImpl:
		return "Unimplemented"
	case CodeRefused:
		return "Operation refused"
	case CodeTimedOut:
		return "Operation timed out"
	}
	return "Unknown error"
}

// Error strings Lua code sees from connect (and udp setpeername), worded as
// lua-nginx-module's ngx_http_lua_socket_tcp.c builds them. Each was also
// seen from the reference nginx 1.22.1 with ngx_lua installed here,
// resolving against a dnstest server (errors_test.go lists them).
const (
	// ErrTextStartFailed is returned when ngx_resolve_start fails (nginx:
	// out of memory). luring has no such failure; it is here for the
	// catalogue (spec §15).
	ErrTextStartFailed = "failed to start the resolver"
	// ErrTextNotWorking is returned when resolution ended without an address
	// to connect to (ngx_http_lua_socket_resolve_retval_handler); it cannot
	// happen with a successful Result, which always holds one.
	ErrTextNotWorking = "resolver not working"
)

// NoResolver returns the error connect gives for a host name in a location
// with no resolver directive: `no resolver defined to resolve "HOST"`.
// host is the string Lua passed (nginx prints it before the resolver
// lower-cases it or drops a trailing dot).
func NoResolver(host string) string {
	return `no resolver defined to resolve "` + host + `"`
}

// CouldNotResolve returns the error connect gives when the resolver answers
// with an error or times out: "NAME could not be resolved (CODE: TEXT)", for
// example "agentzh.org could not be resolved (110: Operation timed out)".
// name should be the Canonical form: nginx's resolver lower-cases the name
// in place and drops one trailing dot before ngx_lua prints it.
func CouldNotResolve(name string, c Code) string {
	return name + " could not be resolved (" + strconv.Itoa(int(c)) + ": " + c.String() + ")"
}

// CouldNotStart returns the error connect gives when the resolver fails at
// once, before any query is sent (ngx_resolve_name returned an error):
// "HOST could not be resolved", with no code.
func CouldNotStart(host string) string {
	return host + " could not be resolved"
}

// Go-side sentinels.
var (
	// ErrBadName is returned by Canonical and BuildQuery when a name cannot be
	// put in a DNS question: empty, an empty label ("a..b"), a label longer
	// than 63 bytes, or more than 253 bytes in all. nginx answers such a name
	// with NXDOMAIN without asking anyone (ngx_resolver_create_name_query
	// returns NGX_DECLINED; seen live: "bad..name could not be resolved (3:
	// Host not found)" and no query), so the caller reports CodeNotFound.
	// (nginx checks labels against 255, not 63, and would send a 64-byte
	// label; luring does not.)
	ErrBadName = errors.New("resolve: bad host name")

	// ErrShortBuffer is returned by BuildQuery and BuildQueryTCP when the
	// caller's buffer cannot hold the query; MaxQueryLen always fits.
	ErrShortBuffer = errors.New("resolve: buffer too small for the query")

	// ErrMismatch is returned by Answer.Parse when the message is not the
	// answer to the query given: a different ID, not a response, or a
	// different question. The caller drops it and keeps waiting, as nginx
	// does with a stray or spoofed datagram.
	ErrMismatch = errors.New("resolve: message does not answer the query")

	// ErrMalformed is returned by Answer.Parse when the message is cut short
	// or inconsistent: counts that run past the end, a bad compression
	// pointer (forward, into the header, or too many), a name over 255
	// bytes, an A or AAAA record of the wrong length. nginx logs and drops
	// such a message; the caller keeps waiting for another answer or the
	// timeout.
	ErrMalformed = errors.New("resolve: malformed DNS message")

	// ErrCNAMEChain is returned by Answer.Parse when the CNAME records in the
	// answer form a chain longer than MaxChain, which is what a loop looks
	// like. nginx ends a CNAME recursion past its limit with NXDOMAIN, so the
	// caller reports CodeNotFound.
	ErrCNAMEChain = errors.New("resolve: CNAME chain too long or looping")
)
