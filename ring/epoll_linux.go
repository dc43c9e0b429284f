package ring

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The epoll backend turns readiness into io_uring's completion semantics.
//
// Every fd the ring touches is registered once with
// EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET. Its state (fdState, in a slice indexed
// by fd) remembers whether it may be readable or writable: true until a
// syscall returns EAGAIN, true again after an edge. A verb records its
// operation in the fd's read or write slot and, when the fd may be ready,
// tries the syscall at once; the result goes to the ready list, never to the
// caller. Wait polls epoll, retries the operations of fds that became ready,
// fires expired timeouts and hands the ready list out.
//
// Caveat: an fd the ring has seen must be closed with CloseFD (or carry no
// operation again before its number is reused). Fresh descriptors from
// Accept, sockets whose first operation is Connect, and descriptors handed
// to Fresh are re-registered anyway.

// opKind says what a pending operation slot holds.
type opKind uint8

const (
	opNone opKind = iota
	opAccept
	opAcceptMulti
	opRecv
	opRecvMulti
	opSend
	opSendmsg
	opConnect
)

// pendingOp is one queued read-side or write-side operation.
type pendingOp struct {
	kind       opKind // opNone when the slot is free
	connecting bool   // opConnect: connect(2) returned EINPROGRESS
	group      uint16 // opRecvMulti: provided buffer group
	salen      uint32 // opConnect: length of the address
	ud         uint64 // user_data of the operation
	// p and n are the caller's memory, by kind: the buffer's first byte
	// and its length (opRecv, opSend), the *unix.Msghdr (opSendmsg), the
	// *unix.RawSockaddrAny (opConnect). One pointer for them all keeps an
	// fdState, one per descriptor number, at 72 bytes; read them through
	// buf, msg and sa.
	p unsafe.Pointer
	n int
}

func bufOp(kind opKind, ud uint64, buf []byte) pendingOp {
	return pendingOp{kind: kind, ud: ud, p: unsafe.Pointer(unsafe.SliceData(buf)), n: len(buf)}
}

func (op *pendingOp) buf() []byte              { return unsafe.Slice((*byte)(op.p), op.n) }
func (op *pendingOp) msg() *unix.Msghdr        { return (*unix.Msghdr)(op.p) }
func (op *pendingOp) sa() *unix.RawSockaddrAny { return (*unix.RawSockaddrAny)(op.p) }

// fdState is the backend's knowledge of one descriptor; loop thread only.
type fdState struct {
	registered bool      // added to the epoll set
	readable   bool      // may be readable: no EAGAIN on the read side since the last edge
	writable   bool      // may be writable: no EAGAIN on the write side since the last edge
	hangup     bool      // epoll reported RDHUP/HUP/ERR: end of stream or an error is queued
	queued     bool      // fd is in epollRing.retry
	rd         pendingOp // the read-side operation (Accept, Recv, RecvMultishot)
	wr         pendingOp // the write-side operation (Send, Sendmsg, Connect)
}

const (
	epollEvents  = 256                        // events fetched per epoll_wait
	shotBudget   = 32                         // multishot completions per fd per round before yielding to others
	fdChunk      = 256                        // descriptors per chunk of the fd table
	maxWait      = 100 * 365 * 24 * time.Hour // longer timeouts are clamped (no int64 overflow)
	epollRegMask = unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET
)

// wakeValue is what Wake writes to the eventfd; read-only, shared.
var wakeValue = [8]byte{1}

// epollRing is the epoll backend of Ring.
type epollRing struct {
	epfd    int               // epoll instance; immutable, closed by Close
	evfd    int               // eventfd written by Wake; immutable, closed by Close
	woken   atomic.Bool       // a Wake wrote evfd and Wait has not drained it yet
	closed  atomic.Bool       // Close was called
	wakeMu  sync.RWMutex      // held shared by Wake's write, exclusively by Close: no write to a closed evfd
	fds     fdTable           // state by descriptor number
	retry   []int32           // fds with pending operations that may progress
	spare   []int32           // second retry buffer, swapped with retry while it is processed
	ready   []Completion      // completions not yet handed out by Wait
	events  []unix.EpollEvent // epoll_wait output buffer
	timers  timerHeap         // pending Timeout operations
	groups  []*bufGroup       // provided buffer groups by id; nil when absent
	base    time.Time         // origin of the monotonic clock of the timers
	scratch [1]byte           // target of MSG_PEEK probes
}

