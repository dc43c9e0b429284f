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

# Go micro-benchmarks of the main module, then the side-by-side echo
# benchmark against gnet (bench/ is its own module: the main one does not
# depend on gnet).
bench:
	$(GO) test $(LDFLAGS) -run '^$$' -bench . -benchmem $(PKGS)
	cd bench && $(GO) run $(LDFLAGS) ./cmd/echobench
