package ring

import (
	"fmt"
	"syscall"
	"time"
	"unsafe"

	"github.com/pawelgaczynski/giouring"
	"golang.org/x/sys/unix"
)

// overflowRounds bounds how many times one reap flushes an overflowed CQ
// before it leaves the rest to the next Wait.
const overflowRounds = 64

// Wait submits what is queued, waits for a completion, a Wake or timeout,
// then appends every ready completion to out, flushing the kernel's overflow
// list as often as it is non-empty.
//
// One io_uring_enter may come back with nothing for the caller before the
// timeout: a signal (the Go runtime's preemption SIGURG, a profiler's
// SIGPROF) interrupts it with EINTR, or hides the EINTR behind a successful
// submission, which giouring then reports as ETIME; or only internal CQEs
// were ready (without EXT_ARG, the timeout SQE of an earlier enter that a
// signal cut short fires late). Wait then enters again with what is left of
// timeout on the monotonic clock, so that it returns with nothing only once
// timeout has passed or Wake was called (see Ring.Wait).
func (r *uring) Wait(out []Completion, timeout time.Duration) ([]Completion, error) {
	if r.closed {
		return out, ErrClosed
	}
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	n := len(out)
	for {
		wait := timeout != 0 && len(r.backlog) == 0 && r.ring.CQReady() == 0 && !r.woken
		out = append(out, r.backlog...)
		r.backlog = r.backlog[:0]
		err := r.enter(wait, timeout)
		out = append(out, r.backlog...) // reaped early by a full SQ
		r.backlog = r.backlog[:0]
		if err == unix.EBUSY {
			// Kernels without NODROP refuse to submit while the CQ overflows:
			// empty the CQ, then submit again without waiting.
			r.reapInto(&out)
			err = r.enter(false, 0)
		}
		r.reapInto(&out)
		r.afterBatch()
		if err != nil {
			r.woken = false
			return out, fmt.Errorf("ring: io_uring_enter: %w", err)
		}
		if timeout == 0 || len(out) > n || len(r.backlog) > 0 || r.woken {
			r.woken = false
			return out, nil
		}
		if timeout > 0 {
			if timeout = time.Until(deadline); timeout <= 0 {
				return out, nil
			}
		}
	}
}

// enter submits the SQ with one io_uring_enter and, when wait, waits for at
// least one completion for up to timeout (< 0: no limit). Interruptions and
// an elapsed timeout are not errors: the caller tells them apart by the
// completions it reaps and the clock.
func (r *uring) enter(wait bool, timeout time.Duration) error {
	var err error
	switch {
	case !wait:
		_, err = r.ring.SubmitAndWaitTimeout(0, nil, nil)
	case timeout < 0:
		_, err = r.ring.SubmitAndWaitTimeout(1, nil, nil)
	case r.feat.ExtArgWait:
		r.ts = syscall.NsecToTimespec(int64(timeout))
		_, err = r.ring.SubmitAndWaitTimeout(1, &r.ts, nil)
	default:
		// No EXT_ARG: a TIMEOUT SQE that also fires after one completion.
		// One that a signal left armed fires later, as an internal CQE
		// that Wait does not count. Without room for it, enter does not
		// block (Wait polls until its deadline rather than wait past it).
		r.ts = syscall.NsecToTimespec(int64(timeout))
		waitNr := uint32(0)
		if sqe := r.sqe(udTimeout); sqe != nil {
			prepTimeout(sqe, unsafe.Pointer(&r.ts), 1)
			waitNr = 1
		}
		_, err = r.ring.SubmitAndWaitTimeout(waitNr, nil, nil)
	}
	switch err {
	case nil, unix.ETIME, unix.EINTR, unix.EAGAIN:
		return nil
	}
	return err
}

// reapInto appends every CQE the ring holds to dst, flushing the kernel's
// overflow list whenever the SQ ring flags say it is non-empty.
func (r *uring) reapInto(dst *[]Completion) {
	for range overflowRounds {
		var n uint32
		r.ring.ForEachCQE(func(cqe *giouring.CompletionQueueEvent) {
			r.translate(dst, cqe)
			n++
		})
		r.ring.CQAdvance(n)
		if !r.ring.CQHasOverflow() {
			return
		}
		r.overflows++
		if _, err := r.ring.GetEvents(); err != nil && err != unix.EINTR && err != unix.EAGAIN {
			return
		}
	}
}

// translate turns one CQE into a Completion appended to dst, or consumes it
// when it belongs to the backend.
func (r *uring) translate(dst *[]Completion, cqe *giouring.CompletionQueueEvent) {
	ud := cqe.UserData
	if ud >= udReservedMin {
		switch ud {
		case udWake:
			r.wakePending.Store(false)
			r.rearmWake = true
			r.woken = true
		case udInternal:
			r.internalSeen++
		}
		return
	}
	c := Completion{UserData: ud, Res: cqe.Res}
	if c.Res == -int32(unix.ENOBUFS) {
		r.runShort()
	}
	if cqe.Flags&giouring.CQEFMore != 0 {
		c.Flags |= FlagMore
	}
	if cqe.Flags&giouring.CQEFBuffer != 0 {
		c.Flags |= FlagBuffer
		c.BufID = uint16(cqe.Flags >> giouring.CQEBufferShift)
	}
	if len(r.emuAccept) != 0 {
		if _, ok := r.emuAccept[ud]; ok {
			if c.Res >= 0 {
				c.Flags |= FlagMore
				r.rearmAccept = append(r.rearmAccept, ud)
			} else {
				delete(r.emuAccept, ud)
			}
		}
	}
	*dst = append(*dst, c)
}

// afterBatch queues again the internal operations that completed during the
// reap: the eventfd read and emulated multishot accepts. They go out with
// the next Wait.
func (r *uring) afterBatch() {
	if r.rearmWake {
		r.rearmWake = false
		r.armWake()
	}
	for _, ud := range r.rearmAccept {
		fd, ok := r.emuAccept[ud]
		if !ok {
			continue
		}
		if sqe := r.sqe(ud); sqe != nil {
			prepAccept(sqe, int(fd))
		} else {
			delete(r.emuAccept, ud) // sqe queued the failure as the final completion
		}
	}
	r.rearmAccept = r.rearmAccept[:0]
}
