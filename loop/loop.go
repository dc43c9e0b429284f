package loop

import (
	"errors"
	"fmt"
	"log"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/luring/luring/linux"
	"github.com/luring/luring/ring"
)

// ErrStopped is returned by Post and other entry points once the loop has
// been asked to stop.
var ErrStopped = errors.New("loop: stopped")

// Options configure a Loop. The zero value is usable.
type Options struct {
	// Backend forces a ring backend; the zero value lets ring.New choose
	// (LURING_BACKEND, then io_uring, then epoll).
	Backend ring.Backend
	// Entries is the submission queue size (default 1024).
	Entries uint32
	// CPU pins the loop's thread to this CPU when >= 0 (default: not pinned;
	// set to -1 or leave 0 with PinCPU false).
	CPU int
	// PinCPU enables CPU pinning to CPU.
	PinCPU bool
	// RecvBufferSize is the size of one provided receive buffer (bytes,
	// default 16 KiB).
	RecvBufferSize int
	// RecvBuffers is the number of provided receive buffers per loop (power
	// of two, default 512).
	RecvBuffers int
	// MaxInput is how many unconsumed received bytes a connection may hold
	// before its reading pauses (bytes, default 1 MiB).
	MaxInput int
	// WriteHighWater is how many unsent bytes a connection may hold before
	// its reading pauses until they drain below a quarter of it (bytes,
	// default 1 MiB): the backpressure on slow peers.
	WriteHighWater int
	// StopTimeout bounds a graceful Stop: connections still open after it are
	// closed at once (default 5s).
	StopTimeout time.Duration
	// Log receives the loop's rare notices (backend choice, accept errors).
	// Default: the standard logger.
	Log func(msg string)
}

func (o *Options) setDefaults() {
	if o.RecvBufferSize <= 0 {
		o.RecvBufferSize = 16 << 10
	}
	if o.RecvBuffers <= 0 {
		o.RecvBuffers = 512
	}
	if o.MaxInput <= 0 {
		o.MaxInput = 1 << 20
	}
	if o.WriteHighWater <= 0 {
		o.WriteHighWater = 1 << 20
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = 5 * time.Second
	}
	if o.Log == nil {
		o.Log = func(msg string) { log.Print(msg) }
	}
}

// bufGroup is the provided-buffer group every multishot recv of a loop uses.
const bufGroup = 0

// backendNote makes the backend choice logged once per process.
var backendNote sync.Once

// Loop is one single-threaded event loop. Its methods are for its own thread
// (setup functions, callbacks, timers, posted functions) unless they say
// otherwise; Post, Stop, Done and Backend are safe from any goroutine.
type Loop struct {
	opts    Options
	r       ring.Ring
	backend ring.Backend
	multi   bool // multishot recv with provided buffers is in use

	ops    slab
	cqes   []ring.Completion // reused by every Wait
	next   int               // cqes[next:] are this turn's completions not delivered yet
	timers timerHeap
	epoch  time.Time // start of the monotonic ms clock
	now    int64     // ms since epoch, refreshed every turn
	// yieldedAt is l.now at the last yieldNow; yields counts them.
	yieldedAt int64
	yields    int

	conns     connList   // every open Conn, for Stop
	packets   packetList // every open PacketConn, for Stop
	dirty     []*Conn    // connections with output to submit this turn
	listeners []*Listener
	nextID    uint64     // connection numbers, for logs
	bufs      [][]byte   // free buffers of RecvBufferSize capacity
	bigBufs   [][]byte   // free grown input buffers (larger than RecvBufferSize), see putBig
	outs      []*connOut // free write sides of connections (Conn.w)

	runq      runQueue // tasks to run after this turn's completions (runq.go)
	freeTasks []*Task  // pooled tasks: Soon's and connections' deliveries

	postMu  sync.Mutex
	posted  []func() // guarded by postMu
	running []func() // loop thread: the batch being run

	stopping  atomic.Bool
	stopStart bool // loop thread: Stop handling began
	stopTimer *Timer
	done      chan struct{}
	err       error // why the loop ended; read after done
}

// Start starts a loop on a new locked OS thread, runs setup there (to listen,
// dial or arm timers), and returns once setup has returned. If setup fails the
// loop is stopped and its error returned.
func Start(opts Options, setup func(l *Loop) error) (*Loop, error) {
	opts.setDefaults()
	l := &Loop{opts: opts, ops: newSlab(), done: make(chan struct{}), epoch: time.Now()}
	ready := make(chan error, 1)
	go l.run(setup, ready)
	if err := <-ready; err != nil {
		<-l.done
		return nil, err
	}
	return l, nil
}