// newEpoll opens the epoll backend.
func newEpoll(opts Options) (Ring, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(evfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(evfd)
		unix.Close(epfd)
		return nil, err
	}
	entries := int(opts.Entries)
	if entries <= 0 {
		entries = 1024
	}
	return &epollRing{
		epfd:   epfd,
		evfd:   evfd,
		retry:  make([]int32, 0, 64),
		spare:  make([]int32, 0, 64),
		ready:  make([]Completion, 0, entries),
		events: make([]unix.EpollEvent, epollEvents),
		timers: make(timerHeap, 0, 64),
		base:   time.Now(),
	}, nil
}

// Backend names the implementation.
func (r *epollRing) Backend() Backend { return BackendEpoll }

// Features reports what the backend emulates.
func (r *epollRing) Features() Features {
	return Features{MultishotAccept: true, MultishotRecv: true}
}

// complete queues a completion for the next Wait.
func (r *epollRing) complete(ud uint64, res int32, flags uint32, bid uint16) {
	r.ready = append(r.ready, Completion{UserData: ud, Res: res, Flags: flags, BufID: bid})
}

// state returns the state of fd, growing the table when needed.
func (r *epollRing) state(fd int) *fdState { return r.fds.make(fd) }

// fdTable holds an fdState per descriptor number, in chunks of fdChunk
// made when a number in their range is first used. Chunks never move, so
// growing copies nothing and a pointer into the table stays valid; 10,000
// connections cost 72 bytes each here.
type fdTable struct {
	chunks []*[fdChunk]fdState // chunk i holds fds i*fdChunk...; nil until used
}

// get returns the state of fd, nil when fd's chunk was never made.
func (t *fdTable) get(fd int) *fdState {
	if fd < 0 || fd/fdChunk >= len(t.chunks) {
		return nil
	}
	c := t.chunks[fd/fdChunk]
	if c == nil {
		return nil
	}
	return &c[fd%fdChunk]
}

// make returns the state of fd (>= 0), making its chunk when needed.
func (t *fdTable) make(fd int) *fdState {
	i := fd / fdChunk
	for len(t.chunks) <= i {
		t.chunks = append(t.chunks, nil)
	}
	if t.chunks[i] == nil {
		t.chunks[i] = new([fdChunk]fdState)
	}
	return &t.chunks[i][fd%fdChunk]
}

// each calls fn for every fd state made, until fn returns true.
func (t *fdTable) each(fn func(st *fdState) bool) {
	for _, c := range t.chunks {
		if c == nil {
			continue
		}
		for i := range c {
			if fn(&c[i]) {
				return
			}
		}
	}
}

// register adds fd to the epoll set once; readiness starts unknown (true).
func (r *epollRing) register(fd int, st *fdState) unix.Errno {
	if st.registered {
		return 0
	}
	ev := unix.EpollEvent{Events: epollRegMask, Fd: int32(fd)}
	_, _, e := unix.Syscall6(unix.SYS_EPOLL_CTL, uintptr(r.epfd), unix.EPOLL_CTL_ADD,
		uintptr(fd), uintptr(unsafe.Pointer(&ev)), 0, 0)
	if e != 0 && e != unix.EEXIST {
		return e
	}
	st.registered, st.readable, st.writable = true, true, true
	return 0
}

// forget cancels fd's pending operations (-ECANCELED) and resets its state,
// keeping only its place in the retry list.
func (r *epollRing) forget(st *fdState) {
	if st.rd.kind != opNone {
		r.complete(st.rd.ud, -int32(unix.ECANCELED), 0, 0)
	}
	if st.wr.kind != opNone {
		r.complete(st.wr.ud, -int32(unix.ECANCELED), 0, 0)
	}
	*st = fdState{queued: st.queued}
}

