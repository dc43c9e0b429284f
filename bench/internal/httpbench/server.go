package httpbench

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/luring/luring/bench/internal/harness"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is one server under test.
type Server struct {
	Name      string // as in tables and JSON: "luring", "openresty"
	Reference bool   // nginx + lua-nginx-module; false means bin/luring
}

// Servers are the two servers compared, luring first.
var Servers = []Server{{Name: "luring"}, {Name: "openresty", Reference: true}}

// Env is where the servers and tools are and how they are pinned.
type Env struct {
	Luring    string   // path of the luring binary
	Nginx     string   // path of nginx
	Wrk       string   // path of wrk
	Backend   string   // path of the http-backend binary
	LuringEnv []string // extra environment for luring (LURING_BACKEND=...)
	ServerCPU int      // CPU the server is pinned to
	ClientCPU int      // CPU wrk and http-backend are pinned to
	Pinned    bool     // taskset is available
	WorkDir   string   // scratch directory for prefixes and wrk scripts
}

// pinned returns a command for path pinned to cpu when taskset is present.
func (e *Env) pinned(cpu int, path string, args ...string) *exec.Cmd {
	if !e.Pinned {
		return exec.Command(path, args...)
	}
	return exec.Command("taskset", append([]string{"-c", strconv.Itoa(cpu), path}, args...)...)
}

// Proc is a running server or backend.
type Proc struct {
	Name   string
	Cmd    *exec.Cmd
	Prefix string        // server prefix (conf/, logs/); "" for the backend
	Port   int           // listening port
	out    *bytes.Buffer // stderr (and a server's stdout), for error messages
	lines  <-chan string // the backend's stdout lines
}

// Pid returns the process id (taskset execs the target, so it is the
// target's).
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// ErrorLog returns the tail of the server's error log and output.
func (p *Proc) ErrorLog() string {
	var b []byte
	if p.Prefix != "" {
		b, _ = os.ReadFile(filepath.Join(p.Prefix, "logs", "error.log"))
	}
	s := strings.TrimSpace(string(b) + p.out.String())
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

// FirstError returns the first [error], [crit], [alert] or [emerg] line of
// the server's error log without its timestamp, or the log's tail when
// there is none.
func (p *Proc) FirstError() string {
	log := p.ErrorLog()
	for _, l := range strings.Split(log, "\n") {
		for _, lvl := range []string{"[error]", "[crit]", "[alert]", "[emerg]"} {
			if i := strings.Index(l, lvl); i >= 0 {
				return l[i:]
			}
		}
	}
	return log
}

// Stop sends SIGTERM and waits up to 10 s, then kills.
func (p *Proc) Stop() error {
	if p.Cmd.ProcessState != nil {
		return nil
	}
	p.Cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.Cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		p.Cmd.Process.Kill()
		<-done
		return fmt.Errorf("%s did not stop on SIGTERM; killed", p.Name)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// writePrefix creates prefix/conf/nginx.conf with text and prefix/logs.
func writePrefix(prefix, text string) error {
	if err := os.MkdirAll(filepath.Join(prefix, "logs"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(prefix, "conf"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(prefix, "conf", "nginx.conf"), []byte(text), 0o644)
}

// TestConf runs the server's configuration test (-t) on conf in a scratch
// prefix and returns its output when the test fails.
func (e *Env) TestConf(s Server, conf string) error {
	prefix, err := os.MkdirTemp(e.WorkDir, s.Name+"-t-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(prefix)
	if err := writePrefix(prefix, conf); err != nil {
		return err
	}
	var cmd *exec.Cmd
	if s.Reference {
		cmd = exec.Command(e.Nginx, "-t", "-p", prefix, "-e", "logs/error.log", "-c", "conf/nginx.conf")
	} else {
		cmd = exec.Command(e.Luring, "-t", "-p", prefix, "-c", "conf/nginx.conf")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s -t: %v: %s", s.Name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// StartServer writes conf into a fresh prefix, starts the server pinned to
// the server CPU and waits until it accepts connections on port.
func (e *Env) StartServer(s Server, conf string, port int) (*Proc, error) {
	prefix, err := os.MkdirTemp(e.WorkDir, s.Name+"-")
	if err != nil {
		return nil, err
	}
	if err := writePrefix(prefix, conf); err != nil {
		return nil, err
	}
	var cmd *exec.Cmd
	if s.Reference {
		cmd = e.pinned(e.ServerCPU, e.Nginx, "-p", prefix, "-e", "logs/error.log", "-c", "conf/nginx.conf")
	} else {
		cmd = e.pinned(e.ServerCPU, e.Luring, "-p", prefix, "-c", "conf/nginx.conf")
		cmd.Env = append(os.Environ(), e.LuringEnv...)
	}
	p := &Proc{Name: s.Name, Cmd: cmd, Prefix: prefix, Port: port, out: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return p, nil
		}
		if isZombie(p.Pid()) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Stop()
	return nil, fmt.Errorf("%s did not start listening on port %d: %s", s.Name, port, p.ErrorLog())
}

// isZombie reports whether pid has exited but not been waited for.
func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || bytes.HasPrefix(bytes.TrimSpace(b[i+1:]), []byte("Z"))
}

// StartBackend starts http-backend pinned to the client CPU and returns it
// with its port.
func (e *Env) StartBackend() (*Proc, error) {
	cmd := e.pinned(e.ClientCPU, e.Backend)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	p := &Proc{Name: "http-backend", Cmd: cmd, out: &bytes.Buffer{}}
	cmd.Stderr = p.out
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p.lines = harness.ReadLines(stdout)
	l, err := harness.NextLine(p.lines, 10*time.Second)
	if err != nil {
		p.Stop()
		return nil, fmt.Errorf("http-backend did not announce its address: %v %s", err, p.out)
	}
	_, port, _ := net.SplitHostPort(l)
	p.Port, _ = strconv.Atoi(port)
	return p, nil
}

// Accepts asks the backend for the connections it has accepted so far.
func (p *Proc) Accepts() (int, error) {
	p.Cmd.Process.Signal(syscall.SIGUSR1)
	l, err := harness.NextLine(p.lines, 5*time.Second)
	if err != nil {
		return 0, err
	}
	var acc, req int
	if _, err := fmt.Sscanf(l, "accepts=%d requests=%d", &acc, &req); err != nil {
		return 0, fmt.Errorf("http-backend: bad report %q", l)
	}
	return acc, nil
}

// ErrProbe is returned by Probe when the server answers the workload's
// request wrongly or not at all.
var ErrProbe = errors.New("probe request failed")

// Probe sends w's request once and checks the status and body.
func Probe(port int, w Workload) error {
	req, err := http.NewRequest(w.method(), fmt.Sprintf("http://127.0.0.1:%d%s", port, w.Path), strings.NewReader(w.Body()))
	if err != nil {
		return err
	}
	for k, v := range w.Headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrProbe, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%w: reading body: %v", ErrProbe, err)
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("%w: status %d", ErrProbe, resp.StatusCode)
	}
	if !bytes.Contains(body, []byte(w.Expect)) {
		return fmt.Errorf("%w: body %.200q lacks %q", ErrProbe, body, w.Expect)
	}
	return nil
}
