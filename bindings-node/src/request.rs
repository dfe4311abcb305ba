//! The call's arguments, as the JavaScript wrapper hands them over, and their conversion into
//! the core's request.
//!
//! The wrapper has already checked every field's JavaScript *type*; what remains here is pure
//! conversion. Whether the values make a valid request is the core's decision, made when the
//! request is prepared (so an invalid value is an `InvalidRequestError` from the core, with the
//! core's message).

use napi_derive::napi;
use yunxiao_appstack::{Error, ExecuteReleaseStageRequest, ReleaseBranchRepoInfo};

/// One name/value entry of an ordered map (`variables`, `branches`).
#[napi(object)]
pub struct NativePair {
    /// The key: a variable name or a pipeline source id.
    pub name: String,
    /// The value: a variable value or a branch name.
    pub value: String,
}

/// The arguments of one `executeReleaseStage` call.
#[napi(object)]
pub struct NativeRequest {
    /// The application name.
    pub app_name: String,
    /// The release workflow serial number.
    pub release_workflow_sn: String,
    /// The release stage serial number.
    pub release_stage_sn: String,
    /// The organization, overriding the client's default.
    pub organization_id: Option<String>,
    /// The run comment.
    pub comment: Option<String>,
    /// Pipeline variables, in the caller's order (duplicates are kept for the core to refuse).
    pub variables: Option<Vec<NativePair>>,
    /// Source branches, in the caller's order.
    pub branches: Option<Vec<NativePair>>,
    /// `releaseBranchRepoInfo` in its wire form, as JSON text.
    pub release_branch_repo_info_json: Option<String>,
    /// Raw extra `params`, as JSON text (any JSON value; the core refuses non-objects).
    pub params_json: Option<String>,
}

impl NativeRequest {
    /// Builds the core request. Fails only when the JSON parts do not describe what the core
    /// expects (an unknown field of `releaseBranchRepoInfo`, say); the core's messages name the
    /// field.
    pub(crate) fn into_core(self) -> Result<ExecuteReleaseStageRequest, Error> {
        let mut request = ExecuteReleaseStageRequest::new(
            self.app_name,
            self.release_workflow_sn,
            self.release_stage_sn,
        );
        if let Some(organization_id) = self.organization_id {
            request = request.organization_id(organization_id);
        }
        if let Some(comment) = self.comment {
            request = request.comment(comment);
        }
        if let Some(variables) = self.variables {
            request = request.variables(variables.into_iter().map(|p| (p.name, p.value)));
        }
        if let Some(branches) = self.branches {
            request = request.branches(branches.into_iter().map(|p| (p.name, p.value)));
        }
        if let Some(json) = self.release_branch_repo_info_json {
            let info: ReleaseBranchRepoInfo = serde_json::from_str(&json)
                .map_err(|e| Error::invalid_request(format!("release_branch_repo_info: {e}")))?;
            request = request.release_branch_repo_info(info);
        }
        if let Some(json) = self.params_json {
            // The wrapper serialised this text itself, so it is valid JSON; stay total anyway.
            let params: serde_json::Value = serde_json::from_str(&json)
                .map_err(|e| Error::invalid_request(format!("params: {e}")))?;
            request = request.extra_params(params);
        }
        Ok(request)
    }
}
