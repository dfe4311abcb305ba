//! `release-stage execute`: start a run.

use std::io::Read;
use std::time::SystemTime;

use clap::CommandFactory;
use serde_json::{Value, json};
use yunxiao_appstack::{
    AbortHandle, Client, Error, ExecuteReleaseStageRequest, ExecuteReleaseStageResponse, Operation,
    ReleaseBranchRepoInfo, StageRef, StartedSinceOptions,
};

use super::{dry_run, finish, interruptible, live, setup, wait};
use crate::args::{Cli, ExecuteArgs, Output};
use crate::context::Context;
use crate::exit::Exit;
use crate::output::{CallKind, error_json, print, print_json, report_error, system_time, time};

/// What an execute error may have left behind.
pub const EXECUTE: CallKind =
    CallKind::change(&ExecuteReleaseStageRequest::INFO, "nothing was started");

/// `release-stage execute`.
pub async fn execute(cx: &Context, args: ExecuteArgs) -> Exit {
    let given = args.wait_options.given();
    if !args.wait && !given.is_empty() {
        let error = Cli::command().error(
            clap::error::ErrorKind::MissingRequiredArgument,
            format!(
                "{} {} --wait",
                given.join(", "),
                if given.len() == 1 { "needs" } else { "need" }
            ),
        );
        let _ = error.print();
        return Exit::Usage;
    }
    if args.wait {
        return execute_and_wait(cx, args).await;
    }
    let call = async {
        let (config, client) = setup(cx, args.dry_run, &args.stage)?;
        let flags = RequestFlags::read(&args)?;
        let stage = cx.stage(client.as_ref(), &args.stage).await?;
        let request = flags.request(stage);
        if args.dry_run {
            return dry_run(config, &request, cx.global.output);
        }
        let client = live(client)?;
        match client.execute_release_stage(&request).await {
            Ok(response) => {
                report_success(&response, cx.global.output);
                Ok(Exit::Success)
            }
            Err(error) => Ok(failed(cx, &client, &request, &error).await),
        }
    };
    finish(cx, interruptible(call, EXECUTE).await, EXECUTE)
}

/// `release-stage execute --wait`: core's execute_and_wait, with progress and Ctrl-C.
async fn execute_and_wait(cx: &Context, args: ExecuteArgs) -> Exit {
    let output = cx.global.output;
    let abort = AbortHandle::new();
    let call =
        async {
            let client = cx.client()?;
            let flags = RequestFlags::read(&args)?;
            let stage = cx.stage(Some(&client), &args.stage).await?;
            let request = flags.request(stage);
            let options = wait::options(&args.wait_options, output, &abort);
            let (response, outcome) =
                match wait::with_interrupts(&abort, client.execute_and_wait(&request, &options))
                    .await
                {
                    Ok(done) => done,
                    Err(error) => return Ok(failed(cx, &client, &request, &error).await),
                };
            match output {
                Output::Json => print_json(&json!({
                    "event": "outcome",
                    "execute": execute_json(&response),
                    "outcome": outcome,
                })),
                Output::Text => {
                    print(&outcome.run.execution_number.to_string());
                    eprintln!("{}", wait::summary(&outcome));
                }
            }
            Ok(wait::exit_for(&outcome))
        };
    finish(cx, call.await, EXECUTE)
}

/// Reports a failed execute (or wait); when the execute may have started a run, asks core
/// which runs started since the request was sent, and says what that means.
async fn failed(
    cx: &Context,
    client: &Client,
    request: &ExecuteReleaseStageRequest,
    error: &Error,
) -> Exit {
    let output = cx.global.output;
    let exit = Exit::for_kind(error.kind());
    let ambiguous = error.may_have_executed()
        && error
            .call()
            .is_some_and(|call| call.operation == ExecuteReleaseStageRequest::INFO.name);
    if !ambiguous {
        report_error(error, output, EXECUTE);
        return exit;
    }
    let since = error
        .call()
        .map_or_else(SystemTime::now, |call| call.started_at);
    let stage = request.stage();
    let options = StartedSinceOptions::default();
    let check = client.find_runs_started_since(stage, since, &options).await;
    let since_text = format!(
        "{} (less {} s for clock skew)",
        system_time(since),
        options.clock_skew.as_secs()
    );
    let (verdict, check_json) = match &check {
        Ok(runs) if runs.is_empty() => (
            format!(
                "did it start? no run of {stage} started since {since_text}: nothing was deployed by this request; retrying is safe"
            ),
            json!({"since": system_time(since), "started": false, "runs": runs}),
        ),
        Ok(runs) => {
            let newest = &runs[0];
            let number = newest.number.map_or("?".to_owned(), |n| n.to_string());
            let others = if runs.len() > 1 {
                format!(" ({} runs started since then)", runs.len())
            } else {
                String::new()
            };
            (
                format!(
                    "did it start? run {number} of {stage} started at {}{others}: probably by this request; do not retry, check run {number} first (a run someone else started in the same seconds looks the same)",
                    time(newest.start_time.as_ref())
                ),
                json!({
                    "since": system_time(since),
                    "started": true,
                    "runNumber": newest.number,
                    "runs": runs,
                }),
            )
        }
        Err(check_error) => (
            format!(
                "did it start? the check failed ({check_error}): look at the stage's runs before trying again"
            ),
            json!({"since": system_time(since), "error": error_json(check_error)["error"]}),
        ),
    };
    match output {
        Output::Text => {
            report_error(error, output, EXECUTE);
            eprintln!("{verdict}");
        }
        Output::Json => {
            let mut value = error_json(error);
            value["startCheck"] = check_json;
            value["startCheck"]["verdict"] = verdict.into();
            eprintln!("{value}");
        }
    }
    exit
}

