package ring

// The io_uring backend, on github.com/pawelgaczynski/giouring.
//
// Kernel requirements:
//
//   - required: io_uring_setup/enter/register (5.1) with the opcodes ACCEPT,
//     RECV, SEND, SENDMSG, CONNECT, TIMEOUT, ASYNC_CANCEL and READ (5.6).
//     A kernel without them is refused with errUringTooOld, and New falls
//     back to epoll.
//   - optional, used when present:
//   - IORING_SETUP_CQSIZE (5.5): the CQ is four times the SQ; without it,
//     twice (the kernel default).
//   - IORING_SETUP_CLAMP (5.6), SUBMIT_ALL (5.18), COOP_TASKRUN and
//     TASKRUN_FLAG (5.19): setup retries without them on EINVAL.
//   - IORING_FEAT_EXT_ARG (5.11): Wait's timeout rides on io_uring_enter;
//     without it an internal TIMEOUT SQE (udTimeout, filtered) is queued.
//   - IORING_FEAT_NODROP (5.5): overflowed completions are kept by the
//     kernel; Wait flushes them either way (see reap).
//   - multishot accept (5.19): without it Accept(multishot) is emulated by
//     re-arming a single accept after each connection.
//   - provided-buffer rings (5.19) and multishot recv (6.0): without them
//     SetupBuffers returns ErrUnsupported and Features().MultishotRecv is false.
//   - CLOSE (5.6) and SHUTDOWN (5.11): without them the syscall runs
//     synchronously and its result is queued as a completion.
//
// IORING_SETUP_SINGLE_ISSUER and DEFER_TASKRUN are not used by default: they
// bind the ring to one OS thread and make an enter from any other thread fail
// with EEXIST, which a caller that does not lock its goroutine to a thread
// (tests, embedders) cannot guarantee. openUring takes them as extra flags for
// measurement (see BenchmarkUringRoundTrip).

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/pawelgaczynski/giouring"
	"golang.org/x/sys/unix"
)

// Reserved user_data values: completions carrying them are internal and never
// reach the caller. Callers' user_data must stay below udReservedMin.
const (
	udReservedMin        = ReservedUserData
	udWake        uint64 = math.MaxUint64 - 1 // the eventfd read that Wake completes
	udTimeout     uint64 = math.MaxUint64 - 2 // Wait's timeout SQE without EXT_ARG
	udInternal    uint64 = math.MaxUint64 - 3 // Close's cancel-all and other fire-and-forget SQEs
)

// uringWakeOne is the eventfd increment Wake writes (1, native endian).
var uringWakeOne = func() (b [8]byte) {
	*(*uint64)(unsafe.Pointer(&b)) = 1
	return b
}()

// defaultEntries is the SQ size when Options.Entries is 0.
const defaultEntries = 1024

// errUringTooOld is returned by newUring when the kernel's io_uring lacks an
// opcode the backend requires.
var errUringTooOld = errors.New("ring: io_uring lacks required operations (kernel older than 5.6)")

// uringParams mirrors struct io_uring_params of the kernel ABI, which
// giouring.Params has too but with unexported fields.
type uringParams struct {
	sqEntries    uint32
	cqEntries    uint32
	flags        uint32
	sqThreadCPU  uint32
	sqThreadIdle uint32
	features     uint32
	wqFd         uint32
	resv         [3]uint32
	sqOff        [10]uint32 // struct io_sqring_offsets, unused here
	cqOff        [10]uint32 // struct io_cqring_offsets, unused here
}

// Both directions: the mirror is exactly the size of giouring.Params.
var (
	_ [unsafe.Sizeof(giouring.Params{}) - unsafe.Sizeof(uringParams{})]byte
	_ [unsafe.Sizeof(uringParams{}) - unsafe.Sizeof(giouring.Params{})]byte
)

// opcodes the backend needs from the kernel.
var requiredOps = [...]uint8{
	giouring.OpAccept, giouring.OpRecv, giouring.OpSend, giouring.OpSendmsg,
	giouring.OpConnect, giouring.OpTimeout, giouring.OpAsyncCancel, giouring.OpRead,
}

