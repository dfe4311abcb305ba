//! `yunxiao-appstack`: the command-line face of the yunxiao-appstack crate.

mod args;
mod exit;

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use serde_json::{Value, json};
use yunxiao_appstack::{
    ClientBuilder, Edition, Error, ExecuteReleaseStageRequest, ExecuteReleaseStageResponse,
    ReleaseBranchRepoInfo,
};

use crate::args::{Cli, Command, ExecuteArgs, Output, ReleaseStageCommand};
use crate::exit::Exit;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version come here too; they print to stdout and succeed.
            let _ = error.print();
            let exit = if error.use_stderr() {
                Exit::Usage
            } else {
                Exit::Success
            };
            return ExitCode::from(exit as u8);
        }
    };
    if cli.verbose {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing_subscriber::filter::LevelFilter::DEBUG)
            .with_target(false)
            .with_ansi(std::io::stderr().is_terminal())
            .init();
    }
    let code = match cli.command {
        Command::ReleaseStage(ReleaseStageCommand::Execute(args)) => execute(args),
    };
    ExitCode::from(code as u8)
}

fn execute(args: ExecuteArgs) -> Exit {
    let output = args.output;
    match run(args) {
        Ok(exit) => exit,
        Err(error) => {
            report_error(&error, output);
            Exit::for_kind(error.kind())
        }
    }
}

fn run(args: ExecuteArgs) -> Result<Exit, Error> {
    if args.token.is_some() {
        return Err(Error::configuration(
            "--token is refused: command-line arguments are visible to every user in the process list; use YUNXIAO_ACCESS_TOKEN or --token-file",
        ));
    }
    let builder = builder(&args)?;
    let request = request(&args)?;

    if args.dry_run {
        let config = builder.resolve()?;
        let prepared = yunxiao_appstack::prepare(&config, &request)?;
        let mut stdout = std::io::stdout().lock();
        let written = match args.output {
            Output::Text => writeln!(stdout, "{prepared}"),
            Output::Json => {
                let headers: serde_json::Map<String, Value> = prepared
                    .headers
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Value::String(v.clone())))
                    .collect();
                let body: Value = serde_json::from_str(&prepared.body).unwrap_or(Value::Null);
                writeln!(
                    stdout,
                    "{}",
                    json!({"method": prepared.method, "url": prepared.url.as_str(), "headers": headers, "body": body})
                )
            }
        };
        // A closed stdout (`| head`) is not worth a failure status for a dry run.
        drop(written);
        return Ok(Exit::Success);
    }

    let client = builder.build()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::configuration(format!("cannot start the I/O runtime: {e}")))?;
    let response = runtime.block_on(async {
        tokio::select! {
            response = client.execute_release_stage(&request) => Some(response),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    let Some(response) = response else {
        // The request may already be on the wire: say so, as every other ambiguous end does.
        eprintln!(
            "interrupted: the request may have been sent, so the release stage may have started; check its runs before trying again"
        );
        return Ok(Exit::Interrupted);
    };
    report_success(&response?, args.output);
    Ok(Exit::Success)
}

fn builder(args: &ExecuteArgs) -> Result<ClientBuilder, Error> {
    let mut builder = ClientBuilder::new().user_agent_suffix("cli");
    if let Some(path) = &args.token_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::configuration(format!("cannot read --token-file {}: {e}", path.display()))
        })?;
        builder = builder.token(text.trim());
    }
    if let Some(url) = &args.base_url {
        builder = builder.base_url(url);
    }
    if args.region {
        builder = builder.edition(Edition::Region);
    }
    if args.central {
        builder = builder.edition(Edition::Central);
    }
    if let Some(secs) = args.timeout {
        builder = builder.request_timeout(seconds("--timeout", secs)?);
    }
    if let Some(secs) = args.connect_timeout {
        builder = builder.connect_timeout(seconds("--connect-timeout", secs)?);
    }
    if let Some(n) = args.max_retries {
        builder = builder.max_retries(n);
    }
    Ok(builder)
}

fn request(args: &ExecuteArgs) -> Result<ExecuteReleaseStageRequest, Error> {
    let mut request = ExecuteReleaseStageRequest::new(&args.app, &args.workflow, &args.stage);
    if let Some(org) = &args.org {
        request = request.organization_id(org);
    }
    if let Some(comment) = &args.comment {
        request = request.comment(comment);
    }
    for var in &args.vars {
        let (k, v) = split_pair("--var", var)?;
        request = request.variable(k, v);
    }
    for branch in &args.branches {
        let (k, v) = split_pair("--branch", branch)?;
        request = request.branch(k, v);
    }
    if let Some(text) = &args.release_branch_repo_info {
        let value = read_json("--release-branch-repo-info", text)?;
        let info: ReleaseBranchRepoInfo = serde_json::from_value(value)
            .map_err(|e| Error::invalid_request(format!("--release-branch-repo-info: {e}")))?;
        request = request.release_branch_repo_info(info);
    }
    if let Some(text) = &args.params {
        request = request.extra_params(read_json("--params", text)?);
    }
    Ok(request)
}

/// A positive number of seconds given to `flag`.
fn seconds(flag: &str, secs: f64) -> Result<Duration, Error> {
    match Duration::try_from_secs_f64(secs) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => Err(Error::configuration(format!(
            "{flag} must be a number of seconds above 0, got {secs}"
        ))),
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

fn report_success(response: &ExecuteReleaseStageResponse, output: Output) {
    let mut stdout = std::io::stdout().lock();
    let written = match output {
        Output::Text => match response.run_id() {
            Some(id) => writeln!(stdout, "{id}"),
            None => {
                eprintln!("started; the answer carried no run id");
                Ok(())
            }
        },
        Output::Json => writeln!(
            stdout,
            "{}",
            json!({
                "runId": response.run_id(),
                "object": response.object,
                "pipelineId": response.pipeline_id,
                "pipelineRunId": response.pipeline_run_id,
                "requestId": response.request_id,
                "raw": response.raw,
            })
        ),
    };
    drop(written);
}

fn report_error(error: &Error, output: Output) {
    let mut stderr = std::io::stderr().lock();
    let written = match output {
        Output::Text => {
            let consequence = if error.may_have_executed() {
                "the release stage may have started: check its runs before trying again"
            } else {
                "nothing was started"
            };
            writeln!(stderr, "error: {error}\n{consequence}")
        }
        Output::Json => {
            let api = error.api();
            writeln!(
                stderr,
                "{}",
                json!({"error": {
                    "kind": error.kind().as_str(),
                    "message": error.message(),
                    "display": error.to_string(),
                    "status": error.status(),
                    "errorCode": api.and_then(|a| a.error_code.clone()),
                    "requestId": error.request_id(),
                    "traceId": api.and_then(|a| a.trace_id.clone()),
                    "retryAfter": error.retry_after().map(|d| d.as_secs_f64()),
                    "mayHaveExecuted": error.may_have_executed(),
                }})
            )
        }
    };
    drop(written);
}
