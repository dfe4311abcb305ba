//! The one generic entry every binding uses: any catalog operation or lifecycle helper, by
//! name, with JSON arguments in the host language's spelling, answering JSON.
//!
//! Argument names, duration units and argument errors are decided here, once, for every
//! language: Python spells `execution_number` and `deadline` (seconds), Node `executionNumber`
//! and `deadlineMs`, C `execution_number` and `deadline_ms`. An unknown argument, a wrong
//! type or a bad duration is an [`Error::InvalidRequest`] naming the argument as the caller
//! spelled it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::catalog;
use crate::error::Error;
use crate::lifecycle::abort::AbortHandle;
use crate::lifecycle::started::StartedSinceOptions;
use crate::lifecycle::wait::{OnApproval, RunEvent, WaitOptions};
use crate::operation::{AppRef, JobRef, RunRef, StageRef};
use crate::ops::execute::ExecuteReleaseStageArgs;
use crate::{Client, ExecuteReleaseStageRequest, policy};

/// How a host language spells arguments and results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArgStyle {
    /// `snake_case`, durations in seconds (floats) under their plain name: Python.
    Python,
    /// `camelCase`, durations in milliseconds with an `Ms` suffix: Node.js.
    Node,
    /// `snake_case`, durations in milliseconds with an `_ms` suffix: C.
    C,
}

/// Argument names that are durations (canonically in seconds).
pub const DURATION_ARGUMENTS: &[&str] = &["deadline", "poll_initial", "poll_max", "clock_skew"];

/// Keys whose values are data as the server sent it (or as the caller gave it), never renamed.
const VERBATIM_KEYS: &[&str] = &[
    "raw",
    "params",
    "result",
    "pipeline",
    "variables",
    "branches",
];

impl ArgStyle {
    /// How this style spells the canonical argument or field `name`.
    pub fn spell(self, name: &str) -> String {
        let duration = DURATION_ARGUMENTS.contains(&name);
        match self {
            ArgStyle::Python => name.to_owned(),
            ArgStyle::C if duration => format!("{name}_ms"),
            ArgStyle::C => name.to_owned(),
            ArgStyle::Node if duration => format!("{}Ms", camel_case(name)),
            ArgStyle::Node => camel_case(name),
        }
    }

    fn duration_seconds(self, value: &Value) -> Option<f64> {
        let number = value.as_f64()?;
        Some(match self {
            ArgStyle::Python => number,
            ArgStyle::Node | ArgStyle::C => number / 1000.0,
        })
    }

    fn unit(self) -> &'static str {
        match self {
            ArgStyle::Python => "seconds",
            ArgStyle::Node | ArgStyle::C => "milliseconds",
        }
    }
}

/// `release_workflow_sn` → `releaseWorkflowSn`.
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for ch in name.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// Receives progress events as JSON.
pub type JsonEventSink = Arc<dyn Fn(&Value) + Send + Sync>;

/// What a binding hands the bridge besides the arguments: where events go, and what stops a
/// wait.
#[derive(Clone, Default)]
pub struct Hooks {
    /// Receives every progress event of a lifecycle helper, as JSON in the call's style.
    pub on_event: Option<JsonEventSink>,
    /// Stops a wait (never the run unless `cancel_on_abort`).
    pub abort: Option<AbortHandle>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("on_event", &self.on_event.is_some())
            .field("abort", &self.abort)
            .finish()
    }
}

/// How to wait, as arguments (durations in seconds, canonically).
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(default)]
pub struct WaitSettings {
    /// The longest the whole wait may take (default 60 min).
    pub deadline: Option<f64>,
    /// What to do at a manual gate: `wait` (default) or `stop`.
    pub on_approval: Option<OnApproval>,
    /// Also follow the logs of running jobs (events `log_line`).
    pub follow_logs: bool,
    /// Cancel the run when the wait is aborted.
    pub cancel_on_abort: bool,
    /// The first pause between polls (default 1.5 s).
    pub poll_initial: Option<f64>,
    /// The longest pause between polls (default 12 s).
    pub poll_max: Option<f64>,
}

