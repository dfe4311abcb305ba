//! Command-line arguments: the generic flags every command shares, and the commands.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Yunxiao (云效) AppStack release stages from shells and CI: list workflows and stages, start
/// runs, follow them, approve gates, read logs.
///
/// The token comes from YUNXIAO_ACCESS_TOKEN or --token-file, never from an argument: every
/// user of the machine can read arguments in the process list.
#[derive(Debug, Parser)]
#[command(name = "yunxiao-appstack", version, after_help = crate::exit::EXIT_CODES_HELP)]
pub struct Cli {
    /// The flags every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The generic flags, defined once and accepted before or after any subcommand.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Organization id [default: YUNXIAO_ORGANIZATION_ID].
    #[arg(long, global = true, value_name = "ORG")]
    pub org: Option<String>,
    /// API base URL [default: YUNXIAO_API_BASE_URL, else https://openapi-rdc.aliyuncs.com].
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// The edition, which decides the path shape: central (organizations/{org}/ in every
    /// path) or region [default: YUNXIAO_EDITION, else central].
    #[arg(long, global = true, value_name = "central|region", conflicts_with_all = ["region", "central"])]
    pub edition: Option<String>,
    /// Short for --edition region.
    #[arg(long, global = true, conflicts_with = "central")]
    pub region: bool,
    /// Short for --edition central, whatever YUNXIAO_EDITION says.
    #[arg(long, global = true)]
    pub central: bool,
    /// Seconds allowed per attempt [default: YUNXIAO_TIMEOUT, else 60].
    #[arg(long, global = true, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Seconds allowed to open a connection [default: YUNXIAO_CONNECT_TIMEOUT, else 10].
    #[arg(long, global = true, value_name = "SECS")]
    pub connect_timeout: Option<f64>,
    /// Retries of a failed attempt: for calls that change something, only when the server
    /// certainly did not act [default: YUNXIAO_MAX_RETRIES, else 2].
    #[arg(long, global = true, value_name = "N")]
    pub max_retries: Option<u32>,
    /// Seconds one call may take across all its attempts and waits [default: YUNXIAO_DEADLINE,
    /// else none].
    #[arg(long, global = true, value_name = "SECS")]
    pub deadline: Option<f64>,
    /// At most this many requests per second [default: YUNXIAO_MAX_RPS, else no cap].
    #[arg(long, global = true, value_name = "N")]
    pub max_rps: Option<f64>,
    /// An extra PEM bundle of trusted certificates, e.g. a corporate CA [default:
    /// YUNXIAO_CA_BUNDLE; the system's store is always trusted].
    #[arg(long, global = true, value_name = "PATH")]
    pub ca_bundle: Option<PathBuf>,
    /// The proxy for HTTPS requests [default: HTTPS_PROXY / ALL_PROXY, with NO_PROXY]. A URL
    /// with a password is refused here (the process list is public): set HTTPS_PROXY instead.
    #[arg(long, global = true, value_name = "URL")]
    pub proxy: Option<String>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// File holding the access token [default: YUNXIAO_ACCESS_TOKEN]; keep it private
    /// (chmod 600): a file others can read is used with a warning.
    #[arg(long, global = true, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Refused: a token on the command line is visible in the process list.
    #[arg(long, global = true, hide = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Log every attempt of this tool's calls (URL, status, timing, request id) to stderr; the
    /// token is never logged.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Log everything to stderr, the HTTP library's internals included.
    #[arg(long, global = true)]
    pub debug: bool,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Text for people on stdout; errors as text on stderr.
    Text,
    /// The typed result as JSON on stdout; errors as JSON on stderr.
    Json,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// An application's release workflows.
    #[command(name = "release-workflow", subcommand)]
    ReleaseWorkflow(ReleaseWorkflowCommand),
    /// Release stages of an application's release workflows.
    #[command(name = "release-stage", subcommand)]
    ReleaseStage(ReleaseStageCommand),
    /// Runs (executions) of a release stage: view, wait, cancel, approve, logs.
    #[command(subcommand)]
    Run(RunCommand),
    /// An application's change requests.
    #[command(name = "change-request", subcommand)]
    ChangeRequest(ChangeRequestCommand),
}

