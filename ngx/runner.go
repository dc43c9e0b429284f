package ngx

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/luring/luring/conf"
	"github.com/luring/luring/cosocket"
	"github.com/luring/luring/cosocket/resolve"
	"github.com/luring/luring/httpd"
	"github.com/luring/luring/loop"
	"github.com/luring/luring/lvm"
	lua "github.com/yuin/gopher-lua"
)

// registryKey marks a VM that carries a Runner's ngx table.
const registryKey = "luring.ngx"

// Options configure a Runner.
type Options struct {
	// VM is the worker's Lua VM; the Runner installs ngx and print into it.
	VM *lvm.VM
	// Loop is the worker's loop, for code that runs without a request
	// (init_worker_by_lua). Requests use Exchange.Loop.
	Loop *loop.Loop
	// Config is the loaded configuration: error_log levels, init handlers.
	// nil: defaults (error level).
	Config *conf.Config
	// WorkerID is ngx.worker.id(), 0-based.
	WorkerID int
	// WorkerCount is ngx.worker.count().
	WorkerCount int
	// Log is the error-log sink for lines without a request (init,
	// init_worker); connID is 0 there. Request lines go to Exchange.Logf.
	// nil: discarded.
	Log func(level conf.LogLevel, connID uint64, msg string)
	// Hosts is the hosts table connect and setpeername consult before DNS
	// (resolve.LoadHosts, loaded by the caller off the loop); nil: none.
	Hosts *resolve.Hosts
}

// Runner runs the Lua handlers of one worker: it implements
// httpd.LuaRunner. Loop thread only, like the VM it drives.
type Runner struct {
	vm          *lvm.VM
	loop        *loop.Loop
	cfg         *conf.Config
	workerID    int
	workerCount int
	sink        func(level conf.LogLevel, connID uint64, msg string)
	// level is the error_log level of code without a location (main
	// level's error_log); request code uses its location's.
	level conf.LogLevel
	// pid is ngx.worker.pid(), read once.
	pid int
	// exiting is ngx.worker.exiting().
	exiting bool
	// inInit: init_by_lua runs (ngx.worker.id() is nil there).
	inInit bool

	// chunks caches inline handlers by their LuaCode (compiled once).
	chunks map[*conf.LuaCode]*lvm.Chunk

	// null is ngx.null, one userdata shared by every request.
	null *lua.LUserData
	// reqHeadersMeta is the metatable of ngx.req.get_headers() results.
	reqHeadersMeta *lua.LTable
	// updated is the time ngx.update_time() last read; zero until then.
	updated time.Time
	// buf is scratch for ngx.say/print/log output; used within one call.
	buf []byte
	// free holds the states of finished requests for reuse (Done).
	free []*request

	// sockets is the worker's cosocket state: its connection pools.
	sockets *cosocket.Worker
	// freeTCP are recycled Go halves of socket objects (socket_tcp.go);
	// staleTCP is the one objects of ended requests point to.
	freeTCP  []*tcpSock
	staleTCP *tcpSock
	// tcpMeta and udpMeta are the metatables of socket objects.
	tcpMeta, udpMeta *lua.LTable
	// reqSockMeta and rawSockMeta are the metatables of ngx.req.socket()
	// and ngx.req.socket(true) objects.
	reqSockMeta, rawSockMeta *lua.LTable
	// dgram is scratch for a UDP datagram being built (socket_udp.go).
	dgram []byte
	// patterns caches compiled receiveuntil patterns (socket_until.go).
	patterns map[string]*cosocket.Pattern
	// resolvers are the DNS resolvers by location settings, resolversByConf
	// the same ones by their configuration (socket_resolve.go).
	resolvers       map[*conf.Resolver]*cosocket.DNS
	resolversByConf map[string]*cosocket.DNS
}

// maxFreeRequests bounds Runner.free: enough for a burst of concurrent
// requests, small beside the memory those requests needed anyway.
const maxFreeRequests = 1024

