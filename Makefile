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
# `make install` builds this Cargo profile (dist-check installs the dev build the suites made).
INSTALL_PROFILE ?= release
profile_dir = $(if $(filter dev test,$(1)),debug,$(if $(filter bench,$(1)),release,$(1)))
VENV := $(CURDIR)/.venv
# `make dist` builds with the thin-LTO `dist` profile; `make test` checks a `dev` build of the same
# artefacts (same toolchain, same glibc baseline, same packaging; a fraction of the build time).
DIST_PROFILE ?= dist
TEST_DIST_PROFILE ?= dev

.PHONY: catalog build demo test lint rust-tools test-rust test-python test-node test-c test-dist doc install dist dist-tools dist-check bench bench-quick clean help

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

build: ## Build the core, the sandbox and the CLI (debug).
	$(CARGO) build $(RUST_PACKAGES)

demo: ## Start the sandbox, execute a release stage through the CLI, print the result, stop.
	scripts/demo.sh

test: dist-tools lint test-rust test-python test-node test-c test-dist ## Every lint and every suite, then the artefacts.
	@echo "make test: every lint and suite passed"

catalog: ## Regenerate core/catalog.json, the README's table and every binding's generated layer.
	UPDATE_CATALOG=1 $(CARGO) test -p yunxiao-appstack --test catalog
	python3 scripts/gen_docs.py
	$(VENV)/bin/python bindings-python/scripts/generate.py
	node bindings-node/scripts/generate.mjs
	python3 bindings-c/scripts/generate.py

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

test-dist: dist-tools ## make dist of dev-profile artefacts (TEST_DIST_PROFILE), then make dist-check.
	DIST_PROFILE=$(TEST_DIST_PROFILE) scripts/dist.sh
	scripts/dist-check.sh

dist-tools: ## Install the artefact toolchain into .venv: zig (ziglang), cargo-zigbuild, maturin, auditwheel.
	@[ -x "$(VENV)/bin/python" ] || python3 -m venv "$(VENV)"
	@"$(VENV)/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/dist-requirements.txt
	@command -v objdump >/dev/null && command -v pkg-config >/dev/null && command -v cc >/dev/null || { \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -qq </dev/null; \
	  apt-get install -y -qq --no-install-recommends binutils pkg-config gcc libc6-dev </dev/null; }

dist: dist-tools ## Every artefact into dist/ with SHA256SUMS: wheel + sdist, npm tarball, CLI, C library (glibc 2.17).
	DIST_PROFILE=$(DIST_PROFILE) scripts/dist.sh

dist-check: dist-tools ## Install dist/'s artefacts like a user (offline), call the sandbox, check the glibc ceiling.
	scripts/dist-check.sh

doc: ## The Rust API documentation.
	$(CARGO) doc --no-deps $(RUST_PACKAGES) --open

install: ## Install the CLI (PREFIX/bin) beside the C library, header and pkg-config files (default /usr/local).
	$(CARGO) build --profile $(INSTALL_PROFILE) -p yunxiao-appstack-cli
	install -d "$(DESTDIR)$(PREFIX)/bin"
	install -m 0755 "$(CARGO_TARGET_DIR)/$(call profile_dir,$(INSTALL_PROFILE))/yunxiao-appstack" "$(DESTDIR)$(PREFIX)/bin/yunxiao-appstack"
	YX_PROFILE=$(INSTALL_PROFILE) bindings-c/scripts/install.sh "$(PREFIX)"

bench: ## The full benchmark, pinned and shared tables (about 18 minutes with the builds).
	bench/run.sh full

bench-quick: ## A short benchmark (about 5 minutes once built).
	bench/run.sh quick

clean: ## Remove build products.
	$(CARGO) clean
	rm -rf bindings-node/node_modules dist