/// `release-workflow` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReleaseWorkflowCommand {
    /// List an app's release workflows with their stages (ListAllReleaseWorkflows), or only
    /// serial numbers and names with --brief (ListAllReleaseWorkflowBriefs).
    List(WorkflowListArgs),
}

/// `release-stage` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReleaseStageCommand {
    /// List a release workflow's stages: serial numbers and names (ListAllReleaseStageBriefs).
    List(WorkflowArgs),
    /// Show one release stage (GetReleaseWorkflowStage).
    View(StageArgs),
    /// Start one run of a release stage (ExecuteChangeRequestReleaseStage), and with --wait see
    /// it through. Not idempotent: every successful call starts a new deployment.
    #[command(after_help = crate::exit::EXIT_CODES_HELP)]
    Execute(ExecuteArgs),
}

/// `run` subcommands.
#[derive(Debug, Subcommand)]
pub enum RunCommand {
    /// List a stage's runs, newest first (ListAppReleaseStageRuns).
    List(RunListArgs),
    /// Show a run: its status, then its stages and jobs with ids and statuses
    /// (GetReleaseStagePipelineRun).
    View(RunArgs),
    /// Wait for a run to end, showing its progress, and exit with its outcome (see the exit
    /// codes).
    #[command(after_help = crate::exit::EXIT_CODES_HELP)]
    Wait(RunWaitArgs),
    /// Cancel a run (CancelExecutionReleaseStage); a run that already finished is reported,
    /// not an error.
    Cancel(RunActionArgs),
    /// Approve the manual gate at a job (PassReleaseStagePipelineValidate).
    Approve(JobActionArgs),
    /// Reject the manual gate at a job (RefuseReleaseStagePipelineValidate).
    Reject(JobActionArgs),
    /// Run a failed job again (RetryChangeRequestStagePipeline).
    #[command(name = "retry-job")]
    RetryJob(JobActionArgs),
    /// Skip a job and go on with the next (SkipChangeRequestStagePipeline).
    #[command(name = "skip-job")]
    SkipJob(JobActionArgs),
    /// Print a job's log (GetAppReleaseStageExecutionPipelineJobLog).
    Log(LogArgs),
    /// What a run integrated: release branches and change requests
    /// (ListAppReleaseStageExecutionIntegratedMetadata; with --stage-level,
    /// ListReleaseStageFlowChangeRequests).
    Metadata(MetadataArgs),
}

/// `change-request` subcommands.
#[derive(Debug, Subcommand)]
pub enum ChangeRequestCommand {
    /// Search an app's change requests by state, owner and name (ListAppChangeRequests).
    Search(SearchArgs),
}

/// An application.
#[derive(Debug, Clone, Args)]
pub struct AppArgs {
    /// Application name.
    #[arg(long, value_name = "APP")]
    pub app: String,
}

/// A release workflow of an application, by serial number or by name.
#[derive(Debug, Clone, Args)]
pub struct WorkflowArgs {
    /// The application.
    #[command(flatten)]
    pub app: AppArgs,
    /// Release workflow serial number.
    #[arg(
        long,
        value_name = "SN",
        required_unless_present = "workflow_name",
        conflicts_with = "workflow_name"
    )]
    pub workflow: Option<String>,
    /// Release workflow name, as the console shows it (exact, else a unique case-insensitive
    /// match).
    #[arg(long, value_name = "NAME")]
    pub workflow_name: Option<String>,
}