/// Arguments of `wait_for_run`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct WaitForRunArgs {
    /// The run.
    #[serde(flatten)]
    pub run: RunRef,
    /// How to wait.
    #[serde(flatten)]
    pub wait: WaitSettings,
}

/// Arguments of `execute_and_wait`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct ExecuteAndWaitArgs {
    /// What to execute.
    #[serde(flatten)]
    pub execute: ExecuteReleaseStageArgs,
    /// How to wait.
    #[serde(flatten)]
    pub wait: WaitSettings,
}

/// Arguments of `follow_job_log`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct FollowJobLogArgs {
    /// The job.
    #[serde(flatten)]
    pub job: JobRef,
    /// The schedule and deadline (the other settings do not apply).
    #[serde(flatten)]
    pub wait: WaitSettings,
}

/// Arguments of `find_release_workflow`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct FindReleaseWorkflowArgs {
    /// The app.
    #[serde(flatten)]
    pub app: AppRef,
    /// The workflow's name (or serial number).
    pub name: String,
}

/// Arguments of `find_release_stage`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct FindReleaseStageArgs {
    /// The app.
    #[serde(flatten)]
    pub app: AppRef,
    /// The workflow's name or serial number.
    pub workflow: String,
    /// The stage's name (or serial number).
    pub stage: String,
}

/// Arguments of `find_runs_started_since`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct FindRunsStartedSinceArgs {
    /// The stage.
    #[serde(flatten)]
    pub stage: StageRef,
    /// The instant, in milliseconds since the Unix epoch (an error's `started_at`).
    pub since_epoch_ms: i64,
    /// Clock skew allowed (default 120 s).
    #[serde(default)]
    pub clock_skew: Option<f64>,
    /// The zone of start times sent without one, in minutes east of UTC (default 480).
    #[serde(default)]
    pub naive_offset_minutes: Option<i32>,
    /// The stage's newest run number before the execute, when recorded.
    #[serde(default)]
    pub after_number: Option<u64>,
}

/// Arguments of `newest_run_number` and other calls on a stage alone.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
pub struct StageArgs {
    /// The stage.
    #[serde(flatten)]
    pub stage: StageRef,
}

/// A lifecycle helper as the catalog lists it.
#[derive(Debug, Clone, Copy)]
pub struct HelperInfo {
    /// Its name, the same in every language but for case (`wait_for_run` / `waitForRun`).
    pub name: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// Whether it sends progress events.
    pub events: bool,
    params: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
    response: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
    argument_names: fn() -> Vec<String>,
}

const fn helper<Args: JsonSchema, Out: JsonSchema>(
    name: &'static str,
    summary: &'static str,
    events: bool,
) -> HelperInfo {
    HelperInfo {
        name,
        summary,
        events,
        params: |g| g.subschema_for::<Args>(),
        response: |g| g.subschema_for::<Out>(),
        argument_names: catalog::argument_names::<Args>,
    }
}

/// The answer of `execute_and_wait`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ExecuteAndWaitResult {
    /// The execute call's answer.
    pub execute: crate::ExecuteReleaseStageResponse,
    /// How the wait ended.
    pub outcome: crate::RunOutcome,
}

/// The answer of `follow_job_log`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FollowJobLogResult {
    /// How many lines were emitted (as `log_line` events).
    pub lines: usize,
}

