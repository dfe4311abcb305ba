//! The async client: one connection pool and the one attempt loop every operation runs on.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use tokio::time::Instant;

use crate::config::{ClientBuilder, ClientConfig};
use crate::endpoint::{self, PreparedRequest};
use crate::error::{Error, TimeoutPhase, one_line};
use crate::operation::{Answer, CallInfo, HttpMethod, Operation};
use crate::policy;
use crate::rate::RateLimiter;
use crate::request::ExecuteReleaseStageRequest;
use crate::response::{self, AnswerHeaders};
use crate::retry::{self, RetryDecision};
use crate::secret::AccessToken;
use crate::transport;

/// The header that carries the personal access token.
pub const TOKEN_HEADER: &str = "x-yunxiao-token";

/// An async client of the Yunxiao AppStack OpenAPI.
///
/// Cheap to clone (an `Arc`), `Send + Sync`; every clone shares one connection pool. For
/// synchronous code use [`crate::blocking::Client`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    token: AccessToken,
    http: reqwest::Client,
    limiter: Option<RateLimiter>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// One attempt's failure, with whether the request left this process.
struct AttemptError {
    error: Error,
    status: Option<u16>,
    request_id: Option<String>,
}

impl From<Error> for AttemptError {
    fn from(error: Error) -> Self {
        Self {
            status: error.status(),
            request_id: error.request_id().map(str::to_owned),
            error,
        }
    }
}

