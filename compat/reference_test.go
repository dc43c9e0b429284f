package compat

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/luring/luring/internal/testsrv"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// update rewrites testdata/golden.json from the live reference.
var update = flag.Bool("update", false, "record testdata/golden.json from the reference nginx")

// Paths of the reference installation (Debian's nginx and
// libnginx-mod-http-lua packages).
const (
	refModules  = "/usr/lib/nginx/modules"
	refLuaPath  = "/usr/share/lua/5.1/?.lua;;"
	goldenPath  = "testdata/golden.json"
	handlersCfg = "testdata/handlers.conf"
)

// refModuleFiles are the reference's modules the configuration loads.
var refModuleFiles = []string{"ndk_http_module.so", "ngx_http_lua_module.so",
	"ngx_http_echo_module.so", "ngx_http_headers_more_filter_module.so"}

// envGoldenOnly, set to anything, makes the test compare with the golden
// answers even where the reference is installed (to check that path).
const envGoldenOnly = "LURING_COMPAT_GOLDEN"

// ioTimeout bounds every connect, request and response of the test.
const ioTimeout = 10 * time.Second

// request is one row of the table: a name for the report and what is sent.
type request struct {
	name    string // unique; the key in golden.json
	method  string // GET unless set
	target  string // request target
	version string // HTTP/1.1 unless set
	headers string // extra header lines, each ending in "\r\n"
}

