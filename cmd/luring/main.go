// Command luring serves OpenResty handlers from an nginx.conf:
//
//	luring [-p prefix] [-c conf] [-t] [-s stop|quit|reopen|reload] [-v] [-V]
//
// With no -c it serves a built-in configuration on 127.0.0.1:8080.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/luring/luring/ring"
	"github.com/luring/luring/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is main without the process exit, for tests.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("luring", flag.ContinueOnError)
	fs.SetOutput(stderr)
	prefix := fs.String("p", "", "set prefix path (default: current directory)")
	confPath := fs.String("c", "", "set configuration file (default: built-in)")
	test := fs.Bool("t", false, "test configuration and exit")
	signal := fs.String("s", "", "send signal to the running process: stop, quit, reopen, reload")
	version := fs.Bool("v", false, "show version and exit")
	verbose := fs.Bool("V", false, "show version and build facts and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *version || *verbose {
		fmt.Fprintf(stderr, "luring version: luring/%s\n", server.Version)
		if *verbose {
			fmt.Fprintf(stderr, "built with %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			if rep, err := ring.Probe(); err == nil {
				fmt.Fprintf(stderr, "%s\n", rep)
			} else {
				fmt.Fprintf(stderr, "io_uring probe: %v\n", err)
			}
		}
		return 0
	}

	cfg, err := server.LoadConfig(*prefix, *confPath)
	name := *confPath
	if name == "" {
		name = "(built-in)"
	} else if cfg != nil {
		name = cfg.File
	}
	if err == nil && *test {
		err = server.TestConfig(cfg)
	}
	if err != nil {
		fmt.Fprintf(stderr, "luring: %v\n", err)
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
	if err := server.Run(cfg, server.RunOptions{Prefix: *prefix, ConfPath: *confPath, Stderr: stderr}); err != nil {
		fmt.Fprintf(stderr, "luring: [emerg] %v\n", err)
		return 1
	}
	return 0
}
