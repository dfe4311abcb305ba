//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Execute Yunxiao (云效) AppStack release stages from shells and CI.
///
/// The token comes from YUNXIAO_ACCESS_TOKEN or --token-file, never from an argument: every
/// user of the machine can read arguments in the process list.
#[derive(Debug, Parser)]
#[command(name = "yunxiao-appstack", version, about, long_about = None, after_help = crate::exit::EXIT_CODES_HELP)]
pub struct Cli {
    /// Log every attempt (URL, status, timing, request id) to stderr; the token is never logged.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Release stages of an application's release workflows.
    #[command(name = "release-stage", subcommand)]
    ReleaseStage(ReleaseStageCommand),
}

/// `release-stage` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReleaseStageCommand {
    /// Start one run of a release stage (ExecuteChangeRequestReleaseStage). Not idempotent:
    /// every successful call starts a new deployment.
    #[command(after_help = crate::exit::EXIT_CODES_HELP)]
    Execute(ExecuteArgs),
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// The run id alone on stdout; errors as one line on stderr.
    Text,
    /// The whole result as JSON on stdout; errors as JSON on stderr.
    Json,
}

/// Arguments of `release-stage execute`.
#[derive(Debug, Args)]
pub struct ExecuteArgs {
    /// Organization id [default: YUNXIAO_ORGANIZATION_ID].
    #[arg(long, value_name = "ORG")]
    pub org: Option<String>,
    /// Application name.
    #[arg(long, value_name = "APP")]
    pub app: String,
    /// Release workflow serial number.
    #[arg(long, value_name = "SN")]
    pub workflow: String,
    /// Release stage serial number.
    #[arg(long, value_name = "SN")]
    pub stage: String,
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
    /// File holding the access token [default: YUNXIAO_ACCESS_TOKEN].
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Refused: a token on the command line is visible in the process list.
    #[arg(long, hide = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// API base URL [default: YUNXIAO_API_BASE_URL, else https://openapi-rdc.aliyuncs.com].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Use region-edition paths (no organizations/{org}/ segment) [default: YUNXIAO_EDITION].
    #[arg(long, conflicts_with = "central")]
    pub region: bool,
    /// Use centre-edition paths, whatever YUNXIAO_EDITION says.
    #[arg(long)]
    pub central: bool,
    /// Seconds allowed per attempt [default: YUNXIAO_TIMEOUT, else 60].
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Seconds allowed to open a connection [default: YUNXIAO_CONNECT_TIMEOUT, else 10].
    #[arg(long, value_name = "SECS")]
    pub connect_timeout: Option<f64>,
    /// Retries when the server certainly did not act [default: YUNXIAO_MAX_RETRIES, else 2].
    #[arg(long, value_name = "N")]
    pub max_retries: Option<u32>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Print the request that would be sent (token masked) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}
