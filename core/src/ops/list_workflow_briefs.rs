//! ListAllReleaseWorkflowBriefs: an app's release workflows, names and serial numbers only.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::lenient::Obj;
use crate::operation::{Answer, AppRef, Effect, HttpMethod, Operation, OperationInfo};
use crate::ops::list_items;
use crate::{Client, blocking};

/// The request of ListAllReleaseWorkflowBriefs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListAllReleaseWorkflowBriefs {
    /// The app.
    #[serde(flatten)]
    pub app: AppRef,
}

/// A release workflow's summary.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ReleaseWorkflowBrief {
    /// `sn`: the serial number the stage calls take.
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
}

impl ReleaseWorkflowBrief {
    fn from_value(value: &Value) -> Self {
        let o = Obj::of(value);
        ReleaseWorkflowBrief {
            sn: o.str_any(&["sn", "releaseWorkflowSn"]),
            name: o.str("name"),
            app_name: o.str("appName"),
            note: o.str("note"),
            order: o.str("order"),
            workflow_type: o.str("type"),
        }
    }
}

impl Operation for ListAllReleaseWorkflowBriefs {
    type Output = Vec<ReleaseWorkflowBrief>;

    const INFO: OperationInfo = OperationInfo {
        name: "ListAllReleaseWorkflowBriefs",
        method_name: "list_release_workflow_briefs",
        http_method: HttpMethod::Get,
        path: "/apps/{appName}/releaseWorkflowBriefs",
        query: &[],
        effect: Effect::ReadOnly,
        summary: "List an app's release workflows: serial numbers and names.",
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

    fn parse(&self, answer: Answer) -> Result<Vec<ReleaseWorkflowBrief>, Error> {
        let items = list_items(&answer, &["data", "records", "result"])?;
        Ok(items.iter().map(ReleaseWorkflowBrief::from_value).collect())
    }
}

impl Client {
    /// Lists an app's release workflows, briefly (ListAllReleaseWorkflowBriefs).
    pub async fn list_release_workflow_briefs(
        &self,
        app: &AppRef,
    ) -> Result<Vec<ReleaseWorkflowBrief>, Error> {
        self.send(&ListAllReleaseWorkflowBriefs { app: app.clone() })
            .await
    }
}

impl blocking::Client {
    /// Blocking twin of [`Client::list_release_workflow_briefs`].
    pub fn list_release_workflow_briefs(
        &self,
        app: &AppRef,
    ) -> Result<Vec<ReleaseWorkflowBrief>, Error> {
        self.send(&ListAllReleaseWorkflowBriefs { app: app.clone() })
    }
}
