"""Replays every conformance vector in tests/vectors/ (see tests/README.md) against the sandbox,
through the blocking and the asyncio client.

The files are globbed when the tests are collected, so a new vector is picked up without any
change here.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import pytest

import yunxiao_appstack as yx

from support import SANDBOX_TOKEN, WORKSPACE, Sandbox

VECTORS_DIR = WORKSPACE / "tests" / "vectors"
EXECUTE = "ExecuteChangeRequestReleaseStage"
# The execute vectors; the other operations' vectors are replayed by the Rust runner until this
# binding's generic bridge lands.
VECTORS = sorted(
    path
    for path in VECTORS_DIR.glob("*.json")
    if json.loads(path.read_text(encoding="utf-8")).get("operation", EXECUTE) == EXECUTE
)

Outcome = Union[yx.ExecuteReleaseStageResponse, yx.YunxiaoError]


def load(path: Path) -> Dict[str, Any]:
    vector: Dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return vector


def client_settings(vector: Dict[str, Any], sandbox: Sandbox) -> Dict[str, Any]:
    spec = vector.get("client", {})
    base_url = spec.get("base_url") or sandbox.url + spec.get("base_path", "")
    return {
        "token": spec.get("token", SANDBOX_TOKEN),
        "base_url": base_url,
        "edition": spec.get("edition"),
        "organization_id": spec.get("organization_id"),
        "timeout": spec.get("timeout", 10.0),
        "max_retries": spec.get("max_retries"),
        "ca_bundle": sandbox.ca_path,
    }


def call_arguments(vector: Dict[str, Any]) -> Dict[str, Any]:
    # The input's keys are the binding's argument names; absent means not given.
    return dict(vector["input"])


def prepare(vector: Dict[str, Any], sandbox: Sandbox) -> None:
    sandbox.reset()
    if vector.get("faults"):
        sandbox.faults(*vector["faults"])


def run_sync(vector: Dict[str, Any], sandbox: Sandbox) -> Outcome:
    try:
        with yx.Client(**client_settings(vector, sandbox)) as client:
            return client.execute_release_stage(**call_arguments(vector))
    except yx.YunxiaoError as error:
        return error


def run_async(vector: Dict[str, Any], sandbox: Sandbox) -> Outcome:
    async def main() -> Outcome:
        try:
            async with yx.AsyncClient(**client_settings(vector, sandbox)) as client:
                return await client.execute_release_stage(**call_arguments(vector))
        except yx.YunxiaoError as error:
            return error

    return asyncio.run(main())


def check_request(expected: Dict[str, Any], record: Dict[str, Any]) -> None:
    if "method" in expected:
        assert record["method"] == expected["method"]
    if "path" in expected:
        assert record["path"] == expected["path"]
    for name, value in expected.get("headers", {}).items():
        assert record["headers"].get(name.lower()) == value, name
    user_agent = record["headers"].get("user-agent", "")
    if "user_agent_prefix" in expected:
        assert user_agent.startswith(expected["user_agent_prefix"]), user_agent
    # This binding's suffix, from the running interpreter.
    assert user_agent.endswith(f"(python/{sys.version_info[0]}.{sys.version_info[1]})")
    if "token" in expected:
        assert record["token"] == expected["token"]
    if "body" in expected:
        body = record["json"] if record.get("json") is not None else json.loads(record["body"])
        assert body == expected["body"]


def check_outcome(expect: Dict[str, Any], outcome: Outcome) -> None:
    if "result" in expect:
        assert isinstance(outcome, yx.ExecuteReleaseStageResponse), repr(outcome)
        result = expect["result"]
        for name in ("run_id", "object", "pipeline_run_id", "pipeline_id"):
            if name in result:
                assert getattr(outcome, name) == result[name], name
        assert 200 <= outcome.http_status < 300
        if result.get("request_id") is True:
            assert outcome.request_id
        elif isinstance(result.get("request_id"), str):
            assert outcome.request_id == result["request_id"]
        return
    error = expect["error"]
    assert isinstance(outcome, yx.YunxiaoError), f"expected {error['kind']}, got {outcome!r}"
    assert outcome.kind == error["kind"], repr(outcome)
    assert type(outcome) is yx._exceptions.exception_class(error["kind"])
    assert outcome.may_have_executed is error["may_have_executed"]
    if "status" in error:
        assert outcome.status == error["status"]
    if "error_code" in error:
        assert getattr(outcome, "error_code", None) == error["error_code"]
    if "retry_after" in error:
        assert getattr(outcome, "retry_after", None) == error["retry_after"]
    if error["kind"] == "invalid_request":
        assert isinstance(outcome, ValueError)
    assert str(outcome) and outcome.message
    # One message format everywhere (the core's Display): what the answer said is in it.
    text = str(outcome)
    if outcome.status is not None:
        assert f"HTTP {outcome.status}" in text, text
    if getattr(outcome, "error_code", None):
        assert outcome.error_code in text, text  # type: ignore[attr-defined]
    if outcome.request_id:
        assert f"(request id {outcome.request_id})" in text, text


def check(vector: Dict[str, Any], sandbox: Sandbox, outcome: Outcome) -> None:
    expect = vector["expect"]
    records: List[Dict[str, Any]] = sandbox.requests()
    check_outcome(expect, outcome)
    assert sandbox.count() == expect["requests"], [r["path"] for r in records]
    if "request" in expect:
        assert records, "no request reached the sandbox"
        check_request(expect["request"], records[0])


def vector_id(path: Optional[Path]) -> str:
    return path.stem if path else "none"


@pytest.mark.parametrize("path", VECTORS, ids=vector_id)
def test_vector_blocking(path: Path, sandbox: Sandbox) -> None:
    vector = load(path)
    prepare(vector, sandbox)
    check(vector, sandbox, run_sync(vector, sandbox))


@pytest.mark.parametrize("path", VECTORS, ids=vector_id)
def test_vector_blocking_over_https(path: Path, tls_sandbox: Sandbox) -> None:
    vector = load(path)
    prepare(vector, tls_sandbox)
    check(vector, tls_sandbox, run_sync(vector, tls_sandbox))


@pytest.mark.parametrize("path", VECTORS, ids=vector_id)
def test_vector_asyncio(path: Path, sandbox: Sandbox) -> None:
    vector = load(path)
    prepare(vector, sandbox)
    check(vector, sandbox, run_async(vector, sandbox))


def test_the_vectors_folder_is_not_empty() -> None:
    # A moved folder must not turn the replay into a silent no-op.
    assert VECTORS, f"no vectors found in {VECTORS_DIR}"
    for path in VECTORS:
        assert load(path)["name"] == path.stem


def test_without_the_ca_https_is_refused_at_once_and_nothing_is_sent(tls_sandbox: Sandbox) -> None:
    # The same server as the https replay above, but its CA not trusted: the certificate is
    # refused (unknown issuer), never retried, and nothing reaches the server.
    with yx.Client(
        token=SANDBOX_TOKEN,
        base_url=tls_sandbox.url,
        organization_id="sandbox-org",
        max_retries=5,
    ) as client:
        with pytest.raises(yx.APIConnectionError) as caught:
            client.execute_release_stage(
                app_name="my-web-service",
                release_workflow_sn="wf-main",
                release_stage_sn="stage-deploy",
            )
    assert caught.value.kind == "connection"
    assert not caught.value.may_have_executed
    assert "certificate" in str(caught.value)
    assert tls_sandbox.count() == 0
