//! ListAllReleaseWorkflows: an app's release workflows, each with its stages.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::lenient::Obj;
use crate::operation::{Answer, AppRef, Effect, HttpMethod, Operation, OperationInfo};
use crate::ops::get_stage::ReleaseStage;
use crate::ops::list_items;
use crate::{Client, blocking};

/// The request of ListAllReleaseWorkflows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListAllReleaseWorkflows {
    /// The app.
    #[serde(flatten)]
    pub app: AppRef,
}

/// A release workflow with its stages.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ReleaseWorkflow {
    /// `sn`: the workflow's serial number.
    pub sn: Option<String>,
    /// `name`: the name shown in the console.
    pub name: Option<String>,
    /// `appName`.
    pub app_name: Option<String>,
    /// `note`.
    pub note: Option<String>,
    /// `order`.
    pub order: Option<String>,
    /// `type`: `CR` or `APP_RELEASE`.
    pub workflow_type: Option<String>,
    /// `releaseStages`.
    pub release_stages: Vec<ReleaseStage>,
    /// The workflow as received.
    pub raw: Value,
}

impl ReleaseWorkflow {
    fn from_value(value: &Value) -> Self {
        let o = Obj::of(value);
        ReleaseWorkflow {
            sn: o.str_any(&["sn", "releaseWorkflowSn"]),
            name: o.str("name"),
            app_name: o.str("appName"),
            note: o.str("note"),
            order: o.str("order"),
            workflow_type: o.str("type"),
            release_stages: o.list("releaseStages", ReleaseStage::from_value),
            raw: value.clone(),
        }
    }
}

impl Operation for ListAllReleaseWorkflows {
    type Output = Vec<ReleaseWorkflow>;

    const INFO: OperationInfo = OperationInfo {
        name: "ListAllReleaseWorkflows",
        method_name: "list_release_workflows",
        http_method: HttpMethod::Get,
        path: "/apps/{appName}/releaseWorkflows",
        query: &[],
        effect: Effect::ReadOnly,
        summary: "List an app's release workflows, each with its stages.",
        may_have_effect: "",
    };

    fn app(&self) -> &AppRef {
        &self.app
    }

    fn path_value(&self, _: &str) -> Option<String> {
        None
    }

    fn describe(&self) -> String {
        format!("listing the release workflows of {}", self.app)
    }

    fn parse(&self, answer: Answer) -> Result<Vec<ReleaseWorkflow>, Error> {
        let items = list_items(&answer, &["data", "records", "result"])?;
        Ok(items.iter().map(ReleaseWorkflow::from_value).collect())
    }
}

impl Client {
    /// Lists an app's release workflows with their stages (ListAllReleaseWorkflows).
    pub async fn list_release_workflows(
        &self,
        app: &AppRef,
    ) -> Result<Vec<ReleaseWorkflow>, Error> {
        self.send(&ListAllReleaseWorkflows { app: app.clone() })
            .await
    }
}

impl blocking::Client {
    /// Blocking twin of [`Client::list_release_workflows`].
    pub fn list_release_workflows(&self, app: &AppRef) -> Result<Vec<ReleaseWorkflow>, Error> {
        self.send(&ListAllReleaseWorkflows { app: app.clone() })
    }
}