// raw renders the request as wire bytes. HTTP/1.1 requests ask for
// Connection: close so the answer ends at EOF; HTTP/1.0 closes by default.
func (r request) raw() []byte {
	method, version := r.method, r.version
	if method == "" {
		method = "GET"
	}
	if version == "" {
		version = "HTTP/1.1"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\r\nHost: localhost\r\n%s", method, r.target, version, r.headers)
	if version == "HTTP/1.1" {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// requests is the table. Names are stable: golden.json is keyed by them.
var requests = []request{
	{name: "say strings", target: "/say/strings"},
	{name: "say numbers", target: "/say/numbers"},
	{name: "say booleans nil null", target: "/say/scalars"},
	{name: "say nested tables", target: "/say/tables"},
	{name: "say return values and bad args", target: "/say/returns"},
	{name: "flush and flush(true)", target: "/flush"},
	{name: "flush before output", target: "/flush/early"},
	{name: "exit OK after output", target: "/exit/ok"},
	{name: "exit 200 no output", target: "/exit/200"},
	{name: "exit 204", target: "/exit/204"},
	{name: "exit 302 with Location", target: "/exit/302"},
	{name: "exit 403", target: "/exit/403"},
	{name: "exit 404 keeps headers", target: "/exit/404"},
	{name: "exit 500", target: "/exit/500"},
	{name: "exit 503", target: "/exit/503"},
	{name: "exit 500 after output", target: "/exit/after-output"},
	{name: "status 201 then exit 200", target: "/exit/status-then-ok"},
	{name: "exit 403 in access", target: "/exit/access"},
	{name: "exit OK in rewrite", target: "/exit/rewrite-ok"},
	{name: "status get and set", target: "/status"},
	{name: "status 418", target: "/status/only"},
	{name: "header set and get", target: "/header/set"},
	{name: "header multi-value", target: "/header/multi"},
	{name: "header removal", target: "/header/remove"},
	{name: "header Content-Type", target: "/header/content-type"},
	{name: "header default type", target: "/header/default-type"},
	{name: "header Content-Length", target: "/header/content-length"},
	{name: "header escaping", target: "/header/escape"},
	{name: "send_headers", target: "/send-headers"},
	{name: "eof", target: "/eof"},
	{name: "sleep then say", target: "/sleep"},
	{name: "time formats", target: "/time"},
	{name: "log levels and print", target: "/log"},
	{name: "constants", target: "/const"},
	{name: "thread spawn wait kill", target: "/thread"},
	{name: "worker id count", target: "/worker"},
	{name: "var request variables", target: "/var/basic?x=1&y=two%20words", headers: "X-Test: hdr\r\n"},
	{name: "var set variables", target: "/var/set?a=A"},
	{name: "var regex captures", target: "/cap/abc/123"},
	{name: "ctx across phases", target: "/ctx"},
	{name: "req getters", target: "/req?b=2&a=1&a=3&flag&e=&=skip&sp=a+b%21",
		headers: "X-Test: one\r\nX-Multi: 1\r\nX-Multi: 2\r\n"},
	{name: "runtime error", target: "/error/runtime"},
	{name: "error()", target: "/error/raise"},
	{name: "error after output", target: "/error/after-output"},
	{name: "error after unflushed say", target: "/error/after-say"},
	{name: "next request after that error", target: "/return/text"},
	{name: "pcall error objects", target: "/error/pcall"},
	{name: "coroutines", target: "/coroutine"},
	{name: "tostring numbers", target: "/lua/tostring"},
	{name: "tonumber", target: "/lua/tonumber"},
	{name: "string.format", target: "/lua/format"},
	{name: "lua misc", target: "/lua/misc"},
	{name: "argument error names", target: "/lua/argerror"},
	{name: "string.find init", target: "/lua/strfind"},
	{name: "return 200 text", target: "/return/text"},
	{name: "return 301 relative", target: "/return/301"},
	{name: "return 302 absolute", target: "/return/302-abs"},
	{name: "return 404", target: "/return/404"},
	{name: "log phase", target: "/phases/log"},
	{name: "missing location", target: "/no/such/place"},
	{name: "HEAD content handler", method: "HEAD", target: "/say/strings"},
	{name: "HEAD exit 404", method: "HEAD", target: "/exit/404"},
	{name: "HEAD return text", method: "HEAD", target: "/return/text"},
	{name: "HTTP/1.0 say", target: "/say/strings", version: "HTTP/1.0"},
	{name: "HTTP/1.0 flush", target: "/flush", version: "HTTP/1.0"},
	{name: "HTTP/1.0 req getters", target: "/req?a=1", version: "HTTP/1.0"},
	{name: "HTTP/1.0 exit 404", target: "/exit/404", version: "HTTP/1.0"},
	{name: "echo commands", target: "/echo/basic?a=A"},
	{name: "echo flush sleep status", target: "/echo/stream"},
	{name: "echo filters around Lua", target: "/echo/filters"},
	{name: "echo filter on an error page", target: "/echo/error-page"},
	{name: "echo raw request head", target: "/echo/headers", headers: "X-Raw: 1\r\n"},
	{name: "echo foreach split", target: "/echo/foreach?list=a,,b,c,"},
	{name: "HEAD echo", method: "HEAD", target: "/echo/basic"},
	{name: "HTTP/1.0 echo", target: "/echo/stream", version: "HTTP/1.0"},
	{name: "more_set_headers on Lua output", target: "/more/out?v=V"},
	{name: "more_set_input_headers seen by Lua", target: "/more/in", headers: "X-Drop: d\r\nUser-Agent: curl\r\n"},
	{name: "more_set_headers -s on a denial", target: "/more/status"},
	{name: "proxy_pass to a location", target: "/proxy/front"},
}

// knownDiff is a difference from the reference that is not fixed here:
// in gopher-lua itself (VM messages, pattern engine), or a deliberate
// choice of lvm/ngx. When it applies to a row,
// fix makes luring's answer agree on that one point, so the rest of the row
// is still compared; the row is reported as KNOWN with the rule's name.
type knownDiff struct {
	name    string // short, for the table
	applies func(r request, want, got answer) bool
	fix     func(want answer, got *answer)
}

// knownDiffs are the accepted differences, each pinned to the exact text
// both sides produce, so any other change in the row still fails.
var knownDiffs = []knownDiff{
	lineDiff("gopher-lua VM: concat error message", "pcall error objects",
		"attempt to concatenate a table value", "cannot perform concat operation between table and string"),
	lineDiff("gopher-lua VM: the .. operator renders 1e15 in full", "tostring numbers",
		"1e+15 5", "1000000000000000 5"),
	lineDiff("gopher-lua patterns: no %f frontier", "string.format",
		"THE 43", "fox 43"),
	lineDiff("gopher-lua auxlib: \"got nil\" for a missing argument", "argument error names",
		"(string expected, got no value)", "(string expected, got nil)"),
	lineDiff("gopher-lua auxlib: method calls count self as #1", "argument error names",
		"bad argument #1 to 'rep' (number expected, got no value)", "bad argument #2 to 'rep' (number expected, got nil)"),
	lineDiff("gopher-lua auxlib: \"got nil\" for a missing argument", "argument error names",
		"bad argument #1 to '?' (string expected, got no value)", "bad argument #1 to '?' (string expected, got nil)"),
	lineDiff("lvm: no jit module (luring is not LuaJIT)", "lua misc",
		"table table function", "table nil function"),
	lineDiff("ngx: light-thread handles are userdata, not coroutines", "thread spawn wait kill",
		"spawned thread", "spawned userdata"),
}

// lineDiff is a known difference of one row's body: where the reference
// has ref, luring has got. The rest of the body is still compared.
func lineDiff(name, row, ref, got string) knownDiff {
	return knownDiff{
		name: name,
		applies: func(r request, want, g answer) bool {
			return r.name == row && strings.Contains(want.Body, ref) && strings.Contains(g.Body, got)
		},
		fix: func(_ answer, g *answer) { g.Body = strings.Replace(g.Body, got, ref, 1) },
	}
}

// applyKnown applies the known differences that match a row and returns
// their names.
func applyKnown(r request, want answer, got *answer) []string {
	var names []string
	for _, k := range knownDiffs {
		if k.applies(r, want, *got) {
			k.fix(want, got)
			names = append(names, k.name)
		}
	}
	return names
}

// answer is what the comparison looks at in one response.
type answer struct {
	Status  int      `json:"status"`
	Framing string   `json:"framing"` // "length N", "chunked", "chunked, truncated", "close", "none"
	Headers []string `json:"headers"` // "Name: value", sorted by lower-case name, stable
	Body    string   `json:"body"`
}

// masked is the stand-in for a server's own name in error pages and
// the port in absolute URLs.
const (
	maskedToken = "SERVER"
	maskedPort  = ":PORT"
)

// parseAnswer reads a whole response (the server closes after it) and
// masks the server token and port.
func parseAnswer(raw []byte, port int, head bool) (answer, error) {
	var a answer
	if len(raw) == 0 {
		return answer{Framing: "no response"}, nil
	}
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		return a, fmt.Errorf("no header end in %q", raw)
	}
	lines := strings.Split(string(raw[:end]), "\r\n")
	body := raw[end+4:]
	f := strings.SplitN(lines[0], " ", 3)
	if len(f) < 2 {
		return a, fmt.Errorf("bad status line %q", lines[0])
	}
	st, err := strconv.Atoi(f[1])
	if err != nil {
		return a, fmt.Errorf("bad status line %q", lines[0])
	}
	a.Status = st
	token, length, chunked := "", -1, false
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return a, fmt.Errorf("bad header line %q", l)
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(name) {
		case "date":
			continue
		case "server":
			token = value
			continue
		case "content-length":
			length, err = strconv.Atoi(value)
			if err != nil {
				return a, fmt.Errorf("bad Content-Length %q", value)
			}
			continue
		case "transfer-encoding":
			chunked = strings.EqualFold(value, "chunked")
			if !chunked {
				a.Headers = append(a.Headers, name+": "+value)
			}
			continue
		}
		a.Headers = append(a.Headers, name+": "+value)
	}
	sort.SliceStable(a.Headers, func(i, j int) bool {
		return strings.ToLower(strings.SplitN(a.Headers[i], ":", 2)[0]) <
			strings.ToLower(strings.SplitN(a.Headers[j], ":", 2)[0])
	})
	switch {
	case chunked:
		a.Framing = "chunked"
		b, complete := dechunk(body)
		if !complete {
			a.Framing = "chunked, truncated"
		}
		body = b
	case length >= 0:
		if !head && len(body) != length {
			a.Framing = fmt.Sprintf("length %d, body %d", length, len(body))
		}
	case head || st == 204 || st == 304:
		a.Framing = "none"
	default:
		a.Framing = "close"
	}
	a.Body = string(body)
	if token != "" {
		// A token in the body (error-page signature) shifts Content-Length:
		// count the length as if the masked name were there.
		n := strings.Count(a.Body, token)
		a.Body = strings.ReplaceAll(a.Body, token, maskedToken)
		if head && st >= 300 && strings.HasPrefix(contentType(a.Headers), "text/html") {
			n = 1 // HEAD of an error page: the signature is not there to count
		}
		if length >= 0 {
			length -= n * (len(token) - len(maskedToken))
		}
	}
	if length >= 0 && a.Framing == "" {
		a.Framing = "length " + strconv.Itoa(length)
	}
	p := ":" + strconv.Itoa(port)
	a.Body = strings.ReplaceAll(a.Body, p, maskedPort)
	for i, h := range a.Headers {
		a.Headers[i] = strings.ReplaceAll(h, p, maskedPort)
	}
	return a, nil
}

// contentType returns the Content-Type among headers, or "".
func contentType(headers []string) string {
	for _, h := range headers {
		if name, v, _ := strings.Cut(h, ": "); strings.EqualFold(name, "content-type") {
			return v
		}
	}
	return ""
}

// dechunk decodes a chunked body; complete is false when it ends before
// the last chunk.
func dechunk(b []byte) (out []byte, complete bool) {
	out = []byte{}
	for {
		nl := bytes.Index(b, []byte("\r\n"))
		if nl < 0 {
			return out, false
		}
		sizeStr, _, _ := strings.Cut(string(b[:nl]), ";")
		size, err := strconv.ParseUint(strings.TrimSpace(sizeStr), 16, 32)
		if err != nil {
			return out, false
		}
		b = b[nl+2:]
		if size == 0 {
			return out, bytes.HasPrefix(b, []byte("\r\n"))
		}
		if uint64(len(b)) < size+2 {
			return append(out, b[:min(uint64(len(b)), size)]...), false
		}
		out = append(out, b[:size]...)
		b = b[size+2:]
	}
}

// send makes one request on a fresh connection and returns the answer.
func send(addr string, port int, r request) (answer, error) {
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return answer{}, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := c.Write(r.raw()); err != nil {
		return answer{}, err
	}
	raw, err := io.ReadAll(bufio.NewReader(c))
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		return answer{}, fmt.Errorf("reading %s: %w (got %q)", r.name, err, raw)
	}
	return parseAnswer(raw, port, r.method == "HEAD")
}

