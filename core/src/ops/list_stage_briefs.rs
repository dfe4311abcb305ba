//! ListAllReleaseStageBriefs: a workflow's stages, names and serial numbers (note the singular
//! `releaseWorkflow` in the path).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::lenient::Obj;
use crate::operation::{Answer, AppRef, Effect, HttpMethod, Operation, OperationInfo};
use crate::ops::get_stage::Label;
use crate::ops::list_items;
use crate::{Client, blocking};

/// The request of ListAllReleaseStageBriefs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListAllReleaseStageBriefs {
    /// The app.
    #[serde(flatten)]
    pub app: AppRef,
    /// The release workflow's serial number.
    pub release_workflow_sn: String,
}

/// A release stage's summary, in the union of its documented shapes.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ReleaseStageBrief {
    /// `sn` (help and one spec) else `releaseStageSn` (the other spec).
    pub sn: Option<String>,
    /// `name`: the name shown in the console.
    pub name: Option<String>,
    /// `releaseWorkflowSn`.
    pub release_workflow_sn: Option<String>,
    /// `appName`.
    pub app_name: Option<String>,
    /// `order`.
    pub order: Option<String>,
    /// `processEngineType`: `FlowV1`, `FlowV2` or `FlowAny`.
    pub process_engine_type: Option<String>,
    /// `processEngineSn`: the Flow pipeline's id.
    pub process_engine_sn: Option<String>,
    /// `labels`.
    pub labels: Vec<Label>,
}

impl ReleaseStageBrief {
    fn from_value(value: &Value) -> Self {
        let o = Obj::of(value);
        ReleaseStageBrief {
            sn: o.str_any(&["sn", "releaseStageSn"]),
            name: o.str("name"),
            release_workflow_sn: o.str("releaseWorkflowSn"),
            app_name: o.str("appName"),
            order: o.str("order"),
            process_engine_type: o.str("processEngineType"),
            process_engine_sn: o.str("processEngineSn"),
            labels: o.list("labels", Label::from_value),
        }
    }
}

impl Operation for ListAllReleaseStageBriefs {
    type Output = Vec<ReleaseStageBrief>;

    const INFO: OperationInfo = OperationInfo {
        name: "ListAllReleaseStageBriefs",
        method_name: "list_release_stage_briefs",
        http_method: HttpMethod::Get,
        path: "/apps/{appName}/releaseWorkflow/{releaseWorkflowSn}/releaseStageBriefs",
        query: &[],
        effect: Effect::ReadOnly,
        summary: "List a release workflow's stages: serial numbers and names.",
        may_have_effect: "",
    };

    fn app(&self) -> &AppRef {
        &self.app
    }

    fn path_value(&self, name: &str) -> Option<String> {
        (name == "releaseWorkflowSn").then(|| self.release_workflow_sn.clone())
    }

    fn describe(&self) -> String {
        format!(
            "listing the stages of workflow {} ({})",
            self.release_workflow_sn, self.app
        )
    }

    fn parse(&self, answer: Answer) -> Result<Vec<ReleaseStageBrief>, Error> {
        let items = list_items(&answer, &["data", "records", "result"])?;
        Ok(items.iter().map(ReleaseStageBrief::from_value).collect())
    }
}

impl Client {
    /// Lists a workflow's stages, briefly (ListAllReleaseStageBriefs).
    pub async fn list_release_stage_briefs(
        &self,
        app: &AppRef,
        release_workflow_sn: &str,
    ) -> Result<Vec<ReleaseStageBrief>, Error> {
        self.send(&ListAllReleaseStageBriefs {
            app: app.clone(),
            release_workflow_sn: release_workflow_sn.to_owned(),
        })
        .await
    }
}

impl blocking::Client {
    /// Blocking twin of [`Client::list_release_stage_briefs`].
    pub fn list_release_stage_briefs(
        &self,
        app: &AppRef,
        release_workflow_sn: &str,
    ) -> Result<Vec<ReleaseStageBrief>, Error> {
        self.send(&ListAllReleaseStageBriefs {
            app: app.clone(),
            release_workflow_sn: release_workflow_sn.to_owned(),
        })
    }
}
