package ring

import (
	"syscall"
	"unsafe"

	"github.com/pawelgaczynski/giouring"
	"golang.org/x/sys/unix"
)

// The verbs. Each takes a zeroed SQE from sqe and fills the fields of its
// opcode; nothing reaches the kernel before the next Wait unless the SQ is
// full. giouring's Prepare* helpers are not used: some leave fields of the
// previous SQE in the slot (OpcodeFlags, Addr3) and PrepareTimeout and
// PrepareConnect pass the address of their pointer argument, not the pointer.

// sqeRetries bounds the submit-and-retry loop of sqe when the SQ is full.
const sqeRetries = 8

// sqe returns a zeroed SQE carrying ud, making room by submitting without
// waiting when the SQ is full. On failure it queues a completion for ud with
// the error and returns nil.
func (r *uring) sqe(ud uint64) *giouring.SubmissionQueueEntry {
	if r.closed {
		return nil
	}
	errno := unix.EBUSY
	for range sqeRetries {
		if sqe := r.ring.GetSQE(); sqe != nil {
			*sqe = giouring.SubmissionQueueEntry{UserData: ud}
			return sqe
		}
		_, err := r.ring.Submit()
		switch err {
		case nil, unix.EINTR:
		case unix.EBUSY, unix.EAGAIN:
			// CQ overflow without NODROP, or no memory for requests: make
			// room by taking completions out of the CQ.
			r.reapInto(&r.backlog)
		default:
			errno, _ = err.(syscall.Errno)
			if errno == 0 {
				errno = unix.EIO
			}
		}
	}
	r.fail(ud, errno)
	return nil
}

// fail queues a completion for ud with the negated errno.
func (r *uring) fail(ud uint64, errno syscall.Errno) {
	if ud >= udReservedMin {
		return
	}
	r.backlog = append(r.backlog, Completion{UserData: ud, Res: -int32(errno)})
}

// Accept accepts connections on listening socket fd, non-blocking and
// close-on-exec. Multishot stays armed (FlagMore); on kernels without
// IORING_ACCEPT_MULTISHOT it is emulated by re-arming after each connection.
func (r *uring) Accept(ud uint64, fd int, multishot bool) {
	sqe := r.sqe(ud)
	if sqe == nil {
		return
	}
	prepAccept(sqe, fd)
	switch {
	case multishot && r.feat.MultishotAccept:
		sqe.IoPrio = giouring.AcceptMultishot
	case multishot:
		r.emuAccept[ud] = int32(fd)
	case len(r.emuAccept) != 0:
		delete(r.emuAccept, ud)
	}
}

// prepAccept fills sqe for a single accept on fd.
func prepAccept(sqe *giouring.SubmissionQueueEntry, fd int) {
	sqe.OpCode = giouring.OpAccept
	sqe.Fd = int32(fd)
	sqe.OpcodeFlags = unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC
}