impl Client {
    /// A builder: every setting unset resolves from the environment, then the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured entirely from the environment (`YUNXIAO_ACCESS_TOKEN`, …).
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::new().build()
    }

    /// A client from resolved settings; fails when they hold no token.
    pub fn from_config(config: ClientConfig) -> Result<Self, Error> {
        let token = config.token.clone().ok_or_else(|| {
            Error::configuration(format!(
                "no access token: pass one or set {}",
                crate::config::ENV_ACCESS_TOKEN
            ))
        })?;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let user_agent = HeaderValue::from_str(config.user_agent())
            .map_err(|_| Error::configuration("the user agent is not a valid header value"))?;
        headers.insert(USER_AGENT, user_agent);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            // Never follow redirects: a POST must not be replayed elsewhere, and the token must
            // not travel to another host.
            .redirect(reqwest::redirect::Policy::none())
            // Retries are this crate's decision alone (see `retry`), whatever features other
            // crates switch on in reqwest.
            .retry(reqwest::retry::never())
            .http1_only()
            .connect_timeout(connect_timeout(&config))
            .tcp_nodelay(true)
            .pool_idle_timeout(policy::POOL_IDLE_TIMEOUT);
        let http = transport::configure(http, &config)?.build().map_err(|e| {
            Error::configuration(format!("cannot build the HTTP client: {}", error_chain(&e)))
        })?;
        let limiter = config.max_rps().map(RateLimiter::new);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                token,
                http,
                limiter,
            }),
        })
    }

    /// The resolved settings.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The exact request [`Client::execute_release_stage`] would send, token masked; sends
    /// nothing.
    pub fn prepare(&self, request: &ExecuteReleaseStageRequest) -> Result<PreparedRequest, Error> {
        endpoint::prepare(&self.inner.config, request)
    }

    /// The exact request `operation` would send, token masked; sends nothing.
    pub fn prepare_operation<O: Operation + ?Sized>(
        &self,
        operation: &O,
    ) -> Result<PreparedRequest, Error> {
        endpoint::prepare_operation(&self.inner.config, operation)
    }

    /// Runs any operation: validates and builds its request, sends it, retries by the
    /// operation's [`crate::Effect`], and reads the answer into its typed result.
    ///
    /// Each attempt has `request_timeout` from connecting to the last byte of the answer; at
    /// most `max_retries` retries follow. A mutating call is sent again only when the server
    /// certainly did not act on it (the connection never opened; a 429; a 503 with
    /// `Retry-After`); a read, and cancel, also after a 5xx, a timeout or a cut connection.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] before anything is sent when an id or parameter is invalid;
    /// otherwise the error of the last attempt — see [`Error::kind`], and
    /// [`Error::may_have_executed`] before repeating a call that changes something.
    ///
    /// # Cancellation
    ///
    /// Dropping the future stops the call. If a mutating request was already sent, it may have
    /// taken effect and no error will say so.
    pub async fn send<O: Operation + ?Sized>(&self, operation: &O) -> Result<O::Output, Error> {
        let prepared = self.prepare_operation(operation)?;
        let call = CallInfo::of::<O>(operation.describe());
        let effect = O::INFO.effect;
        let name = O::INFO.method_name;
        let body = if prepared.body.is_empty() {
            None
        } else {
            Some(bytes::Bytes::from(prepared.body))
        };
        let max_retries = self.inner.config.max_retries();
        let deadline = self.inner.config.deadline().map(|d| Instant::now() + d);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            if let Some(limiter) = &self.inner.limiter {
                if !limiter.acquire(deadline).await {
                    return Err(self.waiting_timeout(&call));
                }
            }
            if attempt == 1 {
                // Before a connection is picked: the previous call's connection is back in the
                // pool, and those the server closed while nothing ran are gone (see `pool`).
                crate::pool::catch_up().await;
            }
            let started = Instant::now();
            let outcome = self
                .attempt(
                    &prepared.url,
                    O::INFO.http_method,
                    body.clone(),
                    &call,
                    O::RESULT_KEYS,
                    deadline,
                )
                .await;
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            let failure = match outcome {
                Ok(answer) => {
                    tracing::debug!(
                        target: "yunxiao_appstack",
                        method = prepared.method,
                        url = %prepared.url,
                        attempt,
                        status = answer.http_status,
                        elapsed_ms,
                        request_id = answer.request_id.as_deref().unwrap_or(""),
                        "{name} attempt succeeded"
                    );
                    // A body that cannot be read is not retried: the server has answered.
                    return operation.parse(answer);
                }
                Err(failure) => failure,
            };
            tracing::debug!(
                target: "yunxiao_appstack",
                method = prepared.method,
                url = %prepared.url,
                attempt,
                status = failure.status.unwrap_or(0),
                elapsed_ms,
                request_id = failure.request_id.as_deref().unwrap_or(""),
                error_kind = failure.error.kind().as_str(),
                may_have_executed = failure.error.may_have_executed(),
                "{name} attempt failed"
            );
            if attempt > max_retries {
                return Err(failure.error);
            }
            match retry::decide(&failure.error, effect, attempt - 1) {
                RetryDecision::GiveUp => return Err(failure.error),
                RetryDecision::RetryAfter(delay) => {
                    tracing::info!(
                        target: "yunxiao_appstack",
                        attempt,
                        delay_ms = delay.as_secs_f64() * 1000.0,
                        reason = retry::reason(&failure.error),
                        "retrying {name}: {}",
                        if effect.retries_after_sending() {
                            "the call is safe to repeat"
                        } else {
                            "the server did not act on the attempt"
                        }
                    );
                    match deadline {
                        Some(deadline) if Instant::now() + delay >= deadline => {
                            tokio::time::sleep_until(deadline).await;
                            return Err(self.waiting_timeout(&call));
                        }
                        _ => tokio::time::sleep(delay).await,
                    }
                }
            }
        }
    }

    /// The error of a call whose deadline passed while it waited to send.
    fn waiting_timeout(&self, call: &Arc<CallInfo>) -> Error {
        Error::Timeout {
            phase: TimeoutPhase::Waiting,
            after: self.inner.config.deadline().unwrap_or_default(),
            deadline: true,
            call: call.clone(),
        }
    }

    /// One attempt: send, read the answer within the deadline and the size cap, and parse it.
    async fn attempt(
        &self,
        url: &url::Url,
        method: HttpMethod,
        body: Option<bytes::Bytes>,
        call: &std::sync::Arc<CallInfo>,
        result_keys: &[&str],
        call_deadline: Option<Instant>,
    ) -> Result<Answer, AttemptError> {
        let config = &self.inner.config;
        let attempt_deadline = Instant::now() + config.request_timeout();
        // The call's deadline cuts the attempt when it comes first; errors then name it.
        let (deadline, timeout, by_deadline) = match call_deadline {
            Some(call_deadline) if call_deadline < attempt_deadline => {
                (call_deadline, config.deadline().unwrap_or_default(), true)
            }
            _ => (attempt_deadline, config.request_timeout(), false),
        };
        let mut token = HeaderValue::from_str(self.inner.token.expose())
            .map_err(|_| Error::configuration("the access token is not a valid header value"))?;
        token.set_sensitive(true);
        let builder = match method {
            HttpMethod::Get => self.inner.http.get(url.clone()),
            HttpMethod::Post => self.inner.http.post(url.clone()),
        };
        let builder = builder.header(TOKEN_HEADER, token);
        let builder = match body {
            Some(body) => builder
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body),
            None => builder,
        };
        let send = builder.send();

        let mut response = match tokio::time::timeout_at(deadline, send).await {
            Err(_) => {
                return Err(Error::Timeout {
                    phase: TimeoutPhase::Response,
                    after: timeout,
                    deadline: by_deadline,
                    call: call.clone(),
                }
                .into());
            }
            Ok(Err(e)) => return Err(classify_send_error(&e, config, call).into()),
            Ok(Ok(response)) => response,
        };

        let status = response.status().as_u16();
        let headers = AnswerHeaders::from_headers(response.headers());
        let success = response.status().is_success();
        let limit = config.max_response_bytes();
        let token = Some(&self.inner.token);
        let with_answer = |error: Error| AttemptError {
            error,
            status: Some(status),
            request_id: headers.request_id.clone(),
        };

        if success
            && response
                .content_length()
                .is_some_and(|len| len > limit as u64)
        {
            return Err(with_answer(Error::ResponseTooLarge {
                status,
                limit,
                request_id: headers.request_id.clone(),
                call: call.clone(),
            }));
        }

        let mut buffer: Vec<u8> = Vec::new();
        loop {
            let chunk = match tokio::time::timeout_at(deadline, response.chunk()).await {
                Ok(Ok(Some(chunk))) => chunk,
                Ok(Ok(None)) => break,
                // For an error status the status is the server's word, whatever the body: keep
                // what arrived and report the status.
                _ if !success => break,
                Err(_) => {
                    return Err(with_answer(Error::Timeout {
                        phase: TimeoutPhase::Body,
                        after: timeout,
                        deadline: by_deadline,
                        call: call.clone(),
                    }));
                }
                Ok(Err(e)) => {
                    return Err(with_answer(Error::ConnectionLost {
                        message: format!("reading the answer (HTTP {status}): {}", error_chain(&e)),
                        call: call.clone(),
                    }));
                }
            };
            if buffer.len() + chunk.len() > limit {
                if success {
                    return Err(with_answer(Error::ResponseTooLarge {
                        status,
                        limit,
                        request_id: headers.request_id.clone(),
                        call: call.clone(),
                    }));
                }
                let room = limit - buffer.len();
                buffer.extend_from_slice(&chunk[..room]);
                break;
            }
            buffer.extend_from_slice(&chunk);
        }

        if success {
            response::read_answer(status, &headers, &buffer, token, call, result_keys)
                .map_err(with_answer)
        } else {
            Err(with_answer(response::parse_api_error(
                status, &headers, &buffer, token, call,
            )))
        }
    }
}

