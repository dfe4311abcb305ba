"""Replays every operation vector of tests/vectors/ (those with ``args``) against the sandbox,
through the generated methods of the blocking and the asyncio client, and checks every
recorded request (see core/tests/vectors.rs for the semantics).

The execute vectors (``input``) are replayed by test_vectors.py through the execute fast path.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import yunxiao_appstack as yx
from yunxiao_appstack._types import _Model

from support import WORKSPACE, Sandbox

VECTORS_DIR = WORKSPACE / "tests" / "vectors"
CATALOG = json.loads((WORKSPACE / "core" / "catalog.json").read_text(encoding="utf-8"))
METHODS = {op["name"]: op["method_name"] for op in CATALOG["operations"]}
CANCEL = "CancelExecutionReleaseStage"
VECTORS = sorted(
    path
    for path in VECTORS_DIR.glob("*.json")
    if "args" in json.loads(path.read_text(encoding="utf-8"))
)


def load(path: Path) -> Dict[str, Any]:
    vector: Dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return vector


def client_settings(vector: Dict[str, Any], sandbox: Sandbox) -> Dict[str, Any]:
    spec = vector.get("client", {})
    return {
        "token": spec.get("token", sandbox.token),
        "base_url": spec.get("base_url") or sandbox.url + spec.get("base_path", ""),
        "edition": spec.get("edition"),
        "organization_id": spec.get("organization_id"),
        "timeout": spec.get("timeout", 10.0),
        "max_retries": spec.get("max_retries"),
        "ca_bundle": sandbox.ca_path,
    }


def fits(method: Any, args: Dict[str, Any]) -> bool:
    """Whether the arguments fit the generated method's keyword signature (a vector of a
    missing or unknown argument does not: Python itself refuses the call with a TypeError, so
    it goes through the generic ``call``, where the core names the argument)."""
    try:
        inspect.signature(method).bind(**args)
    except TypeError:
        return False
    return True


def run_sync(vector: Dict[str, Any], sandbox: Sandbox) -> Tuple[Any, bool]:
    name, args = METHODS[vector["operation"]], vector["args"]
    try:
        with yx.Client(**client_settings(vector, sandbox)) as client:
            method = getattr(client, name)
            if fits(method, args):
                return method(**args), True
            with pytest.raises(TypeError):
                method(**args)
            return client.call(name, args), False
    except yx.YunxiaoError as error:
        return error, True


def run_async(vector: Dict[str, Any], sandbox: Sandbox) -> Tuple[Any, bool]:
    name, args = METHODS[vector["operation"]], vector["args"]

    async def main() -> Tuple[Any, bool]:
        try:
            async with yx.AsyncClient(**client_settings(vector, sandbox)) as client:
                method = getattr(client, name)
                if fits(method, args):
                    return await method(**args), True
                return await client.call(name, args), False
        except yx.YunxiaoError as error:
            return error, True

    return asyncio.run(main())


def contains(expected: Any, got: Any, where: str) -> None:
    """Every key of `expected` is in `got` with a contained value; arrays element by
    element. A typed result is read through its attributes."""
    if isinstance(expected, dict):
        for key, value in expected.items():
            if isinstance(got, _Model):
                assert hasattr(got, key), f"{where}: no attribute {key} on {got!r}"
                contains(value, getattr(got, key), f"{where}.{key}")
            else:
                assert isinstance(got, dict) and key in got, f"{where}: no {key} in {got!r}"
                contains(value, got[key], f"{where}[{key!r}]")
    elif isinstance(expected, list):
        assert isinstance(got, (list, tuple)), f"{where}: {got!r}"
        assert len(expected) <= len(got), f"{where}: {got!r}"
        for index, (want, have) in enumerate(zip(expected, got)):
            contains(want, have, f"{where}[{index}]")
    else:
        assert got == expected, f"{where}: expected {expected!r}, got {got!r}"


def check_result(vector: Dict[str, Any], outcome: Any, typed: bool) -> None:
    expected = vector["expect"]["result"]
    assert not isinstance(outcome, yx.YunxiaoError), repr(outcome)
    if vector["operation"] == CANCEL:
        # The bridge answers what cancelling did (a CancelOutcome); the vector records the
        # cancel call's own answer (`success`), which is the outcome's `raw`.
        assert isinstance(outcome, yx.CancelOutcome), repr(outcome)
        assert outcome.canceled is (expected["success"] is not False)
        if expected["success"] is not None:
            contains(expected, outcome.raw, "raw")
        return
    if typed:
        assert isinstance(outcome, (_Model, tuple)), repr(outcome)
    contains(expected, outcome, "result")


def check_error(vector: Dict[str, Any], outcome: Any) -> None:
    error = vector["expect"]["error"]
    assert isinstance(outcome, yx.YunxiaoError), f"expected {error['kind']}, got {outcome!r}"
    assert outcome.kind == error["kind"], repr(outcome)
    assert type(outcome) is yx._exceptions.exception_class(error["kind"])
    assert outcome.may_have_executed is error["may_have_executed"]
    if "status" in error:
        assert outcome.status == error["status"]
    if "error_code" in error:
        assert getattr(outcome, "error_code", None) == error["error_code"]
    if outcome.status is not None:
        # Which call failed, and when it was sent.
        assert outcome.operation == vector["operation"], repr(outcome)
        assert isinstance(outcome.started_at, float) and outcome.started_at > 1.6e9


def check_requests(vector: Dict[str, Any], records: List[Dict[str, Any]]) -> None:
    expect = vector["expect"]
    assert len(records) == expect["requests"], [r["path"] for r in records]
    if expect["requests"] == 0:
        return
    want = expect["request"]
    for index, record in enumerate(records):
        where = f"request {index + 1}"
        assert record["method"] == want["method"], where
        assert record["path"] == want["path"], where
        assert record["token"] == want["token"], where
        if want["body"] is None:
            assert record["body"] == "", f"{where}: no body, got {record['body']!r}"
            assert "content-type" not in record["headers"], where
        else:
            assert record["json"] == want["body"], where
            assert record["headers"].get("content-type") == "application/json", where


def check(vector: Dict[str, Any], sandbox: Sandbox, outcome: Tuple[Any, bool]) -> None:
    value, typed = outcome
    if "result" in vector["expect"]:
        check_result(vector, value, typed)
    else:
        check_error(vector, value)
    check_requests(vector, sandbox.requests())


def prepare(vector: Dict[str, Any], sandbox: Sandbox) -> None:
    sandbox.reset()
    if vector.get("faults"):
        sandbox.faults(*vector["faults"])


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_operation_vector_blocking(path: Path, sandbox: Sandbox) -> None:
    vector = load(path)
    prepare(vector, sandbox)
    check(vector, sandbox, run_sync(vector, sandbox))


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_operation_vector_blocking_over_https(path: Path, tls_sandbox: Sandbox) -> None:
    vector = load(path)
    prepare(vector, tls_sandbox)
    check(vector, tls_sandbox, run_sync(vector, tls_sandbox))


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_operation_vector_asyncio(path: Path, sandbox: Sandbox) -> None:
    vector = load(path)
    prepare(vector, sandbox)
    check(vector, sandbox, run_async(vector, sandbox))


def test_every_operation_has_vectors() -> None:
    # Like the Rust runner: a vector of every operation of the catalog, and none of an
    # unknown one (execute's are the `input` vectors of test_vectors.py).
    seen = {load(path)["operation"] for path in VECTORS}
    assert seen | {"ExecuteChangeRequestReleaseStage"} == set(METHODS), seen ^ set(METHODS)
