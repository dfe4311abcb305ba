"""The asyncio client: results, errors, concurrency without threads, cancellation."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from typing import Any, Awaitable, Callable, List, TypeVar

import pytest

import yunxiao_appstack as yx

from support import APP, STAGE, WORKFLOW, Sandbox

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(main())  # type: ignore[arg-type]


def os_thread_count() -> int:
    if sys.platform.startswith("linux"):
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    return threading.active_count()


def test_async_call_and_context_manager(sandbox: Sandbox) -> None:
    async def main() -> yx.ExecuteReleaseStageResponse:
        async with sandbox.async_client() as client:
            result = await client.execute_release_stage(APP, WORKFLOW, STAGE, comment="async")
        assert client.closed
        return result

    result = run(main)
    assert result.run_id == 1 and result.request_id
    assert sandbox.requests()[0]["json"] == {"params": {"FLOW_INST_RUNNING_COMMENT": "async"}}


def test_async_errors_are_the_same_classes(sandbox: Sandbox) -> None:
    sandbox.faults({"status": 503, "headers": {"Retry-After": "0"}, "times": 5})

    async def main() -> None:
        async with sandbox.async_client(max_retries=1) as client:
            with pytest.raises(yx.InternalServerError) as caught:
                await client.execute_release_stage(APP, WORKFLOW, STAGE)
            assert caught.value.may_have_executed is False
            assert caught.value.retry_after == 0.0
            with pytest.raises(yx.InvalidRequestError):
                await client.execute_release_stage("", WORKFLOW, STAGE)
            with pytest.raises(TypeError, match="app_name"):
                await client.execute_release_stage(1, WORKFLOW, STAGE)  # type: ignore[arg-type]

    run(main)
    assert sandbox.count() == 2


def test_200_concurrent_calls_on_one_client_without_a_thread_each(sandbox: Sandbox) -> None:
    # A little latency on every answer keeps all 200 calls in flight at once.
    sandbox.faults({"delay_ms": 200, "times": 200})
    peak = 0

    async def main() -> List[yx.ExecuteReleaseStageResponse]:
        nonlocal peak
        async with sandbox.async_client() as client:
            before = os_thread_count()
            calls = asyncio.gather(
                *(client.execute_release_stage(APP, WORKFLOW, STAGE) for _ in range(200))
            )
            task = asyncio.ensure_future(calls)
            while not task.done():
                peak = max(peak, os_thread_count() - before)
                await asyncio.sleep(0.01)
            return await task

    started = time.monotonic()
    results = run(main)
    elapsed = time.monotonic() - started
    assert sorted(r.run_id for r in results if r.run_id) == list(range(1, 201))
    assert sandbox.count() == 200
    # One thread per call would add ~200; the runtime's workers are created once.
    assert peak < 10, peak
    # Concurrent, not serial (200 calls of 0.2 s each would take 40 s).
    assert elapsed < 10, elapsed


def test_cancelling_the_task_cancels_the_request(sandbox: Sandbox) -> None:
    sandbox.faults({"delay_ms": 1500})

    async def main() -> float:
        async with sandbox.async_client(timeout=30) as client:
            task = asyncio.ensure_future(client.execute_release_stage(APP, WORKFLOW, STAGE))
            while sandbox.count() == 0:
                await asyncio.sleep(0.01)
            started = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return time.monotonic() - started

    assert run(main) < 1.0
    # The connection was dropped while the sandbox held the request: that run never started,
    # so the next call is the stage's first.
    time.sleep(1.7)
    with sandbox.client() as client:
        assert client.execute_release_stage(APP, WORKFLOW, STAGE).run_id == 1


def test_wait_for_timeout_cancels(sandbox: Sandbox) -> None:
    sandbox.faults({"delay_ms": 3000})

    async def main() -> None:
        async with sandbox.async_client(timeout=30) as client:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.execute_release_stage(APP, WORKFLOW, STAGE), 0.3)
            # The client stays usable.
            assert (await client.execute_release_stage(APP, WORKFLOW, "stage-build")).run_id == 1

    started = time.monotonic()
    run(main)
    assert time.monotonic() - started < 2.5


def test_one_client_across_event_loops(sandbox: Sandbox) -> None:
    client = sandbox.async_client()

    async def once() -> Any:
        return (await client.execute_release_stage(APP, WORKFLOW, STAGE)).run_id

    assert [asyncio.run(once()) for _ in range(3)] == [1, 2, 3]

    async def close() -> None:
        await client.close()

    asyncio.run(close())
    assert client.closed


def open_unix_sockets() -> int:
    """Unix-domain sockets open in this process (a completion queue is a pair of them; the
    connection pool's TCP sockets, whose number varies, are not counted)."""
    with open("/proc/net/unix") as table:
        unix_inodes = {line.split()[6] for line in list(table)[1:] if len(line.split()) > 6}
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # the directory's own descriptor, closed by now
        if target.startswith("socket:[") and target[8:-1] in unix_inodes:
            count += 1
    return count


@pytest.mark.skipif(not os.path.isfile("/proc/net/unix"), reason="needs Linux /proc")
def test_each_loop_releases_its_completion_queue(sandbox: Sandbox) -> None:
    # Each loop gets a completion queue (a watched socket) while it has calls in flight; it is
    # released once none is pending, so loop after loop leaks no descriptor.
    from yunxiao_appstack import _client

    client = sandbox.async_client()

    async def many() -> List[Any]:
        calls = [client.execute_release_stage(APP, WORKFLOW, STAGE) for _ in range(20)]
        return [run.run_id for run in await asyncio.gather(*calls)]

    assert sorted(asyncio.run(many())) == list(range(1, 21))

    def settled_count() -> int:
        # A queue's write end closes when the runtime task that used it last is dropped, a
        # moment after it delivered: wait until the count holds still.
        count, deadline = open_unix_sockets(), time.monotonic() + 2
        while time.monotonic() < deadline:
            time.sleep(0.05)
            count, previous = open_unix_sockets(), count
            if count == previous:
                break
        return count

    before = settled_count()
    for _ in range(5):
        asyncio.run(many())
    assert settled_count() == before
    assert not _client._queues


def test_loops_in_several_threads_at_once(sandbox: Sandbox) -> None:
    client = sandbox.async_client()
    results: List[List[Any]] = []

    async def many() -> List[Any]:
        calls = [client.execute_release_stage(APP, WORKFLOW, STAGE) for _ in range(25)]
        return [run.run_id for run in await asyncio.gather(*calls)]

    def in_thread() -> None:
        results.append(asyncio.run(many()))

    threads = [threading.Thread(target=in_thread) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(run_id for ids in results for run_id in ids) == list(range(1, 101))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the abandoned coroutine never ran on
def test_a_loop_closed_mid_call_does_not_break_other_loops(sandbox: Sandbox) -> None:
    from yunxiao_appstack import _client

    sandbox.faults({"delay_ms": 500, "times": 1})
    client = sandbox.async_client(timeout=30)
    abandoned = asyncio.new_event_loop()
    task = abandoned.create_task(client.execute_release_stage(APP, WORKFLOW, STAGE))
    while sandbox.count() == 0:
        abandoned.run_until_complete(asyncio.sleep(0.01))
    # Closed with the call in flight and its task never finished.
    abandoned.close()
    time.sleep(0.7)

    async def once() -> Any:
        return (await client.execute_release_stage(APP, WORKFLOW, "stage-build")).run_id

    assert asyncio.run(once()) == 1
    assert abandoned not in _client._queues
    del task


def test_the_event_loop_keeps_running_during_calls(sandbox: Sandbox) -> None:
    sandbox.faults({"delay_ms": 500})
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    async def main() -> None:
        tick_task = asyncio.ensure_future(ticker())
        async with sandbox.async_client() as client:
            await client.execute_release_stage(APP, WORKFLOW, STAGE)
        tick_task.cancel()

    run(main)
    assert ticks > 30, ticks


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_async_in_a_forked_child(sandbox: Sandbox) -> None:
    client = sandbox.async_client()

    async def once() -> Any:
        return (await client.execute_release_stage(APP, WORKFLOW, STAGE)).run_id

    assert asyncio.run(once()) == 1
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if asyncio.run(once()) == 2 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