// run is the loop's thread.
func (l *Loop) run(setup func(l *Loop) error, ready chan<- error) {
	// Never unlocked: the thread may carry CPU affinity or other per-thread
	// state, so it ends with the loop instead of returning to Go's pool.
	runtime.LockOSThread()
	defer close(l.done)
	if err := l.init(); err != nil {
		l.err = err
		ready <- err
		return
	}
	defer l.r.Close()
	// However the loop ends, Post refuses work before the ring closes:
	// nothing would run it. (Deferred after Close, so it runs before it.)
	defer l.stopping.Store(true)
	if setup != nil {
		if err := setup(l); err != nil {
			l.err = err
			l.closeAll()
			ready <- err
			return
		}
	}
	ready <- nil
	for !l.finished() {
		l.yieldNow()
		if err := l.tick(); err != nil {
			l.err = err
			l.opts.Log(fmt.Sprintf("loop: %v", err))
			return
		}
	}
}

func (l *Loop) init() error {
	if l.opts.PinCPU {
		if err := linux.PinToCPU(l.opts.CPU); err != nil {
			return fmt.Errorf("loop: pin to CPU %d: %w", l.opts.CPU, err)
		}
	}
	r, note, err := ring.New(ring.Options{Backend: l.opts.Backend, Entries: l.opts.Entries})
	if err != nil {
		return err
	}
	backendNote.Do(func() { l.opts.Log(note) })
	l.r = r
	l.backend = r.Backend()
	if r.Features().MultishotRecv {
		if err := r.SetupBuffers(bufGroup, l.opts.RecvBuffers, l.opts.RecvBufferSize); err == nil {
			l.multi = true
		}
	}
	l.cqes = make([]ring.Completion, 0, 256)
	l.now = int64(time.Since(l.epoch) / time.Millisecond)
	return nil
}

// Backend names the ring backend this loop runs on. Safe from any goroutine
// once Start has returned.
func (l *Loop) Backend() ring.Backend { return l.backend }

// nowMs is the loop's clock in ms, as of the start of this turn.
func (l *Loop) nowMs() int64 { return l.now }

// Now returns the time at the start of the current loop turn.
func (l *Loop) Now() time.Time { return l.epoch.Add(time.Duration(l.now) * time.Millisecond) }

// tick is one loop turn: submit and wait → run completions → run the run
// queue (deliveries of buffered input, results that were ready at once) →
// expire timers → run posted functions.
func (l *Loop) tick() error {
	l.flushDirty()
	timeout := l.nextTimeout()
	if l.runq.head != nil || l.hasPosted() {
		timeout = 0
	}
	cqes, err := l.r.Wait(l.cqes[:0], timeout)
	if err != nil {
		return err
	}
	l.cqes = cqes
	l.now = int64(time.Since(l.epoch) / time.Millisecond)
	for i := range cqes {
		l.next = i + 1
		l.complete(cqes[i])
	}
	l.cqes, l.next = cqes[:0], 0 // nothing left undelivered (Conn.PendingInput)
	l.runTasks()
	l.runTimers()
	l.runPosted()
	return nil
}

// yieldEvery is how often a busy loop reschedules itself (ms of loop time).
// The Go runtime's sysmon preempts a goroutine that runs 10 ms without
// rescheduling, and after each such preemption it polls at 20 µs again:
// measured, about 1,500 wake-ups a second on the loop's CPU under load,
// against about 130 when the loop yields on its own first.
const yieldEvery = 5

// yieldNow calls runtime.Gosched once yieldEvery ms have passed since the
// last time, between two turns.
func (l *Loop) yieldNow() {
	if l.now-l.yieldedAt < yieldEvery {
		return
	}
	l.yieldedAt = l.now
	l.yields++
	runtime.Gosched()
}

