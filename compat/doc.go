// Package compat holds the side-by-side conformance test of luring against
// the reference it imitates: nginx with ngx_lua and lua-resty-core
// (OpenResty's Lua API on LuaJIT).
//
// It has no code of its own, only tests and their data, and imports no
// luring package: the test builds bin/luring's source (./cmd/luring) into a
// temporary directory and talks to the process over raw TCP, as a client
// would. It sits outside the package table of docs/architecture.md.
//
// testdata/handlers.conf is one server block's worth of locations, each
// exercising a slice of the API (ngx.say of every value type, ngx.exit with
// each status, ngx.header, ngx.var, phases, LuaJIT number formatting, ...).
// TestReference writes an nginx.conf around it for each server (the two
// differ only in the reference's load_module and lua_package_path lines;
// handlers.conf is included, so the line numbers Lua error messages quote
// are the same on both), sends every request of its table to both over a
// fresh TCP connection, byte for byte (so HEAD and HTTP/1.0 are exact), and
// compares status, framing (Content-Length, chunked or close-delimited),
// headers (all but Date and Server) and body. The server's own name
// ("nginx/1.22.1", "luring/x") and the listening port are masked first. A
// per-handler table is printed in the test log (go test -v).
//
// Running it:
//
//	make test                           # both backends, as every test
//	go test -ldflags=-checklinkname=0 -v -run TestReference ./compat
//
// When nginx and the ngx_lua module (/usr/lib/nginx/modules, as Debian's
// libnginx-mod-http-lua installs it) are present, luring is compared with
// the live reference, and the reference is also checked against
// testdata/golden.json. Without them the test compares luring with
// testdata/golden.json alone: answers recorded from the reference, so the
// test still asserts on machines without nginx (LURING_COMPAT_GOLDEN=1
// forces that path where nginx is installed). After changing
// handlers.conf or the request table, record the answers again on a machine
// with the reference installed:
//
//	go test -ldflags=-checklinkname=0 -run TestReference ./compat -update
//
// Accepted differences (gopher-lua's VM messages and pattern engine, the
// missing jit module, light-thread handles) are listed in knownDiffs, each
// pinned to the exact text both sides produce; such rows are reported as
// KNOWN and the rest of the row is still compared. Anything else fails.
package compat
