//! The catalog: every operation, described once, as data — the one source from which the
//! bindings' typed layers and the docs are generated.
//!
//! [`OPERATIONS`] is the operation list: adding a call adds one line here. [`catalog_json`]
//! writes it out with JSON Schemas of each call's arguments and answer; the committed copy at
//! `core/catalog.json` is checked against it by a test.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};

use schemars::{JsonSchema, SchemaGenerator, generate::SchemaSettings};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::bridge::ArgStyle;
use crate::error::Error;
use crate::operation::{Operation, OperationInfo};
use crate::{Client, ops};

/// A call of one operation with JSON arguments, answering JSON.
type ErasedCall =
    fn(Client, Value, ArgStyle) -> Pin<Box<dyn Future<Output = Result<Value, Error>> + Send>>;

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
    next_args: fn(&Value, &Value) -> Option<Option<Value>>,
    paged: bool,
}

impl std::fmt::Debug for CatalogEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogEntry")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// The entry of operation `O`, whose arguments have the shape of `Args`.
/// The arguments of the page after `result`, for list calls (`Some(None)` after the last page);
/// `None` for calls that are not lists.
fn no_next(_: &Value, _: &Value) -> Option<Option<Value>> {
    None
}

fn paged_next<O>(args: &Value, result: &Value) -> Option<Option<Value>>
where
    O: crate::paging::Paged + DeserializeOwned + Serialize,
{
    let request: O = serde_json::from_value(args.clone()).ok()?;
    // The paging fields and the item count are all that `next_page_of` reads: the items
    // themselves are not rebuilt.
    let page: crate::Page<O::Item> = crate::Page {
        items: Vec::new(),
        total: result.get("total").and_then(Value::as_u64),
        current: result.get("current").and_then(Value::as_u64),
        pages: result.get("pages").and_then(Value::as_u64),
        per_page: result.get("per_page").and_then(Value::as_u64),
        next_token: result
            .get("next_token")
            .and_then(Value::as_str)
            .map(str::to_owned),
        raw: Value::Null,
    };
    let count = result
        .get("items")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    Some(
        crate::paging::Paged::next_page_of(&request, &page, count)
            .and_then(|next| serde_json::to_value(next).ok()),
    )
}

const fn entry<Args, O>() -> CatalogEntry
where
    Args: JsonSchema + DeserializeOwned + Into<O> + Send + 'static,
    O: Operation + Default + 'static,
    O::Output: JsonSchema + Serialize,
{
    entry_with::<Args, O>(no_next, false)
}

const fn paged<O>() -> CatalogEntry
where
    O: crate::paging::Paged + JsonSchema + DeserializeOwned + Serialize + Default + Send,
    O::Output: JsonSchema + Serialize,
{
    entry_with::<O, O>(paged_next::<O>, true)
}

const fn entry_with<Args, O>(
    next_args: fn(&Value, &Value) -> Option<Option<Value>>,
    paged: bool,
) -> CatalogEntry
where
    Args: JsonSchema + DeserializeOwned + Into<O> + Send + 'static,
    O: Operation + Default + 'static,
    O::Output: JsonSchema + Serialize,
{
    CatalogEntry {
        info: O::INFO,
        params: |generator| generator.subschema_for::<Args>(),
        response: |generator| generator.subschema_for::<O::Output>(),
        call: |client, args, style| {
            Box::pin(async move {
                let operation: O =
                    crate::bridge::deserialize::<Args>(O::INFO.method_name, args, style)?.into();
                let mut output = client.send(&operation).await?;
                let raw = O::take_raw(&mut output);
                let mut value = serde_json::to_value(output).map_err(|e| {
                    Error::invalid_request(format!("the result cannot be written as JSON: {e}"))
                })?;
                if let (Some(raw), Some(slot)) = (raw, value.get_mut("raw")) {
                    *slot = raw;
                }
                Ok(value)
            })
        },
        argument_names: argument_names::<Args>,
        parse: |status, body| {
            let output = crate::response::parse_for(&O::default(), status, body)?;
            serde_json::to_value(output).map_err(|e| Error::invalid_request(e.to_string()))
        },
        next_args,
        paged,
    }
}

