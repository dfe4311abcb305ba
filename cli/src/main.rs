//! `yunxiao-appstack`: the command-line face of the yunxiao-appstack crate.
//!
//! It decides nothing of its own: core validates, retries and parses; this binary turns flags
//! into core calls and results into text or JSON, and errors into documented exit codes.

mod args;
mod commands;
mod context;
mod exit;
mod output;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::args::Cli;
use crate::context::Context;
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
    init_logging(cli.global.verbose, cli.global.debug);
    let code = commands::run(Context { global: cli.global }, cli.command);
    ExitCode::from(code as u8)
}

/// `--verbose`: this crate's attempt lines only (target `yunxiao_appstack`); `--debug`:
/// everything, the HTTP library's internals included.
fn init_logging(verbose: bool, debug: bool) {
    let filter = if debug {
        Targets::new().with_default(LevelFilter::TRACE)
    } else if verbose {
        Targets::new().with_target("yunxiao_appstack", LevelFilter::DEBUG)
    } else {
        return;
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(LevelFilter::TRACE)
        .with_target(debug)
        .with_ansi(std::io::stderr().is_terminal())
        .finish()
        .with(filter)
        .init();
}
