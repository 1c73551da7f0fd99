# ashbot: `make demo` runs the main job, `make test` passes the tests.
# Both install redis-server from Debian packages when it is missing.

GO      ?= go
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/alphabetcartel/ashbot/internal/cli.Version=$(VERSION)

.PHONY: all build test demo bench bench-chats lint ensure-redis clean

include mk/retention.mk
include mk/image.mk
include mk/detection.mk
include mk/report.mk
include mk/charts.mk

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/ashbot ./cmd/ashbot

ensure-redis:
	@scripts/redis.sh ensure

# Each test binary starts its own private redis-server (internal/redistest).
# The real binary's SIGTERM test (cmd/ashbot) and the gateway health tests
# (internal/app, TestGateway*) run without the race detector: disgo v0.19.6
# still races on its own fields when a gateway connection ends.
test: ensure-redis lint
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 ./cmd/...
	$(GO) test -count=1 -run '^TestGateway' ./internal/app

# staticcheck is pinned and fetched through the Go module proxy on first use.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	@test -z "$$(gofmt -l cmd internal)" || (echo "gofmt needed:"; gofmt -l cmd internal; exit 1)
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

demo: ensure-redis build
	@scripts/demo.sh

# Benchmarks with their targets are described in docs/benchmarks.md.
bench: ensure-redis
	$(GO) test -run '^$$' -bench . -benchtime 3s -count 1 ./internal/metrics

# 200 Ash chats at once against the model stand-in answering in 500 ms.
bench-chats: ensure-redis
	$(GO) test -run '^$$' -bench BenchmarkChats200 -benchtime 5x -count 1 ./internal/ash

clean:
	rm -rf bin build