// queueRead records a read-side operation and tries it when fd may be ready.
func (r *epollRing) queueRead(fd int, op pendingOp) {
	if fd < 0 {
		r.complete(op.ud, -int32(unix.EBADF), 0, 0)
		return
	}
	st := r.state(fd)
	if st.rd.kind != opNone {
		r.complete(op.ud, -int32(unix.EBUSY), 0, 0)
		return
	}
	if !st.registered && (op.kind == opAccept || op.kind == opAcceptMulti) {
		// A blocking listener would stall the loop on the EAGAIN probe.
		if err := unix.SetNonblock(fd, true); err != nil {
			r.complete(op.ud, errRes(err), 0, 0)
			return
		}
	}
	if e := r.register(fd, st); e != 0 {
		r.complete(op.ud, -int32(e), 0, 0)
		return
	}
	st.rd = op
	if st.readable {
		r.doRead(fd, st)
	}
}

// queueWrite records a write-side operation and tries it when fd may be ready.
func (r *epollRing) queueWrite(fd int, op pendingOp) {
	if fd < 0 {
		r.complete(op.ud, -int32(unix.EBADF), 0, 0)
		return
	}
	st := r.state(fd)
	if st.wr.kind != opNone {
		r.complete(op.ud, -int32(unix.EBUSY), 0, 0)
		return
	}
	if e := r.register(fd, st); e != 0 {
		r.complete(op.ud, -int32(e), 0, 0)
		return
	}
	st.wr = op
	if st.writable || op.kind == opConnect {
		r.doWrite(fd, st)
	}
}

// Accept accepts connections on listening socket fd.
func (r *epollRing) Accept(ud uint64, fd int, multishot bool) {
	kind := opAccept
	if multishot {
		kind = opAcceptMulti
	}
	r.queueRead(fd, pendingOp{kind: kind, ud: ud})
}

// Recv reads into buf.
func (r *epollRing) Recv(ud uint64, fd int, buf []byte) {
	r.queueRead(fd, bufOp(opRecv, ud, buf))
}

// RecvMultishot reads repeatedly into the backend's buffers of group.
func (r *epollRing) RecvMultishot(ud uint64, fd int, group uint16) {
	r.queueRead(fd, pendingOp{kind: opRecvMulti, ud: ud, group: group})
}

// Send writes buf with MSG_NOSIGNAL.
func (r *epollRing) Send(ud uint64, fd int, buf []byte) {
	r.queueWrite(fd, bufOp(opSend, ud, buf))
}

// Sendmsg writes the iovecs of msg with MSG_NOSIGNAL.
func (r *epollRing) Sendmsg(ud uint64, fd int, msg *unix.Msghdr) {
	r.queueWrite(fd, pendingOp{kind: opSendmsg, ud: ud, p: unsafe.Pointer(msg)})
}

// Connect starts a connection of fd to sa. A socket's first operation is
// its Connect, so stale state from an fd number closed behind the ring's
// back is dropped and the descriptor registered again.
func (r *epollRing) Connect(ud uint64, fd int, sa *unix.RawSockaddrAny, salen uint32) {
	if fd >= 0 {
		if st := r.state(fd); st.rd.kind == opNone && st.wr.kind == opNone {
			*st = fdState{queued: st.queued}
			if err := unix.SetNonblock(fd, true); err != nil {
				r.complete(ud, errRes(err), 0, 0)
				return
			}
		}
	}
	r.queueWrite(fd, pendingOp{kind: opConnect, ud: ud, p: unsafe.Pointer(sa), salen: salen})
}

// Shutdown shuts down part of fd's connection at once; the result is queued.
func (r *epollRing) Shutdown(ud uint64, fd int, how int) {
	_, _, e := unix.Syscall(unix.SYS_SHUTDOWN, uintptr(fd), uintptr(how), 0)
	r.complete(ud, -int32(e), 0, 0)
}

// CloseFD cancels fd's pending operations, forgets its state and closes it.
func (r *epollRing) CloseFD(ud uint64, fd int) {
	if st := r.fds.get(fd); st != nil {
		r.forget(st)
	}
	_, _, e := unix.Syscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
	if e == unix.EINTR {
		e = 0 // the descriptor is gone on Linux even then
	}
	r.complete(ud, -int32(e), 0, 0)
}

