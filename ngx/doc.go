// Package ngx is the Lua-facing ngx table: it binds the HTTP engine
// (httpd.Exchange), the event loop (timers) and the Lua VM (lvm) into the
// ngx_lua API that OpenResty code expects.
//
// A [Runner] implements httpd.LuaRunner for one worker: it installs the
// global ngx table (and print) into the worker's VM once, compiles each
// handler once, and runs every phase handler in a pooled lvm coroutine
// whose Ctx is the coroutine's record (*coro) pointing at the per-request
// state (*request, kept in Exchange.Ctx across phases). Bindings that wait
// (ngx.sleep, ngx.flush(true), ngx.thread.wait) take an lvm ticket with
// lvm.Await and arm a loop timer or an Exchange callback; the completion
// asks the request's scheduler to resume the coroutine through that ticket.
// Only lvm resumes coroutines; there is no goroutine per request.
//
// Files are named after the Lua API they implement (say.go is
// ngx.say/print/flush/eof/send_headers, thread.go is ngx.thread.*), each
// with one inject function and a sorted function table; inject.go calls
// them all, so the whole ngx table is audited in one place. Every
// Lua-facing function opens the same way: check its arguments, take the
// request from the *LState it was called with (enter), check the phase
// against its declared mask. Error strings Lua sees are ngx_lua's literals,
// kept in errors.go.
//
// Place in the import graph: ngx imports httpd (the Exchange contract),
// conf, loop and lvm; server wires a Runner into each worker.
package ngx
