//! ListAppReleaseStageExecutionIntegratedMetadata: what a run integrated — release branches
//! and change requests.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::lenient::Obj;
use crate::operation::{
    Answer, AppRef, Effect, HttpMethod, Operation, OperationInfo, RunRef, run_path_value,
};
use crate::{Client, blocking};

/// The request of ListAppReleaseStageExecutionIntegratedMetadata.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListAppReleaseStageExecutionIntegratedMetadata {
    /// The run.
    #[serde(flatten)]
    pub run: RunRef,
}

/// A change request a run integrated.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct IntegratedChangeRequest {
    /// `sn`.
    pub sn: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `branchName`.
    pub branch_name: Option<String>,
    /// `commitId`.
    pub commit_id: Option<String>,
    /// `ownerId`.
    pub owner_id: Option<String>,
    /// `ownerAccountId`.
    pub owner_account_id: Option<String>,
    /// `state` (only in the stage-level call).
    pub state: Option<String>,
    /// `branchState`: `DELETED`, `NEW_COMMIT`, `UNKNOWN` or `LATEST` (only in the stage-level
    /// call).
    pub branch_state: Option<String>,
}

impl IntegratedChangeRequest {
    pub(crate) fn from_value(value: &Value) -> Self {
        let o = Obj::of(value);
        IntegratedChangeRequest {
            sn: o.str("sn"),
            name: o.str("name"),
            branch_name: o.str("branchName"),
            commit_id: o.str("commitId"),
            owner_id: o.str("ownerId"),
            owner_account_id: o.str("ownerAccountId"),
            state: o.str("state"),
            branch_state: o.str("branchState"),
        }
    }
}

/// What a run integrated from one repository.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct IntegratedMetadata {
    /// `releaseBranch`.
    pub release_branch: Option<String>,
    /// `releaseRevision`: the release branch's git revision.
    pub release_revision: Option<String>,
    /// `repoType`, e.g. `CODEUP`.
    pub repo_type: Option<String>,
    /// `repoUrl`.
    pub repo_url: Option<String>,
    /// `changeRequests`.
    pub change_requests: Vec<IntegratedChangeRequest>,
}

impl IntegratedMetadata {
    fn from_value(value: &Value) -> Self {
        let o = Obj::of(value);
        IntegratedMetadata {
            release_branch: o.str("releaseBranch"),
            release_revision: o.str("releaseRevision"),
            repo_type: o.str("repoType"),
            repo_url: o.str("repoUrl"),
            change_requests: o.list_any(
                &["changeRequests", "crDetailList"],
                IntegratedChangeRequest::from_value,
            ),
        }
    }
}

impl Operation for ListAppReleaseStageExecutionIntegratedMetadata {
    type Output = Vec<IntegratedMetadata>;

    const INFO: OperationInfo = OperationInfo {
        name: "ListAppReleaseStageExecutionIntegratedMetadata",
        method_name: "list_integrated_metadata",
        http_method: HttpMethod::Get,
        path: "/apps/{appName}/releaseWorkflows/{releaseWorkflowSn}/releaseStages/{releaseStageSn}/executions/{executionNumber}/integratedMetadata",
        query: &[],
        effect: Effect::ReadOnly,
        summary: "List what a run integrated: release branches and change requests.",
        may_have_effect: "",
    };

    fn app(&self) -> &AppRef {
        &self.run.stage.app
    }

    fn path_value(&self, name: &str) -> Option<String> {
        run_path_value(&self.run, name)
    }

    fn describe(&self) -> String {
        format!("listing what {} integrated", self.run)
    }

    fn parse(&self, answer: Answer) -> Result<Vec<IntegratedMetadata>, Error> {
        // An array per one spec and the help center; a single object per the other spec.
        match answer.require_json()? {
            Value::Array(items) => Ok(items.iter().map(IntegratedMetadata::from_value).collect()),
            object @ Value::Object(map) => match ["data", "records"]
                .iter()
                .find_map(|key| map.get(*key).and_then(Value::as_array))
            {
                Some(items) => Ok(items.iter().map(IntegratedMetadata::from_value).collect()),
                None if map.is_empty() => Ok(Vec::new()),
                None => Ok(vec![IntegratedMetadata::from_value(object)]),
            },
            other => Err(answer.decode_error(format!(
                "expected a list: {}",
                crate::error::one_line(&other.to_string(), crate::policy::ERROR_EXCERPT_CHARS)
            ))),
        }
    }
}

impl Client {
    /// Lists what a run integrated (ListAppReleaseStageExecutionIntegratedMetadata).
    pub async fn list_integrated_metadata(
        &self,
        run: &RunRef,
    ) -> Result<Vec<IntegratedMetadata>, Error> {
        self.send(&ListAppReleaseStageExecutionIntegratedMetadata { run: run.clone() })
            .await
    }
}

impl blocking::Client {
    /// Blocking twin of [`Client::list_integrated_metadata`].
    pub fn list_integrated_metadata(&self, run: &RunRef) -> Result<Vec<IntegratedMetadata>, Error> {
        self.send(&ListAppReleaseStageExecutionIntegratedMetadata { run: run.clone() })
    }
}
