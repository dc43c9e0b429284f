# luring build. giouring links only with -checklinkname=0 on current Go, so
# every build, test and benchmark here passes it; nobody has to remember it.
GO       ?= go
LDFLAGS  := -ldflags=-checklinkname=0
# Two cores: one package at a time keeps servers in tests from starving.
TESTFLAGS ?= -race -count=1 -p 1 -timeout 20m
PKGS     ?= ./...

.PHONY: build run test test-uring test-epoll bench vet

build:
	$(GO) build $(LDFLAGS) ./...
	$(GO) build $(LDFLAGS) -o bin/luring ./cmd/luring
	$(GO) build $(LDFLAGS) -o bin/luring-echo ./examples/echo

# Serves the built-in configuration on 127.0.0.1:8080 (/ and /status).
run: build
	./bin/luring -p .

# The whole suite, once per backend.
test: test-uring test-epoll

test-uring:
	LURING_BACKEND=io_uring $(GO) test $(LDFLAGS) $(TESTFLAGS) $(PKGS)

test-epoll:
	LURING_BACKEND=epoll $(GO) test $(LDFLAGS) $(TESTFLAGS) $(PKGS)

vet:
	$(GO) vet $(PKGS)

# luring against OpenResty (nginx + lua module) side by side: installs the
# reference with apt-get when missing, builds bin/luring, writes
# bench/results/{results.md,results.json,*.png}. Flags: make bench BENCHFLAGS='-runs 1'.
# The echo benchmark against gnet: cd bench && go run $(LDFLAGS) ./cmd/echobench
bench:
	cd bench && $(GO) run ./cmd/httpbench $(BENCHFLAGS)

# The main module's Go micro-benchmarks, compared with bench/baseline-micro.txt
# by benchstat (a tool dependency of bench/go.mod). MICROFLAGS='-count 6' for
# tighter intervals; cp bench/results/micro.txt bench/baseline-micro.txt to
# take a new baseline.
.PHONY: bench-micro
bench-micro:
	mkdir -p bench/results
	$(GO) test $(LDFLAGS) -run '^$$' -bench . -benchmem -count 3 $(MICROFLAGS) ./httpd/ ./lvm/ ./ngx/ ./loop/ ./ring/ ./server/ > bench/results/micro.txt; \
	status=$$?; cat bench/results/micro.txt; \
	test -f bench/baseline-micro.txt || cp bench/results/micro.txt bench/baseline-micro.txt; \
	cd bench && $(GO) tool benchstat baseline-micro.txt results/micro.txt; exit $$status
