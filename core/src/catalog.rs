//! The catalog: every operation, described once, as data — the one source from which the
//! bindings' typed layers and the docs are generated.
//!
//! [`OPERATIONS`] is the operation list: adding a call adds one line here. [`catalog_json`]
//! writes it out with JSON Schemas of each call's arguments and answer; the committed copy at
//! `core/catalog.json` is checked against it by a test.

use std::future::Future;
use std::pin::Pin;

use schemars::{JsonSchema, SchemaGenerator, generate::SchemaSettings};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::error::Error;
use crate::operation::{Operation, OperationInfo};
use crate::{Client, ops};

/// A call of one operation with JSON arguments, answering JSON.
type ErasedCall = fn(Client, Value) -> Pin<Box<dyn Future<Output = Result<Value, Error>> + Send>>;

/// One operation of the catalog: its description and the schemas of its arguments and answer.
#[derive(Clone, Copy)]
pub struct CatalogEntry {
    /// The fixed description.
    pub info: OperationInfo,
    params: fn(&mut SchemaGenerator) -> schemars::Schema,
    response: fn(&mut SchemaGenerator) -> schemars::Schema,
    call: ErasedCall,
    argument_names: fn() -> Vec<String>,
    parse: fn(u16, &[u8]) -> Result<Value, Error>,
}

impl std::fmt::Debug for CatalogEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogEntry")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// The entry of operation `O`, whose arguments have the shape of `Args`.
const fn entry<Args, O>() -> CatalogEntry
where
    Args: JsonSchema + DeserializeOwned + Into<O> + Send + 'static,
    O: Operation + Default + 'static,
    O::Output: JsonSchema + Serialize,
{
    CatalogEntry {
        info: O::INFO,
        params: |generator| generator.subschema_for::<Args>(),
        response: |generator| generator.subschema_for::<O::Output>(),
        call: |client, args| {
            Box::pin(async move {
                let operation: O = parse_arguments::<Args>(O::INFO.name, args)?.into();
                let output = client.send(&operation).await?;
                serde_json::to_value(output).map_err(|e| {
                    Error::invalid_request(format!("the result cannot be written as JSON: {e}"))
                })
            })
        },
        argument_names: argument_names::<Args>,
        parse: |status, body| {
            let output = crate::response::parse_for(&O::default(), status, body)?;
            serde_json::to_value(output).map_err(|e| Error::invalid_request(e.to_string()))
        },
    }
}

/// The top-level argument names of `Args`, from its schema (flattened parts included).
fn argument_names<Args: JsonSchema>() -> Vec<String> {
    let schema = schemars::schema_for!(Args);
    let mut names = Vec::new();
    collect_properties(schema.as_value(), schema.as_value(), &mut names);
    names
}

fn collect_properties(root: &Value, schema: &Value, names: &mut Vec<String>) {
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        names.extend(properties.keys().cloned());
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for part in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect_properties(root, part, names);
        }
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let pointer = reference.trim_start_matches('#');
        if let Some(target) = root.pointer(pointer) {
            collect_properties(root, target, names);
        }
    }
}

/// Reads JSON arguments: an object whose every key is an argument of the operation.
fn parse_arguments<Args: DeserializeOwned + JsonSchema>(
    operation: &str,
    args: Value,
) -> Result<Args, Error> {
    let args = match args {
        Value::Null => Value::Object(serde_json::Map::new()),
        Value::Object(map) => Value::Object(map),
        other => {
            return Err(Error::invalid_request(format!(
                "{operation}: the arguments must be an object, not {other}"
            )));
        }
    };
    let known = argument_names::<Args>();
    if let Some(map) = args.as_object() {
        if let Some(unknown) = map.keys().find(|k| !known.contains(k)) {
            return Err(Error::invalid_request(format!(
                "{operation}: unknown argument {unknown:?} (known: {})",
                known.join(", ")
            )));
        }
    }
    serde_json::from_value(args).map_err(|e| Error::invalid_request(format!("{operation}: {e}")))
}

impl CatalogEntry {
    /// Reads an answer as the client would (`status` and `body` in, the result as JSON or a
    /// typed error out), for tests and fuzzing. Never panics.
    #[doc(hidden)]
    pub fn parse_answer(&self, status: u16, body: &[u8]) -> Result<Value, Error> {
        (self.parse)(status, body)
    }

    /// The operation's argument names, as the JSON arguments of [`Client::call_json`] spell them.
    pub fn argument_names(&self) -> Vec<String> {
        (self.argument_names)()
    }
}

impl Client {
    /// Runs the operation named `operation` (its OpenAPI or method name) with JSON `args`
    /// (shaped as the catalog's `params` schema), answering its result as JSON: the one generic
    /// entry the bindings use. Unknown operations and arguments are invalid requests.
    pub async fn call_json(&self, operation: &str, args: Value) -> Result<Value, Error> {
        let entry = find(operation)
            .ok_or_else(|| Error::invalid_request(format!("unknown operation {operation:?}")))?;
        (entry.call)(self.clone(), args).await
    }
}

impl crate::blocking::Client {
    /// Blocking twin of [`Client::call_json`].
    pub fn call_json(&self, operation: &str, args: Value) -> Result<Value, Error> {
        let operation = operation.to_owned();
        self.run(move |client| async move { client.call_json(&operation, args).await })
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
