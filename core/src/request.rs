//! The request: which stage to run, and the typed parts of its `params`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::operation::StageRef;
use crate::validate;

/// The `params` key of the run comment shown in the Yunxiao console.
pub const COMMENT_PARAM: &str = "FLOW_INST_RUNNING_COMMENT";

/// The `params` key of the change-request information.
pub const RELEASE_BRANCH_REPO_INFO_PARAM: &str = "releaseBranchRepoInfo";

/// One execution of a release stage: the stage's address and the run's parameters.
///
/// ```
/// use yunxiao_appstack::ExecuteReleaseStageRequest;
///
/// let request = ExecuteReleaseStageRequest::new("my-web-service", "wf-main", "stage-deploy")
///     .organization_id("sandbox-org")
///     .comment("release 1.4.2")
///     .variable("IMAGE_TAG", "1.4.2")
///     .branch("my-repo", "release/1.4");
/// let body = request.body().expect("no conflicting parameters");
/// assert_eq!(body["params"]["IMAGE_TAG"], "1.4.2");
/// ```
///
/// The helpers each own keys of `params`; giving the same key through two of them (a variable
/// named `FLOW_INST_RUNNING_COMMENT` and a comment, say) is an [`Error::InvalidRequest`], never
/// a silent overwrite.
#[derive(Debug, Clone, PartialEq, Default)]
#[must_use]
pub struct ExecuteReleaseStageRequest {
    stage: StageRef,
    comment: Option<String>,
    variables: Vec<(String, String)>,
    branches: Vec<(String, String)>,
    release_branch_repo_info: Option<ReleaseBranchRepoInfo>,
    extra_params: Vec<Value>,
}

impl ExecuteReleaseStageRequest {
    /// A request to run stage `release_stage_sn` of workflow `release_workflow_sn` of app
    /// `app_name`, with no parameters.
    pub fn new(
        app_name: impl Into<String>,
        release_workflow_sn: impl Into<String>,
        release_stage_sn: impl Into<String>,
    ) -> Self {
        Self::for_stage(StageRef::new(
            app_name,
            release_workflow_sn,
            release_stage_sn,
        ))
    }

    /// A request to run `stage`, with no parameters.
    pub fn for_stage(stage: StageRef) -> Self {
        Self {
            stage,
            ..Self::default()
        }
    }

    /// The organization; when not set, the client's default (`YUNXIAO_ORGANIZATION_ID`).
    pub fn organization_id(mut self, organization_id: impl Into<String>) -> Self {
        self.stage.app.organization_id = Some(organization_id.into());
        self
    }

    /// The stage this request runs.
    pub fn stage(&self) -> &StageRef {
        &self.stage
    }

    /// The run comment (`FLOW_INST_RUNNING_COMMENT`).
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// A pipeline variable, sent as `"name": "value"` in `params`.
    pub fn variable(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.variables.push((name.into(), value.into()));
        self
    }

