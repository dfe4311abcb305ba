"""Value types: the change-request information of a run, and the result of a call."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Optional, Sequence, Tuple

__all__ = [
    "Branch",
    "FeatureBranch",
    "ReleaseBranchRepoInfo",
    "ExecuteReleaseStageResponse",
]


class _Model:
    """Base of the generated result and event classes (``_models.py``): frozen dataclasses
    whose ``repr`` leaves out ``raw``; ``to_dict()`` gives the JSON the core answered."""

    __slots__ = ()

    raw: Any

    def to_dict(self) -> Any:
        """The result as JSON-shaped values: the fields, recursively, then ``raw``."""
        return {
            f.name: _plain(getattr(self, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
        }


def _plain(value: Any) -> Any:
    if isinstance(value, _Model):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _check_str(owner: str, name: str, value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{owner}.{name} must be a str, not {type(value).__name__}")


@dataclass(frozen=True)
class Branch:
    """A branch, by name (wire form ``{"branchName": ...}``)."""

    branch_name: str

    def __post_init__(self) -> None:
        _check_str("Branch", "branch_name", self.branch_name)

    def to_dict(self) -> Dict[str, Any]:
        """The wire form."""
        return {"branchName": self.branch_name}


@dataclass(frozen=True)
class FeatureBranch:
    """A change request's branch (wire form ``{"branchName", "changeRequestSn"}``)."""

    branch_name: str
    change_request_sn: str

    def __post_init__(self) -> None:
        _check_str("FeatureBranch", "branch_name", self.branch_name)
        _check_str("FeatureBranch", "change_request_sn", self.change_request_sn)

    def to_dict(self) -> Dict[str, Any]:
        """The wire form."""
        return {"branchName": self.branch_name, "changeRequestSn": self.change_request_sn}


@dataclass(frozen=True)
class ReleaseBranchRepoInfo:
    """Run a stage with change requests instead of a branch (``params.releaseBranchRepoInfo``).

    With ``need_create_branch`` false the given ``release_branch`` is used; with it true a
    release branch is cut from ``base_branch``. The two class methods build either form.
    Whether the combination is valid is checked by the client when the call is made (an
    ``InvalidRequestError``).
    """

    repo: str
    feature_branches: Sequence[FeatureBranch]
    base_branch: Optional[Branch] = None
    need_create_branch: bool = False
    release_branch: Optional[Branch] = None

    def __post_init__(self) -> None:
        _check_str("ReleaseBranchRepoInfo", "repo", self.repo)
        if isinstance(self.feature_branches, (str, bytes)) or not isinstance(
            self.feature_branches, Iterable
        ):
            raise TypeError(
                "ReleaseBranchRepoInfo.feature_branches must be a sequence of FeatureBranch, "
                f"not {type(self.feature_branches).__name__}"
            )
        branches = tuple(self.feature_branches)
        for item in branches:
            if not isinstance(item, FeatureBranch):
                raise TypeError(
                    "ReleaseBranchRepoInfo.feature_branches items must be FeatureBranch, "
                    f"not {type(item).__name__}"
                )
        # Frozen: a list given by the caller is stored as a tuple (hashable, unchangeable).
        object.__setattr__(self, "feature_branches", branches)
        for name in ("base_branch", "release_branch"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Branch):
                raise TypeError(
                    f"ReleaseBranchRepoInfo.{name} must be a Branch or None, "
                    f"not {type(value).__name__}"
                )
        if not isinstance(self.need_create_branch, bool):
            raise TypeError(
                "ReleaseBranchRepoInfo.need_create_branch must be a bool, "
                f"not {type(self.need_create_branch).__name__}"
            )

    @classmethod
    def with_release_branch(
        cls,
        repo: str,
        feature_branches: Iterable[FeatureBranch],
        release_branch: Branch,
        base_branch: Optional[Branch] = None,
    ) -> ReleaseBranchRepoInfo:
        """Use the existing ``release_branch`` of ``repo`` for ``feature_branches``."""
        return cls(
            repo=repo,
            feature_branches=tuple(feature_branches),
            base_branch=base_branch,
            need_create_branch=False,
            release_branch=release_branch,
        )

    @classmethod
    def creating_branch_from(
        cls, repo: str, feature_branches: Iterable[FeatureBranch], base_branch: Branch
    ) -> ReleaseBranchRepoInfo:
        """Cut a new release branch of ``repo`` from ``base_branch`` for ``feature_branches``."""
        return cls(
            repo=repo,
            feature_branches=tuple(feature_branches),
            base_branch=base_branch,
            need_create_branch=True,
        )

    def to_dict(self) -> Dict[str, Any]:
        """The wire form, in the documented field order (note the wire name
        ``featureBranchs``)."""
        wire: Dict[str, Any] = {
            "featureBranchs": [branch.to_dict() for branch in self.feature_branches],
            "repo": self.repo,
        }
        if self.base_branch is not None:
            wire["baseBranch"] = self.base_branch.to_dict()
        wire["needCreateBranch"] = self.need_create_branch
        if self.release_branch is not None:
            wire["releaseBranch"] = self.release_branch.to_dict()
        return wire


@dataclass(frozen=True)
class ExecuteReleaseStageResponse:
    """The answer to a successful ``execute_release_stage`` call.

    Compares by value. ``raw`` (the whole JSON body) takes part in comparisons but not in the
    ``repr`` or the hash.
    """

    #: ``object``: the run number in older answers, ``1`` in the current documentation.
    object: Optional[int]
    #: ``pipelineId``: the pipeline the stage ran.
    pipeline_id: Optional[int]
    #: ``pipelineRunId``: the execution number that follow-up calls take.
    pipeline_run_id: Optional[int]
    #: ``requestId`` from the body, else the ``x-acs-request-id`` header.
    request_id: Optional[str]
    #: The HTTP status of the answer (200): not the status of the run.
    http_status: int
    #: The whole JSON body, as received.
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, hash=False)

    @property
    def run_id(self) -> Optional[int]:
        """The run id: ``pipeline_run_id``, else ``object``."""
        return self.pipeline_run_id if self.pipeline_run_id is not None else self.object

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr
        )
        return f"{type(self).__name__}(run_id={self.run_id!r}, {fields})"

    @classmethod
    def _from_json(cls, data: Any) -> ExecuteReleaseStageResponse:
        """From the core's JSON form (the bridge's answer)."""
        return cls(
            object=data.get("object"),
            pipeline_id=data.get("pipeline_id"),
            pipeline_run_id=data.get("pipeline_run_id"),
            request_id=data.get("request_id"),
            http_status=data.get("http_status"),
            raw=data.get("raw"),
        )

    @classmethod
    def _from_native(cls, values: Tuple[Any, ...]) -> ExecuteReleaseStageResponse:
        object_, pipeline_id, pipeline_run_id, request_id, http_status, raw = values
        return cls(
            object=object_,
            pipeline_id=pipeline_id,
            pipeline_run_id=pipeline_run_id,
            request_id=request_id,
            http_status=http_status,
            raw=raw,
        )