/// The connector's timeout: the configured one, but always a little before the attempt's
/// deadline, so that a connection that never opened is reported as such (nothing sent,
/// retried) rather than as a timeout after sending.
fn connect_timeout(config: &ClientConfig) -> Duration {
    let before_deadline = config
        .request_timeout()
        .saturating_sub(policy::CONNECT_DEADLINE_MARGIN)
        .max(Duration::from_millis(1));
    config.connect_timeout().min(before_deadline)
}

/// Sorts a failure of `send()` by whether the request can have reached the server.
fn classify_send_error(
    error: &reqwest::Error,
    config: &ClientConfig,
    call: &std::sync::Arc<CallInfo>,
) -> Error {
    if error.is_connect() {
        if let Some(problem) = transport::certificate_problem(error) {
            return Error::Certificate {
                problem,
                message: error_chain(error),
                call: call.clone(),
            };
        }
        if error.is_timeout() || chain_has_timeout(error) {
            return Error::Timeout {
                phase: TimeoutPhase::Connect,
                after: connect_timeout(config),
                deadline: false,
                call: call.clone(),
            };
        }
        return Error::Connect {
            message: format!("{}: {}", host_port(config), error_chain(error)),
            call: call.clone(),
        };
    }
    if error.is_timeout() {
        return Error::Timeout {
            phase: TimeoutPhase::Response,
            after: config.request_timeout(),
            deadline: false,
            call: call.clone(),
        };
    }
    Error::ConnectionLost {
        message: error_chain(error),
        call: call.clone(),
    }
}

fn chain_has_timeout(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return true;
            }
        }
        if cause.to_string().to_ascii_lowercase().contains("timed out") {
            return true;
        }
        source = cause.source();
    }
    false
}

/// The error and its causes on one line, without reqwest's `for url (...)` noise.
fn error_chain(error: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        let text = text
            .split(" for url (")
            .next()
            .unwrap_or(&text)
            .trim()
            .to_owned();
        if !is_wrapper(&text) && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(plain(&text));
        }
        source = cause.source();
    }
    if parts.is_empty() {
        parts.push("the connection failed".to_owned());
    }
    one_line(&parts.join(": "), 500)
}

/// The HTTP stack's own layers ("error sending request", "client error (Connect)"): they say
/// where the error passed, not what happened.
fn is_wrapper(text: &str) -> bool {
    text.is_empty()
        || text.starts_with("error sending request")
        || text.starts_with("client error (")
        || text == "tcp connect error"
        || text == "error trying to connect"
}

/// `Connection refused (os error 111)` → `connection refused`: our words, once.
fn plain(text: &str) -> String {
    let text = match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => &text[..at],
        _ => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if chars.clone().next().is_some_and(char::is_lowercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text.to_owned(),
    }
}

/// `host:port` of the base URL, for messages.
fn host_port(config: &ClientConfig) -> String {
    let url = config.base_url();
    let host = url.host_str().unwrap_or("the server");
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}
