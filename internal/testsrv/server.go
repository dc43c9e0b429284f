package testsrv

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeouts of the helpers. Generous: the server may be built with -race and
// share two cores with the tests.
const (
	// StartTimeout bounds Start: build excluded, from exec to ready.
	StartTimeout = 30 * time.Second
	// ExitTimeout bounds Wait and the stop at cleanup.
	ExitTimeout = 15 * time.Second
	// PollInterval is the pause between two looks at a condition.
	PollInterval = 5 * time.Millisecond
)

// Options describe a server to start. Paths are relative to the prefix.
type Options struct {
	// Conf is the text of conf/nginx.conf, passed with -c. Empty: no -c,
	// the built-in configuration.
	Conf string
	// Files are more files to write under the prefix before the start
	// (Lua modules, included configuration), by relative path.
	Files map[string]string
	// Addr is the address Start waits to accept connections, such as
	// "127.0.0.1:19700". Empty: Start waits for the pid file only.
	Addr string
	// PidFile is the pid file the configuration names; default
	// logs/nginx.pid, or logs/luring.pid for the built-in configuration.
	PidFile string
	// ErrorLog is the error log file the configuration names; default
	// logs/error.log.
	ErrorLog string
	// Args are more command-line arguments, after -p and -c.
	Args []string
	// Env are more environment variables (NAME=value) for the process,
	// which otherwise inherits the test's (LURING_BACKEND among them).
	Env []string
}

// Server is a running luring process under its own prefix.
type Server struct {
	// Prefix is the -p directory (absolute, in t.TempDir()).
	Prefix string
	// Conf is the absolute path of the -c file; empty for the built-in
	// configuration.
	Conf string
	// Addr is Options.Addr.
	Addr string

	t      testing.TB
	opts   Options
	cmd    *exec.Cmd
	stderr LockedBuffer
	exited chan struct{}    // closed once the process is reaped
	state  *os.ProcessState // set before exited closes
}

// LockedBuffer is a bytes.Buffer safe for the writer goroutine of exec and
// the test reading it: give it as a child's Stdout/Stderr.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Start writes the prefix (conf/, logs/ and o.Files), starts luring on it
// and returns once the process has written its pid file and o.Addr accepts
// connections. The process is stopped (SIGTERM, then SIGKILL) when the test
// ends; its stderr and error log are logged if the test failed, and a data
// race report in its stderr fails the test.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := Prepare(t, o)
	s.Launch()
	s.WaitReady()
	return s
}

// Prepare writes the prefix like Start but does not start the process;
// Launch does. Use it to change files first or to expect a failed start.
func Prepare(t testing.TB, o Options) *Server {
	t.Helper()
	Binary(t) // build before the clock of any timeout starts
	prefix := t.TempDir()
	s := &Server{Prefix: prefix, Addr: o.Addr, t: t, opts: o, exited: make(chan struct{})}
	if s.opts.PidFile == "" {
		s.opts.PidFile = "logs/nginx.pid"
		if o.Conf == "" {
			s.opts.PidFile = "logs/luring.pid"
		}
	}
	if s.opts.ErrorLog == "" {
		s.opts.ErrorLog = "logs/error.log"
	}
	for _, d := range []string{"conf", "logs"} {
		if err := os.MkdirAll(filepath.Join(prefix, d), 0o755); err != nil {
			t.Fatalf("testsrv: %v", err)
		}
	}
	if o.Conf != "" {
		s.Conf = filepath.Join(prefix, "conf", "nginx.conf")
		s.WriteFile("conf/nginx.conf", o.Conf)
	}
	for name, text := range o.Files {
		s.WriteFile(name, text)
	}
	return s
}

// Launch starts the process of a prepared server without waiting for it.
func (s *Server) Launch() {
	s.t.Helper()
	args := []string{"-p", s.Prefix}
	if s.Conf != "" {
		args = append(args, "-c", s.Conf)
	}
	args = append(args, s.opts.Args...)
	cmd := exec.Command(Binary(s.t), args...)
	cmd.Dir = s.Prefix
	cmd.Env = append(os.Environ(), s.opts.Env...)
	cmd.Stdout = &s.stderr
	cmd.Stderr = &s.stderr
	// The child dies with the test binary instead of holding our ports.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("testsrv: starting luring: %v", err)
	}
	s.cmd = cmd
	go func() {
		_ = cmd.Wait() // the exit status is in ProcessState
		s.state = cmd.ProcessState
		close(s.exited)
	}()
	s.t.Cleanup(s.cleanup)
}

