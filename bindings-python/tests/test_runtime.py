"""Runtime behaviour of the blocking client: the GIL, threads, fork, multiprocessing, Ctrl-C."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional, Tuple

import pytest

import yunxiao_appstack as yx

from support import APP, ORG, STAGE, WORKFLOW, Sandbox

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process semantics")


def test_the_gil_is_released_during_a_call(sandbox: Sandbox) -> None:
    sandbox.faults({"delay_ms": 800})
    ticks = 0
    stop = threading.Event()

    def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    with sandbox.client() as client:
        thread = threading.Thread(target=ticker)
        thread.start()
        time.sleep(0.05)
        before = ticks
        started = time.monotonic()
        result = client.execute_release_stage(APP, WORKFLOW, STAGE)
        elapsed = time.monotonic() - started
        during = ticks - before
        stop.set()
        thread.join()
    assert result.run_id == 1
    assert elapsed >= 0.7
    # Held GIL: the ticker would stand still for the whole call. Released: ~1 tick per ms.
    assert during > 100, during


def test_32_threads_share_one_client(sandbox: Sandbox) -> None:
    threads, calls = 32, 20
    with sandbox.client() as client:

        def worker(_: int) -> List[Optional[int]]:
            return [client.execute_release_stage(APP, WORKFLOW, STAGE).run_id for _ in range(calls)]

        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = [run_id for batch in pool.map(worker, range(threads)) for run_id in batch]
    # Every call ran exactly once: the run counter hands out 1..640 without gap or repeat.
    assert sorted(run_id or 0 for run_id in results) == list(range(1, threads * calls + 1))
    assert sandbox.count() == threads * calls


def wait_for_child(pid: int, timeout: float = 30.0) -> int:
    """The exit status of a forked child; kills it if it hangs (a deadlock after fork)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return (
                os.waitstatus_to_exitcode(status)
                if hasattr(os, "waitstatus_to_exitcode")
                else status >> 8
            )
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError("the forked child hung")


def child_call(client: yx.Client, stage: str = STAGE) -> None:
    """In a forked child: one call, then exit 0 on success (never returns)."""
    code = 1
    try:
        result = client.execute_release_stage(APP, WORKFLOW, stage)
        code = 0 if result.run_id else 2
    except BaseException:
        code = 3
    finally:
        os._exit(code)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # 3.12+: fork with threads
def test_forked_child_gets_a_fresh_runtime(sandbox: Sandbox) -> None:
    with sandbox.client() as client:
        # The parent has a runtime, a pool and a warm connection before the fork.
        assert client.execute_release_stage(APP, WORKFLOW, STAGE).run_id == 1
        pid = os.fork()
        if pid == 0:
            child_call(client)
        assert wait_for_child(pid) == 0
        # The parent is unaffected by the child's use (and exit).
        assert client.execute_release_stage(APP, WORKFLOW, STAGE).run_id == 3
    assert sandbox.count() == 3


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_fork_while_a_call_is_in_flight(sandbox: Sandbox) -> None:
    # A slow call is running on the parent's runtime at the moment of the fork: the child must
    # not inherit anything locked.
    sandbox.faults({"route": "*", "delay_ms": 1000})
    with sandbox.client() as client:
        results: List[Optional[int]] = []
        slow = threading.Thread(
            target=lambda: results.append(client.execute_release_stage(APP, WORKFLOW, STAGE).run_id)
        )
        slow.start()
        time.sleep(0.2)
        pid = os.fork()
        if pid == 0:
            child_call(client, "stage-build")
        assert wait_for_child(pid) == 0
        slow.join()
    assert results == [1]


def pool_call(stage: str) -> Tuple[int, Optional[int]]:
    assert POOL_CLIENT is not None
    return os.getpid(), POOL_CLIENT.execute_release_stage(APP, WORKFLOW, stage).run_id


def pool_fail(_: int) -> None:
    assert POOL_CLIENT is not None
    POOL_CLIENT.execute_release_stage(APP, WORKFLOW, "no-such-stage")


POOL_CLIENT: Optional[yx.Client] = None


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_multiprocessing_fork_pool(sandbox: Sandbox) -> None:
    global POOL_CLIENT
    POOL_CLIENT = sandbox.client()
    try:
        assert POOL_CLIENT.execute_release_stage(APP, WORKFLOW, STAGE).run_id == 1
        context = multiprocessing.get_context("fork")
        with context.Pool(4) as pool:
            results = pool.map(pool_call, ["stage-build"] * 16)
            # Exceptions travel back from the workers intact (they pickle).
            with pytest.raises(yx.NotFoundError) as caught:
                pool.apply(pool_fail, (0,))
        assert caught.value.status == 404 and caught.value.may_have_executed is False
        assert sorted(run_id or 0 for _, run_id in results) == list(range(1, 17))
        assert len({pid for pid, _ in results}) > 1
        assert all(pid != os.getpid() for pid, _ in results)
    finally:
        POOL_CLIENT.close()
        POOL_CLIENT = None


INTERRUPT_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import yunxiao_appstack as yx

    client = yx.Client(token=sys.argv[1], base_url=sys.argv[2], organization_id=sys.argv[3],
                       timeout=30)
    print("calling", flush=True)
    started = time.monotonic()
    try:
        client.execute_release_stage("my-web-service", "wf-main", "stage-deploy")
        print("returned", flush=True)
    except KeyboardInterrupt:
        print(f"interrupted {time.monotonic() - started:.3f}", flush=True)
    """
)


def test_ctrl_c_interrupts_a_blocking_call(sandbox: Sandbox) -> None:
    sandbox.faults({"delay_ms": 2000})
    child = subprocess.Popen(
        [sys.executable, "-c", INTERRUPT_SCRIPT, sandbox.token, sandbox.url, ORG],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "calling"
        # Wait until the request has reached the sandbox: the call is blocked on the answer.
        deadline = time.monotonic() + 10
        while sandbox.count() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sandbox.count() == 1
        time.sleep(0.2)
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=10)
        waited = time.monotonic() - sent
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert out.startswith("interrupted"), (out, err)
    assert waited < 1.0, waited
    assert child.returncode == 0, err
    # The interrupted request's connection was dropped while the sandbox held it: that run
    # never started, so the next call is the stage's first.
    time.sleep(2.0)
    with sandbox.client() as client:
        assert client.execute_release_stage(APP, WORKFLOW, STAGE).run_id == 1


def test_a_thread_that_is_not_main_is_not_woken(sandbox: Sandbox) -> None:
    # Calls from worker threads wait without polling for signals and still complete.
    sandbox.faults({"delay_ms": 300})
    with sandbox.client() as client, ThreadPoolExecutor(1) as pool:
        assert pool.submit(client.execute_release_stage, APP, WORKFLOW, STAGE).result().run_id == 1


def test_a_daemon_thread_blocked_at_exit_does_not_crash_the_interpreter(sandbox: Sandbox) -> None:
    # The main thread exits while a daemon thread waits in a call; the call's answer arrives
    # during finalization. The process must exit cleanly (no crash, no hang).
    sandbox.faults({"delay_ms": 400})
    script = textwrap.dedent(
        f"""
        import threading, time
        import yunxiao_appstack as yx
        client = yx.Client(token={sandbox.token!r}, base_url={sandbox.url!r},
                           organization_id={ORG!r})
        threading.Thread(
            target=client.execute_release_stage,
            args=("my-web-service", "wf-main", "stage-deploy"),
            daemon=True,
        ).start()
        time.sleep(0.2)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
