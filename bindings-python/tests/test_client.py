"""The blocking client against the sandbox: arguments, results, settings, lifecycle."""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Dict

import pytest

import yunxiao_appstack as yx
from yunxiao_appstack import _native

from support import APP, ORG, SANDBOX_TOKEN, STAGE, WORKFLOW, WORKSPACE, Sandbox


def last_body(sandbox: Sandbox) -> Dict[str, Any]:
    record = sandbox.requests()[-1]
    body: Dict[str, Any] = json.loads(record["body"])
    return body


def test_version_comes_from_cargo() -> None:
    manifest = (WORKSPACE / "Cargo.toml").read_text(encoding="utf-8")
    workspace_package = manifest.split("[workspace.package]", 1)[1]
    match = re.search(r'^version\s*=\s*"([^"]+)"', workspace_package, re.MULTILINE)
    assert match
    assert yx.__version__ == match.group(1)
    from importlib.metadata import version

    assert version("yunxiao-appstack") == yx.__version__


def test_result_fields_repr_and_equality(sandbox: Sandbox) -> None:
    with sandbox.client() as client:
        first = client.execute_release_stage(APP, WORKFLOW, STAGE)
        second = client.execute_release_stage(APP, WORKFLOW, STAGE)
    assert (first.run_id, first.object, first.pipeline_run_id, first.http_status) == (1, 1, 1, 200)
    assert isinstance(first.pipeline_id, int)
    assert first.request_id and first.request_id != second.request_id
    assert first.raw == {"object": 1, "pipelineId": first.pipeline_id, "pipelineRunId": 1}
    assert list(first.raw) == ["object", "pipelineId", "pipelineRunId"]  # the answer's order
    assert second.run_id == 2
    assert repr(first) == (
        f"ExecuteReleaseStageResponse(run_id=1, object=1, pipeline_id={first.pipeline_id}, "
        f"pipeline_run_id=1, request_id={first.request_id!r}, http_status=200)"
    )
    same = yx.ExecuteReleaseStageResponse(
        object=1,
        pipeline_id=first.pipeline_id,
        pipeline_run_id=1,
        request_id=first.request_id,
        http_status=200,
        raw=dict(first.raw),
    )
    assert same == first and hash(same) == hash(first)
    assert first != second
    with pytest.raises(AttributeError):
        first.object = 3  # type: ignore[misc]
    assert not hasattr(first, "status")  # renamed to http_status in 0.1: no alias


def test_run_id_falls_back_to_object(sandbox: Sandbox) -> None:
    sandbox.faults({"status": 200, "body": {"object": 7, "requestId": "body-id"}})
    with sandbox.client() as client:
        result = client.execute_release_stage(APP, WORKFLOW, STAGE)
    assert (result.run_id, result.pipeline_run_id, result.request_id) == (7, None, "body-id")


