"""Every kind of failure the sandbox can produce maps to the right exception class, with the
right attributes, after the right number of requests."""

from __future__ import annotations

import pickle
from typing import Any, Dict, List, Optional, Tuple, Type

import pytest

import yunxiao_appstack as yx
from yunxiao_appstack import _error_kinds, _native

from support import APP, ORG, STAGE, WORKFLOW, Sandbox


def call(sandbox: Sandbox, **settings: Any) -> yx.ExecuteReleaseStageResponse:
    with sandbox.client(**settings) as client:
        return client.execute_release_stage(APP, WORKFLOW, STAGE)


# (fault, client settings, class, kind, status, error_code, may_have_executed, requests)
FaultCase = Tuple[
    Dict[str, Any],
    Dict[str, Any],
    Type[yx.YunxiaoError],
    str,
    Optional[int],
    Optional[str],
    bool,
    int,
]

FAULT_CASES: List[FaultCase] = [
    ({"status": 400}, {}, yx.BadRequestError, "bad_request", 400, "BadRequest", False, 1),
    ({"status": 401}, {}, yx.AuthenticationError, "authentication", 401, "Unauthorized", False, 1),
    (
        {"status": 403},
        {},
        yx.PermissionDeniedError,
        "permission_denied",
        403,
        "Forbidden",
        False,
        1,
    ),
    ({"status": 404}, {}, yx.NotFoundError, "not_found", 404, "NotFound", False, 1),
    ({"status": 409}, {}, yx.APIStatusError, "api_status", 409, "Conflict", False, 1),
    (
        {"status": 429, "times": 3, "headers": {"Retry-After": "0"}},
        {},
        yx.RateLimitError,
        "rate_limited",
        429,
        "TooManyRequests",
        False,
        3,
    ),
    (
        {"status": 429, "headers": {"Retry-After": "120"}},
        {},
        yx.RateLimitError,
        "rate_limited",
        429,
        "TooManyRequests",
        False,
        1,
    ),
    ({"status": 500}, {}, yx.InternalServerError, "server", 500, "InternalServerError", True, 1),
    (
        {"status": 502, "body": "<html><body>Bad Gateway</body></html>"},
        {},
        yx.InternalServerError,
        "server",
        502,
        None,
        True,
        1,
    ),
    ({"status": 503}, {}, yx.InternalServerError, "server", 503, "ServiceUnavailable", True, 1),
    (
        {"status": 503, "times": 2, "headers": {"Retry-After": "0"}},
        {"max_retries": 1},
        yx.InternalServerError,
        "server",
        503,
        "ServiceUnavailable",
        False,
        2,
    ),
    ({"action": "close"}, {}, yx.APIConnectionError, "connection", None, None, True, 1),
    ({"action": "cut_body"}, {}, yx.APIConnectionError, "connection", None, None, True, 1),
    ({"action": "malformed_json"}, {}, yx.ResponseDecodeError, "decode", 200, None, True, 1),
    (
        {"status": 200, "body": "<html>maintenance</html>"},
        {},
        yx.ResponseDecodeError,
        "decode",
        200,
        None,
        True,
        1,
    ),
    (
        {"action": "oversized", "size": 65536},
        {"max_response_bytes": 4096},
        yx.ResponseTooLargeError,
        "response_too_large",
        200,
        None,
        True,
        1,
    ),
    (
        {"delay_ms": 3000},
        {"timeout": 0.3},
        yx.APITimeoutError,
        "timeout",
        None,
        None,
        True,
        1,
    ),
]


@pytest.mark.parametrize(
    "fault, settings, cls, kind, status, error_code, may_have_executed, requests",
    FAULT_CASES,
    ids=[
        f"{case[0].get('action', case[0].get('status', 'delay'))}-{i}"
        for i, case in enumerate(FAULT_CASES)
    ],
)
def test_fault_maps_to_exception(
    sandbox: Sandbox,
    fault: Dict[str, Any],
    settings: Dict[str, Any],
    cls: Type[yx.YunxiaoError],
    kind: str,
    status: Optional[int],
    error_code: Optional[str],
    may_have_executed: bool,
    requests: int,
) -> None:
    sandbox.faults(fault)
    with pytest.raises(yx.YunxiaoError) as caught:
        call(sandbox, **settings)
    error = caught.value
    assert type(error) is cls
    assert error.kind == kind
    assert error.status == status
    assert error.may_have_executed is may_have_executed
    assert sandbox.count() == requests
    if isinstance(error, yx.APIStatusError):
        assert error.error_code == error_code
        assert error.request_id  # the sandbox sends x-acs-request-id on every answer
        assert error.body is not None
    assert error.message
    assert error.message in str(error)
    assert kind in repr(error)


