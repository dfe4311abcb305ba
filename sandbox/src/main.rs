//! `yunxiao-sandbox`: run the Yunxiao AppStack OpenAPI stand-in from the command line.
//!
//! Prints its base URL as the first line of stdout, logs to stderr, stops on SIGINT/SIGTERM.
//! With `--tls` it serves https and prints `ca_path: PATH` (the CA to trust) on stderr.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tracing::level_filters::LevelFilter;
use tracing::{error, info, warn};
use yunxiao_sandbox::{
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_RECORDS, Fixture, SandboxConfig, Server, TlsOptions,
};

/// A local stand-in for the Yunxiao AppStack release-stage OpenAPI.
///
/// Prints its base URL (e.g. http://127.0.0.1:43210) as the first line of stdout. Control API
/// under /_sandbox/ (health, requests, faults, reset, recording, fixture, clock). With --tls it
/// serves https from a CA made at start and prints "ca_path: PATH" on stderr.
#[derive(Debug, Parser)]
#[command(name = "yunxiao-sandbox", version, about)]
struct Args {
    /// Interface to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,

    /// Port to bind; 0 picks a free port.
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// Fixture file (JSON); default: the built-in fixture.
    #[arg(long, value_name = "FILE")]
    fixture: Option<PathBuf>,

    /// Token to accept in x-yunxiao-token, overriding the fixture's.
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,

    /// Start with request recording off (turn it on with PUT /_sandbox/recording).
    #[arg(long)]
    no_record: bool,

    /// How many recorded requests to keep (oldest dropped first).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_RECORDS)]
    max_records: usize,

    /// How fast sandbox time runs: 1 = real time, 1000 makes a 30 s job take 30 ms, 0 freezes
    /// the clock (advance it with POST /_sandbox/clock).
    #[arg(long, value_name = "SCALE", default_value_t = 1.0)]
    clock_scale: f64,

    /// Close a connection that has waited this long for its next request (an idle keep-alive
    /// connection included), in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_IDLE_TIMEOUT.as_millis() as u64)]
    idle_timeout_ms: u64,

    /// Log level on stderr: off, error, warn, info, debug or trace (debug logs every request).
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    log_level: LevelFilter,

    /// Serve https: generate a throwaway CA and a certificate for 127.0.0.1, localhost and
    /// ::1 at start, write the CA to DIR/ca.pem (see --tls-dir) and print its path on stderr
    /// as "ca_path: PATH" (also "ca_path" in GET /_sandbox/health).
    #[arg(long)]
    tls: bool,

    /// Where to write ca.pem (created if missing, left in place); default: a private
    /// temporary directory removed at exit.
    #[arg(long, value_name = "DIR", requires = "tls")]
    tls_dir: Option<PathBuf>,

    /// Issue the server certificate for NAME (a DNS name or an IP address) instead of the
    /// loopback names, e.g. example.invalid to test a client's wrong-host refusal. Repeatable.
    #[arg(long, value_name = "NAME", requires = "tls")]
    tls_hostname: Vec<String>,

    /// Issue a server certificate that expired in 2001, to test a client's refusal.
    #[arg(long, requires = "tls")]
    tls_expired: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Colour codes only for a terminal: a log file or a CI capture gets plain text.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(args.log_level)
        .with_target(false)
        .init();

    let fixture = match &args.fixture {
        Some(path) => match Fixture::load(path) {
            Ok(fixture) => fixture,
            Err(e) => {
                error!("{e}");
                return ExitCode::from(2);
            }
        },
        None => Fixture::builtin(),
    };
    if args.token.as_deref() == Some("") {
        error!("--token must not be empty");
        return ExitCode::from(2);
    }
    if !(args.clock_scale.is_finite() && args.clock_scale >= 0.0) {
        error!("--clock-scale must be a finite number >= 0");
        return ExitCode::from(2);
    }
    let config = SandboxConfig {
        fixture,
        token: args.token,
        record: !args.no_record,
        max_records: args.max_records,
        host: args.host,
        port: args.port,
        clock_scale: args.clock_scale,
        tls: args.tls,
        tls_options: TlsOptions {
            dir: args.tls_dir,
            hostnames: args.tls_hostname,
            expired: args.tls_expired,
        },
        idle_timeout: std::time::Duration::from_millis(args.idle_timeout_ms.max(1)),
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            error!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: SandboxConfig) -> std::io::Result<()> {
    // Install the signal handlers before announcing the URL: a SIGTERM sent right after the
    // first line must reach them, not the default disposition.
    let shutdown = shutdown_signal()?;
    let server = Server::bind(config).await?;
    announce(server.base_url());
    if let Some(path) = server.ca_path() {
        announce_ca(path);
    }
    server.serve_until(shutdown).await?;
    info!("stopped");
    Ok(())
}

/// Prints the base URL as the first line of stdout and flushes it at once.
fn announce(base_url: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = writeln!(stdout, "{base_url}").and_then(|()| stdout.flush()) {
        warn!("cannot write the base URL to stdout: {e}");
    }
}

/// Prints the CA certificate's path on stderr, as one `ca_path: PATH` line, whatever the log
/// level (scripts read it).
fn announce_ca(path: &std::path::Path) {
    let mut stderr = std::io::stderr().lock();
    if let Err(e) = writeln!(stderr, "ca_path: {}", path.display()).and_then(|()| stderr.flush()) {
        warn!("cannot write the CA path to stderr: {e}");
    }
}

/// A future that completes on SIGINT or SIGTERM (Ctrl-C elsewhere); handlers are registered
/// when this function returns.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => info!("SIGINT received"),
            _ = terminate.recv() => info!("SIGTERM received"),
        }
    })
}

/// A future that completes on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
}
