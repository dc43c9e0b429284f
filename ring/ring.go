// Package ring is luring's one completion interface over the kernel.
//
// It sits at the bottom of the import graph (it imports only x/sys and
// giouring) and knows nothing of HTTP, Lua or connections: a caller queues
// operations, each tagged with a 64-bit user_data, and later collects their
// completions from Wait. Two backends implement the same semantics:
//
//   - "io_uring" (uring_linux.go) on github.com/pawelgaczynski/giouring;
//   - "epoll" (epoll_linux.go), which turns readiness into the same completions
//     with non-blocking syscalls.
//
// New picks io_uring unless it is unavailable (ENOSYS, EPERM,
// kernel.io_uring_disabled) or LURING_BACKEND=epoll (or Options.Backend)
// forces epoll. Both backends pass one conformance suite (ring_test.go).
//
// Threading: a Ring belongs to one goroutine (in luring, a loop's locked OS
// thread). Only Wake may be called from other goroutines.
//
// Memory: every slice, Msghdr, sockaddr and Timespec handed to a verb is owned
// by the caller and must stay valid and unmodified until the operation's final
// completion (the one without FlagMore) has been returned by Wait.
package ring

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// Backend names a ring implementation.
type Backend string

const (
	// BackendAuto chooses io_uring when the kernel allows it, epoll otherwise.
	BackendAuto Backend = ""
	// BackendUring is the io_uring backend.
	BackendUring Backend = "io_uring"
	// BackendEpoll is the epoll readiness backend.
	BackendEpoll Backend = "epoll"
)

// EnvBackend is the environment variable that forces a backend
// ("epoll" or "io_uring"); it overrides BackendAuto only.
const EnvBackend = "LURING_BACKEND"

// ReservedUserData is the lowest user_data value the backends keep for
// themselves (wake-ups, internal timeouts).
const ReservedUserData = ^uint64(0) - 15

// Completion flags.
const (
	// FlagMore says the operation stays armed: more completions with the
	// same UserData will follow (multishot accept and recv). A completion
	// without it is the operation's last.
	FlagMore uint32 = 1 << 0
	// FlagBuffer says the data of a RecvMultishot completion is in provided
	// buffer BufID of the operation's group; Res is its length. The caller
	// must give it back with ReleaseBuffer once it has consumed it.
	FlagBuffer uint32 = 1 << 1
)

// Completion is the result of one operation (or one shot of a multishot one).
type Completion struct {
	UserData uint64 // as given to the verb
	Res      int32  // >= 0: the operation's result; < 0: a negated errno
	Flags    uint32 // FlagMore, FlagBuffer
	BufID    uint16 // provided buffer id when Flags&FlagBuffer != 0
}

// Err returns the errno of a failed completion, or nil when Res >= 0.
func (c Completion) Err() error {
	if c.Res >= 0 {
		return nil
	}
	return unix.Errno(-c.Res)
}

// Features reports what a ring can do natively.
type Features struct {
	MultishotAccept bool // accept stays armed (io_uring >= 5.19; always emulated by epoll)
	MultishotRecv   bool // RecvMultishot with a provided-buffer ring is available
	SendZC          bool // zero-copy send is available (informational)
	ExtArgWait      bool // Wait's timeout needs no timeout SQE (IORING_FEAT_EXT_ARG)
	NoDrop          bool // completions are never dropped on CQ overflow (IORING_FEAT_NODROP)
}