def test_api_error_fields(sandbox: Sandbox) -> None:
    body = {
        "errorCode": "StageLocked",
        "errorMessage": "the stage is locked by another run",
        "requestId": "req-123",
        "traceId": "trace-456",
    }
    sandbox.faults({"status": 409, "body": body})
    with pytest.raises(yx.APIStatusError) as caught:
        call(sandbox)
    error = caught.value
    assert (error.status, error.error_code, error.request_id, error.trace_id) == (
        409,
        "StageLocked",
        "req-123",
        "trace-456",
    )
    assert error.message == "the stage is locked by another run"
    # The core's Display: what the call was doing, then the answer.
    assert str(error).startswith("starting a run of stage ")
    assert str(error).endswith(
        ": HTTP 409 StageLocked: the stage is locked by another run (request id req-123)"
    )
    assert '"errorCode"' in error.body
    assert error.retry_after is None
    assert not error.may_have_executed


def test_rate_limit_retry_after_is_in_seconds(sandbox: Sandbox) -> None:
    sandbox.faults({"status": 429, "headers": {"Retry-After": "90"}})
    with pytest.raises(yx.RateLimitError) as caught:
        call(sandbox)
    assert caught.value.retry_after == 90.0
    assert "retry_after=90.0" in repr(caught.value)


def test_rate_limit_is_retried_then_succeeds(sandbox: Sandbox) -> None:
    sandbox.faults({"status": 429, "times": 2, "headers": {"Retry-After": "0"}})
    result = call(sandbox)
    assert result.run_id == 1
    assert sandbox.count() == 3


def test_wrong_token_is_an_authentication_error(sandbox: Sandbox) -> None:
    with pytest.raises(yx.AuthenticationError) as caught:
        call(sandbox, token="pt-not-the-sandbox-token")
    assert caught.value.error_code == "InvalidTokenError"
    assert sandbox.requests()[0]["token"] == "invalid"


def test_unknown_stage_is_not_found(sandbox: Sandbox) -> None:
    with pytest.raises(yx.NotFoundError) as caught, sandbox.client() as client:
        client.execute_release_stage(APP, WORKFLOW, "no-such-stage")
    assert "no-such-stage" in caught.value.message


def test_connection_refused_is_retried_and_never_executed(sandbox: Sandbox) -> None:
    with pytest.raises(yx.APIConnectionError) as caught:
        call(sandbox, base_url="http://127.0.0.1:9", max_retries=0)
    error = caught.value
    assert type(error) is yx.APIConnectionError
    assert error.may_have_executed is False
    assert error.status is None


@pytest.mark.parametrize(
    "arguments",
    [
        {"app_name": ""},
        {"release_workflow_sn": "  "},
        {"release_stage_sn": "a\r\nb"},
        {"release_stage_sn": ".."},
        {"organization_id": ""},
        {"variables": {"": "x"}},
        {"variables": {"FLOW_INST_RUNNING_COMMENT": "x"}, "comment": "y"},
        {"params": ["not", "an", "object"]},
        {"params": {"x": float("nan")}},
        {"params": {"x": 2**70}},
        {"release_branch_repo_info": {"repo": "r", "featureBranchs": [], "unknown": 1}},
        {
            "release_branch_repo_info": yx.ReleaseBranchRepoInfo(
                repo="https://codeup.aliyun.com/x/y.git",
                feature_branches=[yx.FeatureBranch("feature/a", "cr-1")],
                need_create_branch=True,
            )
        },
    ],
)
def test_invalid_requests_fail_before_sending(sandbox: Sandbox, arguments: Dict[str, Any]) -> None:
    call_args: Dict[str, Any] = {
        "app_name": APP,
        "release_workflow_sn": WORKFLOW,
        "release_stage_sn": STAGE,
    }
    call_args.update(arguments)
    with sandbox.client() as client, pytest.raises(yx.InvalidRequestError) as caught:
        client.execute_release_stage(**call_args)
    assert isinstance(caught.value, ValueError)
    assert caught.value.kind == "invalid_request"
    assert caught.value.may_have_executed is False
    assert sandbox.count() == 0


