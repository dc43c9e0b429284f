package server

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/luring/luring/httpd"
)

// Version is luring's version, as `luring -v` prints it.
const Version = httpd.Version

// DefaultConfig is the configuration served when no -c is given: a hello
// location on 127.0.0.1:8080 and a /status page.
//
//go:embed default.conf
var DefaultConfig []byte

// Signals the -s flag sends, by name, as nginx maps them.
var controlSignals = map[string]syscall.Signal{
	"stop":   syscall.SIGTERM,
	"quit":   syscall.SIGQUIT,
	"reload": syscall.SIGHUP,
	"reopen": syscall.SIGUSR1,
}

// ErrBadSignal is returned by SendSignal for a name -s does not know.
var ErrBadSignal = errors.New(`invalid option: "-s" takes stop, quit, reopen or reload`)

// ValidSignal reports whether -s knows name.
func ValidSignal(name string) bool {
	_, ok := controlSignals[name]
	return ok
}

// SendSignal sends the named control signal to the process whose pid is in
// pidFile (what `luring -s NAME` does). Failures are worded as nginx's.
func SendSignal(pidFile, name string) error {
	sig, ok := controlSignals[name]
	if !ok {
		return ErrBadSignal
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return openFailed("open", pidFile, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return fmt.Errorf("invalid PID number %q in %q", strings.TrimSpace(string(b)), pidFile)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("kill(%d, %d) failed (%s)", pid, int(sig), errnoText(err))
	}
	return nil
}

// writePid writes the process id into path, making its directory if
// needed. Failures are worded as nginx's.
func writePid(path string) error {
	if path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return openFailed("mkdir", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return openFailed("open", path, err)
	}
	return nil
}

// removePid removes the pid file if it still names this process.
func removePid(path string) {
	if path == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(os.Getpid()) {
		os.Remove(path)
	}
}
