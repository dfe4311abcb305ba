//! The HTTP/1.1 server: binding, the accept loop, the per-request pipeline (record → fault →
//! route) and graceful shutdown.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tracing::{debug, info, warn};

use crate::control;
use crate::execute::BodyRead;
use crate::faults::{Fault, FaultAction};
use crate::fixture::Fixture;
use crate::recording::{DEFAULT_MAX_RECORDS, RecordedRequest};
use crate::responses::{self, Ids, SandboxBody, SandboxResponse};
use crate::router;
use crate::state::Sandbox;
use crate::tls::{TlsMaterial, TlsOptions};

/// The largest request body the sandbox reads (larger ones get 413 `PayloadTooLarge`).
pub const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// How long in-flight requests may take to finish once shutdown starts.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// The default of [`SandboxConfig::idle_timeout`] (hyper's own default header read timeout).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a client may take to finish the TLS handshake before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How a sandbox starts.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// What exists, and the default token.
    pub fixture: Fixture,
    /// Overrides the fixture's token (also across `PUT /_sandbox/fixture`).
    pub token: Option<String>,
    /// Whether requests are recorded from the start.
    pub record: bool,
    /// How many recorded requests are kept (oldest dropped first).
    pub max_records: usize,
    /// The interface to bind, e.g. `127.0.0.1`, `::1` or `localhost`.
    pub host: String,
    /// The port to bind; 0 picks a free one.
    pub port: u16,
    /// How fast sandbox time runs compared with real time (1.0 = real time; 1000 makes a 30 s
    /// job take 30 ms; 0 freezes the clock so only explicit advances move it).
    pub clock_scale: f64,
    /// Serves https with a certificate authority generated at start (see
    /// [`SandboxConfig::tls_options`] and [`Server::ca_path`]); plain http otherwise.
    pub tls: bool,
    /// Where the CA certificate goes and which names the server certificate carries; only
    /// read when [`SandboxConfig::tls`] is on.
    pub tls_options: TlsOptions,
    /// How long a connection may wait for the head of its next request before the server
    /// closes it — an idle keep-alive connection included. 30 s by default; a short one lets
    /// a test see what a client does with a pooled connection the server has closed.
    pub idle_timeout: Duration,
}

impl Default for SandboxConfig {
    /// The built-in fixture on `127.0.0.1:0`, recording on, at most 100 000 records kept,
    /// clock at real speed, plain http.
    fn default() -> Self {
        SandboxConfig {
            fixture: Fixture::builtin(),
            token: None,
            record: true,
            max_records: DEFAULT_MAX_RECORDS,
            host: "127.0.0.1".into(),
            port: 0,
            clock_scale: 1.0,
            tls: false,
            tls_options: TlsOptions::default(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

impl SandboxConfig {
    /// Builds the state handle this configuration describes, after checking the token and the
    /// clock scale.
    fn sandbox(&self) -> io::Result<Sandbox> {
        if self.token.as_deref() == Some("") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the token override must not be empty",
            ));
        }
        let sandbox = Sandbox::new(
            self.fixture.clone(),
            self.token.clone(),
            self.record,
            self.max_records,
        );
        sandbox
            .try_set_clock_scale(self.clock_scale)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        Ok(sandbox)
    }
}

/// The error a request's service future returns to make hyper drop the connection without an
/// answer (the `close` fault, or a client that broke off mid-body).
#[derive(Debug)]
pub struct CloseConnection(&'static str);

impl fmt::Display for CloseConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection closed without an answer: {}", self.0)
    }
}

impl StdError for CloseConnection {}

/// A bound, not yet serving sandbox server.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    sandbox: Sandbox,
    addr: SocketAddr,
    base_url: String,
    tls: Option<Arc<TlsMaterial>>,
    idle_timeout: Duration,
}

/// The base URL clients use for a bound address: unspecified addresses become loopback.
fn base_url_for(addr: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    match ip {
        IpAddr::V4(ip) => format!("{scheme}://{ip}:{}", addr.port()),
        IpAddr::V6(ip) => format!("{scheme}://[{ip}]:{}", addr.port()),
    }
}

impl Server {
    /// Binds `config.host:config.port` (port 0 = a free port).
    pub async fn bind(config: SandboxConfig) -> io::Result<Server> {
        let sandbox = config.sandbox()?;
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        Server::with_listener(listener, sandbox, &config)
    }