// NewRunner installs the ngx API into o.VM and returns the worker's Runner.
// Call it once per VM, before any Lua code runs.
func NewRunner(o Options) (*Runner, error) {
	if o.VM == nil {
		return nil, ErrNoVM
	}
	L := o.VM.L
	if L.G.Registry.RawGetString(registryKey) != lua.LNil {
		return nil, ErrInstalled
	}
	rn := &Runner{
		vm:          o.VM,
		loop:        o.Loop,
		cfg:         o.Config,
		workerID:    o.WorkerID,
		workerCount: o.WorkerCount,
		sink:        o.Log,
		level:       conf.LogError,
		pid:         os.Getpid(),
		chunks:      make(map[*conf.LuaCode]*lvm.Chunk),
	}
	if o.Loop != nil {
		rn.sockets = cosocket.NewWorker(o.Loop)
		rn.sockets.SetHosts(o.Hosts)
	}
	if o.Config != nil && len(o.Config.Main.ErrorLogs) > 0 {
		rn.level = maxLevel(o.Config.Main.ErrorLogs)
	}
	rn.inject(L)
	L.G.Registry.RawSetString(registryKey, lua.LTrue)
	return rn, nil
}

// SetExiting sets what ngx.worker.exiting() returns (the server calls it
// when a graceful stop begins).
// Exiting also closes the worker's idle pooled connections and resolvers,
// and later setkeepalive calls close instead of pooling, as in an nginx
// worker that is shutting down.
func (rn *Runner) SetExiting(v bool) {
	rn.exiting = v
	if v && rn.sockets != nil {
		rn.sockets.Exit()
	}
}

// Run starts code for x in phase and implements httpd.LuaRunner.Run.
func (rn *Runner) Run(x httpd.Exchange, phase httpd.Phase, code *conf.LuaCode) httpd.PhaseResult {
	rq, _ := x.Ctx().(*request)
	if rq == nil {
		rq = rn.newRequest(x)
		x.SetCtx(rq)
	}
	fail := httpd.PhaseResult{Outcome: httpd.Fail}
	if rq.active {
		rq.logf(conf.LogError, "lua handler for the %s phase started while another one runs", phase)
		return fail
	}
	if rn.needBody(x, phase, code) {
		return httpd.PhaseResult{Outcome: httpd.Pending}
	}
	chunk, notFound := rn.chunk(code, rq)
	if chunk == nil {
		if notFound {
			// ngx_lua answers a missing *_by_lua_file with 404.
			return httpd.PhaseResult{Outcome: httpd.Exit, Status: 404}
		}
		return fail
	}
	rq.begin(phaseContext(phase))
	rq.entry.th = rn.vm.Acquire(&rq.entry)
	rq.start(&rq.entry, chunk.Fn)
	if !rq.active {
		return rq.result
	}
	rq.pending = true
	return httpd.PhaseResult{Outcome: httpd.Pending}
}

// Abort implements httpd.LuaRunner.Abort: the request's pending handler
// is dropped without resuming it; timers stop and threads are released.
func (rn *Runner) Abort(x httpd.Exchange) {
	rq, _ := x.Ctx().(*request)
	if rq == nil || !rq.active {
		return
	}
	rq.pending = false
	rq.killAll()
	rq.active = false
	rq.result = httpd.PhaseResult{Outcome: httpd.Fail}
}

// Done implements httpd.LuaRunner.Done: the request is over, and its state
// goes back to the pool for the next request.
func (rn *Runner) Done(x httpd.Exchange) {
	rq, _ := x.Ctx().(*request)
	if rq == nil || rq.rn != rn {
		return
	}
	if rq.active { // httpd aborts first; be safe
		rn.Abort(x)
	}
	rq.recycle()
	if len(rn.free) < maxFreeRequests {
		rn.free = append(rn.free, rq)
	}
}

// newRequest returns per-request state for x, recycled when possible.
func (rn *Runner) newRequest(x httpd.Exchange) *request {
	if n := len(rn.free); n > 0 {
		rq := rn.free[n-1]
		rn.free[n-1] = nil
		rn.free = rn.free[:n-1]
		rq.x = x
		return rq
	}
	return &request{rn: rn, x: x}
}

