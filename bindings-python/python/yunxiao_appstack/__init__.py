"""Start runs of Alibaba Cloud Yunxiao (云效) AppStack release stages.

The OpenAPI call ``ExecuteChangeRequestReleaseStage``, with an exact request, retries that never
deploy twice, and a typed exception for every answer::

    import yunxiao_appstack as yx

    with yx.Client() as client:          # token etc. from YUNXIAO_* environment variables
        run = client.execute_release_stage("my-web-service", "wf-main", "stage-deploy")
        print(run.run_id)

Every behaviour (defaults, environment variables, validation, retries, error kinds) comes from
the Rust core shared with the Node and C bindings and the CLI.
"""

import logging as _logging

from . import _native
from ._client import AsyncClient, Client, Edition, execute_release_stage
from ._exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseDecodeError,
    ResponseTooLargeError,
    YunxiaoError,
)

# BEGIN generated imports (scripts/generate.py)
from ._models import (
    ActionOutcome,
    CancelOutcome,
    ChangeRequest,
    ChangeRequestPage,
    ExecuteAndWaitResult,
    FollowJobLogResult,
    IntegratedChangeRequest,
    IntegratedMetadata,
    Job,
    JobAction,
    JobFinishedEvent,
    JobLog,
    JobStartedEvent,
    JobSummary,
    Label,
    LogLineEvent,
    PipelineRun,
    PipelineStage,
    ReleaseStage,
    ReleaseStageBrief,
    ReleaseStageDetail,
    ReleaseStageIntegratedMetadata,
    ReleaseWorkflow,
    ReleaseWorkflowBrief,
    RunEvent,
    RunOutcome,
    RunRef,
    RunSource,
    RunStatusChangedEvent,
    StageFinishedEvent,
    StageRef,
    StageRun,
    StageRunPage,
    StageStartedEvent,
    ThrottledEvent,
    Timestamp,
    UnknownEvent,
    VariableGroup,
    WaitingForApprovalEvent,
)

# END generated imports
from ._stream import EventStream
from ._types import Branch, ExecuteReleaseStageResponse, FeatureBranch, ReleaseBranchRepoInfo

#: The library's version, from the project's Cargo manifest.
__version__: str = _native.__version__

__all__ = [
    "__version__",
    "Client",
    "AsyncClient",
    "execute_release_stage",
    "Edition",
    "Branch",
    "FeatureBranch",
    "ReleaseBranchRepoInfo",
    "ExecuteReleaseStageResponse",
    "YunxiaoError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "RateLimitError",
    "InternalServerError",
    "APIConnectionError",
    "APITimeoutError",
    "InvalidRequestError",
    "ConfigurationError",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "EventStream",
    # BEGIN generated names (scripts/generate.py)
    "Timestamp",
    "RunSource",
    "JobAction",
    "Job",
    "PipelineStage",
    "PipelineRun",
    "CancelOutcome",
    "StageRun",
    "StageRunPage",
    "Label",
    "VariableGroup",
    "ReleaseStage",
    "ReleaseWorkflow",
    "ReleaseWorkflowBrief",
    "ReleaseStageBrief",
    "ReleaseStageDetail",
    "ChangeRequest",
    "ChangeRequestPage",
    "ActionOutcome",
    "JobLog",
    "IntegratedChangeRequest",
    "IntegratedMetadata",
    "ReleaseStageIntegratedMetadata",
    "RunRef",
    "JobSummary",
    "RunOutcome",
    "ExecuteAndWaitResult",
    "FollowJobLogResult",
    "StageRef",
    "RunStatusChangedEvent",
    "StageStartedEvent",
    "StageFinishedEvent",
    "JobStartedEvent",
    "JobFinishedEvent",
    "WaitingForApprovalEvent",
    "LogLineEvent",
    "ThrottledEvent",
    "UnknownEvent",
    "RunEvent",
    # END generated names
]

# A library leaves handlers to the application: without this, records of WARNING and above
# would reach stderr through logging's last-resort handler when logging is not configured.
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