// WaitReady waits until the pid file holds the process's pid and Addr (if
// any) accepts a connection. It fails the test if the process exits first
// or StartTimeout passes.
func (s *Server) WaitReady() {
	s.t.Helper()
	want := strconv.Itoa(s.Pid())
	ok := s.poll(StartTimeout, func() bool {
		b, err := os.ReadFile(s.Path(s.opts.PidFile))
		if err != nil || strings.TrimSpace(string(b)) != want {
			return false
		}
		if s.Addr == "" {
			return true
		}
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
	if !ok {
		s.t.Fatalf("testsrv: luring (pid %s) not ready on %q:\n%s", want, s.Addr, s.Output())
	}
}

// poll calls cond every PollInterval until it is true (true), the process
// exits or timeout passes (false).
func (s *Server) poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if s.Exited() || time.Now().After(deadline) {
			return false
		}
		time.Sleep(PollInterval)
	}
}

// Pid is the process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Path returns the absolute path of name under the prefix.
func (s *Server) Path(name string) string { return filepath.Join(s.Prefix, name) }

// PidFile is the absolute path of the pid file.
func (s *Server) PidFile() string { return s.Path(s.opts.PidFile) }

// WriteFile writes text to name under the prefix, making directories.
func (s *Server) WriteFile(name, text string) {
	s.t.Helper()
	p := s.Path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatalf("testsrv: %v", err)
	}
	// Write a new file and rename it over the old one, so the server never
	// reads a half-written file.
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		s.t.Fatalf("testsrv: %v", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		s.t.Fatalf("testsrv: %v", err)
	}
}

// ReadFile returns the content of name under the prefix ("" when missing).
func (s *Server) ReadFile(name string) string {
	b, _ := os.ReadFile(s.Path(name))
	return string(b)
}

// Stderr is what the process wrote to stderr (and stdout) so far.
func (s *Server) Stderr() string { return s.stderr.String() }

// ErrorLog is the content of the error log file so far.
func (s *Server) ErrorLog() string { return s.ReadFile(s.opts.ErrorLog) }

// Output is stderr and the error log, for failure messages.
func (s *Server) Output() string {
	return "--- stderr:\n" + s.Stderr() + "--- " + s.opts.ErrorLog + ":\n" + s.ErrorLog()
}

// WaitLog waits until the regular expression re matches the error log or
// stderr, and returns the match. It fails the test after timeout.
func (s *Server) WaitLog(re string, timeout time.Duration) string {
	s.t.Helper()
	rx := regexp.MustCompile(re)
	var m string
	deadline := time.Now().Add(timeout)
	for {
		if m = rx.FindString(s.ErrorLog()); m != "" {
			return m
		}
		if m = rx.FindString(s.Stderr()); m != "" {
			return m
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("testsrv: no %q in the logs after %v:\n%s", re, timeout, s.Output())
		}
		time.Sleep(PollInterval)
	}
}

// Until polls cond every PollInterval until it holds or timeout passes and
// reports whether it held.
func Until(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(PollInterval)
	}
	return true
}

// Signal sends sig to the process.
func (s *Server) Signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("testsrv: signal %v: %v", sig, err)
	}
}

// Exited reports whether the process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// Done is closed once the process has ended.
func (s *Server) Done() <-chan struct{} { return s.exited }

// Wait waits for the process to end and returns its exit code (-1 when a
// signal killed it). It fails the test after ExitTimeout.
func (s *Server) Wait() int {
	s.t.Helper()
	select {
	case <-s.exited:
	case <-time.After(ExitTimeout):
		s.t.Fatalf("testsrv: luring (pid %d) still running after %v:\n%s", s.Pid(), ExitTimeout, s.Output())
	}
	return s.state.ExitCode()
}

// Control runs `luring -s name -p PREFIX -c CONF` and returns its result.
func (s *Server) Control(name string) Result {
	s.t.Helper()
	args := []string{"-s", name, "-p", s.Prefix}
	if s.Conf != "" {
		args = append(args, "-c", s.Conf)
	}
	return Exec(s.t, s.Prefix, args...)
}

// cleanup stops the process if it still runs and checks its stderr for
// data races.
func (s *Server) cleanup() {
	if !s.Exited() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(ExitTimeout):
			s.t.Errorf("testsrv: luring (pid %d) ignored SIGTERM for %v; killing it", s.Pid(), ExitTimeout)
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	}
	if strings.Contains(s.Stderr(), "WARNING: DATA RACE") {
		s.t.Errorf("testsrv: data race in luring")
	}
	if s.t.Failed() {
		s.t.Logf("luring (pid %d) %v\n%s", s.Pid(), s.state, s.Output())
	}
}

// Result is the outcome of a luring command that ends by itself.
type Result struct {
	Code   int    // exit code
	Output string // stdout and stderr, interleaved
}

// Exec runs the luring binary with args in dir and returns its exit code
// and output; it fails the test if the command runs longer than
// ExitTimeout.
func Exec(t testing.TB, dir string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ExitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, Binary(t), args...)
	cmd.Dir = dir
	var out LockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		t.Fatalf("testsrv: luring %v did not end within %v:\n%s", args, ExitTimeout, out.String())
	case errors.As(err, &ee):
	default:
		t.Fatalf("testsrv: luring %v: %v", args, err)
	}
	return Result{Code: cmd.ProcessState.ExitCode(), Output: out.String()}
}