// Ring is one completion queue and the verbs that feed it.
//
// Verbs only queue: nothing is submitted to the kernel before the next Wait
// (a backend may submit earlier when its queue is full). A verb never runs a
// completion inline; failures, including ones found while queueing, arrive as
// completions with a negative Res.
//
// Per file descriptor a caller keeps at most one read-side operation (Accept,
// Recv, RecvMultishot) and one write-side operation (Send, Sendmsg, Connect)
// in flight, and issues CloseFD only when none is in flight (Cancel first).
// A descriptor that has been used with a Ring is closed with CloseFD, not
// behind the ring's back (the epoll backend remembers descriptors). Where
// one is closed otherwise (a listener socket, a socket whose connect
// failed), the next descriptor with its number starts with Accept, Connect
// or Fresh, which drop what the ring remembered.
//
// User data values from ReservedUserData up are the backends' own and never
// given to verbs.
type Ring interface {
	// Backend names the implementation.
	Backend() Backend
	// Features reports native capabilities.
	Features() Features

	// Accept accepts connections on listening socket fd. Res is the new
	// descriptor, already non-blocking and close-on-exec. With multishot the
	// operation stays armed (FlagMore) until it fails or is cancelled.
	Accept(ud uint64, fd int, multishot bool)
	// Recv reads into buf. Res is the byte count, 0 at end of stream. On a
	// datagram socket it reads one datagram, truncated to len(buf) as
	// recv(2) does (the rest is dropped); Res 0 is then an empty datagram,
	// not an end of stream. A pending socket error (a connected UDP
	// socket's ICMP port unreachable) ends it with -ECONNREFUSED & co.
	Recv(ud uint64, fd int, buf []byte)
	// RecvMultishot reads repeatedly into buffers of group (see
	// SetupBuffers) until end of stream, an error, or Cancel. Each data
	// completion has FlagBuffer and FlagMore; Res 0 (end of stream) or an
	// error ends it. A final completion may still carry FlagBuffer: release
	// its buffer too. Only when Features().MultishotRecv.
	RecvMultishot(ud uint64, fd int, group uint16)
	// Send writes buf with MSG_NOSIGNAL. Res is the byte count (may be
	// short on a stream; a datagram, empty ones included, goes whole).
	Send(ud uint64, fd int, buf []byte)
	// Sendmsg writes the iovecs of msg with MSG_NOSIGNAL (a writev that
	// never raises SIGPIPE). Res is the byte count (may be short).
	Sendmsg(ud uint64, fd int, msg *unix.Msghdr)
	// Connect starts a connection of non-blocking socket fd to the raw
	// address sa of length salen. Res is 0 once connected.
	Connect(ud uint64, fd int, sa *unix.RawSockaddrAny, salen uint32)
	// Shutdown shuts down part of a full-duplex connection (unix.SHUT_*).
	Shutdown(ud uint64, fd int, how int)
	// CloseFD closes fd. Res is 0 or a negated errno.
	CloseFD(ud uint64, fd int)
	// Fresh tells the ring that fd is a descriptor the caller has just made
	// itself (a datagram socket connected with connect(2) directly, say):
	// whatever the ring remembers of an earlier descriptor with the same
	// number is dropped. Call it before fd's first operation unless that is
	// a Connect; descriptors from Accept need nothing either. Not an
	// operation: nothing completes.
	Fresh(fd int)
	// Timeout completes after ts has elapsed with Res -ETIME, or with
	// -ECANCELED when cancelled first.
	Timeout(ud uint64, ts *unix.Timespec)
	// Cancel cancels the in-flight operation target that was queued on fd.
	// fd is a hint: io_uring matches on user_data alone, and epoll searches
	// every descriptor when fd is -1 (use -1 for a Timeout). The target
	// completes with -ECANCELED unless it completed first (a multishot
	// accept may then end with a final successful completion); the cancel
	// completes with 0, -ENOENT (no such operation) or -EALREADY.
	Cancel(ud uint64, fd int, target uint64)

	// SetupBuffers registers a group of count provided buffers of size
	// bytes each for RecvMultishot. count must be a power of two. The
	// io_uring backend gives the kernel a few of them first (32) and more,
	// doubling, each time a receive finds none (it ends with -ENOBUFS and
	// the caller re-arms it), so that a lightly loaded ring touches little
	// of their memory; epoll reuses the buffer released last.
	SetupBuffers(group uint16, count int, size int) error
	// Buffer returns provided buffer bid of group. The slice is valid until
	// ReleaseBuffer(group, bid).
	Buffer(group uint16, bid uint16) []byte
	// ReleaseBuffer gives provided buffer bid back to the kernel.
	ReleaseBuffer(group uint16, bid uint16)

	// Wait submits what is queued, waits until at least one completion is
	// ready, Wake is called or timeout passes (timeout < 0 waits without
	// limit, 0 does not block), and appends every ready completion to out.
	// Completions are only collected here, never delivered by callback.
	//
	// A Wait that appends nothing returns only because timeout has passed,
	// measured on the monotonic clock from the call, or because Wake was
	// called (before or during the Wait). Signals do not cut it short: when
	// one interrupts the kernel wait (EINTR; the Go runtime sends SIGURG to
	// preempt goroutines, profilers SIGPROF), Wait waits again for the time
	// left. It may return late, never early.
	Wait(out []Completion, timeout time.Duration) ([]Completion, error)
	// Wake makes a blocked or the next Wait return. Safe from any goroutine.
	Wake() error
	// Close releases the ring. In-flight operations are abandoned.
	Close() error
}

// Options configure New.
type Options struct {
	// Backend forces a backend; BackendAuto (the zero value) consults
	// LURING_BACKEND, then prefers io_uring.
	Backend Backend
	// Entries is the submission queue size (power of two; default 1024).
	// The completion queue is four times larger.
	Entries uint32
}

// ErrUnsupported is returned when a backend lacks a requested capability.
var ErrUnsupported = errors.New("ring: operation not supported by this backend")

// ErrClosed is returned by a closed ring.
var ErrClosed = errors.New("ring: closed")

// New opens a ring of the backend that opts, LURING_BACKEND and the kernel
// allow, in that order. note is one human sentence saying which backend was
// chosen and, after a fallback, why (for example "io_uring unavailable:
// operation not permitted (seccomp or kernel.io_uring_disabled); using
// epoll"); the caller logs it once. An explicit request for io_uring that the
// kernel refuses is an error, not a fallback.
//
// Implemented in choose_linux.go.
