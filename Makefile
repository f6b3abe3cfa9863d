# The README's two commands: `make run` (the main job) and `make test` (all tests).
SWIFT ?= swift
BIN = .build/release

.PHONY: setup build run test bench fixtures clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build -c release

# The main job: seed 002's attention ablation with the small preset on the generated set (made on
# first use in ~/.cache/attnzoo). A second `make run` continues the same experiment (finished runs kept).
EXPERIMENT ?= out/experiment-small
run: build
	@if [ -f $(EXPERIMENT)/experiment.json ]; then resume=--resume; fi; \
	$(BIN)/attnzoo experiment --preset small --out $(EXPERIMENT) $$resume

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
