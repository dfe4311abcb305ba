# yunxiao-appstack — every command a developer or CI needs. Works from a fresh clone: it
# installs what the tests need itself (rustup components, a .venv, npm ci, apt packages).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

CARGO ?= cargo
export CARGO_TARGET_DIR ?= $(CURDIR)/target
# The crates whose tests are plain `cargo test`; each binding's suite runs through its script.
RUST_PACKAGES := -p yunxiao-appstack -p yunxiao-sandbox -p yunxiao-appstack-cli
PREFIX ?= /usr/local

.PHONY: catalog build demo test lint rust-tools test-rust test-python test-node test-c doc install bench bench-quick clean help

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

build: ## Build the core, the sandbox and the CLI (debug).
	$(CARGO) build $(RUST_PACKAGES)

demo: ## Start the sandbox, execute a release stage through the CLI, print the result, stop.
	scripts/demo.sh

test: lint test-rust test-python test-node test-c ## Every lint and every suite.
	@echo "make test: every lint and suite passed"

catalog: ## Regenerate core/catalog.json and the README's table of operations from core.
	UPDATE_CATALOG=1 $(CARGO) test -p yunxiao-appstack --test catalog
	python3 scripts/gen_docs.py

rust-tools:
	@if command -v rustup >/dev/null; then \
	  rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt; \
	  rustup component list --installed | grep -q '^clippy' || rustup component add clippy; \
	fi

lint: rust-tools ## cargo fmt --check, clippy -D warnings, rustdoc -D warnings, generated docs fresh.
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps $(RUST_PACKAGES)
	python3 scripts/gen_docs.py --check

test-rust: ## The Rust suites: unit, vectors, integration, property tests, CLI.
	$(CARGO) test $(RUST_PACKAGES)

test-python: ## Build the Python binding into .venv and run its suite.
	bindings-python/scripts/test.sh

test-node: ## Build the Node binding and run its suite.
	bindings-node/scripts/test.sh

test-c: ## Build the C library, check the header, run the C suite (valgrind, sanitizers).
	bindings-c/scripts/test.sh

doc: ## The Rust API documentation.
	$(CARGO) doc --no-deps $(RUST_PACKAGES) --open

install: ## Install the C library, header and pkg-config file under PREFIX (default /usr/local).
	bindings-c/scripts/install.sh "$(PREFIX)"

bench: ## The full benchmark (≤ 10 minutes).
	bench/run.sh full

bench-quick: ## A short benchmark (≤ 2 minutes).
	bench/run.sh quick

clean: ## Remove build products.
	$(CARGO) clean
	rm -rf bindings-node/node_modules
