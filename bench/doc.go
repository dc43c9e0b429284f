// Package bench holds luring's side-by-side benchmarks against other Go
// event-loop servers. It is its own module so that the main module never
// depends on them.
//
// The echo benchmark (echo_test.go, and cmd/echobench for a markdown table)
// builds three commands — cmd/echo-luring, cmd/echo-gnet and the load
// client cmd/echo-client — starts one server pinned to CPU 0, drives it
// with the same client pinned to CPU 1, and reports round trips per second.
// docs/performance.md describes the method and holds the figures.
//
// The HTTP benchmark (cmd/httpbench, package internal/httpbench; `make
// bench`) runs bin/luring and OpenResty (nginx + lua-nginx-module) on the
// same generated nginx.conf per workload, drives them with wrk and writes
// results/results.md, results.json and plots; cmd/http-backend is its
// upstream and cmd/luring-pprof a profiling build of luring.
//
// Place in the import graph: nothing imports bench; it imports loop (through
// echo-luring) and gnet.
package bench