// Recv reads into buf. Res is the byte count, 0 at end of stream.
func (r *uring) Recv(ud uint64, fd int, buf []byte) {
	sqe := r.sqe(ud)
	if sqe == nil {
		return
	}
	sqe.OpCode = giouring.OpRecv
	sqe.Fd = int32(fd)
	sqe.Addr = uint64(uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
	sqe.Len = uint32(len(buf))
}

// RecvMultishot reads repeatedly into provided buffers of group. Without
// Features().MultishotRecv it completes at once with -EOPNOTSUPP.
func (r *uring) RecvMultishot(ud uint64, fd int, group uint16) {
	if !r.feat.MultishotRecv {
		r.fail(ud, unix.EOPNOTSUPP)
		return
	}
	sqe := r.sqe(ud)
	if sqe == nil {
		return
	}
	sqe.OpCode = giouring.OpRecv
	sqe.Fd = int32(fd)
	sqe.IoPrio = giouring.RecvMultishot
	sqe.Flags = giouring.SqeBufferSelect
	sqe.BufIG = group
}

// Send writes buf with MSG_NOSIGNAL. Res is the byte count (may be short).
func (r *uring) Send(ud uint64, fd int, buf []byte) {
	sqe := r.sqe(ud)
	if sqe == nil {
		return
	}
	sqe.OpCode = giouring.OpSend
	sqe.Fd = int32(fd)
	sqe.Addr = uint64(uintptr(unsafe.Pointer(unsafe.SliceData(buf))))
	sqe.Len = uint32(len(buf))
	sqe.OpcodeFlags = unix.MSG_NOSIGNAL
}

// Sendmsg writes the iovecs of msg with MSG_NOSIGNAL.
func (r *uring) Sendmsg(ud uint64, fd int, msg *unix.Msghdr) {
	sqe := r.sqe(ud)
	if sqe == nil {
		return
	}
	sqe.OpCode = giouring.OpSendmsg
	sqe.Fd = int32(fd)
	sqe.Addr = uint64(uintptr(unsafe.Pointer(msg)))
	sqe.Len = 1
	sqe.OpcodeFlags = unix.MSG_NOSIGNAL
}

// Connect starts a connection of fd to sa (salen bytes).
func (r *uring) Connect(ud uint64, fd int, sa *unix.RawSockaddrAny, salen uint32) {
	sqe := r.sqe(ud)
	if sqe == nil {
		return
	}
	sqe.OpCode = giouring.OpConnect
	sqe.Fd = int32(fd)
	sqe.Addr = uint64(uintptr(unsafe.Pointer(sa)))
	sqe.Off = uint64(salen)
}

// Shutdown shuts down part of a full-duplex connection.
func (r *uring) Shutdown(ud uint64, fd int, how int) {
	if !r.hasShutdown {
		r.inline(ud, unix.Shutdown(fd, how))
		return
	}
	sqe := r.sqe(ud)
	if sqe == nil {
		return
	}
	sqe.OpCode = giouring.OpShutdown
	sqe.Fd = int32(fd)
	sqe.Len = uint32(how)
}

// CloseFD closes fd.
func (r *uring) CloseFD(ud uint64, fd int) {
	if !r.hasClose {
		r.inline(ud, unix.Close(fd))
		return
	}
	sqe := r.sqe(ud)
	if sqe == nil {
		return
	}
	sqe.OpCode = giouring.OpClose
	sqe.Fd = int32(fd)
}

// Fresh does nothing: io_uring keeps no state per descriptor.
func (r *uring) Fresh(fd int) {}

// inline queues the result of a syscall the kernel's io_uring cannot do.
func (r *uring) inline(ud uint64, err error) {
	if r.closed {
		return
	}
	if err == nil {
		r.backlog = append(r.backlog, Completion{UserData: ud})
		return
	}
	errno, ok := err.(syscall.Errno)
	if !ok {
		errno = unix.EIO
	}
	r.fail(ud, errno)
}

// Timeout completes after ts with -ETIME, or -ECANCELED when cancelled.
func (r *uring) Timeout(ud uint64, ts *unix.Timespec) {
	sqe := r.sqe(ud)
	if sqe == nil {
		return
	}
	prepTimeout(sqe, unsafe.Pointer(ts), 0)
}

// prepTimeout fills sqe for a relative timeout of *ts that also completes
// once count other completions were posted (0: time only).
func prepTimeout(sqe *giouring.SubmissionQueueEntry, ts unsafe.Pointer, count uint64) {
	sqe.OpCode = giouring.OpTimeout
	sqe.Fd = -1
	sqe.Addr = uint64(uintptr(ts))
	sqe.Len = 1
	sqe.Off = count
}

// Cancel cancels the in-flight operation target (fd is not needed by
// io_uring: cancellation is by user_data).
func (r *uring) Cancel(ud uint64, fd int, target uint64) {
	if _, ok := r.emuAccept[target]; ok {
		delete(r.emuAccept, target) // not re-armed even if it completes first
	}
	sqe := r.sqe(ud)
	if sqe == nil {
		return
	}
	sqe.OpCode = giouring.OpAsyncCancel
	sqe.Fd = -1
	sqe.Addr = target
}
