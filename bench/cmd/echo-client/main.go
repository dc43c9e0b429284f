// Command echo-client is the benchmark's load client (package loadgen),
// the same binary for every server. Pin it to its own CPU (taskset -c 1)
// with GOMAXPROCS=1.
//
// Output on stdout: "measuring" when the measured window opens, then one
// line "result <json>" (loadgen.Result) when it closes.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"

	"github.com/luring/luring/bench/internal/loadgen"
)

func main() {
	var cfg loadgen.Config
	flag.StringVar(&cfg.Addr, "addr", "", "server address (host:port)")
	flag.IntVar(&cfg.Conns, "conns", 100, "connections, one message in flight on each")
	flag.IntVar(&cfg.Size, "size", 64, "message size in bytes (>= 8)")
	flag.DurationVar(&cfg.Warmup, "warmup", 1e9, "warm-up before measuring")
	flag.DurationVar(&cfg.Duration, "duration", 5e9, "measured window")
	flag.IntVar(&cfg.VerifyEvery, "verify-every", 64, "compare the full reply every n-th round trip per connection")
	flag.Parse()
	log.SetFlags(0)

	res, err := loadgen.Run(cfg, func() { fmt.Println("measuring") })
	if err != nil {
		log.Fatal(err)
	}
	js, _ := json.Marshal(res)
	fmt.Printf("result %s\n", js)
}