// uring is the io_uring Ring. Every field is owned by the goroutine that
// drives the ring (the loop thread) except those marked otherwise.
type uring struct {
	ring   *giouring.Ring // the kernel rings; nil after Close
	feat   Features       // what this kernel and ring can do natively
	flags  uint32         // IORING_SETUP_* flags the kernel accepted
	closed bool           // set by Close; verbs become no-ops, Wait fails

	hasClose    bool // OpClose is supported (else CloseFD runs close(2) inline)
	hasShutdown bool // OpShutdown is supported (else Shutdown runs shutdown(2) inline)

	// sqSize and cqSize are the queue sizes the kernel granted.
	sqSize, cqSize uint32
	// backlog holds completions not in the CQ: failures found while queueing
	// and CQEs reaped early by a verb that had to make room (EBUSY). Wait
	// returns them first. Capacity is reused.
	backlog []Completion
	// ts is Wait's timeout, handed to the kernel by pointer; it lives here
	// so that Wait does not allocate.
	ts syscall.Timespec

	// efd is the eventfd Wake writes; a read of it is always armed under
	// udWake. Never reassigned; Close closes it under wakeMu.
	efd int
	// wakeBuf receives the eventfd counter; written by the kernel.
	wakeBuf [8]byte
	// wakePending coalesces Wakes: set by the first Wake, cleared when the
	// ring reaps the eventfd read. Any goroutine.
	wakePending atomic.Bool
	// wakeMu orders Wake's write against Close's close of efd.
	wakeMu sync.Mutex
	// wakeClosed is set by Close under wakeMu; Wake then fails.
	wakeClosed bool
	// rearmWake is set while reaping the eventfd read; the read is queued
	// again once the batch is done.
	rearmWake bool
	// woken is set while reaping the eventfd read (in Wait, or in a verb
	// that made room in a full SQ) and cleared when Wait returns: the
	// current or next Wait returns even with no completion.
	woken bool

	// groups are the registered provided-buffer rings, indexed by group id
	// (nil where none is registered).
	groups []*uringBufGroup
	// emuAccept maps the user_data of an emulated multishot accept (kernel
	// without IORING_ACCEPT_MULTISHOT) to its listening fd.
	emuAccept map[uint64]int32
	// rearmAccept lists emulated accepts to queue again after a batch.
	rearmAccept []uint64

	// internalSeen counts reaped udInternal completions (Close's cancel).
	internalSeen uint64
	// overflows counts the times Wait found the CQ overflowed and flushed it.
	overflows uint64
}

