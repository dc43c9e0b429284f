package cosocket

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// Errors of the socket operations. Their texts are ngx_lua's, word for
// word: the Lua binding returns err.Error() as the error string, and Lua
// code compares those strings.
var (
	// ErrClosed: the socket is not connected, the half the operation needs
	// was closed by an earlier error, or the peer closed the connection.
	ErrClosed = errors.New("closed")
	// ErrTimeout: the connect, send or read timeout (or a queued connect's
	// wait) expired. A read timeout leaves the socket usable.
	ErrTimeout = errors.New("timeout")
	// ErrBusyConnecting, ErrBusyReading, ErrBusyWriting: another
	// coroutine waits on the socket for that kind of operation.
	ErrBusyConnecting = errors.New("socket busy connecting")
	ErrBusyReading    = errors.New("socket busy reading")
	ErrBusyWriting    = errors.New("socket busy writing")
	// ErrUnreadData: setkeepalive on a socket whose receive buffer still
	// holds bytes; the connection stays open and usable.
	ErrUnreadData = errors.New("unread data in buffer")
	// ErrInvalidConn: setkeepalive on a connection that had a read or
	// write error or timeout.
	ErrInvalidConn = errors.New("invalid connection")
	// ErrDubious: setkeepalive found the connection readable (the peer
	// sent bytes or closed): it was closed instead of pooled.
	ErrDubious = errors.New("connection in dubious state")
	// ErrTooManyWaiting: a connect found its pool's connections and
	// backlog all taken.
	ErrTooManyWaiting = errors.New("too many waiting connect operations")
	// ErrMissingPort: connect to a host without a port.
	ErrMissingPort = errors.New("missing the port number")
	// ErrBadAddress: bind with an address that is not an IP literal.
	ErrBadAddress = errors.New("bad address")
)

// ErrEmptyPattern is returned by Compile for an empty pattern. The Lua
// binding turns it into receiveuntil's soft error "pattern is empty".
var ErrEmptyPattern = errors.New("cosocket: pattern is empty")

// Text is the error string ngx_lua gives Lua for err: the errors above as
// they are, a system call failure as its lower-cased strerror ("connection
// refused", "connection reset by peer", "broken pipe"), a clean end of
// stream as "closed", and "error" when there is no errno.
func Text(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, io.EOF) {
		return ErrClosed.Error()
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if errno == 0 {
			return "error"
		}
		return lowerFirst(errno.Error())
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		return Text(se.Err)
	}
	return err.Error()
}

// lowerFirst lower-cases the first letter, as ngx_lua does with strerror.
func lowerFirst(s string) string {
	if s != "" && s[0] >= 'A' && s[0] <= 'Z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}
