package ring

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/pawelgaczynski/giouring"
	"golang.org/x/sys/unix"
)

// sysctlIOUringDisabled is the sysctl that restricts io_uring (6.6+):
// 0 allowed, 1 only for kernel.io_uring_group, 2 refused to everyone.
const sysctlIOUringDisabled = "/proc/sys/kernel/io_uring_disabled"

// OpSupport says whether this kernel's io_uring implements one operation.
type OpSupport struct {
	Name      string // io_uring opcode name without IORING_OP_, lower case ("accept")
	Supported bool   // reported supported by IORING_REGISTER_PROBE
}

// Report is what Probe found out about io_uring on this machine.
type Report struct {
	Usable   bool        // an io_uring instance could be created and has the operations luring needs
	Reason   string      // when !Usable, one sentence naming the likely cause; "" otherwise
	Kernel   string      // uname release, e.g. "6.8.0-45-generic"
	Disabled int         // kernel.io_uring_disabled, -1 when the sysctl does not exist
	Ops      []OpSupport // the operations luring uses or may use, in opcode order; nil when !Usable
	Features Features    // what the io_uring backend would report; zero when !Usable
}

// probedOps are the opcodes Probe reports, in opcode order.
var probedOps = [...]uint8{
	giouring.OpNop, giouring.OpReadv, giouring.OpWritev, giouring.OpPollAdd,
	giouring.OpSendmsg, giouring.OpRecvmsg, giouring.OpTimeout, giouring.OpTimeoutRemove,
	giouring.OpAccept, giouring.OpAsyncCancel, giouring.OpLinkTimeout, giouring.OpConnect,
	giouring.OpClose, giouring.OpRead, giouring.OpWrite, giouring.OpSend, giouring.OpRecv,
	giouring.OpProvideBuffers, giouring.OpShutdown, giouring.OpMsgRing, giouring.OpSocket,
	giouring.OpSendZC, giouring.OpSendMsgZC,
}

// opNames names the opcodes of probedOps.
var opNames = map[uint8]string{
	giouring.OpNop: "nop", giouring.OpReadv: "readv", giouring.OpWritev: "writev",
	giouring.OpPollAdd: "poll_add", giouring.OpSendmsg: "sendmsg", giouring.OpRecvmsg: "recvmsg",
	giouring.OpTimeout: "timeout", giouring.OpTimeoutRemove: "timeout_remove",
	giouring.OpAccept: "accept", giouring.OpAsyncCancel: "async_cancel",
	giouring.OpLinkTimeout: "link_timeout", giouring.OpConnect: "connect", giouring.OpClose: "close",
	giouring.OpRead: "read", giouring.OpWrite: "write", giouring.OpSend: "send", giouring.OpRecv: "recv",
	giouring.OpProvideBuffers: "provide_buffers", giouring.OpShutdown: "shutdown",
	giouring.OpMsgRing: "msg_ring", giouring.OpSocket: "socket", giouring.OpSendZC: "send_zc",
	giouring.OpSendMsgZC: "sendmsg_zc",
}

// opName names opcode op.
func opName(op uint8) string {
	if n, ok := opNames[op]; ok {
		return n
	}
	return "op" + strconv.Itoa(int(op))
}

// Probe reports whether io_uring is usable here, why not if it is not, and
// which operations and features the kernel offers. It creates and closes a
// small ring; errors are reported in Report.Reason, and the error result is
// non-nil only when the kernel could not even be identified.
func Probe() (Report, error) {
	rep := Report{Disabled: ioUringDisabled()}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return rep, fmt.Errorf("ring: uname: %w", err)
	}
	rep.Kernel = unix.ByteSliceToString(uts.Release[:])

	ring, p, err := setupRing(8, 0)
	if err != nil {
		rep.Reason = explainSetupError(err, rep.Disabled)
		return rep, nil
	}
	defer ring.QueueExit()
	probe, err := ring.GetProbeRing()
	if err != nil {
		rep.Reason = "io_uring works but cannot be probed (kernel older than 5.6): " + err.Error()
		return rep, nil
	}
	rep.Ops = make([]OpSupport, 0, len(probedOps))
	for _, op := range probedOps {
		rep.Ops = append(rep.Ops, OpSupport{Name: opName(op), Supported: probe.IsSupported(op)})
	}
	rep.Features = detectFeatures(p, probe)
	var missing []string
	for _, op := range requiredOps {
		if !probe.IsSupported(op) {
			missing = append(missing, opName(op))
		}
	}
	if len(missing) > 0 {
		rep.Reason = "io_uring lacks " + strings.Join(missing, ", ") + " (kernel older than 5.6)"
		return rep, nil
	}
	rep.Usable = true
	return rep, nil
}

// Supports reports whether the named operation ("accept", "send_zc") is
// supported; false for names Probe does not report.
func (rep Report) Supports(name string) bool {
	for _, op := range rep.Ops {
		if op.Name == name {
			return op.Supported
		}
	}
	return false
}

// String renders the report in a few lines, for luring -V.
func (rep Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kernel %s, kernel.io_uring_disabled=%d\n", rep.Kernel, rep.Disabled)
	if !rep.Usable {
		fmt.Fprintf(&b, "io_uring: unusable: %s\n", rep.Reason)
		return b.String()
	}
	f := rep.Features
	fmt.Fprintf(&b, "io_uring: usable; multishot accept %t, multishot recv %t, send_zc %t, ext_arg %t, nodrop %t\n",
		f.MultishotAccept, f.MultishotRecv, f.SendZC, f.ExtArgWait, f.NoDrop)
	b.WriteString("ops:")
	for _, op := range rep.Ops {
		mark := "+"
		if !op.Supported {
			mark = "-"
		}
		b.WriteString(" " + mark + op.Name)
	}
	b.WriteByte('\n')
	return b.String()
}

// ioUringDisabled reads kernel.io_uring_disabled; -1 when it does not exist.
func ioUringDisabled() int {
	data, err := os.ReadFile(sysctlIOUringDisabled)
	if err != nil {
		return -1
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return -1
	}
	return v
}

// explainSetupError names the likely cause of a failed io_uring_setup, given
// the kernel.io_uring_disabled value.
func explainSetupError(err error, disabled int) string {
	switch {
	case errors.Is(err, unix.ENOSYS):
		return "io_uring_setup: function not implemented (kernel older than 5.1, built without CONFIG_IO_URING, or blocked by seccomp)"
	case errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES):
		switch disabled {
		case 2:
			return "io_uring is disabled by kernel.io_uring_disabled=2"
		case 1:
			return "io_uring is restricted by kernel.io_uring_disabled=1 to members of kernel.io_uring_group"
		}
		return "io_uring_setup: " + err.Error() + " (seccomp profile of the container or sandbox, or kernel.io_uring_disabled)"
	case errors.Is(err, unix.ENOMEM):
		return "io_uring_setup: cannot allocate memory (RLIMIT_MEMLOCK too low on kernels before 5.12)"
	case errors.Is(err, errUringTooOld):
		return err.Error()
	}
	return "io_uring_setup: " + err.Error()
}