// newUring opens the io_uring backend.
func newUring(opts Options) (Ring, error) {
	r, err := openUring(opts, 0)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// setupRing creates the kernel ring with the largest flag set the kernel
// accepts, starting from extra plus the optional flags.
func setupRing(entries uint32, extra uint32) (*giouring.Ring, *uringParams, error) {
	const opt = giouring.SetupClamp | giouring.SetupSubmitAll | giouring.SetupCoopTaskrun | giouring.SetupTaskrunFlag
	ladder := [...]uint32{
		giouring.SetupCQSize | opt | extra,
		giouring.SetupCQSize | opt,
		giouring.SetupCQSize,
		0,
	}
	var err error
	for i, flags := range ladder {
		if i > 0 && flags == ladder[i-1] {
			continue
		}
		gp := new(giouring.Params)
		p := (*uringParams)(unsafe.Pointer(gp))
		p.flags = flags
		if flags&giouring.SetupCQSize != 0 {
			p.cqEntries = 4 * entries
		}
		ring := giouring.NewRing()
		err = ring.QueueInitParams(entries, gp)
		if err == nil {
			return ring, p, nil
		}
		if !errors.Is(err, unix.EINVAL) {
			break
		}
	}
	return nil, nil, fmt.Errorf("io_uring_setup: %w", err)
}

// openUring opens the backend; extra adds setup flags (tests and benchmarks).
func openUring(opts Options, extra uint32) (*uring, error) {
	entries := opts.Entries
	if entries == 0 {
		entries = defaultEntries
	}
	ring, p, err := setupRing(entries, extra)
	if err != nil {
		return nil, err
	}
	probe, err := ring.GetProbeRing()
	if err != nil {
		ring.QueueExit()
		return nil, fmt.Errorf("io_uring probe: %w", err)
	}
	for _, op := range requiredOps {
		if !probe.IsSupported(op) {
			ring.QueueExit()
			return nil, fmt.Errorf("%w: opcode %s missing", errUringTooOld, opName(op))
		}
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC) // blocking: io_uring polls it
	if err != nil {
		ring.QueueExit()
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	r := &uring{
		ring:        ring,
		feat:        detectFeatures(p, probe),
		flags:       p.flags,
		hasClose:    probe.IsSupported(giouring.OpClose),
		hasShutdown: probe.IsSupported(giouring.OpShutdown),
		sqSize:      p.sqEntries,
		cqSize:      p.cqEntries,
		backlog:     make([]Completion, 0, 64),
		efd:         efd,
		emuAccept:   make(map[uint64]int32),
	}
	r.armWake()
	return r, nil
}

// detectFeatures turns setup parameters, the opcode probe and the kernel
// version into Features.
func detectFeatures(p *uringParams, probe *giouring.Probe) Features {
	v519, _ := giouring.CheckKernelVersion(5, 19, 0)
	v60, _ := giouring.CheckKernelVersion(6, 0, 0)
	return Features{
		MultishotAccept: v519 && probe.IsSupported(giouring.OpAccept),
		MultishotRecv:   v60 && probe.IsSupported(giouring.OpRecv),
		SendZC:          probe.IsSupported(giouring.OpSendZC),
		ExtArgWait:      p.features&giouring.FeatExtArg != 0,
		NoDrop:          p.features&giouring.FeatNoDrop != 0,
	}
}

// Backend names the implementation.
func (r *uring) Backend() Backend { return BackendUring }

// Features reports native capabilities.
func (r *uring) Features() Features { return r.feat }

// armWake queues the eventfd read that Wake completes.
func (r *uring) armWake() {
	sqe := r.sqe(udWake)
	if sqe == nil {
		r.rearmWake = true // retried after the next reap
		return
	}
	sqe.OpCode = giouring.OpRead
	sqe.Fd = int32(r.efd)
	sqe.Addr = uint64(uintptr(unsafe.Pointer(&r.wakeBuf[0])))
	sqe.Len = uint32(len(r.wakeBuf))
}

// Wake makes a blocked or the next Wait return. Safe from any goroutine;
// Wakes before the ring reaps the previous one cost no syscall.
func (r *uring) Wake() error {
	if !r.wakePending.CompareAndSwap(false, true) {
		return nil
	}
	r.wakeMu.Lock()
	defer r.wakeMu.Unlock()
	if r.wakeClosed {
		return ErrClosed
	}
	for {
		_, err := unix.Write(r.efd, uringWakeOne[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			r.wakePending.Store(false)
			return fmt.Errorf("ring: wake: %w", err)
		}
		return nil
	}
}

// Close cancels what is in flight, unregisters the buffer rings, closes the
// eventfd and tears the ring down. Later calls return nil.
func (r *uring) Close() error {
	if r.closed {
		return nil
	}
	r.cancelAll()
	r.closed = true
	for id, g := range r.groups {
		if g != nil {
			g.free(r.ring, uint16(id))
		}
	}
	r.groups = nil
	r.wakeMu.Lock()
	r.wakeClosed = true
	err := unix.Close(r.efd)
	r.wakeMu.Unlock()
	r.ring.QueueExit()
	r.ring = nil
	return err
}

// cancelAll asks the kernel to cancel every in-flight operation and waits
// briefly for it, so that no operation writes into buffers that Close is
// about to unmap. IORING_ASYNC_CANCEL_ANY needs 5.19; before that in-flight
// operations are left to the kernel's ring teardown.
func (r *uring) cancelAll() {
	if !r.feat.MultishotAccept { // same kernel release as CANCEL_ANY
		return
	}
	sqe := r.sqe(udInternal)
	if sqe == nil {
		return
	}
	sqe.OpCode = giouring.OpAsyncCancel
	sqe.Fd = -1
	sqe.OpcodeFlags = giouring.AsyncCancelAny
	seen := r.internalSeen
	for range 4 {
		err := r.enter(true, 10*time.Millisecond)
		r.reapInto(&r.backlog)
		r.backlog = r.backlog[:0]
		if err != nil || r.internalSeen != seen {
			return
		}
	}
}
