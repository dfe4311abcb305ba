//! `yx_request`: one execution with typed parameters, for yx_client_execute.
//!
//! Setters record values on the core's request; the core checks them (empty ids, conflicting
//! keys…) when the request is executed. Only the conversion from C happens here: UTF-8, and
//! JSON text to a value.

use std::ffi::c_char;
use std::ptr;

use serde_json::Value;
use yunxiao_appstack::{ExecuteReleaseStageRequest, ReleaseBranchRepoInfo};

use crate::boundary::{self, Failure};
use crate::error::yx_error;
use crate::result::yx_result;

/// One execution of a release stage: which stage, and the run's parameters. Create with
/// yx_request_new, free with yx_request_free. Not synchronized: change it from one thread at a
/// time; executing it only reads it.
pub struct yx_request {
    request: ExecuteReleaseStageRequest,
}

impl yx_request {
    /// The core's request.
    pub(crate) fn core(&self) -> &ExecuteReleaseStageRequest {
        &self.request
    }

    fn update(
        &mut self,
        change: impl FnOnce(ExecuteReleaseStageRequest) -> ExecuteReleaseStageRequest,
    ) {
        self.request = change(std::mem::take(&mut self.request));
    }
}

/// Parses `params_json` text into a value; whether it is an object is the core's to say.
pub(crate) fn parse_params(text: &str) -> Result<Value, Failure> {
    serde_json::from_str(text)
        .map_err(|e| Failure::InvalidArgument(format!("params_json is not valid JSON: {e}")))
}

/// Changes the request behind `request`, after converting the arguments.
///
/// # Safety
/// `request` is NULL or a live yx_request used by no one else during the call; `error_out` is
/// NULL or writable.
unsafe fn set(
    request: *mut yx_request,
    error_out: *mut *mut yx_error,
    change: impl FnOnce(&mut yx_request) -> Result<(), Failure>,
) -> yx_result {
    boundary::call(error_out, || {
        // SAFETY: forwarded contract.
        let request = unsafe { boundary::handle_mut(request, "request") }?;
        change(request)
    })
}

/// Creates a request to run stage `release_stage_sn` of workflow `release_workflow_sn` of app
/// `app_name`, with no parameters; the strings are copied. Stores it in `*request_out`; free it
/// with yx_request_free. The ids are checked when the request is executed.
///
/// # Safety
/// The strings are NULL or NUL-terminated; `request_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_request_new(
    app_name: *const c_char,
    release_workflow_sn: *const c_char,
    release_stage_sn: *const c_char,
    request_out: *mut *mut yx_request,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe { boundary::clear(request_out) };
    boundary::call(ptr::null_mut(), || {
        // SAFETY (this block): forwarded contract.
        let (app, workflow, stage) = unsafe {
            (
                boundary::text(app_name, "app_name")?,
                boundary::text(release_workflow_sn, "release_workflow_sn")?,
                boundary::text(release_stage_sn, "release_stage_sn")?,
            )
        };
        boundary::required(request_out, "request_out")?;
        let request = boundary::into_raw(yx_request {
            request: ExecuteReleaseStageRequest::new(app, workflow, stage),
        });
        // SAFETY: checked non-NULL above.
        unsafe { boundary::write(request_out, request) };
        Ok(())
    })
}

/// Frees a request. NULL is a no-op.
///
/// # Safety
/// `request` is NULL or a yx_request from yx_request_new that was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_request_free(request: *mut yx_request) {
    // SAFETY: forwarded contract.
    unsafe { boundary::free(request) }
}

/// Sets the organization of this request, overriding the client's; copied.
///
/// # Safety
/// `request` is NULL or a live yx_request; `organization_id` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_request_set_organization_id(
    request: *mut yx_request,
    organization_id: *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(request, ptr::null_mut(), |r| {
            let id = boundary::text(organization_id, "organization_id")?;
            r.update(|q| q.organization_id(id));
            Ok(())
        })
    }
}

