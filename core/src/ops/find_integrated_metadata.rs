//! ListReleaseStageFlowChangeRequests: the integration metadata of a stage's run (the newest,
//! or the one `build_num` names). One object, despite the name.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::lenient::Obj;
use crate::operation::{
    Answer, AppRef, Effect, HttpMethod, Operation, OperationInfo, StageRef, stage_path_value,
};
use crate::ops::integrated_metadata::IntegratedChangeRequest;
use crate::{Client, blocking};

/// The request of ListReleaseStageFlowChangeRequests.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListReleaseStageFlowChangeRequests {
    /// The stage.
    #[serde(flatten)]
    pub stage: StageRef,
    /// The run number (`buildNum`); the newest run when absent.
    #[serde(default)]
    pub build_num: Option<u64>,
}

/// A stage run's integration metadata.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ReleaseStageIntegratedMetadata {
    /// `releaseStageSn`.
    pub release_stage_sn: Option<String>,
    /// `releaseBranch`.
    pub release_branch: Option<String>,
    /// `releaseRevision`.
    pub release_revision: Option<String>,
    /// `repoUrl`.
    pub repo_url: Option<String>,
    /// `repoType`.
    pub repo_type: Option<String>,
    /// `runNumber`.
    pub run_number: Option<u64>,
    /// `crDetailList`: the change requests, with their states.
    pub change_requests: Vec<IntegratedChangeRequest>,
    /// The whole answer, as received.
    pub raw: Value,
}

impl Operation for ListReleaseStageFlowChangeRequests {
    type Output = ReleaseStageIntegratedMetadata;

    const INFO: OperationInfo = OperationInfo {
        name: "ListReleaseStageFlowChangeRequests",
        method_name: "find_release_integrated_metadata",
        http_method: HttpMethod::Get,
        path: "/apps/{appName}/releaseWorkflows/{releaseWorkflowSn}/releaseStages/{releaseStageSn}:find_release_integrated_metadata",
        query: &["buildNum"],
        effect: Effect::ReadOnly,
        summary: "Get the integration metadata of a stage's newest run, or of run build_num.",
        may_have_effect: "",
    };

    const RESULT_KEYS: &'static [&'static str] = &["releaseStageSn", "crDetailList", "runNumber"];

    fn app(&self) -> &AppRef {
        &self.stage.app
    }

    fn path_value(&self, name: &str) -> Option<String> {
        stage_path_value(&self.stage, name)
    }

    fn query(&self) -> Result<Vec<(&'static str, String)>, Error> {
        Ok(self
            .build_num
            .map(|n| vec![("buildNum", n.to_string())])
            .unwrap_or_default())
    }

    fn describe(&self) -> String {
        match self.build_num {
            Some(n) => format!(
                "getting the integration metadata of run {n} of {}",
                self.stage
            ),
            None => format!("getting the integration metadata of {}", self.stage),
        }
    }

    fn parse(&self, answer: Answer) -> Result<ReleaseStageIntegratedMetadata, Error> {
        let raw = answer.require_object()?;
        let o = Obj::of(raw);
        let mut metadata = ReleaseStageIntegratedMetadata {
            release_stage_sn: o.str("releaseStageSn"),
            release_branch: o.str("releaseBranch"),
            release_revision: o.str("releaseRevision"),
            repo_url: o.str("repoUrl"),
            repo_type: o.str("repoType"),
            run_number: o.u64("runNumber"),
            change_requests: o.list_any(
                &["crDetailList", "changeRequests"],
                IntegratedChangeRequest::from_value,
            ),
            raw: Value::Null,
        };
        metadata.raw = answer.into_json();
        Ok(metadata)
    }
    fn take_raw(output: &mut Self::Output) -> Option<Value> {
        Some(std::mem::take(&mut output.raw))
    }
}

impl Client {
    /// Gets the integration metadata of a stage's newest run, or of run `build_num`
    /// (ListReleaseStageFlowChangeRequests).
    pub async fn find_release_integrated_metadata(
        &self,
        stage: &StageRef,
        build_num: Option<u64>,
    ) -> Result<ReleaseStageIntegratedMetadata, Error> {
        self.send(&ListReleaseStageFlowChangeRequests {
            stage: stage.clone(),
            build_num,
        })
        .await
    }
}

impl blocking::Client {
    /// Blocking twin of [`Client::find_release_integrated_metadata`].
    pub fn find_release_integrated_metadata(
        &self,
        stage: &StageRef,
        build_num: Option<u64>,
    ) -> Result<ReleaseStageIntegratedMetadata, Error> {
        self.send(&ListReleaseStageFlowChangeRequests {
            stage: stage.clone(),
            build_num,
        })
    }
}