/// Every lifecycle helper the bridge runs, besides the catalog's operations.
pub const HELPERS: &[HelperInfo] = &[
    helper::<WaitForRunArgs, crate::RunOutcome>(
        "wait_for_run",
        "Wait for a run to end, sending progress events; a failed run is an outcome, not an error.",
        true,
    ),
    helper::<ExecuteAndWaitArgs, ExecuteAndWaitResult>(
        "execute_and_wait",
        "Start a run and wait for it.",
        true,
    ),
    helper::<FollowJobLogArgs, FollowJobLogResult>(
        "follow_job_log",
        "Follow a job's log until it is complete, each line once (as log_line events).",
        true,
    ),
    helper::<FindReleaseWorkflowArgs, crate::ReleaseWorkflowBrief>(
        "find_release_workflow",
        "Find a release workflow by its console name.",
        false,
    ),
    helper::<FindReleaseStageArgs, StageRef>(
        "find_release_stage",
        "Find a release stage by workflow and stage names.",
        false,
    ),
    helper::<FindRunsStartedSinceArgs, Vec<crate::StageRun>>(
        "find_runs_started_since",
        "The runs of a stage that started since an instant: did an ambiguous execute start one?",
        false,
    ),
    helper::<StageArgs, Option<u64>>(
        "newest_run_number",
        "The number of a stage's newest run, if any.",
        false,
    ),
];

impl HelperInfo {
    /// The JSON Schema of the arguments.
    pub fn params_schema(&self, generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        (self.params)(generator)
    }

    /// The JSON Schema of the answer.
    pub fn response_schema(&self, generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        (self.response)(generator)
    }

    /// The canonical argument names.
    pub fn argument_names(&self) -> &'static [String] {
        catalog::cached_argument_names(self.name, self.argument_names)
    }
}

/// Renames the caller's arguments to canonical names and durations to seconds, refusing
/// unknown names and bad durations in the caller's spelling.
pub(crate) fn canonical_arguments(
    what: &str,
    args: Value,
    known: &[String],
    style: ArgStyle,
) -> Result<Value, Error> {
    let map = match args {
        Value::Null => Map::new(),
        Value::Object(map) => map,
        other => {
            return Err(Error::invalid_request(format!(
                "{what}: the arguments must be an object, not {}",
                json_type(&other)
            )));
        }
    };
    let mut out = Map::new();
    for (host, value) in map {
        let Some(canonical) = known.iter().find(|k| style.spell(k) == host) else {
            let spelled: Vec<String> = known.iter().map(|k| style.spell(k)).collect();
            return Err(Error::invalid_request(format!(
                "{what}: unknown argument {host:?} (known: {})",
                spelled.join(", ")
            )));
        };
        if value.is_null() {
            continue;
        }
        let value = if DURATION_ARGUMENTS.contains(&canonical.as_str()) {
            let seconds = style.duration_seconds(&value).ok_or_else(|| {
                Error::invalid_request(format!(
                    "{what}: {host} must be a number of {}",
                    style.unit()
                ))
            })?;
            let max = policy::MAX_TIMEOUT.as_secs_f64();
            if !seconds.is_finite() || seconds <= 0.0 || seconds > max {
                return Err(Error::invalid_request(format!(
                    "{what}: {host} must be above 0 and at most 24 hours, got {value}",
                )));
            }
            json!(seconds)
        } else {
            value
        };
        out.insert(canonical.clone(), value);
    }
    Ok(Value::Object(out))
}

/// Reads canonical arguments into `T`, naming a wrong or missing argument in the caller's
/// spelling.
pub(crate) fn deserialize<T: DeserializeOwned>(
    what: &str,
    args: Value,
    style: ArgStyle,
) -> Result<T, Error> {
    let error = match serde_path_to_error::deserialize::<_, T>(args.clone()) {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    let path = error.path().to_string();
    let inner = error.into_inner().to_string();
    if let Some(rest) = inner.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return Err(Error::invalid_request(format!(
            "{what}: missing argument {}",
            style.spell(field)
        )));
    }
    // Flattened parts hide the path: find the argument whose removal changes the verdict.
    let culprit = if path == "." || path.is_empty() {
        args.as_object().and_then(|map| {
            map.keys()
                .find(|key| {
                    let mut without = map.clone();
                    without.remove(*key);
                    match serde_json::from_value::<T>(Value::Object(without)) {
                        Ok(_) => true,
                        Err(e) => e.to_string().contains(&format!("missing field `{key}`")),
                    }
                })
                .cloned()
        })
    } else {
        path.split('.').next().map(str::to_owned)
    };
    Err(Error::invalid_request(match culprit {
        Some(name) => format!("{what}: {}: {inner}", style.spell(&name)),
        None => format!("{what}: {inner}"),
    }))
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Renames the keys of a result for `style` (Node: camelCase), leaving server data as sent.
pub fn style_result(value: Value, style: ArgStyle) -> Value {
    match style {
        ArgStyle::Node => camel_keys(value),
        ArgStyle::Python | ArgStyle::C => value,
    }
}

fn camel_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if VERBATIM_KEYS.contains(&k.as_str()) {
                        v
                    } else {
                        camel_keys(v)
                    };
                    (camel_case(&k), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_keys).collect()),
        other => other,
    }
}

