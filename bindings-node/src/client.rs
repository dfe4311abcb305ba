//! The native client: a core [`yunxiao_appstack::Client`] built from the wrapper's options,
//! whose calls run on the addon's tokio runtime ([`crate::runtime`]) so the JavaScript event
//! loop never waits on the network.

use std::collections::HashMap;
use std::time::Duration;

use napi::Env;
use napi::bindgen_prelude::{Either, PromiseRaw};
use napi_derive::napi;
use yunxiao_appstack::{Client, ClientBuilder, Edition, Error};

use crate::abort::AbortHandle;
use crate::completions;
use crate::outcome::{NativeError, Outcome};
use crate::request::NativeRequest;

/// Client settings as the wrapper hands them over. Every setting left out resolves in the core:
/// from the environment, then from the core's defaults.
#[napi(object)]
pub struct ClientOptions {
    /// The personal access token.
    pub token: Option<String>,
    /// The OpenAPI base URL.
    pub base_url: Option<String>,
    /// `central` or `region`, parsed by the core.
    pub edition: Option<String>,
    /// The default organization id.
    pub organization_id: Option<String>,
    /// Time allowed for one attempt, in milliseconds.
    pub timeout_ms: Option<f64>,
    /// Time allowed to open a connection, in milliseconds.
    pub connect_timeout_ms: Option<f64>,
    /// Retries after the first attempt (only where the server certainly did not act).
    pub max_retries: Option<f64>,
    /// Largest answer body read, in bytes.
    pub max_response_bytes: Option<f64>,
    /// Allow plain `http://` to a host other than loopback.
    pub allow_insecure_http: Option<bool>,
    /// A PEM file of extra CA certificates to trust.
    pub ca_bundle: Option<String>,
    /// The proxy URL (a secret: it may hold a password).
    pub proxy: Option<String>,
    /// The longest a whole call may take, retries included, in milliseconds.
    pub deadline_ms: Option<f64>,
    /// The most requests per second this client sends.
    pub max_rps: Option<f64>,
    /// The `User-Agent` suffix, e.g. `node/20.11.1`.
    pub user_agent_suffix: String,
    /// The environment to resolve unset settings from (the wrapper passes `process.env`).
    /// `None` reads the process environment directly.
    pub env: Option<HashMap<String, String>>,
}

/// Milliseconds from JavaScript as a duration. A negative or out-of-range value becomes zero,
/// which the core refuses with its own message; the wrapper has already refused `NaN` and
/// infinities as a wrong type.
fn millis(ms: f64) -> Duration {
    Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::ZERO)
}

/// A count from JavaScript (a non-negative integer, checked by the wrapper) as a `u32`. Rust's
/// float-to-int `as` saturates, so a count past `u32::MAX` stays too large and the core refuses it
/// with its own message, instead of wrapping round to a small, valid-looking number.
fn count_u32(value: f64) -> u32 {
    value as u32
}

/// A byte count from JavaScript as a `usize`, saturating like [`count_u32`].
fn count_usize(value: f64) -> usize {
    value as usize
}

impl ClientOptions {
    /// The core builder for these options.
    fn builder(self) -> Result<ClientBuilder, Error> {
        let mut builder = Client::builder().user_agent_suffix(self.user_agent_suffix);
        if let Some(env) = self.env {
            builder = builder.environment(env);
        }
        if let Some(token) = self.token {
            builder = builder.token(token);
        }
        if let Some(base_url) = self.base_url {
            builder = builder.base_url(base_url);
        }
        if let Some(edition) = self.edition {
            builder = builder.edition(edition.parse::<Edition>()?);
        }
        if let Some(organization_id) = self.organization_id {
            builder = builder.organization_id(organization_id);
        }
        if let Some(ms) = self.timeout_ms {
            builder = builder.request_timeout(millis(ms));
        }
        if let Some(ms) = self.connect_timeout_ms {
            builder = builder.connect_timeout(millis(ms));
        }
        if let Some(retries) = self.max_retries {
            builder = builder.max_retries(count_u32(retries));
        }
        if let Some(bytes) = self.max_response_bytes {
            builder = builder.max_response_bytes(count_usize(bytes));
        }
        if let Some(allow) = self.allow_insecure_http {
            builder = builder.allow_insecure_http(allow);
        }
        if let Some(path) = self.ca_bundle {
            builder = builder.ca_bundle(path);
        }
        if let Some(proxy) = self.proxy {
            builder = builder.proxy(proxy);
        }
        if let Some(ms) = self.deadline_ms {
            builder = builder.deadline(millis(ms));
        }
        if let Some(rps) = self.max_rps {
            builder = builder.max_rps(rps);
        }
        Ok(builder)
    }
}

