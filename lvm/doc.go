// Package lvm runs OpenResty-style Lua on gopher-lua for one luring worker.
//
// A worker owns exactly one [VM]: one *lua.LState with the standard libraries,
// luring's LuaJIT-compatibility overrides (tostring, tonumber, string.format,
// table.concat, string.rep/char, bit, table.new, table.clear), a chunk cache
// and a pool of coroutines. Every request phase runs in a [Thread] taken from
// that pool. Everything here is single-threaded: a VM and its threads are used
// only from the worker's loop thread.
//
// The await/resume glue: a Go binding that must wait for an operation calls
// [Await], submits its operation with the returned [Ticket] and returns the
// int Await gave it; the coroutine yields with lvm's private tag. The yield
// travels through every pcall, xpcall and user coroutine between the binding
// and the request's entry thread (lvm replaces those library functions with
// yield-transparent versions), and the driver sees [StatusWaiting]. When the
// operation completes, the driver calls [Ticket.Resume] with the operation's
// results, which become the binding call's return values in Lua. Only lvm
// resumes coroutines.
//
// Place in the import graph: lvm imports gopher-lua and the standard library
// only; ngx/ and server/ import lvm. It never imports loop: the loop drives it
// through [Thread.Start], [Thread.Resume] and [Ticket.Resume].
package lvm
