"""Fixtures: the sandbox server (one per session, reset per test) and a clean environment."""

from __future__ import annotations

from typing import Iterator

import pytest

from support import ENV_NAMES, Sandbox


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    server = Sandbox()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def tls_sandbox_server() -> Iterator[Sandbox]:
    server = Sandbox(tls=True)
    yield server
    server.stop()


@pytest.fixture
def tls_sandbox(tls_sandbox_server: Sandbox) -> Sandbox:
    """The session's HTTPS sandbox (its CA trusted through ca_bundle), reset."""
    tls_sandbox_server.reset()
    return tls_sandbox_server


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    """The session's sandbox, reset: no requests, no faults, run counters at zero."""
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No YUNXIAO_* variable of the developer's shell leaks into a test."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