/// The argument names of the operation or helper `key`, computed from its schema on first use
/// and kept: every bridge call checks its arguments against them, and generating a schema costs
/// more than the rest of a call's own work.
pub(crate) fn cached_argument_names(
    key: &'static str,
    compute: fn() -> Vec<String>,
) -> &'static [String] {
    /// One slot per operation and helper (a few dozen, filled once each): a list is enough.
    static CACHE: Mutex<Vec<(&'static str, &'static [String])>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, names)) = cache.iter().find(|(k, _)| *k == key) {
        return names;
    }
    // Leaked on purpose: one small list per operation for the life of the process.
    let names: &'static [String] = Box::leak(compute().into_boxed_slice());
    cache.push((key, names));
    names
}

/// The top-level argument names of `Args`, from its schema (flattened parts included).
pub(crate) fn argument_names<Args: JsonSchema>() -> Vec<String> {
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

impl CatalogEntry {
    /// Reads an answer as the client would (`status` and `body` in, the result as JSON or a
    /// typed error out), for tests and fuzzing. Never panics.
    #[doc(hidden)]
    pub fn parse_answer(&self, status: u16, body: &[u8]) -> Result<Value, Error> {
        (self.parse)(status, body)
    }

    /// Runs the operation with canonical (snake_case, seconds) JSON arguments.
    pub(crate) fn call_canonical(
        &self,
        client: Client,
        args: Value,
        style: ArgStyle,
    ) -> Pin<Box<dyn Future<Output = Result<Value, Error>> + Send>> {
        (self.call)(client, args, style)
    }

    /// For list calls, the canonical arguments of the page after `result` (`Some(None)` after
    /// the last); `None` for other calls.
    pub(crate) fn next_args(&self, args: &Value, result: &Value) -> Option<Option<Value>> {
        (self.next_args)(args, result)
    }

    /// Whether the operation is a list with pages (its bridge results carry `next_args`).
    pub fn is_paged(&self) -> bool {
        self.paged
    }

    /// The operation's argument names, as the JSON arguments of [`Client::call_json`] spell them.
    pub fn argument_names(&self) -> &'static [String] {
        cached_argument_names(self.info.name, self.argument_names)
    }
}

impl Client {
    /// Runs the operation named `operation` (its OpenAPI or method name) with JSON `args`
    /// (shaped as the catalog's `params` schema, snake_case), answering its result as JSON.
    /// Unknown operations and arguments are invalid requests. The bindings use
    /// [`Client::call_bridge`], which also spells arguments per language and runs the
    /// lifecycle helpers.
    pub async fn call_json(&self, operation: &str, args: Value) -> Result<Value, Error> {
        let entry = find(operation)
            .ok_or_else(|| Error::invalid_request(format!("unknown operation {operation:?}")))?;
        let args = crate::bridge::canonical_arguments(
            entry.info.method_name,
            args,
            entry.argument_names(),
            ArgStyle::Python,
        )?;
        (entry.call)(self.clone(), args, ArgStyle::Python).await
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
    paged::<ops::list_runs::ListAppReleaseStageRuns>(),
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
                "paged": entry.paged,
                "arguments": entry.argument_names(),
                "params": (entry.params)(&mut generator),
                "response": (entry.response)(&mut generator),
            })
        })
        .collect();
    let helpers: Vec<Value> = crate::bridge::HELPERS
        .iter()
        .map(|helper| {
            json!({
                "name": helper.name,
                "summary": helper.summary,
                "events": helper.events,
                "arguments": helper.argument_names(),
                "params": helper.params_schema(&mut generator),
                "response": helper.response_schema(&mut generator),
            })
        })
        .collect();
    let event = generator.subschema_for::<crate::RunEvent>();
    let error_kinds: Vec<Value> = crate::ErrorKind::ALL
        .iter()
        .map(|kind| json!({"code": kind.as_str(), "value": *kind as u8, "summary": kind.summary()}))
        .collect();
    let definitions = generator.take_definitions(true);
    json!({
        "version": crate::VERSION,
        "operations": operations,
        "helpers": helpers,
        "event": event,
        "error_kinds": error_kinds,
        "duration_arguments": crate::bridge::DURATION_ARGUMENTS,
        "$defs": definitions,
    })
}