    /// Several pipeline variables, in order.
    pub fn variables<I, K, V>(mut self, variables: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.variables
            .extend(variables.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The branch a pipeline source builds, sent as `"<sourceId>": "<branch>"`. Ignored by the
    /// server when change requests are given.
    pub fn branch(mut self, source_id: impl Into<String>, branch: impl Into<String>) -> Self {
        self.branches.push((source_id.into(), branch.into()));
        self
    }

    /// Several source branches, in order.
    pub fn branches<I, K, V>(mut self, branches: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.branches
            .extend(branches.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Run with change requests instead of a branch (`releaseBranchRepoInfo`).
    pub fn release_branch_repo_info(mut self, info: ReleaseBranchRepoInfo) -> Self {
        self.release_branch_repo_info = Some(info);
        self
    }

    /// Raw extra entries of `params`, for anything newer than this crate. Must be a JSON
    /// object; its keys must not repeat a key given by another helper (or by an earlier call of
    /// this one: calls add up, they never replace).
    pub fn extra_params(mut self, params: Value) -> Self {
        self.extra_params.push(params);
        self
    }

    /// The organization id given on this request, if any.
    pub fn get_organization_id(&self) -> Option<&str> {
        self.stage.app.organization_id.as_deref()
    }

    /// The app name.
    pub fn app_name(&self) -> &str {
        &self.stage.app.app_name
    }

    /// The release workflow serial number.
    pub fn release_workflow_sn(&self) -> &str {
        &self.stage.release_workflow_sn
    }

    /// The release stage serial number.
    pub fn release_stage_sn(&self) -> &str {
        &self.stage.release_stage_sn
    }

    /// Checks the ids and builds `params`, in the documented order: comment, variables,
    /// branches, `releaseBranchRepoInfo`, then extra entries.
    pub fn params(&self) -> Result<Map<String, Value>, Error> {
        validate::path_value("app_name", self.app_name())?;
        validate::path_value("release_workflow_sn", self.release_workflow_sn())?;
        validate::path_value("release_stage_sn", self.release_stage_sn())?;
        if let Some(org) = &self.stage.app.organization_id {
            validate::path_value("organization_id", org)?;
        }

        let mut params = ParamsBuilder::default();
        if let Some(comment) = &self.comment {
            params.insert("comment", COMMENT_PARAM, Value::String(comment.clone()))?;
        }
        for (name, value) in &self.variables {
            params.insert("variables", name, Value::String(value.clone()))?;
        }
        for (source, branch) in &self.branches {
            if branch.trim().is_empty() || branch.chars().any(char::is_control) {
                return Err(Error::invalid_request(format!(
                    "branches: the branch for source {source:?} must be a non-empty name without control characters"
                )));
            }
            params.insert("branches", source, Value::String(branch.clone()))?;
        }
        if let Some(info) = &self.release_branch_repo_info {
            info.validate()?;
            let value = serde_json::to_value(info)
                .map_err(|e| Error::invalid_request(format!("release_branch_repo_info: {e}")))?;
            params.insert(
                "release_branch_repo_info",
                RELEASE_BRANCH_REPO_INFO_PARAM,
                value,
            )?;
        }
        for extra in &self.extra_params {
            let Value::Object(extra) = extra else {
                return Err(Error::invalid_request(format!(
                    "params must be a JSON object, not {}",
                    json_type_name(extra)
                )));
            };
            for (key, value) in extra {
                params.insert("params", key, value.clone())?;
            }
        }
        Ok(params.map)
    }

    /// The JSON body: `{"params": {...}}`.
    pub fn body(&self) -> Result<Value, Error> {
        let mut body = Map::new();
        body.insert("params".to_owned(), Value::Object(self.params()?));
        Ok(Value::Object(body))
    }
}

/// Collects `params` entries and refuses a key given twice.
#[derive(Default)]
struct ParamsBuilder {
    map: Map<String, Value>,
    sources: std::collections::HashMap<String, &'static str>,
}

impl ParamsBuilder {
    fn insert(&mut self, source: &'static str, key: &str, value: Value) -> Result<(), Error> {
        validate::param_key(source, key)?;
        if let Some(&earlier) = self.sources.get(key) {
            let how = if earlier == source {
                format!("twice in {source}")
            } else {
                format!("by both {earlier} and {source}")
            };
            return Err(Error::invalid_request(format!(
                "parameter {key:?} is given {how}"
            )));
        }
        self.map.insert(key.to_owned(), value);
        self.sources.insert(key.to_owned(), source);
        Ok(())
    }
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A branch, by name (`{"branchName": ...}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Branch {
    /// The branch name, e.g. `master` or `release/1.4`.
    pub branch_name: String,
}

impl Branch {
    /// A branch named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            branch_name: name.into(),
        }
    }
}

/// A change request's branch (`{"branchName", "changeRequestSn"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeatureBranch {
    /// The change's branch name.
    pub branch_name: String,
    /// The change request's serial number (from ListAppChangeRequests).
    pub change_request_sn: String,
}

impl FeatureBranch {
    /// The branch `branch_name` of change request `change_request_sn`.
    pub fn new(branch_name: impl Into<String>, change_request_sn: impl Into<String>) -> Self {
        Self {
            branch_name: branch_name.into(),
            change_request_sn: change_request_sn.into(),
        }
    }
}

/// Run a stage with change requests instead of a branch (`params.releaseBranchRepoInfo`).
///
/// With `need_create_branch` false the given `release_branch` is used; with it true a release
/// branch is cut from `base_branch`. Serializes in the documented field order, with the wire
/// name `featureBranchs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReleaseBranchRepoInfo {
    /// The change requests' branches (wire name `featureBranchs`).
    #[serde(rename = "featureBranchs", alias = "featureBranches")]
    pub feature_branches: Vec<FeatureBranch>,
    /// The repository's git URL.
    pub repo: String,
    /// The branch a new release branch is cut from (needed when `need_create_branch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_branch: Option<Branch>,
    /// Whether to cut a new release branch from `base_branch`.
    #[serde(default)]
    pub need_create_branch: bool,
    /// The release branch to use (needed when not `need_create_branch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_branch: Option<Branch>,
}

impl ReleaseBranchRepoInfo {
    /// Use the existing `release_branch` of `repo` for `feature_branches`.
    pub fn with_release_branch(
        repo: impl Into<String>,
        feature_branches: Vec<FeatureBranch>,
        base_branch: Option<Branch>,
        release_branch: Branch,
    ) -> Self {
        Self {
            feature_branches,
            repo: repo.into(),
            base_branch,
            need_create_branch: false,
            release_branch: Some(release_branch),
        }
    }

    /// Cut a new release branch of `repo` from `base_branch` for `feature_branches`.
    pub fn creating_branch_from(
        repo: impl Into<String>,
        feature_branches: Vec<FeatureBranch>,
        base_branch: Branch,
    ) -> Self {
        Self {
            feature_branches,
            repo: repo.into(),
            base_branch: Some(base_branch),
            need_create_branch: true,
            release_branch: None,
        }
    }

    /// Checks that the information can describe a run; called when the request is built.
    pub fn validate(&self) -> Result<(), Error> {
        const FIELD: &str = "release_branch_repo_info";
        let non_empty = |name: &str, value: &str| {
            if value.trim().is_empty() || value.chars().any(char::is_control) {
                Err(Error::invalid_request(format!(
                    "{FIELD}.{name} must be non-empty and free of control characters"
                )))
            } else {
                Ok(())
            }
        };
        non_empty("repo", &self.repo)?;
        if self.feature_branches.is_empty() {
            return Err(Error::invalid_request(format!(
                "{FIELD}.featureBranchs must name at least one change request"
            )));
        }
        for branch in &self.feature_branches {
            non_empty("featureBranchs[].branchName", &branch.branch_name)?;
            non_empty(
                "featureBranchs[].changeRequestSn",
                &branch.change_request_sn,
            )?;
        }
        if let Some(base) = &self.base_branch {
            non_empty("baseBranch.branchName", &base.branch_name)?;
        }
        if let Some(release) = &self.release_branch {
            non_empty("releaseBranch.branchName", &release.branch_name)?;
        }
        if self.need_create_branch && self.base_branch.is_none() {
            return Err(Error::invalid_request(format!(
                "{FIELD}: needCreateBranch is true, so baseBranch is required"
            )));
        }
        if !self.need_create_branch && self.release_branch.is_none() {
            return Err(Error::invalid_request(format!(
                "{FIELD}: needCreateBranch is false, so releaseBranch is required"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The request of the original document, built with the typed helpers.
    fn document_example() -> ExecuteReleaseStageRequest {
        ExecuteReleaseStageRequest::new("my-web-service", "xxxxxxxxxxxxxx", "xxxxxxxxxxxxxxx")
            .organization_id("ec766e63aee3437d9a51f334d6exe671")
            .comment("运行备注1")
            .variable("k1", "v1")
            .branch("${sourceId}", "branch")
            .release_branch_repo_info(ReleaseBranchRepoInfo::with_release_branch(
                "https://codeup.aliyun.com/xxxxxx/codeDemo.git",
                vec![FeatureBranch::new(
                    "feature/20251216_1",
                    "25500xxxxxxaaf9855",
                )],
                Some(Branch::new("master")),
                Branch::new("release/xxxxx_release_4468686_2"),
            ))
    }

    #[test]
    fn document_example_serializes_to_exactly_the_documented_body() {
        // The documented body, compacted, keys in the document's order.
        let documented = r#"{"params":{"FLOW_INST_RUNNING_COMMENT":"运行备注1","k1":"v1","${sourceId}":"branch","releaseBranchRepoInfo":{"featureBranchs":[{"branchName":"feature/20251216_1","changeRequestSn":"25500xxxxxxaaf9855"}],"repo":"https://codeup.aliyun.com/xxxxxx/codeDemo.git","baseBranch":{"branchName":"master"},"needCreateBranch":false,"releaseBranch":{"branchName":"release/xxxxx_release_4468686_2"}}}}"#;
        let body = document_example().body().expect("valid");
        assert_eq!(
            serde_json::to_string(&body).expect("serializable"),
            documented
        );
    }

    #[test]
    fn the_same_key_from_two_helpers_is_an_error() {
        let cases = [
            document_example().variable(COMMENT_PARAM, "again"),
            document_example().variable("${sourceId}", "x"),
            document_example().variable("k1", "twice"),
            document_example().extra_params(json!({"k1": "v2"})),
            document_example().extra_params(json!({"releaseBranchRepoInfo": {}})),
        ];
        for request in cases {
            let err = request.body().expect_err("conflict");
            assert!(matches!(err, Error::InvalidRequest { .. }), "{err}");
        }
    }

    #[test]
    fn extra_params_must_be_an_object() {
        let err = document_example()
            .extra_params(json!([1]))
            .body()
            .expect_err("array");
        assert!(err.to_string().contains("an array"));
        let body = ExecuteReleaseStageRequest::new("a", "b", "c")
            .extra_params(json!({"newThing": {"x": 1}}))
            .body()
            .expect("object");
        assert_eq!(body, json!({"params": {"newThing": {"x": 1}}}));
    }

    #[test]
    fn release_branch_repo_info_is_checked() {
        let mut info = ReleaseBranchRepoInfo::creating_branch_from(
            "https://codeup.aliyun.com/x/y.git",
            vec![FeatureBranch::new("feature/a", "cr1")],
            Branch::new("master"),
        );
        info.validate().expect("valid");
        assert_eq!(
            serde_json::to_value(&info).expect("serializable"),
            json!({"featureBranchs": [{"branchName": "feature/a", "changeRequestSn": "cr1"}],
                   "repo": "https://codeup.aliyun.com/x/y.git",
                   "baseBranch": {"branchName": "master"}, "needCreateBranch": true})
        );
        info.base_branch = None;
        info.validate().expect_err("base branch needed");
        info.need_create_branch = false;
        info.validate().expect_err("release branch needed");
        let wire: ReleaseBranchRepoInfo = serde_json::from_value(json!({
            "featureBranches": [{"branchName": "f", "changeRequestSn": "c"}],
            "repo": "r", "releaseBranch": {"branchName": "rb"}}))
        .expect("alias and defaults");
        wire.validate().expect("valid");
        serde_json::from_value::<ReleaseBranchRepoInfo>(
            json!({"repo": "r", "featureBranchs": [], "typo": 1}),
        )
        .expect_err("unknown field");
    }

    #[test]
    fn ids_are_checked() {
        for (app, wf, stage) in [
            ("", "w", "s"),
            ("a\r\nb", "w", "s"),
            ("a", "w\0", "s"),
            ("..", "w", "s"),
            ("a", "w", " "),
        ] {
            let err = ExecuteReleaseStageRequest::new(app, wf, stage)
                .body()
                .expect_err(app);
            assert!(matches!(err, Error::InvalidRequest { .. }));
        }
    }
}
