# airlock: see README.md. `make test` is what CI runs (through .ci/run).
GO      ?= go
BIN     ?= bin/airlock
FUZZTIME ?= 30s

.PHONY: all build test test-deps vet bench fuzz serve generate clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/airlock

# Installs missing Debian packages as root; otherwise says what to install.
test-deps:
	@scripts/test-deps.sh

vet:
	$(GO) vet ./...

test: test-deps vet
	$(GO) test -timeout 12m ./...
	FUZZTIME=2s scripts/fuzz.sh

bench: test-deps build
	scripts/bench.sh

fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

generate:
	$(GO) generate ./...

# The main job: run the airlock server with zero configuration (data in
# $AIRLOCK_HOME or ~/.local/share/airlock, http://127.0.0.1:8470). The first
# start prints the admin token on standard output.
serve: build
	$(BIN) serve

clean:
	rm -rf bin .bench
