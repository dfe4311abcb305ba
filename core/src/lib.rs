//! # yunxiao-appstack
//!
//! Start runs of Alibaba Cloud Yunxiao (云效) AppStack release stages — the OpenAPI call
//! `ExecuteChangeRequestReleaseStage` — with an exact request, retries that never deploy twice,
//! and a typed error for every answer.
//!
//! ```no_run
//! use yunxiao_appstack::{Client, ExecuteReleaseStageRequest};
//!
//! # async fn run() -> Result<(), yunxiao_appstack::Error> {
//! // Token, base URL, organization… from YUNXIAO_* environment variables.
//! let client = Client::from_env()?;
//! let request = ExecuteReleaseStageRequest::new("my-web-service", "wf-main", "stage-deploy")
//!     .comment("release 1.4.2")
//!     .variable("IMAGE_TAG", "1.4.2");
//! match client.execute_release_stage(&request).await {
//!     Ok(run) => println!("started run {:?}", run.run_id()),
//!     Err(e) if e.may_have_executed() => eprintln!("{e}; check the console before retrying"),
//!     Err(e) => eprintln!("{e}; nothing was started"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Executing a stage is not idempotent: the client retries only failures where the server
//! certainly did not act (the connection never opened, 429, 503 with `Retry-After`). Every
//! error says whether the stage may have started: [`Error::may_have_executed`].
//!
//! Bindings for Python, Node and C wrap this crate and decide nothing of their own.

#![deny(missing_docs)]

pub mod blocking;
pub mod bridge;
pub mod catalog;
mod client;
mod config;
mod endpoint;
mod error;
mod lenient;
pub mod lifecycle;
mod operation;
pub mod ops;
mod paging;
pub mod policy;
mod pool;
mod rate;
mod request;
mod response;
mod retry;
mod secret;
mod transport;
mod validate;

pub use client::{Client, TOKEN_HEADER};
pub use config::{
    ClientBuilder, ClientConfig, ENV_ACCESS_TOKEN, ENV_API_BASE_URL, ENV_CA_BUNDLE,
    ENV_CONNECT_TIMEOUT, ENV_DEADLINE, ENV_EDITION, ENV_MAX_RETRIES, ENV_MAX_RPS,
    ENV_ORGANIZATION_ID, ENV_TIMEOUT, Edition, VERSION,
};
pub use endpoint::{PreparedRequest, prepare, prepare_operation};
pub use error::{ApiError, Error, ErrorKind, TimeoutPhase};
pub use lenient::{JsonText, RunStatus, Timestamp};
pub use lifecycle::abort::AbortHandle;
pub use lifecycle::logs::LogFollower;
pub use lifecycle::started::StartedSinceOptions;
pub use lifecycle::wait::{
    EventCallback, JobSummary, OnApproval, RunEvent, RunOutcome, WaitOptions, WaitState,
};
pub use operation::{
    Answer, AppRef, CallInfo, Effect, HttpMethod, JobRef, Operation, OperationInfo, RunRef,
    StageRef,
};
pub use ops::ActionOutcome;
pub use ops::cancel::CancelOutcome;
pub use ops::execute::ExecuteReleaseStageArgs;
pub use ops::find_integrated_metadata::ReleaseStageIntegratedMetadata;
pub use ops::get_pipeline_run::{Job, JobAction, PipelineRun, PipelineStage, RunSource};
pub use ops::get_stage::{Label, ReleaseStage, ReleaseStageDetail, VariableGroup};
pub use ops::integrated_metadata::{IntegratedChangeRequest, IntegratedMetadata};
pub use ops::job_log::JobLog;
pub use ops::list_runs::{ListRunsOptions, RunOrder, SortDirection, StageRun};
pub use ops::list_stage_briefs::ReleaseStageBrief;
pub use ops::list_workflow_briefs::ReleaseWorkflowBrief;
pub use ops::list_workflows::ReleaseWorkflow;
pub use ops::search_change_requests::{
    ChangeRequest, ChangeRequestState, SearchChangeRequestsOptions,
};
pub use paging::{BlockingPaginator, Page, Paged, Paginator};
pub use request::{
    Branch, COMMENT_PARAM, ExecuteReleaseStageRequest, FeatureBranch,
    RELEASE_BRANCH_REPO_INFO_PARAM, ReleaseBranchRepoInfo,
};
pub use response::{ExecuteReleaseStageResponse, parse_retry_after};
pub use secret::{AccessToken, Secret};
pub use transport::CertificateProblem;

// The Rust examples of the README compile as doctests, so the README cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// Parses the body of an answer as the client would, for tests and fuzzing: `status` and
/// `body` in, a response or a typed error out. Never panics.
#[doc(hidden)]
pub fn parse_answer(status: u16, body: &[u8]) -> Result<ExecuteReleaseStageResponse, Error> {
    let headers = response::AnswerHeaders::default();
    if (200..300).contains(&status) {
        response::parse_success(status, &headers, body, None)
    } else {
        let call = CallInfo::of::<ExecuteReleaseStageRequest>(String::new());
        Err(response::parse_api_error(
            status, &headers, body, None, &call,
        ))
    }
}
