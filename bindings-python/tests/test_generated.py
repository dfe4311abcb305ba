"""The generated layer against the catalog: every call on both clients with identical
signatures, every event and error kind typed; a call added to the catalog appears when the
generator runs; no token in what the bridged calls answer or raise."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

import yunxiao_appstack as yx
from yunxiao_appstack import _error_kinds, _models

from support import APP, WORKFLOW, WORKSPACE, Sandbox

CATALOG: Dict[str, Any] = json.loads((WORKSPACE / "core" / "catalog.json").read_text("utf-8"))
GENERATOR = WORKSPACE / "bindings-python" / "scripts" / "generate.py"


def call_names() -> List[str]:
    return [op["method_name"] for op in CATALOG["operations"]] + [
        helper["name"] for helper in CATALOG["helpers"]
    ]


def public(cls: type) -> List[str]:
    return sorted(n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n)))


@pytest.mark.parametrize("name", call_names())
def test_every_call_is_a_method_of_both_clients_with_one_signature(name: str) -> None:
    sync, asynchronous = getattr(yx.Client, name), getattr(yx.AsyncClient, name)
    assert inspect.iscoroutinefunction(asynchronous), name
    assert inspect.signature(sync) == inspect.signature(asynchronous), name


def test_the_twins_have_the_same_methods() -> None:
    streams = {n for n in public(yx.AsyncClient) if n.startswith("watch_")}
    assert streams == {"watch_run", "watch_job_log", "watch_execute_and_wait"}
    assert set(public(yx.Client)) == set(public(yx.AsyncClient)) - streams
    for name in public(yx.Client):
        if name.startswith("iter_"):
            assert inspect.isasyncgenfunction(getattr(yx.AsyncClient, name)), name
        # The same parameters; the results differ only by being awaited or async-iterated.
        assert (
            inspect.signature(getattr(yx.Client, name)).parameters
            == inspect.signature(getattr(yx.AsyncClient, name)).parameters
        ), name
    paged = [op["method_name"] for op in CATALOG["operations"] if op["paged"]]
    assert paged and all(hasattr(yx.Client, "iter_" + n.removeprefix("list_")) for n in paged)


def test_every_event_and_error_kind_is_typed() -> None:
    event_def = CATALOG["event"]["$ref"].rsplit("/", 1)[-1]
    tags = [v["properties"]["event"]["const"] for v in CATALOG["$defs"][event_def]["oneOf"]]
    for tag in tags:
        event = _models.run_event({"event": tag})
        assert not isinstance(event, yx.UnknownEvent), tag
        assert event.event == tag
    assert isinstance(_models.run_event({"event": "from_the_future"}), yx.UnknownEvent)
    kinds = [kind["code"] for kind in CATALOG["error_kinds"]]
    assert [code for code, _, _, _ in _error_kinds.ERROR_KINDS] == kinds


def test_a_call_added_to_the_catalog_appears_after_generating(tmp_path: Path) -> None:
    catalog = json.loads(json.dumps(CATALOG))
    added = dict(catalog["operations"][1], name="GetSomethingNew", method_name="get_something_new")
    catalog["operations"].append(added)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog), encoding="utf-8")
    subprocess.run(
        [sys.executable, str(GENERATOR), "--catalog", str(path), "--out", str(tmp_path)],
        check=True,
    )
    generated = (tmp_path / "_operations.py").read_text(encoding="utf-8")
    assert generated.count("def get_something_new(") == 2  # sync and async
    assert "(``GetSomethingNew``)" in generated


def test_no_token_in_bridged_errors_or_results(sandbox: Sandbox) -> None:
    secret = "pt-wrong-but-secret-0123456789"
    with sandbox.client(token=secret) as client:
        with pytest.raises(yx.AuthenticationError) as raised:
            client.list_release_workflow_briefs(app_name=APP)
        error = raised.value
        assert secret not in str(error) and secret not in repr(error)
        assert secret not in repr(error.__dict__)
        assert error.operation == "ListAllReleaseWorkflowBriefs"
        assert error.effect == "read_only" and error.action
    with sandbox.client() as client:
        stages = client.list_release_stage_briefs(app_name=APP, release_workflow_sn=WORKFLOW)
        assert stages and sandbox.token not in repr(stages)
        assert sandbox.token not in json.dumps([s.to_dict() for s in stages])
