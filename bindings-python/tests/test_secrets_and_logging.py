"""The token never shows up in exceptions, reprs or logs; logs go through `logging` only."""

from __future__ import annotations

import asyncio
import logging
import pickle
import textwrap
import traceback
from typing import Any, Dict, Iterator, List

import pytest

import yunxiao_appstack as yx

from support import APP, ORG, STAGE, WORKFLOW, Sandbox, run_python

# Distinctive, so that any leak is found by a plain substring search.
SECRET = "pt-SECRET-7f3c9a1e5b2d4068-do-not-leak"


@pytest.fixture(scope="module")
def secret_sandbox() -> Iterator[Sandbox]:
    server = Sandbox(token=SECRET)
    yield server
    server.stop()


def exception_texts(error: BaseException) -> List[str]:
    texts = [str(error), repr(error), "".join(traceback.format_exception(type(error), error, None))]
    texts += [repr(value) for value in vars(error).values()]
    texts.append(repr(pickle.dumps(error)))
    return texts


def test_token_never_leaks(
    secret_sandbox: Sandbox, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    sandbox = secret_sandbox
    sandbox.reset()
    caplog.set_level(logging.DEBUG, logger="yunxiao_appstack")
    seen: List[str] = []
    client = sandbox.client(max_retries=1)
    seen += [repr(client), str(client)]

    # Success, with a retry on the way (debug and info records).
    sandbox.faults({"status": 429, "headers": {"Retry-After": "0"}})
    result = client.execute_release_stage(APP, WORKFLOW, STAGE)
    seen += [repr(result), repr(result.raw)]

    # Servers that echo the token back, in every field an error keeps.
    echo: Dict[str, Any] = {
        "errorCode": f"Bad-{SECRET}",
        "errorMessage": f"token {SECRET} is revoked",
        "requestId": f"req-{SECRET}",
        "traceId": f"trace-{SECRET}",
    }
    faults: List[Dict[str, Any]] = [
        {"status": 401, "body": echo},
        {"status": 500, "body": f"<html>{SECRET}</html>"},
        {"status": 200, "body": f"not json {SECRET}"},
        {"action": "close"},
    ]
    for fault in faults:
        sandbox.faults(fault)
        with pytest.raises(yx.YunxiaoError) as caught:
            client.execute_release_stage(APP, WORKFLOW, STAGE, organization_id=ORG)
        seen += exception_texts(caught.value)
    # ... the timeout case needs a short timeout.
    short = sandbox.client(timeout=0.3)
    sandbox.faults({"delay_ms": 2000})
    with pytest.raises(yx.APITimeoutError) as caught_timeout:
        short.execute_release_stage(APP, WORKFLOW, STAGE)
    seen += [*exception_texts(caught_timeout.value), repr(short)]

    # Errors about the token itself never quote it.
    for bad in (SECRET + "\n", SECRET + " x"):
        with pytest.raises(yx.ConfigurationError) as caught_config:
            yx.Client(token=bad)
        seen += exception_texts(caught_config.value)
    with pytest.raises(TypeError) as caught_type:
        yx.Client(token=SECRET.encode())  # type: ignore[arg-type]
    seen += exception_texts(caught_type.value)

    # The asyncio path.
    async def main() -> None:
        async with sandbox.async_client() as async_client:
            seen.append(repr(async_client))
            sandbox.faults({"status": 403, "body": echo})
            with pytest.raises(yx.PermissionDeniedError) as caught_async:
                await async_client.execute_release_stage(APP, WORKFLOW, STAGE)
            seen.extend(exception_texts(caught_async.value))

    asyncio.run(main())

    records = caplog.records
    assert any(r.levelno == logging.INFO for r in records), "the retry was not logged"
    for record in records:
        seen += [record.getMessage(), repr(getattr(record, "yunxiao", None)), repr(record.__dict__)]
    out, err = capfd.readouterr()
    seen += [out, err]
    leaks = [text for text in seen if SECRET in text]
    # The failure message itself must not print the token.
    assert not leaks, [text.replace(SECRET, "<TOKEN>")[:300] for text in leaks[:3]]
    # What the server echoed is still readable, masked.
    assert "****" in "".join(seen)
    client.close()
    short.close()


def test_records_carry_structured_fields(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="yunxiao_appstack")
    sandbox.faults({"status": 429, "headers": {"Retry-After": "0"}})
    with sandbox.client() as client:
        client.execute_release_stage(APP, WORKFLOW, STAGE)
    ours = [r for r in caplog.records if r.name == "yunxiao_appstack"]
    assert [r.levelname for r in ours] == ["DEBUG", "INFO", "DEBUG"]
    failed, retry, succeeded = (r.__dict__["yunxiao"] for r in ours)
    assert failed["attempt"] == 1 and failed["status"] == 429
    assert failed["error_kind"] == "rate_limited" and failed["may_have_executed"] is False
    assert retry["reason"] == "rate limited"
    assert succeeded["attempt"] == 2 and succeeded["status"] == 200
    assert ":execute" in succeeded["url"]
    assert ours[0].getMessage().startswith("execute_release_stage attempt failed: method=POST url=")


def test_nothing_is_logged_below_the_loggers_level(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="yunxiao_appstack")
    with sandbox.client() as client:
        client.execute_release_stage(APP, WORKFLOW, STAGE)
    assert [r for r in caplog.records if r.name == "yunxiao_appstack"] == []


def test_nothing_reaches_stderr_without_logging_configuration(sandbox: Sandbox) -> None:
    # A warning-level event (a result field that is not a number), in a fresh interpreter
    # where logging is not configured: the library stays silent.
    sandbox.faults({"status": 200, "body": {"object": "soon", "pipelineRunId": 5}})
    code = textwrap.dedent(
        """
        import yunxiao_appstack as yx
        result = yx.execute_release_stage("my-web-service", "wf-main", "stage-deploy")
        assert result.run_id == 5 and result.object is None, result
        """
    )
    done = run_python(code, sandbox.env())
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout == ""


def test_warnings_reach_a_configured_logger(sandbox: Sandbox) -> None:
    sandbox.faults({"status": 200, "body": {"object": "soon", "pipelineRunId": 5}})
    code = textwrap.dedent(
        """
        import logging, sys
        logging.basicConfig(stream=sys.stdout, format="%(name)s %(levelname)s %(message)s")
        import yunxiao_appstack as yx
        yx.execute_release_stage("my-web-service", "wf-main", "stage-deploy")
        """
    )
    done = run_python(code, sandbox.env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("yunxiao_appstack WARNING answer field is not a non-negative")
    assert "field=object" in done.stdout
    assert done.stderr == ""
