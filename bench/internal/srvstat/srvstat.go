// Package srvstat is what the benchmark's echo servers share: the flags for
// allocation counting and CPU profiling, and the signal protocol the
// harness drives them with.
//
// Protocol, on the server's stdout: the first line is the listening address.
// With -allocs, the first SIGUSR1 opens a measuring window and the second
// closes it and prints one line
//
//	allocs mallocs=<n> bytes=<n> echoed=<n>
//
// (heap allocations, heap bytes allocated, and bytes echoed within the
// window). SIGTERM or SIGINT stops the server.
//
// Place in the import graph: used by bench/cmd/echo-*; imports only the
// standard library.
package srvstat

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"syscall"
)

// Flags are the command-line flags both echo servers take.
type Flags struct {
	Addr       string // address to listen on
	Allocs     bool   // count echoed bytes and report allocations per window
	CPUProfile string // write a CPU profile of the whole run here
}

// Register defines the flags on fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Addr, "addr", "127.0.0.1:0", "address to listen on")
	fs.BoolVar(&f.Allocs, "allocs", false, "count echoed bytes; SIGUSR1 opens and closes an allocation-measuring window")
	fs.StringVar(&f.CPUProfile, "cpuprofile", "", "write a CPU profile to this file at exit")
}

// Echoed counts bytes echoed by the server when -allocs is on. The server's
// event loop adds to it; the signal handler reads it.
var Echoed atomic.Uint64

// Serve announces addr on stdout, then handles signals until SIGTERM or
// SIGINT, when it calls stop and returns stop's error. It starts and stops
// the CPU profile when asked for.
func Serve(f Flags, addr string, stop func() error) error {
	if f.CPUProfile != "" {
		pf, err := os.Create(f.CPUProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			pf.Close()
		}()
	}
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	fmt.Println(addr)

	var open bool
	var m0 runtime.MemStats
	var e0 uint64
	for s := range sig {
		if s != syscall.SIGUSR1 {
			break
		}
		if !f.Allocs {
			continue
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		e := Echoed.Load()
		if !open {
			m0, e0, open = m, e, true
			continue
		}
		open = false
		fmt.Printf("allocs mallocs=%d bytes=%d echoed=%d\n", m.Mallocs-m0.Mallocs, m.TotalAlloc-m0.TotalAlloc, e-e0)
	}
	return stop()
}
