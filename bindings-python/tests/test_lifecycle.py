"""The lifecycle scenarios against the sandbox's fast clock (1000x: a 10 s job takes 10 ms):
success, failure, cancel, gate, deadline and abort, through both clients; events through
``on_event=`` and ``async for event in client.watch_run(...)``."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from typing import Any, Dict, Iterator, List

import pytest

import yunxiao_appstack as yx

from support import APP, ORG, WORKFLOW, Sandbox

FAST: Any = {"poll_initial": 0.005, "poll_max": 0.02}


def stage(name: str) -> Any:
    return {"app_name": APP, "release_workflow_sn": WORKFLOW, "release_stage_sn": name}


@pytest.fixture(scope="module")
def fast_server() -> Iterator[Sandbox]:
    server = Sandbox(clock_scale=1000)
    yield server
    server.stop()


@pytest.fixture
def fast(fast_server: Sandbox) -> Sandbox:
    fast_server.reset()
    return fast_server


def cancels(sandbox: Sandbox) -> List[Dict[str, Any]]:
    return [r for r in sandbox.requests() if r["path"].endswith(":cancel")]


def status_of(client: yx.Client, name: str, number: int) -> Any:
    return client.get_release_stage_pipeline_run(**stage(name), execution_number=number).status


def wait_until_status(client: yx.Client, name: str, number: int, status: str) -> None:
    deadline = time.monotonic() + 10
    while status_of(client, name, number) != status:
        assert time.monotonic() < deadline, f"run {number} never became {status}"
        time.sleep(0.02)


# ---- blocking client -------------------------------------------------------------------


def test_success_with_typed_events(fast: Sandbox) -> None:
    events: List[yx.RunEvent] = []
    with fast.client() as client:
        done = client.execute_and_wait(**stage("stage-deploy"), **FAST, on_event=events.append)
    assert isinstance(done, yx.ExecuteAndWaitResult)
    assert done.outcome.state == "succeeded", done
    assert done.outcome.status == "SUCCESS"
    assert done.execute.run_id == done.outcome.run.execution_number
    kinds = [event.event for event in events]
    assert "run_status_changed" in kinds and "job_finished" in kinds, kinds
    finished = [e for e in events if isinstance(e, yx.JobFinishedEvent)]
    assert {e.job for e in finished} == {"Build", "Deploy"}
    assert "raw" not in repr(done) and "pt-" not in repr(done)


def test_failure_is_an_outcome_with_the_failed_job(fast: Sandbox) -> None:
    with fast.client() as client:
        run = client.execute_release_stage(APP, WORKFLOW, "stage-fail")
        assert run.run_id is not None
        outcome = client.wait_for_run(**stage("stage-fail"), execution_number=run.run_id, **FAST)
    assert outcome.state == "failed"
    assert [job.job for job in outcome.failed_jobs] == ["Test"]
    assert outcome.failed_jobs[0].job_id is not None


def test_cancel_then_wait_sees_canceled(fast: Sandbox) -> None:
    with fast.client() as client:
        run = client.execute_release_stage(APP, WORKFLOW, "stage-long")
        assert run.run_id is not None
        cancel = client.cancel_release_stage_execution(
            **stage("stage-long"), execution_number=run.run_id
        )
        assert isinstance(cancel, yx.CancelOutcome)
        assert cancel.canceled is True and cancel.already_finished is False
        outcome = client.wait_for_run(**stage("stage-long"), execution_number=run.run_id, **FAST)
    assert outcome.state == "canceled", outcome


def test_gate_stop_then_pass_from_the_event_callback(fast: Sandbox) -> None:
    with fast.client() as client:
        run = client.execute_release_stage(APP, WORKFLOW, "stage-gate")
        assert run.run_id is not None
        number = run.run_id
        stopped = client.wait_for_run(
            **stage("stage-gate"), execution_number=number, on_approval="stop", **FAST
        )
        assert stopped.state == "waiting_for_approval"
        assert stopped.gate is not None and stopped.gate.job == "Approve"

        def approve(event: yx.RunEvent) -> None:
            # A call from inside the callback: events arrive on the waiting thread.
            if isinstance(event, yx.WaitingForApprovalEvent):
                assert event.job_id is not None
                result = client.pass_pipeline_validate(
                    **stage("stage-gate"), execution_number=number, job_id=event.job_id
                )
                assert isinstance(result, yx.ActionOutcome)

        outcome = client.wait_for_run(
            **stage("stage-gate"), execution_number=number, on_event=approve, **FAST
        )
    assert outcome.state == "succeeded", outcome


def test_deadline_ends_the_wait_not_the_run(fast: Sandbox) -> None:
    with fast.client() as client:
        run = client.execute_release_stage(APP, WORKFLOW, "stage-long")
        assert run.run_id is not None
        outcome = client.wait_for_run(
            **stage("stage-long"), execution_number=run.run_id, deadline=0.2, **FAST
        )
        assert outcome.state == "deadline_exceeded"
        assert status_of(client, "stage-long", run.run_id) == "RUNNING"
    assert cancels(fast) == []


def interrupt_main_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals")
def test_ctrl_c_stops_the_wait_at_once_and_leaves_the_run(fast: Sandbox) -> None:
    with fast.client() as client:
        run = client.execute_release_stage(APP, WORKFLOW, "stage-long")
        assert run.run_id is not None
        started = time.monotonic()
        timer = interrupt_main_after(0.2)
        with pytest.raises(KeyboardInterrupt):
            # A poll schedule far slower than the interrupt: it must not wait for a poll.
            client.wait_for_run(
                **stage("stage-long"), execution_number=run.run_id, poll_initial=30, poll_max=30
            )
        timer.join()
        assert time.monotonic() - started < 1.5
        assert status_of(client, "stage-long", run.run_id) == "RUNNING"
    assert cancels(fast) == []


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals")
def test_ctrl_c_with_cancel_on_abort_cancels_the_run(fast: Sandbox) -> None:
    with fast.client() as client:
        run = client.execute_release_stage(APP, WORKFLOW, "stage-long")
        assert run.run_id is not None
        timer = interrupt_main_after(0.2)
        with pytest.raises(KeyboardInterrupt):
            client.wait_for_run(
                **stage("stage-long"),
                execution_number=run.run_id,
                cancel_on_abort=True,
                poll_initial=30,
                poll_max=30,
            )
        timer.join()
        # The cancel was sent before the interrupt propagated.
        assert len(cancels(fast)) == 1
        wait_until_status(client, "stage-long", run.run_id, "CANCELED")


def test_an_exception_in_on_event_stops_the_wait_and_propagates(fast: Sandbox) -> None:
    class Stop(Exception):
        pass

    def stop(event: yx.RunEvent) -> None:
        raise Stop(event.event)

    with fast.client() as client:
        run = client.execute_release_stage(APP, WORKFLOW, "stage-long")
        assert run.run_id is not None
        with pytest.raises(Stop):
            client.wait_for_run(
                **stage("stage-long"), execution_number=run.run_id, on_event=stop, **FAST
            )
        assert status_of(client, "stage-long", run.run_id) == "RUNNING"
    assert cancels(fast) == []


def test_follow_job_log_and_the_finders(fast: Sandbox) -> None:
    lines: List[str] = []
    with fast.client() as client:
        since = int(time.time() * 1000)
        done = client.execute_and_wait(**stage("stage-deploy"), **FAST)
        assert done.outcome.state == "succeeded"
        number = done.outcome.run.execution_number
        run = client.get_release_stage_pipeline_run(
            **stage("stage-deploy"), execution_number=number
        )
        job = run.stages[0].jobs[0]
        assert job.id is not None
        followed = client.follow_job_log(
            **stage("stage-deploy"),
            execution_number=number,
            job_id=job.id,
            on_event=lambda e: lines.append(e.line) if isinstance(e, yx.LogLineEvent) else None,
            **FAST,
        )
        assert followed.lines == len(lines) > 0
        found = client.find_release_stage(app_name=APP, workflow="Main", stage="stage-deploy")
        assert isinstance(found, yx.StageRef)
        assert (found.release_workflow_sn, found.release_stage_sn) == (WORKFLOW, "stage-deploy")
        started = client.find_runs_started_since(
            **stage("stage-deploy"), since_epoch_ms=since - 1000
        )
        assert [r.number for r in started] == [number]
        assert client.newest_run_number(**stage("stage-deploy")) == number
        assert [r.number for r in client.iter_release_stage_runs(**stage("stage-deploy"))] == [
            number
        ]


def test_argument_errors_are_the_cores_naming_the_python_argument(fast: Sandbox) -> None:
    with fast.client() as client:
        with pytest.raises(yx.InvalidRequestError, match="deadline must be above 0"):
            client.wait_for_run(**stage("stage-deploy"), execution_number=1, deadline=-1)
        with pytest.raises(yx.InvalidRequestError, match="execution_number"):
            client.get_release_stage_pipeline_run(
                **stage("stage-deploy"),
                execution_number="7",  # type: ignore[arg-type]
            )
        with pytest.raises(yx.InvalidRequestError, match="unknown argument"):
            client.call("get_release_stage_pipeline_run", {**stage("x"), "timeout_ms": 1})
    assert fast.count() == 0


# ---- asyncio client ---------------------------------------------------------------------


def test_async_watch_run_yields_events_then_the_outcome(fast: Sandbox) -> None:
    async def main() -> None:
        async with fast.async_client() as client:
            run = await client.execute_release_stage(APP, WORKFLOW, "stage-fail")
            assert run.run_id is not None
            stream = client.watch_run(**stage("stage-fail"), execution_number=run.run_id, **FAST)
            events = [event async for event in stream]
            assert any(isinstance(e, yx.JobFinishedEvent) and e.status == "FAIL" for e in events)
            assert stream.result.state == "failed"
            assert [j.job for j in stream.result.failed_jobs] == ["Test"]
            done = await client.execute_and_wait(**stage("stage-deploy"), **FAST)
            assert done.outcome.state == "succeeded"
            numbers = [
                r.number
                async for r in client.iter_release_stage_runs(**stage("stage-deploy"), per_page=1)
            ]
            assert numbers == [done.outcome.run.execution_number]

    asyncio.run(main())


def test_async_gate_cancel_and_deadline(fast: Sandbox) -> None:
    async def main() -> None:
        async with fast.async_client() as client:
            gate = await client.execute_release_stage(APP, WORKFLOW, "stage-gate")
            assert gate.run_id is not None
            async for event in client.watch_run(
                **stage("stage-gate"), execution_number=gate.run_id, **FAST
            ):
                if isinstance(event, yx.WaitingForApprovalEvent):
                    assert event.job_id is not None
                    await client.refuse_pipeline_validate(
                        **stage("stage-gate"), execution_number=gate.run_id, job_id=event.job_id
                    )
            refused = await client.wait_for_run(
                **stage("stage-gate"), execution_number=gate.run_id, **FAST
            )
            assert refused.state in ("failed", "canceled"), refused
            long = await client.execute_release_stage(APP, WORKFLOW, "stage-long")
            assert long.run_id is not None
            late = await client.wait_for_run(
                **stage("stage-long"), execution_number=long.run_id, deadline=0.1, **FAST
            )
            assert late.state == "deadline_exceeded"
            cancel = await client.cancel_release_stage_execution(
                **stage("stage-long"), execution_number=long.run_id
            )
            assert cancel.canceled
            over = await client.wait_for_run(
                **stage("stage-long"), execution_number=long.run_id, **FAST
            )
            assert over.state == "canceled"

    asyncio.run(main())


def test_cancelling_the_task_stops_the_wait_and_leaves_the_run(fast: Sandbox) -> None:
    async def main() -> int:
        async with fast.async_client() as client:
            run = await client.execute_release_stage(APP, WORKFLOW, "stage-long")
            assert run.run_id is not None
            task = asyncio.ensure_future(
                client.wait_for_run(
                    **stage("stage-long"),
                    execution_number=run.run_id,
                    poll_initial=30,
                    poll_max=30,
                )
            )
            await asyncio.sleep(0.2)
            started = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert time.monotonic() - started < 0.5
            # Leaving an event stream early stops its wait too.
            async for _ in client.watch_run(
                **stage("stage-long"), execution_number=run.run_id, **FAST
            ):
                break
            return run.run_id

    number = asyncio.run(main())
    with fast.client() as client:
        assert status_of(client, "stage-long", number) == "RUNNING"
    assert cancels(fast) == []


def test_cancelling_the_task_with_cancel_on_abort_cancels_the_run(fast: Sandbox) -> None:
    async def main() -> int:
        async with fast.async_client() as client:
            run = await client.execute_release_stage(APP, WORKFLOW, "stage-long")
            assert run.run_id is not None
            task = asyncio.ensure_future(
                client.wait_for_run(
                    **stage("stage-long"),
                    execution_number=run.run_id,
                    cancel_on_abort=True,
                    **FAST,
                )
            )
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return run.run_id

    number = asyncio.run(main())
    with fast.client() as client:
        wait_until_status(client, "stage-long", number, "CANCELED")
    assert len(cancels(fast)) == 1


def test_settings_reach_the_core(fast: Sandbox, tmp_path: Any) -> None:
    with fast.client(deadline=30, max_rps=50.0, proxy="http://user:secret@127.0.0.1:9") as c:
        assert (c.deadline, c.max_rps, c.has_proxy) == (30.0, 50.0, True)
        assert "secret" not in repr(c)
    with pytest.raises(yx.ConfigurationError, match="max_rps"):
        fast.client(max_rps=-1.0)
    missing = tmp_path / "missing.pem"
    with pytest.raises(yx.ConfigurationError):
        fast.client(ca_bundle=missing).get_release_stage(**stage("stage-deploy"))
    assert ORG


def test_did_an_ambiguous_execute_start_a_run(fast: Sandbox) -> None:
    # The answer is late: the attempt times out after the execute was sent (the sandbox drops
    # the request with the connection, so no run starts). The error's started_at is what
    # find_runs_started_since compares start times with: none started, a retry is safe, and
    # the run it starts is found from the same instant.
    fast.faults({"action": "pass", "delay_ms": 600})
    since = 0
    with fast.client(max_retries=0, timeout=0.2) as client:
        with pytest.raises(yx.APITimeoutError) as raised:
            client.execute_release_stage(APP, WORKFLOW, "stage-long")
        error = raised.value
        assert error.may_have_executed is True
        assert error.operation == "ExecuteChangeRequestReleaseStage"
        assert error.effect == "mutating" and error.action
        assert error.started_at is not None and abs(error.started_at - time.time()) < 60
        since = int(error.started_at * 1000)
    time.sleep(0.6)
    with fast.client() as client:
        assert client.find_runs_started_since(**stage("stage-long"), since_epoch_ms=since) == ()
        retried = client.execute_release_stage(APP, WORKFLOW, "stage-long")
        started = client.find_runs_started_since(**stage("stage-long"), since_epoch_ms=since)
        assert [run.number for run in started] == [retried.run_id]
