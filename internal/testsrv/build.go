// Package testsrv builds the luring binary once per test binary and runs it
// in tests: a server under a prefix in t.TempDir(), started and awaited
// without fixed sleeps (the pid file names the child and the port accepts),
// with its stderr and error log at hand, and stopped when the test ends.
//
// Place in the import graph: testsrv imports only the standard library; it
// runs cmd/luring as a separate process, so the tests of any package may
// use it (non-test code must not).
//
// Typical use:
//
//	func TestMain(m *testing.M) { os.Exit(testsrv.Main(m)) }
//
//	func TestHello(t *testing.T) {
//		s := testsrv.Start(t, testsrv.Options{Addr: "127.0.0.1:19700", Conf: conf})
//		res := s.Get("/")
//		require.Equal(t, 200, res.Status)
//	}
//
// The binary is built with `go build -ldflags=-checklinkname=0` (giouring
// needs it) and with -race when the test binary itself runs under -race, so
// data races in the server fail the tests that started it.
package testsrv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// Package is the import path of the command testsrv builds.
const Package = "github.com/luring/luring/cmd/luring"

var (
	buildOnce sync.Once
	buildDir  string // temporary directory holding the binary; removed by Main
	buildBin  string // path of the built binary
	buildErr  error
)

// Binary returns the path of the luring binary, building it on the first
// call of the test binary. A build failure fails t.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(build)
	if buildErr != nil {
		t.Fatalf("testsrv: building %s: %v", Package, buildErr)
	}
	return buildBin
}

// build compiles Package into a fresh temporary directory.
func build() {
	dir, err := os.MkdirTemp("", "luring-testsrv-")
	if err != nil {
		buildErr = err
		return
	}
	buildDir = dir
	bin := filepath.Join(dir, "luring")
	args := []string{"build", "-ldflags=-checklinkname=0", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, Package)
	cmd := exec.Command(goTool(), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		buildErr = fmt.Errorf("%v\n%s", err, out.Bytes())
		return
	}
	buildBin = bin
}

// goTool finds the go command: $PATH first, then the toolchain that built
// the test binary.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	//lint:ignore SA1019 only a fallback when go is not on $PATH
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// Main runs the tests of m and removes the built binary afterwards; call it
// from TestMain. The result is the exit code for os.Exit.
func Main(m *testing.M) int {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	return code
}
