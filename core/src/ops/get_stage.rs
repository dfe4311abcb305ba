//! GetReleaseWorkflowStage: one release stage's settings (note the singular path segments).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::lenient::Obj;
use crate::operation::{
    Answer, AppRef, Effect, HttpMethod, Operation, OperationInfo, StageRef, stage_path_value,
};
use crate::{Client, blocking};

/// The request of GetReleaseWorkflowStage.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct GetReleaseWorkflowStage {
    /// The stage.
    #[serde(flatten)]
    pub stage: StageRef,
}

/// A label, in either documented shape (`{key, value}` or `{name, value, namespace, …}`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct Label {
    /// `name` (else `key`).
    pub name: Option<String>,
    /// `value`.
    pub value: Option<String>,
    /// `namespace`, e.g. `default`.
    pub namespace: Option<String>,
    /// `displayName`.
    pub display_name: Option<String>,
    /// `displayValue`.
    pub display_value: Option<String>,
}

impl Label {
    pub(crate) fn from_value(value: &Value) -> Self {
        let o = Obj::of(value);
        Label {
            name: o.str_any(&["name", "key"]),
            value: o.str("value"),
            namespace: o.str("namespace"),
            display_name: o.str("displayName"),
            display_value: o.str("displayValue"),
        }
    }
}

/// A variable group of a stage.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct VariableGroup {
    /// `name`, e.g. `dev`.
    pub name: Option<String>,
    /// `displayName`.
    pub display_name: Option<String>,
    /// `type`: `GLOBAL`, `TEMPLATE` or `APP`.
    pub group_type: Option<String>,
}

impl VariableGroup {
    fn from_value(value: &Value) -> Self {
        let o = Obj::of(value);
        VariableGroup {
            name: o.str("name"),
            display_name: o.str("displayName"),
            group_type: o.str("type"),
        }
    }
}

/// A release stage, in the union of its two documented shapes.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ReleaseStage {
    /// `sn` (else `releaseStageSn`): the stage's serial number.
    pub sn: Option<String>,
    /// `name`: the name shown in the console.
    pub name: Option<String>,
    /// `appName`.
    pub app_name: Option<String>,
    /// `releaseWorkflowSn`.
    pub release_workflow_sn: Option<String>,
    /// `order`, e.g. `"1"`.
    pub order: Option<String>,
    /// `labels`.
    pub labels: Vec<Label>,
    /// `variableGroups`.
    pub variable_groups: Vec<VariableGroup>,
    /// `pipeline` (`engineType`, `engineSn`, `pipelineYaml`, …), as sent.
    pub pipeline: Option<Value>,
}

impl ReleaseStage {
    pub(crate) fn from_value(value: &Value) -> Self {
        let o = Obj::of(value);
        ReleaseStage {
            sn: o.str_any(&["sn", "releaseStageSn"]),
            name: o.str("name"),
            app_name: o.str("appName"),
            release_workflow_sn: o.str("releaseWorkflowSn"),
            order: o.str("order"),
            labels: o.list_any(&["labels", "labelList"], Label::from_value),
            variable_groups: o.list("variableGroups", VariableGroup::from_value),
            pipeline: o.raw("pipeline"),
        }
    }
}

/// A release stage, with the whole answer.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ReleaseStageDetail {
    /// The stage.
    #[serde(flatten)]
    pub stage: ReleaseStage,
    /// The whole answer, as received.
    pub raw: Value,
}

impl Operation for GetReleaseWorkflowStage {
    type Output = ReleaseStageDetail;

    const INFO: OperationInfo = OperationInfo {
        name: "GetReleaseWorkflowStage",
        method_name: "get_release_stage",
        http_method: HttpMethod::Get,
        path: "/apps/{appName}/releaseWorkflow/{releaseWorkflowSn}/releaseStage/{releaseStageSn}",
        query: &[],
        effect: Effect::ReadOnly,
        summary: "Get one release stage: name, order, labels, variable groups, pipeline.",
        may_have_effect: "",
    };

    const RESULT_KEYS: &'static [&'static str] = &["sn", "releaseStageSn", "name"];

    fn app(&self) -> &AppRef {
        &self.stage.app
    }

    fn path_value(&self, name: &str) -> Option<String> {
        stage_path_value(&self.stage, name)
    }

    fn describe(&self) -> String {
        format!("getting {}", self.stage)
    }

    fn parse(&self, answer: Answer) -> Result<ReleaseStageDetail, Error> {
        let stage = ReleaseStage::from_value(answer.require_object()?);
        Ok(ReleaseStageDetail {
            stage,
            raw: answer.into_json(),
        })
    }
    fn take_raw(output: &mut Self::Output) -> Option<Value> {
        Some(std::mem::take(&mut output.raw))
    }
}

impl Client {
    /// Gets one release stage (GetReleaseWorkflowStage).
    pub async fn get_release_stage(&self, stage: &StageRef) -> Result<ReleaseStageDetail, Error> {
        self.send(&GetReleaseWorkflowStage {
            stage: stage.clone(),
        })
        .await
    }
}

impl blocking::Client {
    /// Blocking twin of [`Client::get_release_stage`].
    pub fn get_release_stage(&self, stage: &StageRef) -> Result<ReleaseStageDetail, Error> {
        self.send(&GetReleaseWorkflowStage {
            stage: stage.clone(),
        })
    }
}