// RunInit runs the configuration's init_by_lua handler, if any, on the
// VM's main state: there is no request (request APIs raise "no request
// found"), and nothing can wait. Call it once, before serving.
func (rn *Runner) RunInit() error {
	if rn.cfg == nil || rn.cfg.HTTP == nil || rn.cfg.HTTP.InitByLua == nil {
		return nil
	}
	code := rn.cfg.HTTP.InitByLua
	c, err := rn.compile(code)
	if err == nil {
		rn.inInit = true
		L := rn.vm.L
		L.Push(c.Fn)
		err = L.PCall(0, 0, nil)
		rn.inInit = false
	}
	if err != nil {
		msg := fmt.Sprintf(logInitError, tagOf(code), err)
		rn.logMsg(conf.LogError, msg)
		return fmt.Errorf("ngx: %s", msg)
	}
	return nil
}

// RunInitWorker runs an init_worker_by_lua handler on a fake request (no
// client connection): request-data APIs raise "API disabled in the
// current context" and APIs with a phase mask raise "API disabled in the
// context of init_worker_by_lua*", as in ngx_lua. A failure is logged
// ("init_worker_by_lua error: ...") and returned.
func (rn *Runner) RunInitWorker(code *conf.LuaCode) error {
	if code == nil {
		return nil
	}
	rq := &request{rn: rn}
	chunk, _ := rn.chunk(code, rq)
	if chunk == nil {
		return fmt.Errorf("ngx: %s: cannot load", tagOf(code))
	}
	rq.begin(ctxInitWorker)
	rq.entry.th = rn.vm.Acquire(&rq.entry)
	rq.running++ // settle ourselves: errors are reported the init way
	res := rq.entry.th.Start(chunk.Fn)
	rq.running--
	defer rq.killAll()
	switch res.Status {
	case lvm.StatusDone:
		return nil
	case lvm.StatusFailed:
		msg := fmt.Sprintf(logInitError, tagOf(code), res.Err.Message+"\n"+res.Err.Traceback)
		rn.logMsg(conf.LogError, msg)
		return fmt.Errorf("ngx: %s", msg)
	}
	if rq.exited {
		return nil
	}
	msg := fmt.Sprintf(logInitError, tagOf(code), "attempt to yield")
	rn.logMsg(conf.LogError, msg)
	return fmt.Errorf("ngx: %s", msg)
}

// chunk returns code compiled, logging why not (and returning nil) when it
// does not load; notFound says the file does not exist. Inline handlers
// are cached by their LuaCode; file handlers are cached by lvm (per path,
// honouring lua_code_cache), a path with variables once evaluated for the
// request.
func (rn *Runner) chunk(code *conf.LuaCode, rq *request) (c *lvm.Chunk, notFound bool) {
	if c, ok := rn.chunks[code]; ok {
		return c, false
	}
	path := code.Source
	if code.IsFile && code.Dynamic {
		path = rq.filePath(code)
	}
	var err error
	if code.IsFile {
		c, err = rn.vm.CompileFile(path, "@"+path)
	} else {
		c, err = rn.vm.Compile(code.Source, code.ChunkName)
	}
	if err != nil {
		if code.IsFile {
			rq.logf(conf.LogError, logLoadFile, path, err)
		} else {
			rq.logf(conf.LogError, logLoadInline, err)
		}
		return nil, errors.Is(err, fs.ErrNotExist)
	}
	if !code.IsFile {
		rn.chunks[code] = c
	}
	return c, false
}

// compile compiles init code (no request, so no variables in its path).
func (rn *Runner) compile(code *conf.LuaCode) (*lvm.Chunk, error) {
	if code.IsFile {
		return rn.vm.CompileFile(code.Source, code.ChunkName)
	}
	return rn.vm.Compile(code.Source, code.ChunkName)
}

// filePath evaluates the variables of a *_by_lua_file path for the
// request, resolving a relative result against the prefix as nginx does.
func (rq *request) filePath(code *conf.LuaCode) string {
	var path string
	if rq.x != nil {
		path = rq.x.Eval(code.Parts)
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(code.Prefix, path)
	}
	return path
}

// tagOf is the directive name for init errors ("init_by_lua_file").
func tagOf(code *conf.LuaCode) string {
	if code.IsFile {
		return code.Tag + "_file"
	}
	return code.Tag
}

// logMsg writes a line without a request to the sink.
func (rn *Runner) logMsg(level conf.LogLevel, msg string) {
	if level > rn.level || rn.sink == nil {
		return
	}
	rn.sink(level, 0, msg)
}
