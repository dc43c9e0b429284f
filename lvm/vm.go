package lvm

import (
	lua "github.com/yuin/gopher-lua"
)

// registryKey is where a VM stores itself in its state's registry so that
// package-level helpers (Await, Current) find it from any coroutine.
const registryKey = "luring.lvm"

// Options configure a VM. The zero value is usable.
type Options struct {
	// PackagePath is lua_package_path: ";"-separated templates where ";;"
	// stands for the default path and $prefix / ${prefix} expand to Prefix.
	// Empty keeps gopher-lua's default package.path.
	PackagePath string
	// Prefix is the server prefix substituted for $prefix in PackagePath.
	Prefix string
	// NoCodeCache is lua_code_cache off: CompileFile re-reads and recompiles
	// the file on every call, and ResetModules forgets modules loaded from
	// files so the next require reloads them.
	NoCodeCache bool
	// PoolSize caps the idle coroutines kept for reuse; 0 means 1024.
	PoolSize int
	// CallStackSize is each coroutine's Lua call depth limit (frames);
	// 0 means 200, LuaJIT's LUAI_MAXCCALLS.
	CallStackSize int
	// RegistrySize is each coroutine's initial value-stack size (slots,
	// 16 bytes each); the stack grows on demand up to RegistryMaxSize.
	// 0 means 256.
	RegistrySize int
	// RegistryMaxSize caps a coroutine's value stack (slots); 0 means 1<<20.
	RegistryMaxSize int
}

func (o *Options) withDefaults() {
	if o.PoolSize <= 0 {
		o.PoolSize = 1024
	}
	if o.CallStackSize <= 0 {
		o.CallStackSize = 200
	}
	if o.RegistrySize < 128 {
		o.RegistrySize = 256
	}
	if o.RegistryMaxSize < o.RegistrySize {
		o.RegistryMaxSize = 1 << 20
	}
}

// VM is one worker's Lua state with its chunk cache and coroutine pool.
// Loop thread only: no method may be called concurrently.
type VM struct {
	// L is the main state; bindings are registered on it. Request code never
	// runs on it directly (only init-time code does).
	L    *lua.LState
	opts Options

	// tag is the first value of every engine yield (Await); private, so Lua
	// code can neither forge nor observe it.
	tag *lua.LUserData
	// done is the first value the trampoline yields when a job has returned.
	done *lua.LUserData
	// umark is the first value of a user coroutine.yield, so that a yield of
	// zero values keeps its count through gopher-lua's Resume.
	umark *lua.LUserData

	// body is the trampoline every pooled coroutine runs forever.
	body *lua.LFunction
	// traceback is the original debug.traceback, used to capture stacks.
	traceback *lua.LFunction

	// threads maps every live lvm coroutine to its Thread; entries are
	// removed when a thread is discarded.
	threads map[*lua.LState]*Thread
	// pool holds idle threads, parked in the trampoline, most recent last.
	pool []*Thread
	// cur is the Thread whose coroutine is running now; nil on the main state.
	cur *Thread

	// StatusOf, when set, names the status of a coroutine lvm no longer
	// knows (coroutine.status): a driver that hands out Handles keeps
	// their fate ("zombie": ended, results not collected yet). L is the
	// calling state. ok false: "dead".
	StatusOf func(L *lua.LState, co *lua.LState) (status string, ok bool)
	// out holds the values of the last child resume until the glue fetches
	// them with the vals helper (nothing runs in between).
	out []lua.LValue
	// argbuf is scratch for resume arguments; consumed before any nested run.
	argbuf []lua.LValue

	chunks      map[chunkKey]*Chunk
	fileChunks  map[string]*Chunk
	fileModules map[string]struct{}
}

// New creates a worker VM: standard libraries, luring overrides, the
// yield-transparent pcall/xpcall/coroutine and the configured package.path.
func New(opts Options) (*VM, error) {
	opts.withDefaults()
	L := lua.NewState(lua.Options{
		CallStackSize:       opts.CallStackSize,
		RegistrySize:        opts.RegistrySize,
		RegistryMaxSize:     opts.RegistryMaxSize,
		RegistryGrowStep:    128,
		MinimizeStackMemory: true,
	})
	vm := &VM{
		L:           L,
		opts:        opts,
		threads:     make(map[*lua.LState]*Thread),
		chunks:      make(map[chunkKey]*Chunk),
		fileChunks:  make(map[string]*Chunk),
		fileModules: make(map[string]struct{}),
	}
	vm.tag = L.NewUserData()
	vm.done = L.NewUserData()
	vm.umark = L.NewUserData()
	self := L.NewUserData()
	self.Value = vm
	L.G.Registry.RawSetString(registryKey, self)
	vm.traceback = L.GetField(L.GetGlobal("debug"), "traceback").(*lua.LFunction)

	installCompat(L)
	installPatterns(L)
	if err := vm.installGlue(); err != nil {
		L.Close()
		return nil, err
	}
	if err := vm.installModules(); err != nil {
		L.Close()
		return nil, err
	}
	return vm, nil
}

// Close releases the Lua state. The VM and its threads must not be used after.
func (vm *VM) Close() {
	vm.pool = nil
	vm.threads = nil
	vm.L.Close()
}

// vmOf returns the VM owning L (any of its coroutines), or nil.
func vmOf(L *lua.LState) *VM {
	ud, ok := L.G.Registry.RawGetString(registryKey).(*lua.LUserData)
	if !ok {
		return nil
	}
	vm, _ := ud.Value.(*VM)
	return vm
}

// threadOf returns the lvm Thread running as L, or nil (main state or a
// coroutine lvm did not create).
func (vm *VM) threadOf(L *lua.LState) *Thread {
	if c := vm.cur; c != nil && c.co == L {
		return c
	}
	return vm.threads[L]
}

// DoString runs src on the main state (init-time code: init_by_lua and
// tests). Engine yields are not possible there.
func (vm *VM) DoString(src, chunkName string) error {
	c, err := vm.Compile(src, chunkName)
	if err != nil {
		return err
	}
	vm.L.Push(c.Fn)
	return vm.L.PCall(0, 0, nil)
}