// freePort returns a port of 127.0.0.1 nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// confTemplate is the nginx.conf both servers run; %[1]s is the
// load_module lines (luring accepts them), %[2]s the reference's lua_package_path line, %[3]d
// the port. Everything that differs stays on the lines before the include,
// so both see handlers.conf alike.
const confTemplate = `%[1]sworker_processes 1;
daemon off;
master_process off;
error_log logs/error.log info;
pid logs/server.pid;

events {
    worker_connections 64;
}

http {
    %[2]s
    access_log off;
    default_type text/plain;
    client_body_temp_path logs/body;
    proxy_temp_path logs/proxy;
    fastcgi_temp_path logs/fastcgi;
    scgi_temp_path logs/scgi;
    uwsgi_temp_path logs/uwsgi;

    server {
        listen 127.0.0.1:%[3]d;
        server_name localhost;

        include handlers.conf;
    }
}
`

// server is one running server under test.
type server struct {
	name   string
	port   int
	prefix string
	cmd    *exec.Cmd
}

// startServer writes a prefix with conf/nginx.conf and conf/handlers.conf,
// starts bin with it and waits until the port accepts.
func startServer(t *testing.T, name, bin string, reference bool) *server {
	t.Helper()
	prefix := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(prefix, "conf"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(prefix, "logs"), 0o755))
	handlers, err := os.ReadFile(handlersCfg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(prefix, "conf", "handlers.conf"), handlers, 0o644))
	pkgPath := "# no lua_package_path"
	if reference {
		pkgPath = fmt.Sprintf("lua_package_path %q;", refLuaPath)
	}
	// Both read the same load_module lines: luring has the modules built in.
	modules := ""
	for _, m := range refModuleFiles {
		modules += "load_module " + refModules + "/" + m + ";\n"
	}
	port := freePort(t)
	cfg := fmt.Sprintf(confTemplate, modules, pkgPath, port)
	require.NoError(t, os.WriteFile(filepath.Join(prefix, "conf", "nginx.conf"), []byte(cfg), 0o644))

	out := &testsrv.LockedBuffer{}
	cmd := exec.Command(bin, "-p", prefix+"/", "-c", "conf/nginx.conf")
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	s := &server{name: name, port: port, prefix: prefix, cmd: cmd}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(ioTimeout):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(prefix, "logs", "error.log"))
			t.Logf("%s output:\n%s\nerror.log:\n%s", name, out.String(), tail(log, 4000))
		}
	})
	deadline := time.Now().Add(ioTimeout)
	for {
		c, err := net.DialTimeout("tcp", s.addr(), time.Second)
		if err == nil {
			_ = c.Close()
			return s
		}
		select {
		case err := <-exited:
			exited <- err
			require.FailNowf(t, "server exited", "%s: %v\n%s", name, err, out.String())
		case <-time.After(5 * time.Millisecond): // poll interval, not a synchronisation
		}
		require.True(t, time.Now().Before(deadline), "%s did not accept on %s:\n%s", name, s.addr(), out.String())
	}
}

