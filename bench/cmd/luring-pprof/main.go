// Command luring-pprof serves a configuration like bin/luring (one
// generation, no reload or pid file) and writes Go profiles, to find where
// luring's CPU time and memory go under the httpbench workloads:
//
//	luring-pprof -p PREFIX -c conf/nginx.conf -cpuprofile cpu.prof -memprofile heap.prof
//
// The CPU profile covers the whole run, from start to SIGTERM or SIGINT.
// Each SIGUSR1 runs a GC, prints runtime.MemStats' main figures on stderr
// and writes a heap profile to -memprofile with the signal's sequence
// number appended (heap.prof.1, heap.prof.2, ...), so that two of them
// bracket an event such as opening 10,000 idle connections (go tool pprof
// -diff_base heap.prof.1 heap.prof.2). -memprofilerate 1 records every
// allocation, for exact bytes per connection.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"

	"github.com/luring/luring/httpd"
	"github.com/luring/luring/server"
)

func main() {
	prefix := flag.String("p", "", "prefix path (default: current directory)")
	confPath := flag.String("c", "", "configuration file, relative to the prefix")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run here")
	memProfile := flag.String("memprofile", "", "on each SIGUSR1, write a heap profile here (suffixed .1, .2, ...)")
	memRate := flag.Int("memprofilerate", 0, "runtime.MemProfileRate: bytes per sampled allocation (1 = every allocation; 0 = Go's default)")
	flag.Parse()
	log.SetFlags(0)
	if *memRate > 0 {
		runtime.MemProfileRate = *memRate
	}

	cfg, err := server.LoadConfig(*prefix, *confPath)
	if err != nil {
		log.Fatal(err)
	}
	elog, err := httpd.OpenErrorLog(cfg.Main.ErrorLogs)
	if err != nil {
		log.Fatal(err)
	}
	defer elog.Close()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	inst, err := server.Start(cfg, elog, server.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for n := 1; ; n++ {
		s := <-sig
		if s != syscall.SIGUSR1 {
			break
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		log.Printf("luring-pprof: SIGUSR1 %d: HeapAlloc %d HeapInuse %d HeapSys %d HeapReleased %d StackInuse %d MSpanInuse %d GCSys %d OtherSys %d Sys %d",
			n, ms.HeapAlloc, ms.HeapInuse, ms.HeapSys, ms.HeapReleased, ms.StackInuse, ms.MSpanInuse, ms.GCSys, ms.OtherSys, ms.Sys)
		if *memProfile == "" {
			continue
		}
		f, err := os.Create(fmt.Sprintf("%s.%d", *memProfile, n))
		if err != nil {
			log.Print(err)
			continue
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			log.Print(err)
		}
		f.Close()
	}
	inst.Stop()
	<-inst.Done()
}