// complete routes one completion to its operation's handler.
func (l *Loop) complete(c ring.Completion) {
	p := l.ops.lookup(c.UserData)
	if p == nil {
		if c.Flags&ring.FlagBuffer != 0 {
			l.r.ReleaseBuffer(bufGroup, c.BufID)
		}
		return
	}
	o := *p // copy: the handler may reuse the slot
	if c.Flags&ring.FlagMore == 0 {
		l.ops.release(c.UserData)
	}
	switch o.kind {
	case opAccept:
		o.listener().onAccept(c)
	case opRecv, opRecvMulti:
		o.conn().onRecv(c)
	case opSend:
		o.conn().onSend(c)
	case opConnect:
		o.dialer().onConnect(c)
	case opShutdown:
		o.conn().onShutdown(c)
	case opClose:
		o.conn().onClosed(c)
	case opPacketRecv:
		o.packet().onRecv(c)
	case opPacketSend:
		o.packet().onSend(c)
	case opPacketClose:
		o.packet().onClosed(c)
	case opCancel:
		// Nothing to do: the cancelled operation reports on its own.
	}
}

// Post runs fn on the loop's thread during a coming turn. Safe from any
// goroutine. It returns ErrStopped once the loop is stopping.
func (l *Loop) Post(fn func()) error {
	if l.stopping.Load() {
		return ErrStopped
	}
	l.postMu.Lock()
	l.posted = append(l.posted, fn)
	first := len(l.posted) == 1
	l.postMu.Unlock()
	if first {
		return l.r.Wake()
	}
	return nil
}

func (l *Loop) hasPosted() bool {
	l.postMu.Lock()
	n := len(l.posted)
	l.postMu.Unlock()
	return n > 0
}

func (l *Loop) runPosted() {
	l.postMu.Lock()
	l.running, l.posted = l.posted, l.running[:0]
	l.postMu.Unlock()
	for i, fn := range l.running {
		l.running[i] = nil
		fn()
	}
	l.running = l.running[:0]
	if l.stopping.Load() && !l.stopStart {
		l.beginStop()
	}
}

// Stop stops the loop gracefully: listeners close, every connection flushes
// its output and closes, every PacketConn closes (its pending callbacks get
// ErrClosed), and the loop ends once no operation is in flight, or
// after Options.StopTimeout with the remaining connections closed at once.
// Stop blocks until the loop has ended. Safe from any goroutine, but not from
// the loop's own thread (use StopAsync there).
func (l *Loop) Stop() error {
	l.StopAsync()
	<-l.done
	return l.err
}

// StopAsync asks the loop to stop as Stop does, without waiting. Safe from
// any goroutine, the loop's own thread included.
func (l *Loop) StopAsync() {
	if l.stopping.CompareAndSwap(false, true) {
		_ = l.r.Wake()
	}
}

// Done is closed once the loop has ended.
func (l *Loop) Done() <-chan struct{} { return l.done }

// beginStop runs on the loop thread when a stop was asked.
func (l *Loop) beginStop() {
	l.stopStart = true
	for _, ln := range l.listeners {
		ln.Close()
	}
	l.conns.each(func(c *Conn) { c.Close() })
	l.packets.each(func(pc *PacketConn) { pc.Close() })
	l.stopTimer = l.AfterFunc(l.opts.StopTimeout, func() {
		l.conns.each(func(c *Conn) { c.CloseNow(ErrStopped) })
	})
}

// finished reports whether a stopping loop has nothing left in flight.
func (l *Loop) finished() bool {
	if !l.stopStart {
		return false
	}
	return l.ops.live == 0 && l.conns.n == 0 && l.packets.n == 0 && len(l.dirty) == 0 && l.runq.head == nil && !l.hasPosted()
}

// closeAll is the failed-setup path: drop whatever setup created.
func (l *Loop) closeAll() {
	l.stopping.Store(true)
	l.beginStop()
	for !l.finished() {
		if err := l.tick(); err != nil {
			return
		}
	}
}

// logf logs a loop notice.
func (l *Loop) logf(format string, args ...any) {
	l.opts.Log(fmt.Sprintf(format, args...))
}

// Stats counts what a loop holds; for tests and status pages. Loop thread
// only.
type Stats struct {
	Conns   int // open stream connections
	Packets int // open datagram sockets
	Timers  int // armed timers
	Ops     int // operations in flight in the ring
	Tasks   int // tasks in the run queue
}

// Stats returns the loop's counts now.
func (l *Loop) Stats() Stats {
	return Stats{Conns: l.conns.n, Packets: l.packets.n, Timers: len(l.timers), Ops: l.ops.live, Tasks: l.runq.n}
}
