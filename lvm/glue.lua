-- lvm glue: yield-transparent pcall, xpcall and coroutine.resume/wrap, and the
-- trampoline every pooled coroutine runs. Compiled once per VM. The helpers
-- come from Go (glue.go); the numbers are the k* outcomes of thread.go.
local h = ...
local spawn, xspawn, wspawn = h.spawn, h.xspawn, h.wspawn
local resume, ustart, vals, raw = h.resume, h.ustart, h.vals, h.raw
local yield, take, args, hook, DONE = h.raw_yield, h.take, h.args, h.hook, h.done
local error = error

local K_DONE, K_ENGINE, K_USER, K_ERRRAW = 0, 1, 2, 4

-- A pooled coroutine runs this forever: one job per iteration. A job that
-- errors kills the coroutine, which is then discarded.
local function body()
  hook()
  while true do
    yield(DONE, take()(args()))
  end
end

-- pcall runs f in a child coroutine; every yield of the child (engine or
-- user) is passed outward and the child is resumed with the answers.
local function pcall(f, ...)
  local co = spawn(f)
  if not co then return false, vals() end
  local k = resume(co, ...)
  while k == K_ENGINE or k == K_USER do
    k = resume(co, yield(raw()))
  end
  if k == K_DONE then return true, vals() end
  return false, vals()
end

-- xpcall: the handler runs inside the child at the error point (Go side),
-- so debug.traceback() in the handler shows the failing stack.
local function xpcall(f, handler, ...)
  local co = xspawn(f, handler)
  if not co then return false, (handler(vals())) end
  local k = resume(co, ...)
  while k == K_ENGINE or k == K_USER do
    k = resume(co, yield(raw()))
  end
  if k == K_DONE then return true, vals() end
  if k == K_ERRRAW then return false, (handler(vals())) end
  return false, vals()
end

-- coroutine.resume: engine yields pass through to the request, user yields
-- come back here.
local function co_resume(co, ...)
  local k = ustart(co, nil, ...)
  while k == K_ENGINE do
    k = resume(co, yield(raw()))
  end
  if k == K_DONE or k == K_USER then return true, vals() end
  return false, vals()
end

local function co_wrap(f)
  local co, gen = wspawn(f)
  return function(...)
    local k = ustart(co, gen, ...)
    while k == K_ENGINE do
      k = resume(co, yield(raw()))
    end
    if k == K_DONE or k == K_USER then return vals() end
    error(vals(), 3) -- gopher-lua counts levels from error itself: 3 is our caller
  end
end

return body, pcall, xpcall, co_resume, co_wrap