/// A release stage, by serial numbers or by names.
#[derive(Debug, Clone, Args)]
pub struct StageArgs {
    /// The workflow.
    #[command(flatten)]
    pub workflow: WorkflowArgs,
    /// Release stage serial number.
    #[arg(
        long,
        value_name = "SN",
        required_unless_present = "stage_name",
        conflicts_with = "stage_name"
    )]
    pub stage: Option<String>,
    /// Release stage name, as the console shows it (exact, else a unique case-insensitive
    /// match).
    #[arg(long, value_name = "NAME")]
    pub stage_name: Option<String>,
}

/// One run of a stage.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The stage.
    #[command(flatten)]
    pub stage: StageArgs,
    /// The run's execution number: what execute prints, `number` in `run list`.
    #[arg(long, value_name = "N")]
    pub number: u64,
}

/// One job of a run.
#[derive(Debug, Clone, Args)]
pub struct JobArgs {
    /// The run.
    #[command(flatten)]
    pub run: RunArgs,
    /// The job's id, as `run view` shows it.
    #[arg(long, value_name = "ID")]
    pub job: u64,
}

/// Arguments of `release-workflow list`.
#[derive(Debug, Args)]
pub struct WorkflowListArgs {
    /// The application.
    #[command(flatten)]
    pub app: AppArgs,
    /// Serial numbers and names only (ListAllReleaseWorkflowBriefs).
    #[arg(long)]
    pub brief: bool,
}

/// Arguments of `run list`.
#[derive(Debug, Args)]
pub struct RunListArgs {
    /// The stage.
    #[command(flatten)]
    pub stage: StageArgs,
    /// The page to show, from 1.
    #[arg(long, value_name = "N")]
    pub page: Option<u32>,
    /// Runs per page, 1-100 [server default: 20].
    #[arg(long, value_name = "N")]
    pub per_page: Option<u32>,
    /// Every page, not one.
    #[arg(long)]
    pub all: bool,
    /// At most N runs, fetching as many pages as that takes.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// Arguments of `run cancel`.
#[derive(Debug, Args)]
pub struct RunActionArgs {
    /// The run.
    #[command(flatten)]
    pub run: RunArgs,
    /// Print the request that would be sent (token masked) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Arguments of the calls on one job: approve, reject, retry-job, skip-job.
#[derive(Debug, Args)]
pub struct JobActionArgs {
    /// The job.
    #[command(flatten)]
    pub job: JobArgs,
    /// Print the request that would be sent (token masked) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Arguments of `run log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// The job.
    #[command(flatten)]
    pub job: JobArgs,
    /// Keep printing new lines as the log grows, each once, until the job ends.
    #[arg(long)]
    pub follow: bool,
}

/// Arguments of `run wait`.
#[derive(Debug, Args)]
pub struct RunWaitArgs {
    /// The run.
    #[command(flatten)]
    pub run: RunArgs,
    /// How to wait.
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// How to wait for a run (`release-stage execute --wait` and `run wait`).
#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// The longest the wait may take: seconds, or 90s, 30m, 1h [default: 1h]. When it passes,
    /// the command exits 13 and the run goes on.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub wait_timeout: Option<Duration>,
    /// Show the jobs' log lines as they appear, each once.
    #[arg(long)]
    pub follow: bool,
    /// At a manual approval gate: keep waiting for someone to decide, or stop (exit 14).
    #[arg(long, value_enum, value_name = "wait|stop")]
    pub on_approval: Option<OnApprovalArg>,
    /// On Ctrl-C, cancel the run (one cancel request) instead of leaving it running.
    #[arg(long)]
    pub cancel_on_interrupt: bool,
}

impl WaitArgs {
    /// The flags given, by name (those that only make sense with `--wait`).
    pub fn given(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        if self.wait_timeout.is_some() {
            given.push("--wait-timeout");
        }
        if self.follow {
            given.push("--follow");
        }
        if self.on_approval.is_some() {
            given.push("--on-approval");
        }
        if self.cancel_on_interrupt {
            given.push("--cancel-on-interrupt");
        }
        given
    }
}

/// `--on-approval` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnApprovalArg {
    /// Report the gate and keep waiting.
    Wait,
    /// Stop at the gate (exit 14), naming the job to approve or reject.
    Stop,
}

/// A duration: plain seconds (`90`, `2.5`) or a number with a unit: `90s`, `30m`, `1h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((at, _)) => text.split_at(at),
        None => (text, "s"),
    };
    let scale = match unit {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!(
                "unknown unit {other:?}: use s, m or h (e.g. 90s, 30m, 1h)"
            ));
        }
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration: use seconds, or 90s, 30m, 1h"))?;
    match Duration::try_from_secs_f64(value * scale) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => Err(format!("{text:?} must be a duration above 0")),
    }
}