fn seconds(value: Option<f64>) -> Option<Duration> {
    value.and_then(|s| Duration::try_from_secs_f64(s).ok())
}

fn wait_options(settings: &WaitSettings, hooks: &Hooks, style: ArgStyle) -> WaitOptions {
    let mut options = WaitOptions::new();
    if let Some(deadline) = seconds(settings.deadline) {
        options.deadline = deadline;
    }
    if let Some(on_approval) = settings.on_approval {
        options.on_approval = on_approval;
    }
    options.follow_logs = settings.follow_logs;
    options.cancel_on_abort = settings.cancel_on_abort;
    if let Some(initial) = seconds(settings.poll_initial) {
        options.poll_initial = initial;
    }
    if let Some(max) = seconds(settings.poll_max) {
        options.poll_max = max;
    }
    options.poll_max = options.poll_max.max(options.poll_initial);
    options.abort = hooks.abort.clone();
    if let Some(on_event) = hooks.on_event.clone() {
        options.on_event = Some(Arc::new(move |event: &RunEvent| {
            if let Ok(value) = serde_json::to_value(event) {
                on_event(&style_result(value, style));
            }
        }));
    }
    options
}

fn to_json<T: Serialize>(value: &T, style: ArgStyle) -> Result<Value, Error> {
    serde_json::to_value(value)
        .map(|v| style_result(v, style))
        .map_err(|e| Error::invalid_request(format!("the result cannot be written as JSON: {e}")))
}