/// The resolved, non-secret settings of a client, for display and inspection.
#[napi(object, object_from_js = false)]
pub struct ResolvedConfig {
    /// The base URL, as validated.
    pub base_url: String,
    /// `central` or `region`.
    pub edition: String,
    /// The default organization id, if any.
    pub organization_id: Option<String>,
    /// Time allowed for one attempt, in milliseconds.
    pub timeout_ms: f64,
    /// Time allowed to open a connection, in milliseconds.
    pub connect_timeout_ms: f64,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The `User-Agent` header sent.
    pub user_agent: String,
    /// Largest answer body read, in bytes.
    pub max_response_bytes: f64,
    /// The CA bundle trusted besides the system's, if any.
    pub ca_bundle: Option<String>,
    /// Whether a proxy is set (its URL is a secret and is never shown).
    pub proxy: bool,
    /// The longest a whole call may take, in milliseconds, if limited.
    pub deadline_ms: Option<f64>,
    /// The most requests per second, if limited.
    pub max_rps: Option<f64>,
}

/// A core client owned by a JavaScript `Client`. Holds no JavaScript handles, so it never keeps
/// the process alive; the token lives only inside the core, which never shows it.
#[napi]
pub struct NativeClient {
    pub(crate) client: Client,
}

/// Builds a client, or describes why the core refused the options (as a `configuration`
/// error record, never a thrown exception, so the wrapper can build its error class).
#[napi(ts_return_type = "NativeClient | NativeError")]
pub fn create_client(options: ClientOptions) -> Either<NativeClient, NativeError> {
    match options.builder().and_then(|builder| builder.build()) {
        Ok(client) => Either::A(NativeClient { client }),
        Err(error) => Either::B(NativeError::from(&error)),
    }
}

#[napi]
impl NativeClient {
    /// The resolved settings, token excluded.
    #[napi]
    pub fn config(&self) -> ResolvedConfig {
        let config = self.client.config();
        #[allow(clippy::cast_precision_loss)] // Byte caps are far below 2^53.
        let max_response_bytes = config.max_response_bytes() as f64;
        ResolvedConfig {
            base_url: config.base_url().to_string(),
            edition: config.edition().as_str().to_owned(),
            organization_id: config.organization_id().map(str::to_owned),
            timeout_ms: config.request_timeout().as_secs_f64() * 1000.0,
            connect_timeout_ms: config.connect_timeout().as_secs_f64() * 1000.0,
            max_retries: config.max_retries(),
            user_agent: config.user_agent().to_owned(),
            max_response_bytes,
            ca_bundle: config.ca_bundle().map(|p| p.display().to_string()),
            proxy: config.proxy().is_some(),
            deadline_ms: config.deadline().map(|d| d.as_secs_f64() * 1000.0),
            max_rps: config.max_rps(),
        }
    }

    /// Starts one run of a release stage on the addon's tokio runtime. The promise always resolves,
    /// with an [`Outcome`]: the wrapper turns error records into rejections with the right
    /// class. Firing `abort` drops the core future, which closes the connection.
    #[napi(ts_return_type = "Promise<Outcome>")]
    pub fn execute<'env>(
        &self,
        env: &'env Env,
        request: NativeRequest,
        abort: Option<&AbortHandle>,
    ) -> napi::Result<PromiseRaw<'env, Outcome>> {
        let client = self.client.clone();
        let aborted = abort.map(AbortHandle::subscribe);
        completions::spawn(env, async move {
            let request = match request.into_core() {
                Ok(request) => request,
                Err(error) => return Outcome::failed(&error),
            };
            let call = client.execute_release_stage(&request);
            match aborted {
                None => Outcome::finished(call.await),
                Some(aborted) => tokio::select! {
                    // Prefer a result that is already there over a late abort.
                    biased;
                    result = call => Outcome::finished(result),
                    () = aborted.fired() => Outcome::aborted(),
                },
            }
        })
    }
}
