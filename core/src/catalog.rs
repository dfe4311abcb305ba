//! The catalog: every operation, described once, as data — the one source from which the
//! bindings' typed layers and the docs are generated.
//!
//! [`OPERATIONS`] is the operation list: adding a call adds one line here. [`catalog_json`]
//! writes it out with JSON Schemas of each call's arguments and answer; the committed copy at
//! `core/catalog.json` is checked against it by a test.

use schemars::{JsonSchema, SchemaGenerator, generate::SchemaSettings};
use serde_json::{Value, json};

use crate::operation::{Operation, OperationInfo};
use crate::ops;

/// One operation of the catalog: its description and the schemas of its arguments and answer.
#[derive(Clone, Copy)]
pub struct CatalogEntry {
    /// The fixed description.
    pub info: OperationInfo,
    params: fn(&mut SchemaGenerator) -> schemars::Schema,
    response: fn(&mut SchemaGenerator) -> schemars::Schema,
}

impl std::fmt::Debug for CatalogEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogEntry")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// The entry of operation `O`, whose arguments have the shape of `Args`.
const fn entry<Args: JsonSchema, O: Operation>() -> CatalogEntry
where
    O::Output: JsonSchema,
{
    CatalogEntry {
        info: O::INFO,
        params: |generator| generator.subschema_for::<Args>(),
        response: |generator| generator.subschema_for::<O::Output>(),
    }
}

/// Every operation, in the order of the reference.
pub const OPERATIONS: &[CatalogEntry] = &[
    entry::<ops::execute::ExecuteReleaseStageArgs, crate::ExecuteReleaseStageRequest>(),
    entry::<
        ops::get_pipeline_run::GetReleaseStagePipelineRun,
        ops::get_pipeline_run::GetReleaseStagePipelineRun,
    >(),
    entry::<ops::cancel::CancelExecutionReleaseStage, ops::cancel::CancelExecutionReleaseStage>(),
    entry::<ops::list_runs::ListAppReleaseStageRuns, ops::list_runs::ListAppReleaseStageRuns>(),
    entry::<
        ops::list_workflows::ListAllReleaseWorkflows,
        ops::list_workflows::ListAllReleaseWorkflows,
    >(),
    entry::<
        ops::list_workflow_briefs::ListAllReleaseWorkflowBriefs,
        ops::list_workflow_briefs::ListAllReleaseWorkflowBriefs,
    >(),
    entry::<
        ops::list_stage_briefs::ListAllReleaseStageBriefs,
        ops::list_stage_briefs::ListAllReleaseStageBriefs,
    >(),
    entry::<ops::get_stage::GetReleaseWorkflowStage, ops::get_stage::GetReleaseWorkflowStage>(),
    entry::<
        ops::search_change_requests::ListAppChangeRequests,
        ops::search_change_requests::ListAppChangeRequests,
    >(),
    entry::<
        ops::job_actions::PassReleaseStagePipelineValidate,
        ops::job_actions::PassReleaseStagePipelineValidate,
    >(),
    entry::<
        ops::job_actions::RefuseReleaseStagePipelineValidate,
        ops::job_actions::RefuseReleaseStagePipelineValidate,
    >(),
    entry::<
        ops::job_actions::RetryChangeRequestStagePipeline,
        ops::job_actions::RetryChangeRequestStagePipeline,
    >(),
    entry::<
        ops::job_actions::SkipChangeRequestStagePipeline,
        ops::job_actions::SkipChangeRequestStagePipeline,
    >(),
    entry::<
        ops::job_log::GetAppReleaseStageExecutionPipelineJobLog,
        ops::job_log::GetAppReleaseStageExecutionPipelineJobLog,
    >(),
    entry::<
        ops::integrated_metadata::ListAppReleaseStageExecutionIntegratedMetadata,
        ops::integrated_metadata::ListAppReleaseStageExecutionIntegratedMetadata,
    >(),
    entry::<
        ops::find_integrated_metadata::ListReleaseStageFlowChangeRequests,
        ops::find_integrated_metadata::ListReleaseStageFlowChangeRequests,
    >(),
];

/// The operation named `name` (its OpenAPI name or its method name).
pub fn find(name: &str) -> Option<&'static CatalogEntry> {
    OPERATIONS
        .iter()
        .find(|e| e.info.name == name || e.info.method_name == name)
}

/// The whole catalog as JSON: `{"version", "operations": [...], "$defs": {...}}`, each
/// operation with its name, method name, HTTP method, centre and region path templates, query
/// parameters, effect, summary, and the JSON Schemas of its arguments and its answer.
pub fn catalog_json() -> Value {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let operations: Vec<Value> = OPERATIONS
        .iter()
        .map(|entry| {
            let info = &entry.info;
            json!({
                "name": info.name,
                "method_name": info.method_name,
                "http_method": info.http_method.as_str(),
                "path_centre": info.centre_path(),
                "path_region": info.path,
                "query": info.query,
                "effect": info.effect.as_str(),
                "summary": info.summary,
                "may_have_effect": info.may_have_effect,
                "params": (entry.params)(&mut generator),
                "response": (entry.response)(&mut generator),
            })
        })
        .collect();
    let definitions = generator.take_definitions(true);
    json!({
        "version": crate::VERSION,
        "operations": operations,
        "$defs": definitions,
    })
}
