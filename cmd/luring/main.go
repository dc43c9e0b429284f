// Command luring serves OpenResty handlers from an nginx.conf:
//
//	luring [-p prefix] [-c conf] [-t] [-s stop|quit|reopen|reload] [-v] [-V]
//
// With no -c it serves a built-in configuration on 127.0.0.1:8080. -c is
// relative to -p, and -p defaults to the current directory.
//
// Exit codes: 0 on success (including a stop by signal), 1 when the
// configuration is invalid, the server cannot start or its workers end by
// themselves, or -s fails; 2 for a bad command line.
//
// The environment variable LURING_BIND rebinds listen addresses without
// editing the configuration (tests, containers): a comma-separated list of
// listen=address pairs such as "127.0.0.1:8080=127.0.0.1:19721". Requests
// still select servers by the configured listen address.
// LURING_BACKEND=epoll|io_uring forces the ring backend.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/luring/luring/ring"
	"github.com/luring/luring/server"
)

// envBind names the variable of listen address rebinds.
const envBind = "LURING_BIND"

// envServerToken names the variable that replaces "luring" in the Server
// header and the error pages ("nginx" gives nginx's bytes with
// server_tokens off).
const envServerToken = "LURING_SERVER_TOKEN"

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is main without the process exit, for tests.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("luring", flag.ContinueOnError)
	fs.SetOutput(stderr)
	prefix := fs.String("p", "", "set prefix path (default: current directory)")
	confPath := fs.String("c", "", "set configuration file, relative to the prefix (default: built-in)")
	test := fs.Bool("t", false, "test configuration and exit")
	signal := fs.String("s", "", "send signal to the running process: stop, quit, reopen, reload")
	version := fs.Bool("v", false, "show version and exit")
	verbose := fs.Bool("V", false, "show version and build facts and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "luring: invalid option: %q\n", fs.Arg(0))
		return 2
	}
	if *version || *verbose {
		printVersion(stderr, *verbose)
		return 0
	}
	if *signal != "" && !server.ValidSignal(*signal) {
		fmt.Fprintf(stderr, "luring: invalid option: \"-s %s\"\n", *signal)
		return 1
	}
	bind, err := parseBind(os.Getenv(envBind))
	if err != nil {
		fmt.Fprintf(stderr, "luring: [emerg] %s: %v\n", envBind, err)
		return 1
	}

	name := server.ConfFile(*prefix, *confPath)
	cfg, err := server.LoadConfig(*prefix, *confPath)
	if err == nil && *test {
		for _, w := range cfg.Warnings {
			fmt.Fprintf(stderr, "luring: %s\n", w) // "[warn] ... in file:line", as nginx -t prints it
		}
		err = server.TestConfig(cfg)
	}
	if err != nil {
		fmt.Fprintf(stderr, "luring: %s\n", emerg(err))
		if *test {
			fmt.Fprintf(stderr, "luring: configuration file %s test failed\n", name)
		}
		return 1
	}
	if *test {
		fmt.Fprintf(stderr, "luring: the configuration file %s syntax is ok\n", name)
		fmt.Fprintf(stderr, "luring: configuration file %s test is successful\n", name)
		return 0
	}
	if *signal != "" {
		if err := server.SendSignal(cfg.Main.PID, *signal); err != nil {
			fmt.Fprintf(stderr, "luring: [error] %v\n", err)
			return 1
		}
		return 0
	}
	err = server.Run(cfg, server.RunOptions{Prefix: *prefix, ConfPath: *confPath, Stderr: stderr, Bind: bind,
		ServerToken: os.Getenv(envServerToken)})
	if err != nil {
		fmt.Fprintf(stderr, "luring: %s\n", emerg(err))
		return 1
	}
	return 0
}

// printVersion prints what -v prints, and with verbose what -V adds: the
// toolchain and whether io_uring is usable here.
func printVersion(w io.Writer, verbose bool) {
	fmt.Fprintf(w, "luring version: luring/%s\n", server.Version)
	if !verbose {
		return
	}
	fmt.Fprintf(w, "built with %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if rep, err := ring.Probe(); err == nil {
		fmt.Fprintf(w, "%s\n", rep)
	} else {
		fmt.Fprintf(w, "io_uring probe: %v (the epoll backend serves)\n", err)
	}
}

// emerg renders a fatal error as nginx's "[emerg] ..." text; configuration
// errors carry their level already.
func emerg(err error) string {
	s := err.Error()
	if strings.HasPrefix(s, "[") {
		return s
	}
	return "[emerg] " + s
}

// errBind is returned by parseBind for a malformed pair.
var errBind = errors.New(`want listen=address pairs separated by commas`)

// parseBind parses LURING_BIND ("" = nothing to rebind).
func parseBind(v string) (map[string]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	m := map[string]string{}
	for _, pair := range strings.Split(v, ",") {
		from, to, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || from == "" || to == "" {
			return nil, fmt.Errorf("%q: %w", pair, errBind)
		}
		m[from] = to
	}
	return m, nil
}