/// Sets the run comment shown in the Yunxiao console (the `FLOW_INST_RUNNING_COMMENT`
/// parameter), replacing an earlier one; copied.
///
/// # Safety
/// `request` is NULL or a live yx_request; `comment` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_request_set_comment(
    request: *mut yx_request,
    comment: *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(request, ptr::null_mut(), |r| {
            let comment = boundary::text(comment, "comment")?;
            r.update(|q| q.comment(comment));
            Ok(())
        })
    }
}

/// Adds a pipeline variable, sent as `"name": "value"` in `params`, after the ones added
/// before; copied. Giving a name twice, or one that another parameter uses, is refused when the
/// request is executed.
///
/// # Safety
/// `request` is NULL or a live yx_request; `name` and `value` are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_request_add_variable(
    request: *mut yx_request,
    name: *const c_char,
    value: *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(request, ptr::null_mut(), |r| {
            let (name, value) = (
                boundary::text(name, "name")?,
                boundary::text(value, "value")?,
            );
            r.update(|q| q.variable(name, value));
            Ok(())
        })
    }
}

/// Adds the branch a pipeline source builds, sent as `"<source_id>": "<branch>"` in `params`;
/// copied. The server ignores branches when release-branch information is given.
///
/// # Safety
/// `request` is NULL or a live yx_request; `source_id` and `branch` are NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_request_add_branch(
    request: *mut yx_request,
    source_id: *const c_char,
    branch: *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(request, ptr::null_mut(), |r| {
            let (source, branch) = (
                boundary::text(source_id, "source_id")?,
                boundary::text(branch, "branch")?,
            );
            r.update(|q| q.branch(source, branch));
            Ok(())
        })
    }
}

/// Runs with change requests instead of a branch: sets `params.releaseBranchRepoInfo` from its
/// wire form, a JSON object with `featureBranchs` (an array of `{"branchName",
/// "changeRequestSn"}`), `repo`, `baseBranch` and `releaseBranch` (`{"branchName"}`) and
/// `needCreateBranch`. Replaces earlier information.
///
/// Returns YX_RESULT_INVALID_ARGUMENT, with the reason in `*error_out` when given, when the
/// text is not JSON of that shape (an unknown field included). Whether the information can
/// describe a run (a release branch or a base branch to cut one from…) is checked when the
/// request is executed.
///
/// # Safety
/// `request` is NULL or a live yx_request; `info_json` is NULL or NUL-terminated; `error_out`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_request_set_release_branch_repo_info_json(
    request: *mut yx_request,
    info_json: *const c_char,
    error_out: *mut *mut yx_error,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(request, error_out, |r| {
            let text = boundary::text(info_json, "info_json")?;
            let info: ReleaseBranchRepoInfo = serde_json::from_str(text).map_err(|e| {
                Failure::InvalidArgument(format!(
                    "info_json is not release-branch information: {e}"
                ))
            })?;
            r.update(|q| q.release_branch_repo_info(info));
            Ok(())
        })
    }
}

/// Adds raw entries of `params` from the text of a JSON object, for parameters newer than this
/// library; they follow the typed ones. Calls add up, they never replace: the entries of every
/// call are sent, in the order given. A key given twice (by two calls, or by a typed setter
/// and a call) is refused when the request is executed, as is a JSON value that is not an
/// object.
///
/// Returns YX_RESULT_INVALID_ARGUMENT, with the reason in `*error_out` when given, when the
/// text is not JSON.
///
/// # Safety
/// `request` is NULL or a live yx_request; `params_json` is NULL or NUL-terminated;
/// `error_out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_request_set_params_json(
    request: *mut yx_request,
    params_json: *const c_char,
    error_out: *mut *mut yx_error,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(request, error_out, |r| {
            let params = parse_params(boundary::text(params_json, "params_json")?)?;
            r.update(|q| q.extra_params(params));
            Ok(())
        })
    }
}