    /// Wraps an already bound standard listener; `config.host`/`config.port` are ignored.
    /// Must be called inside a tokio runtime context (an error otherwise).
    pub fn from_std(listener: std::net::TcpListener, config: SandboxConfig) -> io::Result<Server> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(io::Error::other(
                "Server::from_std must be called inside a tokio runtime context",
            ));
        }
        let sandbox = config.sandbox()?;
        listener.set_nonblocking(true)?;
        Server::with_listener(TcpListener::from_std(listener)?, sandbox, &config)
    }

    fn with_listener(
        listener: TcpListener,
        sandbox: Sandbox,
        config: &SandboxConfig,
    ) -> io::Result<Server> {
        let addr = listener.local_addr()?;
        let tls = if config.tls {
            let material = Arc::new(TlsMaterial::generate(&config.tls_options, addr)?);
            sandbox.set_tls(Arc::clone(&material));
            Some(material)
        } else {
            None
        };
        Ok(Server {
            listener,
            sandbox,
            addr,
            base_url: base_url_for(addr, tls.is_some()),
            tls,
            idle_timeout: config.idle_timeout,
        })
    }

    /// Where the CA certificate that signed the server's certificate was written, when
    /// serving https (absolute; removed when the server stops unless it was written to
    /// [`TlsOptions::dir`]).
    pub fn ca_path(&self) -> Option<&Path> {
        self.tls.as_deref().map(TlsMaterial::ca_path)
    }

    /// The CA certificate, PEM-encoded, when serving https.
    pub fn ca_pem(&self) -> Option<&str> {
        self.tls.as_deref().map(TlsMaterial::ca_pem)
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, e.g. `http://127.0.0.1:43210` (`https://…` with TLS; no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The in-process handle to this server's state.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Serves until `shutdown` completes, then stops accepting, lets in-flight requests finish
    /// (at most about a second) and returns.
    pub async fn serve_until(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let Server {
            listener,
            sandbox,
            base_url,
            tls,
            idle_timeout,
            ..
        } = self;
        let graceful = GracefulShutdown::new();
        let builder = {
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .keep_alive(true)
                .header_read_timeout(idle_timeout);
            builder
        };
        let acceptor = tls.as_deref().map(|tls| tls.acceptor().clone());
        tokio::pin!(shutdown);
        info!(%base_url, "yunxiao-sandbox listening");
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(accepted) => accepted,
                        Err(e) => {
                            // Out of descriptors and the like: back off instead of spinning.
                            warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        }
                    };
                    sandbox.count_connection();
                    if let Err(e) = stream.set_nodelay(true) {
                        debug!(error = %e, "cannot set TCP_NODELAY");
                    }
                    let sandbox = sandbox.clone();
                    let watcher = graceful.watcher();
                    let builder = builder.clone();
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let Some(acceptor) = acceptor else {
                            return serve_connection(&builder, watcher, stream, sandbox, peer).await;
                        };
                        // The handshake runs on the connection's own task, so a slow or
                        // silent client never holds up the accept loop.
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                            Ok(Ok(stream)) => {
                                serve_connection(&builder, watcher, stream, sandbox, peer).await;
                            }
                            Ok(Err(e)) => debug!(%peer, error = %e, "TLS handshake failed"),
                            Err(_) => debug!(%peer, "TLS handshake timed out"),
                        }
                    });
                }
            }
        }
        drop(listener);
        info!("yunxiao-sandbox shutting down");
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(SHUTDOWN_GRACE) => {
                debug!("in-flight requests cut at shutdown");
            }
        }
        Ok(())
    }
}

/// Serves HTTP/1.1 on one accepted connection (plain or TLS) until it ends or shutdown
/// drains it.
async fn serve_connection<S>(
    builder: &http1::Builder,
    watcher: hyper_util::server::graceful::Watcher,
    stream: S,
    sandbox: Sandbox,
    peer: SocketAddr,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        let sandbox = sandbox.clone();
        async move { handle(sandbox, request).await }
    });
    let connection = watcher.watch(builder.serve_connection(TokioIo::new(stream), service));
    if let Err(e) = connection.await {
        debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// Binds with `config` and serves until `shutdown` completes; `on_bound` sees the base URL
/// before the first connection is accepted (the binary prints it there).
pub async fn serve(
    config: SandboxConfig,
    on_bound: impl FnOnce(&Server),
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let server = Server::bind(config).await?;
    on_bound(&server);
    server.serve_until(shutdown).await
}

/// Reads a request body up to `limit` bytes. A body broken off by the client yields `Err`.
pub(crate) async fn read_body(body: Incoming, limit: usize) -> Result<BodyRead, CloseConnection> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(BodyRead::Full(collected.to_bytes())),
        Err(e) if e.is::<LengthLimitError>() => Ok(BodyRead::TooLarge(limit)),
        Err(_) => Err(CloseConnection("the request body could not be read")),
    }
}

