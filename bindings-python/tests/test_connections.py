"""Connection reuse, counted by the sandbox: sequential calls keep one connection, and a
pooled connection the server closed while idle is replaced, never mistaken for a call that
may have executed."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Dict, Iterator

import pytest

from support import Sandbox

CALLS = 5
STAGE: Dict[str, Any] = {
    "app_name": "my-web-service",
    "release_workflow_sn": "wf-main",
    "release_stage_sn": "stage-deploy",
}


@pytest.fixture(scope="module")
def closing_sandbox() -> Iterator[Sandbox]:
    """A sandbox that closes connections idle for 100 ms."""
    server = Sandbox(idle_timeout_ms=100)
    yield server
    server.stop()


def test_sequential_calls_share_one_connection(sandbox: Sandbox) -> None:
    client = sandbox.client()
    before = sandbox.connections_accepted()
    client.execute_release_stage(**STAGE)  # run 1 of the freshly reset sandbox
    for _ in range(CALLS):
        client.execute_release_stage(**STAGE)
        client.get_release_stage_pipeline_run(**STAGE, execution_number=1)
    # The difference is the client's one connection and the second health request's own.
    assert sandbox.connections_accepted() - before == 2


def test_sequential_async_calls_share_one_connection(sandbox: Sandbox) -> None:
    async def calls() -> int:
        async with sandbox.async_client() as client:
            before = sandbox.connections_accepted()
            for _ in range(CALLS):
                await client.execute_release_stage(**STAGE)
            return sandbox.connections_accepted() - before

    assert asyncio.run(calls()) == 2


def test_a_connection_the_server_closed_while_idle_is_not_used(closing_sandbox: Sandbox) -> None:
    closing_sandbox.reset()
    client = closing_sandbox.client()
    for round in range(3):
        before = closing_sandbox.connections_accepted()
        # Fails with a "may have executed" error if sent on the closed connection.
        client.execute_release_stage(**STAGE)
        assert closing_sandbox.connections_accepted() - before == 2, (
            f"round {round}: a new connection"
        )
        time.sleep(0.6)
    executes = [r for r in closing_sandbox.requests() if r["path"].endswith(":execute")]
    assert len(executes) == 3
