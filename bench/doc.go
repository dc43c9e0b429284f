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
// Place in the import graph: nothing imports bench; it imports loop (through
// echo-luring) and gnet.
package bench