// tail returns the last n bytes of b.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func (s *server) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// collect sends every request of the table to s, twice (the second run
// catches state leaking from one request to the next), and returns the
// answers by name; a transport error is recorded as status -1.
func (s *server) collect(t *testing.T) map[string]answer {
	t.Helper()
	got := make(map[string]answer, len(requests))
	for round := 0; round < 2; round++ {
		for _, r := range requests {
			a, err := send(s.addr(), s.port, r)
			if err != nil {
				a = answer{Status: -1, Body: err.Error()}
			}
			if prev, ok := got[r.name]; ok && round == 1 {
				if !assert.Equal(t, prev, a, "%s: %q answered differently the second time", s.name, r.name) {
					a.Body += "\n(second request differed)"
				}
				continue
			}
			got[r.name] = a
		}
	}
	return got
}

// referenceInstalled reports whether nginx with the ngx_lua module can run
// here.
func referenceInstalled() (string, bool) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		return "", false
	}
	for _, m := range refModuleFiles {
		if _, err := os.Stat(filepath.Join(refModules, m)); err != nil {
			return "", false
		}
	}
	return bin, true
}

func loadGolden(t *testing.T) map[string]answer {
	t.Helper()
	b, err := os.ReadFile(goldenPath)
	require.NoError(t, err, "golden answers missing: record them with -update where nginx is installed")
	var g map[string]answer
	require.NoError(t, json.Unmarshal(b, &g))
	return g
}

