package main

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/luring/luring/internal/testsrv"
)

func TestMain(m *testing.M) { os.Exit(testsrv.Main(m)) }

// Ports of the tests in this package, one per test: the range
// 127.0.0.1:19700-19799 is this package's (nginx syntax refuses port 0).
const (
	portServe       = 19700
	portWorkers2    = 19701
	portWorkersAuto = 19702
	portLuaError    = 19703
	portDisconnect  = 19704
	portConcurrent  = 19705
	portTerm        = 19706
	portInt         = 19707
	portQuit        = 19708
	portReload      = 19709
	portReloadBad   = 19710
	portControl     = 19711
	portModules     = 19712
	portCodeCache   = 19713
	portInit        = 19714
	portInitWorker  = 19715
	portLogs        = 19716
	portReloadLog   = 19717
	portReopen      = 19718
	portWorkerFail  = 19719
	portPidDir      = 19720
	portLuaFiles    = 19724
	portModulesMix  = 19725
	portBody        = 19727
	portBodyFile    = 19728
	portCapture     = 19729
)

// addr is the listen address of port.
func addr(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

// config is an nginx.conf with error_log logs/error.log at info, the pid
// file logs/nginx.pid, main-level lines mainExtra, http-level lines
// httpExtra, and one server on port whose body is locations.
func config(port int, mainExtra, httpExtra, locations string) string {
	return fmt.Sprintf(`
error_log logs/error.log info;
pid logs/nginx.pid;
%s
events {
    worker_connections 256;
}
http {
    access_log off;
%s
    server {
        listen %s reuseport;
%s
    }
}
`, mainExtra, httpExtra, addr(port), locations)
}

// lineOf returns the 1-based line of the first occurrence of needle in
// text, or 0.
func lineOf(text, needle string) int {
	i := strings.Index(text, needle)
	if i < 0 {
		return 0
	}
	return strings.Count(text[:i], "\n") + 1
}

// backendWanted is the backend the tests force with LURING_BACKEND, or "".
func backendWanted() string { return os.Getenv("LURING_BACKEND") }

// portOpen reports whether something accepts connections on address.
func portOpen(address string) bool {
	c, err := net.DialTimeout("tcp", address, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