def test_request_is_exact(sandbox: Sandbox) -> None:
    with sandbox.client() as client:
        client.execute_release_stage(
            "a/b c",
            WORKFLOW,
            STAGE,
            comment="release 1.4.2",
            variables={"IMAGE_TAG": "1.4.2", "A": "1"},
            branches={"my-repo": "release/1.4"},
            params={"extra": {"nested": [1, 2.5, True, None, "x"]}},
        )
    record = sandbox.requests()[0]
    assert record["path"] == (
        "/oapi/v1/appstack/organizations/sandbox-org/apps/a%2Fb%20c/releaseWorkflows/"
        "wf-main/releaseStages/stage-deploy:execute"
    )
    assert record["token"] == "valid"
    assert record["headers"]["content-type"] == "application/json"
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert (
        record["headers"]["user-agent"] == f"yunxiao-appstack/{yx.__version__} (python/{version})"
    )
    # Order matters to people reading the run in the console: the body keeps it.
    assert record["body"] == json.dumps(
        {
            "params": {
                "FLOW_INST_RUNNING_COMMENT": "release 1.4.2",
                "IMAGE_TAG": "1.4.2",
                "A": "1",
                "my-repo": "release/1.4",
                "extra": {"nested": [1, 2.5, True, None, "x"]},
            }
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def test_release_branch_repo_info_typed_or_wire_form(sandbox: Sandbox) -> None:
    typed = yx.ReleaseBranchRepoInfo.with_release_branch(
        repo="https://codeup.aliyun.com/xxxxxx/codeDemo.git",
        feature_branches=[yx.FeatureBranch("feature/20251216_1", "25500xxxxxxaaf9855")],
        release_branch=yx.Branch("release/xxxxx_release_4468686_2"),
        base_branch=yx.Branch("master"),
    )
    wire = typed.to_dict()
    assert wire == {
        "featureBranchs": [
            {"branchName": "feature/20251216_1", "changeRequestSn": "25500xxxxxxaaf9855"}
        ],
        "repo": "https://codeup.aliyun.com/xxxxxx/codeDemo.git",
        "baseBranch": {"branchName": "master"},
        "needCreateBranch": False,
        "releaseBranch": {"branchName": "release/xxxxx_release_4468686_2"},
    }
    with sandbox.client() as client:
        client.execute_release_stage(APP, WORKFLOW, STAGE, release_branch_repo_info=typed)
        client.execute_release_stage(APP, WORKFLOW, STAGE, release_branch_repo_info=wire)
    first, second = (json.loads(r["body"]) for r in sandbox.requests())
    assert first == second == {"params": {"releaseBranchRepoInfo": wire}}

    creating = yx.ReleaseBranchRepoInfo.creating_branch_from(
        "https://codeup.aliyun.com/x/y.git", [yx.FeatureBranch("f", "cr")], yx.Branch("master")
    )
    assert creating.need_create_branch and creating.release_branch is None
    assert isinstance(creating.feature_branches, tuple)
    assert hash(creating) == hash(
        yx.ReleaseBranchRepoInfo.creating_branch_from(
            "https://codeup.aliyun.com/x/y.git", (yx.FeatureBranch("f", "cr"),), yx.Branch("master")
        )
    )


def test_mappings_other_than_dict_are_accepted(sandbox: Sandbox) -> None:
    from collections import OrderedDict
    from types import MappingProxyType

    with sandbox.client() as client:
        client.execute_release_stage(
            APP,
            WORKFLOW,
            STAGE,
            variables=MappingProxyType({"B": "2", "A": "1"}),
            params=OrderedDict([("z", (1, 2))]),
        )
    assert last_body(sandbox) == {"params": {"B": "2", "A": "1", "z": [1, 2]}}


def test_unicode_and_nul_survive(sandbox: Sandbox) -> None:
    with sandbox.client() as client:
        result = client.execute_release_stage("应用服务", WORKFLOW, STAGE, comment="运行备注\x00!")
    assert result.run_id == 1
    assert last_body(sandbox) == {"params": {"FLOW_INST_RUNNING_COMMENT": "运行备注\x00!"}}


def test_settings_resolve_and_show(sandbox: Sandbox) -> None:
    client = sandbox.client(timeout=2.5, connect_timeout=1, max_retries=0, max_response_bytes=1000)
    assert client.base_url == sandbox.url + "/"
    assert client.edition == "central"
    assert client.organization_id == ORG
    assert (client.timeout, client.connect_timeout, client.max_retries) == (2.5, 1.0, 0)
    assert client.max_response_bytes == 1000
    assert client.user_agent.startswith(f"yunxiao-appstack/{yx.__version__} (python/")
    assert repr(client) == (
        f"Client(base_url='{sandbox.url}/', edition='central', organization_id='sandbox-org', "
        "token='****')"
    )
    client.close()


def test_defaults_are_the_cores(sandbox: Sandbox) -> None:
    client = yx.Client(token="pt-test-token")
    assert client.base_url.rstrip("/") == _native.DEFAULT_BASE_URL
    assert client.timeout == _native.DEFAULT_TIMEOUT
    assert client.connect_timeout == _native.DEFAULT_CONNECT_TIMEOUT
    assert client.max_retries == _native.DEFAULT_MAX_RETRIES
    assert client.max_response_bytes == _native.DEFAULT_MAX_RESPONSE_BYTES
    assert client.organization_id is None
    assert client.edition == "central"


def test_environment_fills_unset_settings(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in sandbox.env().items():
        if name.startswith("YUNXIAO_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("YUNXIAO_MAX_RETRIES", "4")
    monkeypatch.setenv("YUNXIAO_EDITION", "region")
    client = yx.Client()
    assert (client.max_retries, client.edition, client.timeout) == (4, "region", 10.0)
    # Explicit arguments win over the environment.
    client = yx.Client(max_retries=1, edition="central", organization_id="other")
    assert (client.max_retries, client.edition, client.organization_id) == (1, "central", "other")


def test_one_shot_function_uses_the_environment(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in sandbox.env().items():
        if name.startswith("YUNXIAO_"):
            monkeypatch.setenv(name, value)
    result = yx.execute_release_stage(APP, WORKFLOW, STAGE, variables={"K": "V"})
    assert result.run_id == 1
    assert last_body(sandbox) == {"params": {"K": "V"}}


def test_region_edition(sandbox: Sandbox) -> None:
    with sandbox.client(edition="region", organization_id=None) as client:
        assert client.execute_release_stage(APP, WORKFLOW, STAGE).run_id == 1
    assert sandbox.requests()[0]["path"].startswith("/oapi/v1/appstack/apps/")


def test_closed_client_refuses_calls(sandbox: Sandbox) -> None:
    with sandbox.client() as client:
        assert not client.closed
    assert client.closed
    with pytest.raises(RuntimeError, match="closed"):
        client.execute_release_stage(APP, WORKFLOW, STAGE)
    client.close()  # twice is fine
    assert sandbox.count() == 0


def test_clients_cannot_be_pickled() -> None:
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(yx.Client(token=SANDBOX_TOKEN))


def test_keyword_only_options() -> None:
    with pytest.raises(TypeError):
        yx.Client(SANDBOX_TOKEN)  # type: ignore[call-arg]
