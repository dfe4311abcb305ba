//! The commands: each turns its flags into core calls and their results into text or JSON.

mod act;
mod execute;
mod read;
mod wait;

use std::future::Future;

use yunxiao_appstack::{Client, ClientConfig, Error, Operation, prepare_operation};

use crate::args::{
    ChangeRequestCommand, Command, Output, ReleaseStageCommand, ReleaseWorkflowCommand, RunCommand,
    StageArgs,
};
use crate::context::Context;
use crate::exit::Exit;
use crate::output::{CallKind, print_prepared, report_error};

/// Runs `command` to its exit status, errors reported on stderr.
pub fn run(context: Context, command: Command) -> Exit {
    let output = context.global.output;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let error = Error::configuration(format!("cannot start the I/O runtime: {e}"));
            report_error(&error, output, CallKind::READ);
            return Exit::for_kind(error.kind());
        }
    };
    let cx = &context;
    runtime.block_on(async move {
        match command {
            Command::ReleaseWorkflow(ReleaseWorkflowCommand::List(args)) => {
                read_call(cx, read::workflow_list(cx, args)).await
            }
            Command::ReleaseStage(ReleaseStageCommand::List(args)) => {
                read_call(cx, read::stage_list(cx, args)).await
            }
            Command::ReleaseStage(ReleaseStageCommand::View(args)) => {
                read_call(cx, read::stage_view(cx, args)).await
            }
            Command::ReleaseStage(ReleaseStageCommand::Execute(args)) => {
                execute::execute(cx, args).await
            }
            Command::Run(RunCommand::List(args)) => read_call(cx, read::run_list(cx, args)).await,
            Command::Run(RunCommand::View(args)) => read_call(cx, read::run_view(cx, args)).await,
            Command::Run(RunCommand::Wait(args)) => wait::run_wait(cx, args).await,
            Command::Run(RunCommand::Log(args)) if args.follow => wait::follow_log(cx, args).await,
            Command::Run(RunCommand::Log(args)) => read_call(cx, read::run_log(cx, args)).await,
            Command::Run(RunCommand::Metadata(args)) => {
                read_call(cx, read::run_metadata(cx, args)).await
            }
            Command::Run(RunCommand::Cancel(args)) => act::cancel(cx, args).await,
            Command::Run(RunCommand::Approve(args)) => {
                act::job(cx, args, act::JobAction::Approve).await
            }
            Command::Run(RunCommand::Reject(args)) => {
                act::job(cx, args, act::JobAction::Reject).await
            }
            Command::Run(RunCommand::RetryJob(args)) => {
                act::job(cx, args, act::JobAction::Retry).await
            }
            Command::Run(RunCommand::SkipJob(args)) => {
                act::job(cx, args, act::JobAction::Skip).await
            }
            Command::ChangeRequest(ChangeRequestCommand::Search(args)) => {
                read_call(cx, read::change_request_search(cx, args)).await
            }
        }
    })
}

/// Runs a read-only command: Ctrl-C stops it (nothing to warn about), errors are reported.
async fn read_call(cx: &Context, call: impl Future<Output = Result<Exit, Error>>) -> Exit {
    finish(
        cx,
        interruptible(call, CallKind::READ).await,
        CallKind::READ,
    )
}

/// The exit status of a command's result, reporting its error.
fn finish(cx: &Context, result: Result<Exit, Error>, kind: CallKind) -> Exit {
    match result {
        Ok(exit) => exit,
        Err(error) => {
            report_error(&error, cx.global.output, kind);
            Exit::for_kind(error.kind())
        }
    }
}

/// Runs `call` until it ends or Ctrl-C; an interrupted call that changes something says that
/// it may have taken effect, as every other ambiguous end does.
async fn interruptible(
    call: impl Future<Output = Result<Exit, Error>>,
    kind: CallKind,
) -> Result<Exit, Error> {
    // Listening starts before the call can send anything: a SIGINT must come here, not kill
    // the process with a request in flight.
    let mut interrupts = Interrupts::new();
    tokio::select! {
        biased;
        () = interrupts.next() => {
            match kind.info.map(|info| info.may_have_effect).filter(|t| !t.is_empty()) {
                Some(effect) => eprintln!(
                    "interrupted: the request may have been sent, so {effect}; check before trying again"
                ),
                None => eprintln!("interrupted"),
            }
            Ok(Exit::Interrupted)
        }
        result = call => result,
    }
}

/// Ctrl-C (SIGINT), listened for from the moment this is made.
pub struct Interrupts {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Interrupts {
    /// Starts listening (inside the runtime).
    pub fn new() -> Self {
        Interrupts {
            #[cfg(unix)]
            signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok(),
        }
    }

    /// The next Ctrl-C (never, when no handler could be installed).
    pub async fn next(&mut self) {
        #[cfg(unix)]
        match &mut self.signal {
            Some(signal) => {
                signal.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The settings, and a client unless a dry run can do without one (no names to look up):
/// a dry run must work, and then fail as the real call would, without a token.
fn setup(
    cx: &Context,
    dry_run: bool,
    stage: &StageArgs,
) -> Result<(ClientConfig, Option<Client>), Error> {
    let config = cx.config()?;
    let client = if dry_run && !Context::needs_lookup(stage) {
        None
    } else {
        Some(Client::from_config(config.clone())?)
    };
    Ok((config, client))
}

/// A dry run: prints the exact request `operation` would send, token masked, and sends it
/// not. Then checks what sending would check first — a token, an HTTP client — so that a dry
/// run used as a CI preflight fails where the real call would.
fn dry_run<O: Operation>(
    config: ClientConfig,
    operation: &O,
    output: Output,
) -> Result<Exit, Error> {
    let prepared = prepare_operation(&config, operation)?;
    print_prepared(&prepared, output);
    Client::from_config(config)?;
    Ok(Exit::Success)
}

/// The client of a command that is not a dry run (set up by [`setup`]).
fn live(client: Option<Client>) -> Result<Client, Error> {
    client.ok_or_else(|| Error::configuration("no client was built for a call that sends"))
}
