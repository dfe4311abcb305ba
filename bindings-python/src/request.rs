//! The arguments of one `execute_release_stage` call, converted once into a core request.

use std::sync::Arc;

use pyo3::prelude::*;
use yunxiao_appstack::{Error, ExecuteReleaseStageRequest, ReleaseBranchRepoInfo};

use crate::convert::{self, ConvertError};

/// A core `ExecuteReleaseStageRequest`, built from Python arguments.
///
/// Construction checks argument types only (`TypeError` naming the argument); the values are
/// checked by the core when the request is sent or prepared.
#[pyclass(frozen, module = "yunxiao_appstack._native", name = "Request")]
pub(crate) struct NativeRequest {
    pub(crate) inner: Arc<ExecuteReleaseStageRequest>,
}

#[pymethods]
impl NativeRequest {
    /// Converts the arguments of `execute_release_stage`; `release_branch_repo_info` is
    /// given in wire form (a mapping with `featureBranchs`, `repo`, …).
    #[new]
    #[pyo3(signature = (
        app_name,
        release_workflow_sn,
        release_stage_sn,
        *,
        organization_id = None,
        comment = None,
        variables = None,
        branches = None,
        release_branch_repo_info = None,
        params = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        app_name: &Bound<'_, PyAny>,
        release_workflow_sn: &Bound<'_, PyAny>,
        release_stage_sn: &Bound<'_, PyAny>,
        organization_id: Option<&Bound<'_, PyAny>>,
        comment: Option<&Bound<'_, PyAny>>,
        variables: Option<&Bound<'_, PyAny>>,
        branches: Option<&Bound<'_, PyAny>>,
        release_branch_repo_info: Option<&Bound<'_, PyAny>>,
        params: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut request = ExecuteReleaseStageRequest::new(
            convert::string("app_name", app_name)?,
            convert::string("release_workflow_sn", release_workflow_sn)?,
            convert::string("release_stage_sn", release_stage_sn)?,
        );
        if let Some(id) = convert::optional_string("organization_id", organization_id)? {
            request = request.organization_id(id);
        }
        if let Some(comment) = convert::optional_string("comment", comment)? {
            request = request.comment(comment);
        }
        if let Some(variables) = convert::optional_str_map("variables", variables)? {
            request = request.variables(variables);
        }
        if let Some(branches) = convert::optional_str_map("branches", branches)? {
            request = request.branches(branches);
        }
        if let Some(info) = release_branch_repo_info.filter(|v| !v.is_none()) {
            request = request.release_branch_repo_info(repo_info(info).map_err(|e| e.into_py(py))?);
        }
        if let Some(params) = params.filter(|v| !v.is_none()) {
            let value = convert::to_json("params", params).map_err(|e| e.into_py(py))?;
            request = request.extra_params(value);
        }
        Ok(Self {
            inner: Arc::new(request),
        })
    }
}

/// The change-request information from its wire form, read by the core's own deserializer.
fn repo_info(value: &Bound<'_, PyAny>) -> Result<ReleaseBranchRepoInfo, ConvertError> {
    const WHAT: &str = "release_branch_repo_info";
    let json = convert::to_json(WHAT, value)?;
    if !json.is_object() {
        return Err(ConvertError::Python(convert::type_error(
            WHAT,
            "a ReleaseBranchRepoInfo or a mapping in wire form",
            value,
        )));
    }
    serde_json::from_value(json)
        .map_err(|e| ConvertError::Core(Error::invalid_request(format!("{WHAT}: {e}"))))
}