/// Arguments of `run metadata`.
#[derive(Debug, Args)]
pub struct MetadataArgs {
    /// The stage.
    #[command(flatten)]
    pub stage: StageArgs,
    /// The run's execution number.
    #[arg(
        long,
        value_name = "N",
        required_unless_present = "stage_level",
        conflicts_with = "stage_level"
    )]
    pub number: Option<u64>,
    /// Ask the stage for its newest run's metadata (or --build-num's), with change-request
    /// states (ListReleaseStageFlowChangeRequests).
    #[arg(long)]
    pub stage_level: bool,
    /// With --stage-level: the run number to ask about [default: the newest run].
    #[arg(
        long,
        value_name = "N",
        requires = "stage_level",
        conflicts_with = "number"
    )]
    pub build_num: Option<u64>,
}

/// Arguments of `change-request search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The application.
    #[command(flatten)]
    pub app: AppArgs,
    /// Only this state (DEVELOPING, INTEGRATING, RELEASED, CLOSED, INIT…); repeat for more.
    #[arg(long, value_name = "STATE")]
    pub state: Vec<String>,
    /// Only this owner's (user id); repeat for more.
    #[arg(long, value_name = "ID")]
    pub owner: Vec<String>,
    /// Only names containing TEXT.
    #[arg(long, value_name = "TEXT")]
    pub name: Option<String>,
    /// The page to show, from 1.
    #[arg(long, value_name = "N")]
    pub page: Option<u32>,
    /// Change requests per page, 1-30 [server default: 10].
    #[arg(long, value_name = "N")]
    pub page_size: Option<u32>,
    /// Every page, not one.
    #[arg(long)]
    pub all: bool,
    /// At most N change requests, fetching as many pages as that takes.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// Arguments of `release-stage execute`.
#[derive(Debug, Args)]
pub struct ExecuteArgs {
    /// The stage.
    #[command(flatten)]
    pub stage: StageArgs,
    /// Run comment shown in the console (FLOW_INST_RUNNING_COMMENT).
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
    /// A pipeline variable; repeat for more.
    #[arg(long = "var", value_name = "K=V")]
    pub vars: Vec<String>,
    /// The branch a pipeline source builds; repeat for more.
    #[arg(long = "branch", value_name = "SOURCE=BRANCH")]
    pub branches: Vec<String>,
    /// Run with change requests: releaseBranchRepoInfo as JSON, or @FILE (@- for stdin).
    #[arg(long, value_name = "JSON|@FILE")]
    pub release_branch_repo_info: Option<String>,
    /// Extra entries of params as a JSON object, or @FILE (@- for stdin).
    #[arg(long, value_name = "JSON|@FILE")]
    pub params: Option<String>,
    /// Print the request that would be sent (token masked) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Wait for the run to end, showing its progress, and exit with its outcome (see the exit
    /// codes); the run id is still printed on stdout.
    #[arg(long, conflicts_with = "dry_run")]
    pub wait: bool,
    /// How to wait (with --wait).
    #[command(flatten)]
    pub wait_options: WaitArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn durations_take_seconds_or_a_unit() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["", "0", "0s", "-5", "1d", "m", "1.5.2s", "inf", "NaN"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
