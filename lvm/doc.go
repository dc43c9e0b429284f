// Package lvm runs OpenResty-style Lua on gopher-lua for one luring worker.
//
// A worker owns exactly one [VM]: one *lua.LState with the standard libraries,
// luring's LuaJIT-compatibility overrides (tostring, tonumber, string.format,
// table.concat, string.rep/char, bit, table.new, table.clear), the pattern
// functions string.find/match/gmatch/gsub on lvm/luapat with a cache of
// compiled patterns, a chunk cache
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
// The contract between a binding, its operation and the driver:
//
//   - A completion never runs inside the binding that started the operation:
//     the operation reports from its loop's run queue or a later kernel
//     completion, after the coroutine has yielded. So a binding needs no
//     "it came back early" state, and lvm can assume the thread is stopped
//     when a ticket is used.
//   - The ticket is the only staleness check. A completion that arrives after
//     the thread was resumed by something else, killed or released carries a
//     stale ticket, and Ticket.Resume refuses it with ErrStale; the driver
//     just drops it.
//   - One wait, one cancel. Besides the ticket, the binding gives the driver
//     one cancel function for its wait (a Go callback, often a method value
//     bound once). When the wait is abandoned (request aborted, light thread
//     killed, coroutine released), the driver calls it exactly once and the
//     operation must stop and must not call back. Engines below lvm
//     (cosocket/, reqsock/) know nothing of Lua or tickets: they expose Go
//     calls with completion callbacks and a way to cancel, and ngx/ adapts
//     them to tickets.
//
// Place in the import graph: lvm imports gopher-lua, its own lvm/luapat and
// the standard library only; ngx/ and server/ import lvm. It never imports loop: the loop drives it
// through [Thread.Start], [Thread.Resume] and [Ticket.Resume].
package lvm
