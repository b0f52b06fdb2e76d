# ruhu — see README.md. The two set-up commands are `make run` and `make test`.
GO        ?= go
# The binary's own variables are honoured: RUHU_ADDR=… make run.
RUHU_DATA ?= ./data
RUHU_ADDR ?= 127.0.0.1:8080
DATA      ?= $(RUHU_DATA)
ADDR      ?= $(RUHU_ADDR)
BIN       := bin
STATICCHECK_VERSION ?= v0.8.2

.PHONY: run test lint bench build fuzz clean

## run: build, seed the demo county on first start, and serve on $(ADDR)
run: build
	$(BIN)/ruhu demo --households --data $(DATA)
	@echo "serving on http://$(ADDR)/ (open it in a browser; Ctrl-C stops)"
	$(BIN)/ruhu serve --data $(DATA) --addr $(ADDR)

## test: the whole test suite, with the race detector
test:
	$(GO) test -race -count=1 ./...

## lint: vet, gofmt check, staticcheck
lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

## bench: speed and memory targets (push/pull vs raw SQLite, photo ingest vs raw decode), then the morning burst (make burst)
bench:
	$(GO) test -run='^$$' -bench=. -benchtime=3x -benchmem ./...
	$(MAKE) burst

## build: static, CGO-free binaries
build:
	@echo "building bin/ruhu and bin/ruhu-tablet (the first build compiles SQLite in Go: about a minute; later ones take seconds)"
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ruhu ./server/cmd/ruhu
	@if [ -d clientsdk/cmd/ruhu-tablet ]; then CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ruhu-tablet ./clientsdk/cmd/ruhu-tablet; fi

## fuzz: a short run of every fuzz target
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=20s $$pkg || exit 1; done; done

clean:
	rm -rf $(BIN)

## js: install the JS client's packages, build it and the /m/ page's scripts, run its node tests
.PHONY: js
js:
	cd clientsdk/js && npm ci --no-audit --no-fund --loglevel=error && npm run build && npm run typecheck && npm test

## bench-peer: ruhu beside pouchdb-server 4.2.0 over HTTP (npm-installs it into the user cache dir); BENCH_PEER_FLAGS="-docs 20000 -runs 1" for a quick run
BENCH_PEER_FLAGS ?=
.PHONY: bench-peer
bench-peer: build
	$(GO) run ./server/cmd/ruhu-benchpeer -ruhu $(BIN)/ruhu $(BENCH_PEER_FLAGS)
## crash: kill -9 `ruhu serve` at random points during pushes and photo uploads, CRASH_N times (RUHU_CRASH_SEED repeats a run)
CRASH_N ?= 100
.PHONY: crash
crash:
	RUHU_CRASH_ITERATIONS=$(CRASH_N) $(GO) test -count=1 -timeout 60m -run '^TestCrashRecovery$$' -v ./server/cmd/ruhu

## burst: the morning burst against a fresh `ruhu serve`: 500 tablets (64 at a time) log in, pull their village, push a day's work; two mornings
BURST_FLAGS ?=
.PHONY: burst
burst: build
	$(GO) run ./server/cmd/ruhu-burst --ruhu $(BIN)/ruhu $(BURST_FLAGS)