impl Client {
    /// Runs the operation or lifecycle helper `name` (an OpenAPI name, a method name, or a
    /// helper name, in snake_case or camelCase) with `args` spelled in `style`, answering JSON
    /// in `style`. List calls' results carry `next_args`: the arguments of the next page, or
    /// `null` after the last. Cancel answers a [`crate::CancelOutcome`].
    pub async fn call_bridge(
        &self,
        name: &str,
        args: Value,
        style: ArgStyle,
        hooks: &Hooks,
    ) -> Result<Value, Error> {
        let canonical_name =
            if name.contains('_') || name.chars().next().is_some_and(char::is_uppercase) {
                name.to_owned()
            } else {
                crate::endpoint::snake_case(name)
            };
        if let Some(entry) = catalog::find(&canonical_name) {
            let what = entry.info.method_name;
            let args = canonical_arguments(what, args, entry.argument_names(), style)?;
            if entry.info.name == "CancelExecutionReleaseStage" {
                let run: RunRef = deserialize(what, args, style)?;
                let outcome = self.cancel_release_stage_execution(&run).await?;
                return to_json(&outcome, style);
            }
            let mut result = entry
                .call_canonical(self.clone(), args.clone(), style)
                .await?;
            if let Some(next) = entry.next_args(&args, &result) {
                if let Value::Object(map) = &mut result {
                    let next = next.map(|n| rename_arguments(n, style));
                    map.insert("next_args".to_owned(), next.unwrap_or(Value::Null));
                }
            }
            return Ok(style_result(result, style));
        }
        let Some(helper) = HELPERS.iter().find(|h| h.name == canonical_name) else {
            return Err(Error::invalid_request(format!(
                "unknown operation {name:?}"
            )));
        };
        let what = helper.name;
        let args = canonical_arguments(what, args, helper.argument_names(), style)?;
        match what {
            "wait_for_run" => {
                let args: WaitForRunArgs = deserialize(what, args, style)?;
                let options = wait_options(&args.wait, hooks, style);
                to_json(&self.wait_for_run(&args.run, &options).await?, style)
            }
            "execute_and_wait" => {
                let args: ExecuteAndWaitArgs = deserialize(what, args, style)?;
                let options = wait_options(&args.wait, hooks, style);
                let request = ExecuteReleaseStageRequest::from(args.execute);
                let (execute, outcome) = self.execute_and_wait(&request, &options).await?;
                to_json(&ExecuteAndWaitResult { execute, outcome }, style)
            }
            "follow_job_log" => {
                let args: FollowJobLogArgs = deserialize(what, args, style)?;
                let options = wait_options(&args.wait, hooks, style);
                let job_name = String::new();
                let on_event = hooks.on_event.clone();
                let job_id = args.job.job_id;
                let lines = self
                    .follow_job_log(&args.job, &options, move |line| {
                        if let Some(on_event) = &on_event {
                            let event = RunEvent::LogLine {
                                job_id,
                                job: job_name.clone(),
                                line: line.to_owned(),
                            };
                            if let Ok(value) = serde_json::to_value(&event) {
                                on_event(&style_result(value, style));
                            }
                        }
                    })
                    .await?;
                to_json(&FollowJobLogResult { lines }, style)
            }
            "find_release_workflow" => {
                let args: FindReleaseWorkflowArgs = deserialize(what, args, style)?;
                to_json(
                    &self.find_release_workflow(&args.app, &args.name).await?,
                    style,
                )
            }
            "find_release_stage" => {
                let args: FindReleaseStageArgs = deserialize(what, args, style)?;
                let stage = self
                    .find_release_stage(&args.app, &args.workflow, &args.stage)
                    .await?;
                to_json(&stage, style)
            }
            "find_runs_started_since" => {
                let args: FindRunsStartedSinceArgs = deserialize(what, args, style)?;
                let mut options = StartedSinceOptions::default();
                if let Some(skew) = seconds(args.clock_skew) {
                    options.clock_skew = skew;
                }
                if let Some(offset) = args.naive_offset_minutes {
                    options.naive_offset_minutes = offset;
                }
                options.after_number = args.after_number;
                let magnitude = Duration::from_millis(args.since_epoch_ms.unsigned_abs());
                let since = if args.since_epoch_ms >= 0 {
                    SystemTime::UNIX_EPOCH.checked_add(magnitude)
                } else {
                    SystemTime::UNIX_EPOCH.checked_sub(magnitude)
                }
                .ok_or_else(|| {
                    Error::invalid_request(format!(
                        "{what}: {} is out of range",
                        style.spell("since_epoch_ms")
                    ))
                })?;
                to_json(
                    &self
                        .find_runs_started_since(&args.stage, since, &options)
                        .await?,
                    style,
                )
            }
            "newest_run_number" => {
                let args: StageArgs = deserialize(what, args, style)?;
                to_json(&self.newest_run_number(&args.stage).await?, style)
            }
            _ => Err(Error::invalid_request(format!(
                "unknown operation {name:?}"
            ))),
        }
    }
}

/// Canonical argument names → the caller's spelling (for `next_args`).
fn rename_arguments(args: Value, style: ArgStyle) -> Value {
    match args {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if DURATION_ARGUMENTS.contains(&k.as_str()) {
                        match (style, v.as_f64()) {
                            (ArgStyle::Node | ArgStyle::C, Some(s)) => json!(s * 1000.0),
                            _ => v,
                        }
                    } else {
                        v
                    };
                    (style.spell(&k), v)
                })
                .collect(),
        ),
        other => other,
    }
}