// Fresh drops what the ring knew of an earlier descriptor numbered fd, so
// the new one is registered with epoll on its first operation. Its pending
// operations, if any, belonged to a descriptor closed behind the ring's
// back: they complete with -ECANCELED.
func (r *epollRing) Fresh(fd int) {
	if fd >= 0 {
		r.fresh(fd)
	}
}

// Timeout completes with -ETIME once ts has elapsed.
func (r *epollRing) Timeout(ud uint64, ts *unix.Timespec) {
	if ts == nil || ts.Sec < 0 || ts.Nsec < 0 || ts.Nsec >= 1e9 {
		r.complete(ud, -int32(unix.EINVAL), 0, 0)
		return
	}
	d := min(ts.Sec, int64(maxWait/time.Second))*1e9 + ts.Nsec
	r.timers.push(timer{at: r.now() + d, ud: ud})
}

// Cancel cancels operation target on fd (fd -1 for a Timeout). Like
// io_uring, which matches user_data alone, it also finds a Timeout given an
// fd and, at the cost of a scan of the fd table, an fd operation given -1.
func (r *epollRing) Cancel(ud uint64, fd int, target uint64) {
	st := r.fds.get(fd)
	found := st != nil && r.cancelOn(st, target)
	if !found && r.timers.remove(target) {
		found = true
	}
	if !found && fd < 0 {
		r.fds.each(func(st *fdState) bool {
			found = r.cancelOn(st, target)
			return found
		})
	}
	if !found {
		r.complete(ud, -int32(unix.ENOENT), 0, 0)
		return
	}
	r.complete(target, -int32(unix.ECANCELED), 0, 0)
	r.complete(ud, 0, 0, 0)
}

// cancelOn drops the operation of st whose user_data is target, if any.
func (r *epollRing) cancelOn(st *fdState, target uint64) bool {
	switch {
	case st.rd.kind != opNone && st.rd.ud == target:
		st.rd = pendingOp{}
	case st.wr.kind != opNone && st.wr.ud == target:
		st.wr = pendingOp{}
	default:
		return false
	}
	return true
}

// now is the monotonic time of the timers in ns.
func (r *epollRing) now() int64 { return int64(time.Since(r.base)) }

// Wait hands out ready completions, polling epoll for more; see Ring.Wait.
func (r *epollRing) Wait(out []Completion, timeout time.Duration) ([]Completion, error) {
	if r.closed.Load() {
		return out, ErrClosed
	}
	if timeout > maxWait {
		timeout = -1 // a century is forever
	}
	var deadline int64
	if timeout > 0 {
		deadline = r.now() + int64(timeout)
	}
	for {
		r.progress()
		r.expire()
		woken, err := r.poll(r.pollMillis(timeout, deadline))
		if err != nil {
			return out, err
		}
		r.progress()
		r.expire()
		if len(r.ready) > 0 || woken || timeout == 0 || (timeout > 0 && r.now() >= deadline) {
			break
		}
	}
	out = append(out, r.ready...)
	r.ready = r.ready[:0]
	return out, nil
}

// pollMillis is epoll_wait's timeout: 0 with work at hand, else the time
// left of Wait's timeout (-1: none), bounded by the nearest Timeout.
func (r *epollRing) pollMillis(timeout time.Duration, deadline int64) int {
	if len(r.ready) > 0 || len(r.retry) > 0 || timeout == 0 {
		return 0
	}
	until := int64(-1)
	if timeout > 0 {
		until = deadline
	}
	if len(r.timers) > 0 && (until < 0 || r.timers[0].at < until) {
		until = r.timers[0].at
	}
	if until < 0 {
		return -1
	}
	left := until - r.now()
	if left <= 0 {
		return 0
	}
	ms := (left + int64(time.Millisecond) - 1) / int64(time.Millisecond)
	return int(min(ms, math.MaxInt32)) // Wait loops until the deadline
}