/// The whole per-request pipeline.
async fn handle(
    sandbox: Sandbox,
    request: Request<Incoming>,
) -> Result<SandboxResponse, CloseConnection> {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let path_and_query = parts.uri.path_and_query().map_or(path, |pq| pq.as_str());
    let body = read_body(body, MAX_REQUEST_BODY).await?;
    let ids = sandbox.ids().next();

    if control::is_control(path) {
        let response = control::handle(&sandbox, &parts.method, path, &parts.headers, &body, &ids);
        debug!(method = %parts.method, path, status = response.status().as_u16(), "control");
        return Ok(response);
    }

    // The record is built outside the lock (it is the costly part); only numbering and the
    // fault queue need it.
    let token = {
        let state = sandbox.lock();
        state.log.enabled().then(|| state.shared_token())
    };
    let record = token.map(|token| {
        let bytes = match &body {
            BodyRead::Full(bytes) => bytes.as_ref(),
            BodyRead::TooLarge(_) => &[],
        };
        RecordedRequest::capture(
            parts.method.as_str(),
            path_and_query,
            &parts.headers,
            bytes,
            &token,
        )
    });
    let fault = {
        let mut state = sandbox.lock();
        if let Some(record) = record {
            if state.log.enabled() {
                state.log.push(record);
            }
        }
        state.faults.take(path, path_and_query)
    };

    let response = match fault {
        None => router::handle(
            &sandbox,
            &parts.method,
            &parts.uri,
            &parts.headers,
            &body,
            &ids,
        ),
        Some(fault) => {
            debug!(method = %parts.method, path, action = %fault.action, "fault");
            if fault.delay_ms > 0 {
                tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
            }
            match fault.action {
                FaultAction::Pass => router::handle(
                    &sandbox,
                    &parts.method,
                    &parts.uri,
                    &parts.headers,
                    &body,
                    &ids,
                ),
                FaultAction::Close => return Err(CloseConnection("close fault")),
                FaultAction::Respond => fault_response(&fault, &ids),
                FaultAction::MalformedJson => responses::malformed_json(&ids),
                FaultAction::Oversized => responses::oversized(&ids, fault.size),
                FaultAction::CutBody => responses::cut_body(&ids),
            }
        }
    };
    debug!(method = %parts.method, path, status = response.status().as_u16(), "answered");
    Ok(response)
}

/// The answer of a `respond` fault.
fn fault_response(fault: &Fault, ids: &Ids) -> SandboxResponse {
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (bytes, content_type) = match &fault.body {
        None => (
            responses::error_body_bytes(
                status,
                &responses::default_error_code(status),
                &format!("injected fault: HTTP {}", status.as_u16()),
                ids,
            ),
            "application/json",
        ),
        Some(serde_json::Value::String(text)) => {
            let kind = if text.trim_start().starts_with('<') {
                "text/html"
            } else {
                "text/plain"
            };
            (Bytes::from(text.clone().into_bytes()), kind)
        }
        Some(value) => (
            Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
            "application/json",
        ),
    };
    let mut response = responses::base_response(status, ids, SandboxBody::full(bytes));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    let mut overridden: Vec<HeaderName> = Vec::new();
    for (name, value) in &fault.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            warn!(header = %name, "skipping an invalid fault header");
            continue;
        };
        if overridden.contains(&name) {
            headers.append(name, value);
        } else {
            headers.insert(name.clone(), value);
            overridden.push(name);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let v4: SocketAddr = "0.0.0.0:80".parse().expect("addr");
        assert_eq!(base_url_for(v4, false), "http://127.0.0.1:80");
        let v6: SocketAddr = "[::1]:8080".parse().expect("addr");
        assert_eq!(base_url_for(v6, false), "http://[::1]:8080");
        assert_eq!(base_url_for(v6, true), "https://[::1]:8080");
    }

    #[test]
    fn fault_response_shapes() {
        let ids = crate::responses::RequestIds::new().next();
        let html = fault_response(
            &Fault::respond(502).with_text_body("<html>bad</html>"),
            &ids,
        );
        assert_eq!(html.headers()[CONTENT_TYPE], "text/html");
        let text = fault_response(&Fault::respond(503).with_text_body("down"), &ids);
        assert_eq!(text.headers()[CONTENT_TYPE], "text/plain");
        let custom = fault_response(
            &Fault::respond(429)
                .with_header("Retry-After", "1")
                .with_header("x-acs-request-id", "fixed")
                .with_header("content-type", "text/xml")
                .with_text_body("<a/>"),
            &ids,
        );
        assert_eq!(custom.headers()["retry-after"], "1");
        assert_eq!(custom.headers()["x-acs-request-id"], "fixed");
        assert_eq!(custom.headers()[CONTENT_TYPE], "text/xml");
        let json = fault_response(&Fault::respond(500), &ids);
        assert_eq!(json.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(json.headers()["x-acs-request-id"], ids.request_id.as_str());
    }
}