impl crate::blocking::Client {
    /// Blocking twin of [`Client::call_bridge`].
    ///
    /// `hooks.on_event` runs on the calling thread *between* polls of the call, never inside
    /// one: the calling thread may be the one driving the I/O of every thread's calls on this
    /// client, which a slow callback would otherwise stall.
    pub fn call_bridge(
        &self,
        name: &str,
        args: Value,
        style: ArgStyle,
        hooks: &Hooks,
    ) -> Result<Value, Error> {
        let on_event = match &hooks.on_event {
            // Inside another runtime the calling thread cannot drive the call: the events
            // reach the callback from the thread that does.
            Some(on_event) if tokio::runtime::Handle::try_current().is_err() => on_event.clone(),
            _ => {
                let (name, hooks) = (name.to_owned(), hooks.clone());
                return self.run(move |client| async move {
                    client.call_bridge(&name, args, style, &hooks).await
                });
            }
        };
        let (sender, mut events) = tokio::sync::mpsc::unbounded_channel::<Value>();
        let queued = Hooks {
            // The receiver lives until the call's result is taken: a failed send cannot happen.
            on_event: Some(Arc::new(move |event: &Value| {
                let _ = sender.send(event.clone());
            })),
            abort: hooks.abort.clone(),
        };
        let call = self.async_client().call_bridge(name, args, style, &queued);
        tokio::pin!(call);
        loop {
            let step = self.drive(async {
                tokio::select! {
                    // Every event before the result, in order.
                    biased;
                    Some(event) = events.recv() => Err(event),
                    result = &mut call => Ok(result),
                }
            });
            match step {
                Err(event) => on_event(&event),
                Ok(result) => {
                    while let Ok(event) = events.try_recv() {
                        on_event(&event);
                    }
                    return result;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_spell_arguments_and_durations() {
        assert_eq!(
            ArgStyle::Node.spell("release_workflow_sn"),
            "releaseWorkflowSn"
        );
        assert_eq!(ArgStyle::Node.spell("deadline"), "deadlineMs");
        assert_eq!(ArgStyle::C.spell("deadline"), "deadline_ms");
        assert_eq!(ArgStyle::Python.spell("deadline"), "deadline");
        let known = vec!["deadline".to_owned(), "app_name".to_owned()];
        let args = canonical_arguments(
            "w",
            json!({"deadlineMs": 1500, "appName": "a"}),
            &known,
            ArgStyle::Node,
        )
        .expect("valid");
        assert_eq!(args, json!({"deadline": 1.5, "app_name": "a"}));
        let error = canonical_arguments("w", json!({"deadline": 1}), &known, ArgStyle::Node)
            .expect_err("python spelling in node");
        assert!(
            error
                .to_string()
                .contains("\"deadline\" (known: deadlineMs, appName)"),
            "{error}"
        );
        let error = canonical_arguments("w", json!({"deadline_ms": -1}), &known, ArgStyle::C)
            .expect_err("negative");
        assert!(
            error.to_string().contains("deadline_ms must be above 0"),
            "{error}"
        );
    }

    #[test]
    fn results_keep_server_data_verbatim() {
        let value = json!({"pipeline_run_id": 1, "raw": {"pipelineRun": {"a_b": 1}}, "stages": [{"job_id": 2}]});
        assert_eq!(
            style_result(value, ArgStyle::Node),
            json!({"pipelineRunId": 1, "raw": {"pipelineRun": {"a_b": 1}}, "stages": [{"jobId": 2}]})
        );
    }

    #[test]
    fn wrong_types_name_the_argument() {
        let error = deserialize::<WaitForRunArgs>(
            "wait_for_run",
            json!({"app_name": "a", "release_workflow_sn": "w", "release_stage_sn": "s", "execution_number": "x"}),
            ArgStyle::Node,
        )
        .expect_err("a string number");
        assert!(error.to_string().contains("wait_for_run"), "{error}");
        let error =
            deserialize::<WaitForRunArgs>("wait_for_run", json!({"app_name": "a"}), ArgStyle::Node)
                .expect_err("missing");
        assert!(error.to_string().contains("missing argument"), "{error}");
    }
}