// poll runs one epoll_wait and records the readiness it reports. woken says
// the eventfd fired.
func (r *epollRing) poll(msec int) (woken bool, err error) {
	var n uintptr
	var e unix.Errno
	if msec == 0 { // cannot block: skip the scheduler hand-off
		n, _, e = unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(r.epfd),
			uintptr(unsafe.Pointer(&r.events[0])), uintptr(len(r.events)), 0, 0, 0)
	} else {
		n, _, e = unix.Syscall6(unix.SYS_EPOLL_PWAIT, uintptr(r.epfd),
			uintptr(unsafe.Pointer(&r.events[0])), uintptr(len(r.events)), uintptr(msec), 0, 0)
	}
	if e == unix.EINTR {
		return false, nil // a signal: Wait polls again for the time left
	}
	if e != 0 {
		return false, e
	}
	for i := range r.events[:n] {
		ev := &r.events[i]
		fd := int(ev.Fd)
		if fd == r.evfd {
			// Drain first, then clear the flag. Cleared first, a Wake in
			// between would write a count the drain then swallows, and the
			// flag would stay set with nothing left to wake anyone: every
			// later Wake would be skipped. A Wake that finds the flag still
			// set here needs no write: this Wait is returning anyway.
			var b [8]byte
			unix.Syscall(unix.SYS_READ, uintptr(r.evfd), uintptr(unsafe.Pointer(&b[0])), 8)
			r.woken.Store(false)
			woken = true
			continue
		}
		st := r.fds.get(fd)
		if st == nil {
			continue
		}
		if ev.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			st.readable = true
		}
		if ev.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			st.hangup = true
		}
		if ev.Events&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			st.writable = true
		}
		r.enqueue(fd, st)
	}
	return woken, nil
}

// enqueue puts fd on the retry list when it has a pending operation.
func (r *epollRing) enqueue(fd int, st *fdState) {
	if !st.queued && (st.rd.kind != opNone || st.wr.kind != opNone) {
		st.queued = true
		r.retry = append(r.retry, int32(fd))
	}
}

// progress retries, once each, the pending operations of the fds on the
// retry list. Multishot operations that used up their budget put their fd
// back on the list for the next round.
func (r *epollRing) progress() {
	if len(r.retry) == 0 {
		return
	}
	list := r.retry
	r.retry = r.spare[:0]
	for _, fd32 := range list {
		fd := int(fd32)
		st := r.fds.get(fd) // queued, so made
		st.queued = false
		if st.rd.kind != opNone && st.readable {
			r.doRead(fd, st)
		}
		if st.wr.kind != opNone && st.writable {
			r.doWrite(fd, st)
		}
	}
	r.spare = list[:0]
}

// expire completes the timeouts whose deadline has passed.
func (r *epollRing) expire() {
	if len(r.timers) == 0 {
		return
	}
	now := r.now()
	for len(r.timers) > 0 && r.timers[0].at <= now {
		t := r.timers.pop()
		r.complete(t.ud, -int32(unix.ETIME), 0, 0)
	}
}

// Wake makes a blocked or the next Wait return; safe from any goroutine.
func (r *epollRing) Wake() error {
	if r.closed.Load() {
		return ErrClosed
	}
	if !r.woken.CompareAndSwap(false, true) {
		return nil // a wake is already on its way
	}
	r.wakeMu.RLock()
	defer r.wakeMu.RUnlock()
	if r.closed.Load() {
		return ErrClosed // evfd may already be closed, its number reused
	}
	_, _, e := unix.Syscall(unix.SYS_WRITE, uintptr(r.evfd),
		uintptr(unsafe.Pointer(&wakeValue[0])), uintptr(len(wakeValue)))
	if e != 0 && e != unix.EAGAIN { // EAGAIN: the counter is full, a wake is pending
		r.woken.Store(false)
		return e
	}
	return nil
}

// Close closes the epoll instance and the eventfd; pending operations are
// abandoned.
func (r *epollRing) Close() error {
	r.wakeMu.Lock()
	defer r.wakeMu.Unlock()
	if r.closed.Swap(true) {
		return ErrClosed
	}
	err1 := unix.Close(r.epfd)
	err2 := unix.Close(r.evfd)
	if err1 != nil {
		return err1
	}
	return err2
}

// errRes converts a Go error from x/sys into a negative Res.
func errRes(err error) int32 {
	if e, ok := err.(unix.Errno); ok {
		return -int32(e)
	}
	return -int32(unix.EIO)
}