/// The request's own flags, read and checked before any lookup: a typo costs no network
/// call, and `@-` is read from stdin once.
struct RequestFlags {
    comment: Option<String>,
    vars: Vec<(String, String)>,
    branches: Vec<(String, String)>,
    release_branch_repo_info: Option<ReleaseBranchRepoInfo>,
    params: Option<Value>,
}

impl RequestFlags {
    fn read(args: &ExecuteArgs) -> Result<Self, Error> {
        let pairs = |flag: &str, items: &[String]| -> Result<Vec<(String, String)>, Error> {
            items
                .iter()
                .map(|item| split_pair(flag, item).map(|(k, v)| (k.to_owned(), v.to_owned())))
                .collect()
        };
        let release_branch_repo_info = match &args.release_branch_repo_info {
            Some(text) => {
                let value = read_json("--release-branch-repo-info", text)?;
                Some(serde_json::from_value(value).map_err(|e| {
                    Error::invalid_request(format!("--release-branch-repo-info: {e}"))
                })?)
            }
            None => None,
        };
        let params = match &args.params {
            Some(text) => Some(read_json("--params", text)?),
            None => None,
        };
        Ok(RequestFlags {
            comment: args.comment.clone(),
            vars: pairs("--var", &args.vars)?,
            branches: pairs("--branch", &args.branches)?,
            release_branch_repo_info,
            params,
        })
    }

    /// The execute request for `stage`; core checks it all again before sending.
    fn request(&self, stage: StageRef) -> ExecuteReleaseStageRequest {
        let mut request = ExecuteReleaseStageRequest::for_stage(stage);
        if let Some(comment) = &self.comment {
            request = request.comment(comment);
        }
        for (k, v) in &self.vars {
            request = request.variable(k, v);
        }
        for (k, v) in &self.branches {
            request = request.branch(k, v);
        }
        if let Some(info) = &self.release_branch_repo_info {
            request = request.release_branch_repo_info(info.clone());
        }
        if let Some(params) = &self.params {
            request = request.extra_params(params.clone());
        }
        request
    }
}

fn split_pair<'a>(flag: &str, text: &'a str) -> Result<(&'a str, &'a str), Error> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k, v)),
        _ => Err(Error::invalid_request(format!(
            "{flag} takes NAME=VALUE, got {text:?}"
        ))),
    }
}

/// Reads JSON given inline, as `@FILE`, or as `@-` (stdin).
fn read_json(flag: &str, text: &str) -> Result<Value, Error> {
    let source = match text.strip_prefix('@') {
        Some("-") => {
            let mut buffer = String::new();
            std::io::stdin()
                .read_to_string(&mut buffer)
                .map_err(|e| Error::invalid_request(format!("{flag}: cannot read stdin: {e}")))?;
            buffer
        }
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Error::invalid_request(format!("{flag}: cannot read {path}: {e}")))?,
        None => text.to_owned(),
    };
    serde_json::from_str(&source)
        .map_err(|e| Error::invalid_request(format!("{flag} is not valid JSON: {e}")))
}

/// The run id alone in text mode; every field in JSON.
fn report_success(response: &ExecuteReleaseStageResponse, output: Output) {
    match output {
        Output::Text => match response.run_id() {
            Some(id) => print(&id.to_string()),
            None => eprintln!("started; the answer carried no run id"),
        },
        Output::Json => print_json(&execute_json(response)),
    }
}

/// The answer of an execute as `--output json` writes it.
fn execute_json(response: &ExecuteReleaseStageResponse) -> Value {
    json!({
        "runId": response.run_id(),
        "object": response.object,
        "pipelineId": response.pipeline_id,
        "pipelineRunId": response.pipeline_run_id,
        "requestId": response.request_id,
        "raw": response.raw,
    })
}
