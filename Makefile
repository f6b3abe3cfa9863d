# The README's two commands: `make run` (the main job) and `make test` (all tests).
SWIFT ?= swift
BIN = .build/release

.PHONY: setup build run test bench fixtures clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build -c release

run: build
	$(BIN)/attnzoo tour

test: setup
	$(SWIFT) build -c release --build-tests -Xswiftc -enable-testing
	$(SWIFT) test -c release --skip-build -Xswiftc -enable-testing

bench: build
	$(SWIFT) build -c release --product attnzoo-bench
	scripts/bench/run.sh

fixtures:
	scripts/fixtures/make_all.sh

clean:
	rm -rf .build
