// Package linux holds the Linux specifics luring's event loop needs:
// listening sockets (with SO_REUSEPORT, one per worker), dial sockets,
// connected datagram sockets (UDP, unixgram), socket options, address conversion for io_uring, RLIMIT_NOFILE, CPU
// affinity and kernel probes.
//
// Place in the import graph: it imports only x/sys (and the standard
// library) and no other luring package; loop and cosocket import it.
//
// Everything works on raw file descriptors (int). Sockets are created
// non-blocking and close-on-exec; nothing here starts a goroutine or
// returns a net.Conn. Errors from system calls are *os.SyscallError values
// wrapping a unix.Errno, so errors.Is(err, unix.EADDRINUSE) works.
package linux