def test_central_edition_needs_an_organization(sandbox: Sandbox) -> None:
    with sandbox.client(organization_id=None) as client:
        with pytest.raises(yx.InvalidRequestError, match="organization_id"):
            client.execute_release_stage(APP, WORKFLOW, STAGE)
        # The call's own organization is enough.
        assert client.execute_release_stage(APP, WORKFLOW, STAGE, organization_id=ORG).run_id == 1


@pytest.mark.parametrize(
    "settings, needle",
    [
        ({"token": ""}, "token"),
        ({"token": "pt-bad\n"}, "token"),
        ({"base_url": "ftp://example.com"}, "https"),
        ({"base_url": "http://example.com"}, "http"),
        ({"edition": "moon"}, "edition"),
        ({"edition": "centre"}, "edition"),
        ({"edition": "Region"}, "edition"),
        ({"base_url": "http://127.0.0.1:1/ "}, "white space"),
        ({"max_retries": 11}, "max_retries"),
        ({"max_retries": -1}, "max_retries"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": -5}, "timeout"),
        ({"connect_timeout": float("inf")}, "connect_timeout"),
        ({"max_response_bytes": 0}, "max_response_bytes"),
    ],
)
def test_configuration_errors(sandbox: Sandbox, settings: Dict[str, Any], needle: str) -> None:
    with pytest.raises(yx.ConfigurationError) as caught:
        sandbox.client(**settings)
    assert needle in str(caught.value)
    assert caught.value.kind == "configuration"
    assert caught.value.may_have_executed is False


def test_missing_token_names_the_environment_variable() -> None:
    with pytest.raises(yx.ConfigurationError, match="YUNXIAO_ACCESS_TOKEN"):
        yx.Client()


def test_bad_environment_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YUNXIAO_ACCESS_TOKEN", "pt-test-token")
    for name, value in [
        ("YUNXIAO_MAX_RETRIES", "many"),
        ("YUNXIAO_TIMEOUT", "-1"),
        ("YUNXIAO_EDITION", "moon"),
        ("YUNXIAO_EDITION", "centre"),
        ("YUNXIAO_API_BASE_URL", "ftp://example.com"),
        ("YUNXIAO_API_BASE_URL", "http://127.0.0.1:1 "),
    ]:
        with monkeypatch.context() as scoped:
            scoped.setenv(name, value)
            with pytest.raises(yx.ConfigurationError, match=name):
                yx.Client()


@pytest.mark.parametrize(
    "arguments, needle",
    [
        ({"app_name": 42}, "app_name must be a str, not int"),
        ({"release_workflow_sn": None}, "release_workflow_sn must be a str, not NoneType"),
        ({"release_stage_sn": b"stage"}, "release_stage_sn must be a str, not bytes"),
        ({"organization_id": 7}, "organization_id must be a str"),
        ({"comment": ["x"]}, "comment must be a str"),
        ({"variables": ["K=V"]}, "variables must be a mapping"),
        ({"variables": "K=V"}, "variables must be a mapping"),
        ({"variables": {"K": 1}}, "variables['K'] must be a str, not int"),
        ({"variables": {1: "V"}}, "variables keys must be str"),
        ({"branches": {"src": None}}, "branches['src'] must be a str"),
        ({"params": {"x": object()}}, "params['x'] must be JSON data"),
        ({"params": {1: "x"}}, "params keys must be str"),
        ({"release_branch_repo_info": "repo"}, "release_branch_repo_info must be"),
    ],
)
def test_wrong_argument_types_raise_type_error(
    sandbox: Sandbox, arguments: Dict[str, Any], needle: str
) -> None:
    call_args: Dict[str, Any] = {
        "app_name": APP,
        "release_workflow_sn": WORKFLOW,
        "release_stage_sn": STAGE,
    }
    call_args.update(arguments)
    with sandbox.client() as client, pytest.raises(TypeError) as caught:
        client.execute_release_stage(**call_args)
    assert needle in str(caught.value)
    assert sandbox.count() == 0


@pytest.mark.parametrize(
    "settings, needle",
    [
        ({"token": 123}, "token must be a str, not int"),
        ({"base_url": b"http://x"}, "base_url must be a str"),
        ({"timeout": "10"}, "timeout must be an int or float"),
        ({"timeout": True}, "timeout must be an int or float"),
        ({"max_retries": 1.5}, "max_retries must be an int"),
        ({"max_retries": False}, "max_retries must be an int"),
        ({"allow_insecure_http": "yes"}, "allow_insecure_http must be a bool"),
    ],
)
def test_wrong_setting_types_raise_type_error(settings: Dict[str, Any], needle: str) -> None:
    settings.setdefault("token", "pt-test-token")
    with pytest.raises(TypeError) as caught:
        yx.Client(**settings)
    assert needle in str(caught.value)


def test_dataclass_fields_are_type_checked() -> None:
    with pytest.raises(TypeError, match=r"Branch\.branch_name must be a str"):
        yx.Branch(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="feature_branches items must be FeatureBranch"):
        yx.ReleaseBranchRepoInfo(repo="r", feature_branches=["feature/a"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="release_branch must be a Branch"):
        yx.ReleaseBranchRepoInfo(repo="r", feature_branches=[], release_branch="main")  # type: ignore[arg-type]


def test_every_core_kind_has_a_class() -> None:
    # The table is generated from the catalog's error_kinds; one class per kind, and
    # `response_too_large` is a ResponseDecodeError subclass, as in the Node binding (issue 13).
    catalog = {code for code, _, _, _ in _error_kinds.ERROR_KINDS}
    assert catalog == set(_native.ERROR_KINDS)
    for kind in _native.ERROR_KINDS:
        cls = yx._exceptions.exception_class(kind)
        assert cls is not yx.YunxiaoError, kind
        assert cls.__name__ == _error_kinds.CLASS_NAMES[kind]
        assert cls.default_kind == kind
    assert yx._exceptions.exception_class("response_too_large") is yx.ResponseTooLargeError
    assert issubclass(yx.ResponseTooLargeError, yx.ResponseDecodeError)
    assert yx._exceptions.exception_class("some_future_kind") is yx.YunxiaoError


def test_hierarchy() -> None:
    for cls in (
        yx.BadRequestError,
        yx.AuthenticationError,
        yx.PermissionDeniedError,
        yx.NotFoundError,
        yx.RateLimitError,
        yx.InternalServerError,
    ):
        assert issubclass(cls, yx.APIStatusError)
    assert issubclass(yx.APITimeoutError, yx.APIConnectionError)
    assert issubclass(yx.InvalidRequestError, ValueError)
    assert issubclass(yx.ResponseTooLargeError, yx.ResponseDecodeError)
    for name in yx._exceptions.__all__:
        assert issubclass(getattr(yx, name), yx.YunxiaoError)


def test_exceptions_pickle_with_their_attributes(sandbox: Sandbox) -> None:
    sandbox.faults({"status": 429, "headers": {"Retry-After": "77"}})
    with pytest.raises(yx.RateLimitError) as caught:
        call(sandbox)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is yx.RateLimitError
    assert str(copy) == str(caught.value)
    assert copy.__dict__ == caught.value.__dict__
    assert repr(copy) == repr(caught.value)


def test_exceptions_can_be_built_by_users() -> None:
    # For tests of applications that handle these errors.
    error = yx.RateLimitError("slow down", status=429, retry_after=3.0)
    assert (error.kind, error.status, error.retry_after, str(error)) == (
        "rate_limited",
        429,
        3.0,
        "slow down",
    )
    assert yx.APITimeoutError("late", may_have_executed=True).kind == "timeout"