func writeGolden(t *testing.T, g map[string]answer) {
	t.Helper()
	b, err := json.MarshalIndent(g, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(goldenPath, append(b, '\n'), 0o644))
	t.Logf("wrote %s (%d answers)", goldenPath, len(g))
}

// firstDiff names the first field where a and b differ, briefly.
func firstDiff(want, got answer) string {
	switch {
	case want.Status != got.Status:
		return fmt.Sprintf("status %d, luring %d", want.Status, got.Status)
	case want.Framing != got.Framing:
		return fmt.Sprintf("framing %q, luring %q", want.Framing, got.Framing)
	case !equalStrings(want.Headers, got.Headers):
		return fmt.Sprintf("headers %q, luring %q", want.Headers, got.Headers)
	case want.Body != got.Body:
		return fmt.Sprintf("body differs at line %d", diffLine(want.Body, got.Body))
	}
	return ""
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// diffLine is the 1-based number of the first line where a and b differ.
func diffLine(a, b string) int {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}

// nameRE is what a request name may hold (it is a key of golden.json).
var nameRE = regexp.MustCompile(`^[A-Za-z0-9 ./()!_-]+$`)

// TestReference runs every request of the table against the reference
// (live, or its recorded answers) and luring, and compares the answers.
func TestReference(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range requests {
		require.False(t, seen[r.name], "duplicate request name %q", r.name)
		require.Regexp(t, nameRE, r.name)
		seen[r.name] = true
	}

	var want map[string]answer
	source := "golden " + goldenPath
	bin, ok := referenceInstalled()
	if os.Getenv(envGoldenOnly) != "" {
		ok = false
	}
	if ok {
		ref := startServer(t, "nginx", bin, true)
		want = ref.collect(t)
		source = "live nginx"
		if *update {
			writeGolden(t, want)
		} else {
			golden := loadGolden(t)
			for _, r := range requests {
				assert.Equal(t, golden[r.name], want[r.name],
					"reference answer of %q differs from %s: run with -update after changing handlers", r.name, goldenPath)
			}
		}
	} else {
		require.False(t, *update, "-update needs nginx and %s", refModules)
		t.Logf("nginx with ngx_lua not installed: comparing with %s", goldenPath)
		want = loadGolden(t)
	}

	lur := startServer(t, "luring", testsrv.Binary(t), false)
	got := lur.collect(t)

	var report strings.Builder
	fmt.Fprintf(&report, "luring (LURING_BACKEND=%q) against %s:\n", os.Getenv("LURING_BACKEND"), source)
	fmt.Fprintf(&report, "%-34s %-6s %-8s %s\n", "handler", "status", "result", "first difference")
	pass, fail, known := 0, 0, 0
	for _, r := range requests {
		w, ok := want[r.name]
		require.True(t, ok, "no reference answer for %q: run with -update", r.name)
		g := got[r.name]
		kn := applyKnown(r, w, &g)
		diff := firstDiff(w, g)
		result := "PASS"
		switch {
		case diff == "" && len(kn) == 0:
			pass++
		case diff == "":
			result = "KNOWN"
			diff = strings.Join(kn, "; ")
			known++
		default:
			result = "FAIL"
			fail++
			assert.Equal(t, w, g, "%s (%s %s)", r.name, r.method, r.target)
		}
		fmt.Fprintf(&report, "%-34s %-6d %-8s %s\n", r.name, w.Status, result, diff)
	}
	fmt.Fprintf(&report, "%d handlers: %d pass, %d fail, %d known\n", len(requests), pass, fail, known)
	t.Log("\n" + report.String())
}

// TestMain removes the luring binary testsrv built for these tests.
func TestMain(m *testing.M) { os.Exit(testsrv.Main(m)) }
