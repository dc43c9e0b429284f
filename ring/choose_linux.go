package ring

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// openUringFn and openEpollFn open the backends; tests replace them to
// exercise the fallback without a kernel that refuses io_uring.
var (
	openUringFn = newUring
	openEpollFn = newEpoll
)

// New opens a ring of the backend that opts, LURING_BACKEND and the kernel
// allow, in that order (see the declaration comment in ring.go).
func New(opts Options) (r Ring, note string, err error) {
	backend, explicit, err := chooseBackend(opts.Backend, os.Getenv(EnvBackend))
	if err != nil {
		return nil, "", err
	}
	if backend == BackendEpoll {
		r, err = openEpollFn(opts)
		if err != nil {
			return nil, "", fmt.Errorf("ring: epoll: %w", err)
		}
		return r, "using epoll (requested)", nil
	}
	disabled := ioUringDisabled()
	if disabled == 2 && !explicit {
		return fallBack(opts, explainSetupError(unix.EPERM, disabled))
	}
	r, err = openUringFn(opts)
	if err == nil {
		return r, "using io_uring", nil
	}
	if explicit || !fallbackWorthy(err) {
		return nil, "", fmt.Errorf("ring: io_uring: %w (%s)", err, explainSetupError(err, disabled))
	}
	return fallBack(opts, explainSetupError(err, disabled))
}

// chooseBackend resolves the requested backend: opts first, then the
// environment value env, then io_uring. explicit says io_uring was asked for
// by name, so that its failure is an error rather than a fallback.
func chooseBackend(opt Backend, env string) (b Backend, explicit bool, err error) {
	switch opt {
	case BackendUring, BackendEpoll:
		return opt, opt == BackendUring, nil
	case BackendAuto:
	default:
		return "", false, fmt.Errorf("ring: unknown backend %q (want %q or %q)", opt, BackendUring, BackendEpoll)
	}
	switch strings.ToLower(strings.TrimSpace(env)) {
	case "":
		return BackendUring, false, nil
	case "epoll":
		return BackendEpoll, false, nil
	case "io_uring", "uring", "iouring":
		return BackendUring, true, nil
	}
	return "", false, fmt.Errorf("ring: %s=%q: want \"epoll\" or \"io_uring\"", EnvBackend, env)
}

// fallbackWorthy reports whether an io_uring setup error means "not
// available here" (fall back to epoll) rather than a fault to report.
func fallbackWorthy(err error) bool {
	return errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) ||
		errors.Is(err, unix.EACCES) || errors.Is(err, errUringTooOld)
}

// fallBack opens epoll after io_uring was found unusable for reason.
func fallBack(opts Options, reason string) (Ring, string, error) {
	r, err := openEpollFn(opts)
	if err != nil {
		return nil, "", fmt.Errorf("ring: io_uring unavailable (%s), and epoll failed: %w", reason, err)
	}
	return r, "io_uring unavailable: " + reason + "; using epoll", nil
}
