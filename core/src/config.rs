//! Client configuration: the builder, the environment, and the resolved settings.
//!
//! Every setting resolves in one order: a value given to the builder, else the environment
//! variable, else the default from [`crate::policy`].

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use url::{Host, Url};

use crate::error::Error;
use crate::policy;
use crate::secret::{AccessToken, Secret};
use crate::validate;

/// Environment variable holding the personal access token.
pub const ENV_ACCESS_TOKEN: &str = "YUNXIAO_ACCESS_TOKEN";
/// Environment variable holding the base URL.
pub const ENV_API_BASE_URL: &str = "YUNXIAO_API_BASE_URL";
/// Environment variable holding the edition: `central` or `region`.
pub const ENV_EDITION: &str = "YUNXIAO_EDITION";
/// Environment variable holding the default organization id.
pub const ENV_ORGANIZATION_ID: &str = "YUNXIAO_ORGANIZATION_ID";
/// Environment variable holding the request timeout, in seconds.
pub const ENV_TIMEOUT: &str = "YUNXIAO_TIMEOUT";
/// Environment variable holding the connect timeout, in seconds.
pub const ENV_CONNECT_TIMEOUT: &str = "YUNXIAO_CONNECT_TIMEOUT";
/// Environment variable holding the number of retries.
pub const ENV_MAX_RETRIES: &str = "YUNXIAO_MAX_RETRIES";
/// Environment variable naming an extra PEM bundle of trusted certificates.
pub const ENV_CA_BUNDLE: &str = "YUNXIAO_CA_BUNDLE";
/// Environment variable holding the total deadline of a call, in seconds.
pub const ENV_DEADLINE: &str = "YUNXIAO_DEADLINE";
/// Environment variable holding the client-wide request-rate cap, in requests per second.
pub const ENV_MAX_RPS: &str = "YUNXIAO_MAX_RPS";

/// The version of this crate, which is the version of every binding.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Which Yunxiao edition the client talks to; it decides the shape of the paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Edition {
    /// The centre edition (中心版) at `openapi-rdc.aliyuncs.com`: paths carry
    /// `organizations/{organizationId}/`.
    #[default]
    Central,
    /// The region edition, on the organization's own domain: paths omit the organization.
    Region,
}

impl Edition {
    /// `central` or `region`, as the environment variable spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Edition::Central => "central",
            Edition::Region => "region",
        }
    }
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Edition {
    type Err = Error;

    /// Accepts exactly `central` and `region`, the spellings the configuration table documents.
    /// Anything else (`centre`, `Region`, a value with white space around it) is refused rather
    /// than guessed at.
    fn from_str(value: &str) -> Result<Self, Error> {
        match value {
            "central" => Ok(Edition::Central),
            "region" => Ok(Edition::Region),
            _ => Err(Error::configuration(format!(
                "unknown edition {:?}: expected \"central\" or \"region\"",
                crate::error::one_line(value, 40)
            ))),
        }
    }
}

/// Where the builder reads environment variables from.
#[derive(Clone, Default)]
enum EnvSource {
    #[default]
    Process,
    Ignore,
    Map(HashMap<String, String>),
}

impl EnvSource {
    /// The value of `name`; an empty value counts as unset, as CI systems often export empties.
    /// A value with white space around it is refused, naming the variable but not the value (it
    /// may be the token): a stray space or newline is a mistake to report, not to trim away.
    fn get(&self, name: &str) -> Result<Option<String>, Error> {
        let value = match self {
            EnvSource::Process => match std::env::var(name) {
                Ok(value) => Some(value),
                Err(std::env::VarError::NotPresent) => None,
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(Error::configuration(format!("{name} is not valid UTF-8")));
                }
            },
            EnvSource::Ignore => None,
            EnvSource::Map(map) => map.get(name).cloned(),
        };
        match value.filter(|v| !v.is_empty()) {
            Some(v) if v.trim() != v => Err(Error::configuration(format!(
                "{name} has white space around its value"
            ))),
            other => Ok(other),
        }
    }
}

/// Builds a [`crate::Client`]; see [`crate::Client::builder`].
#[derive(Clone, Default)]
#[must_use]
pub struct ClientBuilder {
    token: Option<AccessToken>,
    base_url: Option<String>,
    edition: Option<Edition>,
    organization_id: Option<String>,
    request_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_retries: Option<u32>,
    user_agent_suffix: Option<String>,
    max_response_bytes: Option<usize>,
    allow_insecure_http: bool,
    ca_bundle: Option<PathBuf>,
    proxy: Option<Secret>,
    deadline: Option<Duration>,
    max_rps: Option<f64>,
    env: EnvSource,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token", &self.token)
            .field("base_url", &self.base_url)
            .field("edition", &self.edition)
            .field("organization_id", &self.organization_id)
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_retries", &self.max_retries)
            .field("user_agent_suffix", &self.user_agent_suffix)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("ca_bundle", &self.ca_bundle)
            .field("proxy", &self.proxy)
            .field("deadline", &self.deadline)
            .field("max_rps", &self.max_rps)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A builder with nothing set: every setting comes from the environment or the defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The personal access token (`x-yunxiao-token`). Env: `YUNXIAO_ACCESS_TOKEN`.
    pub fn token(mut self, token: impl Into<AccessToken>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The API base URL, optionally with a path prefix. Env: `YUNXIAO_API_BASE_URL`;
    /// default [`policy::DEFAULT_BASE_URL`]. Must be HTTPS unless the host is loopback or
    /// [`ClientBuilder::allow_insecure_http`] is set.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The edition, which decides the path shape. Env: `YUNXIAO_EDITION`; default central.
    pub fn edition(mut self, edition: Edition) -> Self {
        self.edition = Some(edition);
        self
    }

    /// The organization used when a request names none. Env: `YUNXIAO_ORGANIZATION_ID`.
    pub fn organization_id(mut self, organization_id: impl Into<String>) -> Self {
        self.organization_id = Some(organization_id.into());
        self
    }

    /// Time allowed for one attempt, connect to last byte. Env: `YUNXIAO_TIMEOUT` (seconds);
    /// default 60 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Time allowed to open a connection. Env: `YUNXIAO_CONNECT_TIMEOUT` (seconds); default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Retries for failures where the server certainly did not act. Env: `YUNXIAO_MAX_RETRIES`;
    /// default 2; at most [`policy::MAX_RETRIES_LIMIT`].
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = Some(max_retries);
        self
    }

    /// Text added in parentheses to the `User-Agent`, e.g. `python/3.11`. Bindings set theirs.
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Largest answer body read, in bytes; default 8 MiB.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// Allows a plain `http://` base URL on a non-loopback host. Off by default: the token
    /// would cross the network in clear text.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// An extra PEM bundle of trusted certificates (a corporate CA), on top of the system's.
    /// Env: `YUNXIAO_CA_BUNDLE`.
    pub fn ca_bundle(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_bundle = Some(path.into());
        self
    }

    /// The proxy for every request, e.g. `http://user:password@proxy:3128` (credentials kept
    /// as secret as the token). Default: `HTTPS_PROXY` / `ALL_PROXY` from the environment;
    /// `NO_PROXY` is honoured either way. Never used for a plain-http base URL.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(Secret::new(url));
        self
    }

    /// The longest one call may take across all its attempts and waits (backoff,
    /// `Retry-After`, the rate cap). Env: `YUNXIAO_DEADLINE` (seconds); default none, when a
    /// call takes at most `(max_retries + 1) × request_timeout` plus its waits.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// At most this many requests per second from this client (all its clones and calls
    /// together): requests are delayed, never dropped. Env: `YUNXIAO_MAX_RPS`; default none.
    pub fn max_rps(mut self, requests_per_second: f64) -> Self {
        self.max_rps = Some(requests_per_second);
        self
    }

    /// Reads no environment variable: only explicit values and defaults count.
    pub fn ignore_environment(mut self) -> Self {
        self.env = EnvSource::Ignore;
        self
    }

    /// Reads environment variables from `vars` instead of the process environment.
    pub fn environment<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.env = EnvSource::Map(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Resolves every setting without requiring a token, e.g. to describe a request in a dry
    /// run. [`ClientBuilder::build`] resolves and then requires the token.
    pub fn resolve(&self) -> Result<ClientConfig, Error> {
        let env = &self.env;
        let token = match &self.token {
            Some(token) => Some(token.clone()),
            None => env.get(ENV_ACCESS_TOKEN)?.map(AccessToken::new),
        };
        if let Some(token) = &token {
            validate::token(token)
                .map_err(|e| name_source(e, self.token.is_none(), ENV_ACCESS_TOKEN))?;
        }

        let base_url_text = match &self.base_url {
            Some(url) => url.clone(),
            None => env
                .get(ENV_API_BASE_URL)?
                .unwrap_or_else(|| policy::DEFAULT_BASE_URL.to_owned()),
        };
        let base_url = parse_base_url(&base_url_text, self.allow_insecure_http)
            .map_err(|e| name_source(e, self.base_url.is_none(), ENV_API_BASE_URL))?;

        let edition = match self.edition {
            Some(edition) => edition,
            None => match env.get(ENV_EDITION)? {
                Some(text) => text
                    .parse()
                    .map_err(|e| name_source(e, true, ENV_EDITION))?,
                None => Edition::default(),
            },
        };

        let organization_id = match &self.organization_id {
            Some(id) => Some(id.clone()),
            None => env.get(ENV_ORGANIZATION_ID)?,
        };
        if let Some(id) = &organization_id {
            validate::path_value("organization_id", id).map_err(|e| {
                name_source(
                    to_config(e),
                    self.organization_id.is_none(),
                    ENV_ORGANIZATION_ID,
                )
            })?;
        }

        let request_timeout = resolve_duration(
            self.request_timeout,
            env,
            ENV_TIMEOUT,
            "request_timeout",
            policy::DEFAULT_REQUEST_TIMEOUT,
        )?;
        let connect_timeout = resolve_duration(
            self.connect_timeout,
            env,
            ENV_CONNECT_TIMEOUT,
            "connect_timeout",
            policy::DEFAULT_CONNECT_TIMEOUT,
        )?;

        let max_retries = match self.max_retries {
            Some(n) => n,
            None => match env.get(ENV_MAX_RETRIES)? {
                Some(text) => text.parse::<u32>().map_err(|_| {
                    Error::configuration(format!(
                        "{ENV_MAX_RETRIES} must be a whole number from 0 to {}, got {:?}",
                        policy::MAX_RETRIES_LIMIT,
                        crate::error::one_line(&text, 40)
                    ))
                })?,
                None => policy::DEFAULT_MAX_RETRIES,
            },
        };
        if max_retries > policy::MAX_RETRIES_LIMIT {
            let source = if self.max_retries.is_some() {
                "max_retries"
            } else {
                ENV_MAX_RETRIES
            };
            return Err(Error::configuration(format!(
                "{source} must be at most {}, got {max_retries}",
                policy::MAX_RETRIES_LIMIT
            )));
        }

        let suffix = self.user_agent_suffix.as_deref().unwrap_or("rust");
        if suffix.is_empty() || !suffix.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(Error::configuration(
                "user_agent_suffix must be non-empty printable ASCII",
            ));
        }
        let user_agent = format!("yunxiao-appstack/{VERSION} ({suffix})");

        let max_response_bytes = self
            .max_response_bytes
            .unwrap_or(policy::DEFAULT_MAX_RESPONSE_BYTES);
        if max_response_bytes == 0 {
            return Err(Error::configuration("max_response_bytes must be above 0"));
        }

        let ca_bundle = match &self.ca_bundle {
            Some(path) => Some(path.clone()),
            None => env.get(ENV_CA_BUNDLE)?.map(PathBuf::from),
        };
        if let Some(path) = &ca_bundle {
            if !path.is_file() {
                let source = if self.ca_bundle.is_some() {
                    "ca_bundle"
                } else {
                    ENV_CA_BUNDLE
                };
                return Err(Error::configuration(format!(
                    "{source}: {} is not a readable file",
                    path.display()
                )));
            }
        }

        if let Some(proxy) = &self.proxy {
            let url = Url::parse(proxy.expose().trim()).map_err(|_| {
                Error::configuration("proxy must be a URL such as http://proxy:3128")
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(Error::configuration(
                    "proxy must be an http:// or https:// URL",
                ));
            }
        }

        let deadline = match (self.deadline, env.get(ENV_DEADLINE)?) {
            (None, None) => None,
            (explicit, _) => Some(resolve_duration(
                explicit,
                env,
                ENV_DEADLINE,
                "deadline",
                policy::DEFAULT_REQUEST_TIMEOUT,
            )?),
        };

        let max_rps = match self.max_rps {
            Some(rps) => Some((rps, "max_rps")),
            None => match env.get(ENV_MAX_RPS)? {
                Some(text) => Some((text.trim().parse::<f64>().map_err(|_| {
                    Error::configuration(format!(
                        "{ENV_MAX_RPS} must be a number of requests per second above 0, got {:?}",
                        crate::error::one_line(&text, 40)
                    ))
                })?, ENV_MAX_RPS)),
                None => None,
            },
        };
        if let Some((rps, source)) = max_rps {
            if !rps.is_finite() || rps <= 0.0 || rps > policy::MAX_RPS_LIMIT {
                return Err(Error::configuration(format!(
                    "{source} must be above 0 and at most {}, got {rps}",
                    policy::MAX_RPS_LIMIT
                )));
            }
        }

        Ok(ClientConfig {
            token,
            base_url,
            edition,
            organization_id,
            request_timeout,
            connect_timeout,
            max_retries,
            user_agent,
            max_response_bytes,
            ca_bundle,
            proxy: self.proxy.clone(),
            env_proxy: first_env(
                env,
                &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"],
            )?
            .map(Secret::new),
            no_proxy: first_env(env, &["NO_PROXY", "no_proxy"])?,
            deadline,
            max_rps: max_rps.map(|(rps, _)| rps),
        })
    }

    /// Builds the client. Fails with [`Error::Configuration`] when no token is given or set in
    /// `YUNXIAO_ACCESS_TOKEN`, or when any setting is invalid.
    pub fn build(&self) -> Result<crate::Client, Error> {
        crate::Client::from_config(self.resolve()?)
    }
}

/// Settings after resolution, shared by every clone of a client. `Debug` masks the token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    pub(crate) token: Option<AccessToken>,
    base_url: Url,
    edition: Edition,
    organization_id: Option<String>,
    request_timeout: Duration,
    connect_timeout: Duration,
    max_retries: u32,
    user_agent: String,
    max_response_bytes: usize,
    ca_bundle: Option<PathBuf>,
    proxy: Option<Secret>,
    env_proxy: Option<Secret>,
    no_proxy: Option<String>,
    deadline: Option<Duration>,
    max_rps: Option<f64>,
}

impl ClientConfig {
    /// The proxy requests go through: the explicit one, else `HTTPS_PROXY` / `ALL_PROXY` of the
    /// builder's environment.
    pub fn effective_proxy(&self) -> Option<&Secret> {
        self.proxy.as_ref().or(self.env_proxy.as_ref())
    }

    /// `NO_PROXY` of the builder's environment: hosts that bypass the proxy.
    pub fn no_proxy(&self) -> Option<&str> {
        self.no_proxy.as_deref()
    }

    /// The extra PEM bundle of trusted certificates, if any.
    pub fn ca_bundle(&self) -> Option<&std::path::Path> {
        self.ca_bundle.as_deref()
    }

    /// The explicit proxy, if any (its value is a secret).
    pub fn proxy(&self) -> Option<&Secret> {
        self.proxy.as_ref()
    }

    /// The total deadline of one call, if any.
    pub fn deadline(&self) -> Option<Duration> {
        self.deadline
    }

    /// The client-wide request-rate cap, if any.
    pub fn max_rps(&self) -> Option<f64> {
        self.max_rps
    }

    /// Whether a token is set.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// The base URL, as validated.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The edition.
    pub fn edition(&self) -> Edition {
        self.edition
    }

    /// The default organization id, if any.
    pub fn organization_id(&self) -> Option<&str> {
        self.organization_id.as_deref()
    }

    /// Time allowed for one attempt.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// Time allowed to open a connection.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// Retries after the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The `User-Agent` header sent.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// Largest answer body read, in bytes.
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }
}

/// The first of `names` set (non-empty) in `env`.
fn first_env(env: &EnvSource, names: &[&str]) -> Result<Option<String>, Error> {
    for name in names {
        if let Some(value) = env.get(name)? {
            return Ok(Some(value));
        }
    }
    Ok(None)
}

fn to_config(error: Error) -> Error {
    match error {
        Error::InvalidRequest { message } => Error::Configuration { message },
        other => other,
    }
}

/// Prefixes a configuration error with the environment variable it came from.
fn name_source(error: Error, from_env: bool, variable: &str) -> Error {
    match error {
        Error::Configuration { message } if from_env => Error::Configuration {
            message: format!("{variable}: {message}"),
        },
        other => other,
    }
}

fn resolve_duration(
    explicit: Option<Duration>,
    env: &EnvSource,
    variable: &str,
    option: &str,
    default: Duration,
) -> Result<Duration, Error> {
    const MAX: Duration = policy::MAX_TIMEOUT;
    let (value, source) = match explicit {
        Some(value) => (value, option),
        None => match env.get(variable)? {
            Some(text) => {
                let secs = text.parse::<f64>().ok();
                let value = secs.and_then(|s| Duration::try_from_secs_f64(s).ok());
                match value {
                    Some(value) => (value, variable),
                    None => {
                        return Err(Error::configuration(format!(
                            "{variable} must be a number of seconds above 0, got {:?}",
                            crate::error::one_line(&text, 40)
                        )));
                    }
                }
            }
            None => return Ok(default),
        },
    };
    if value.is_zero() || value > MAX {
        return Err(Error::configuration(format!(
            "{source} must be above 0 and at most 24 hours, got {} s",
            value.as_secs_f64()
        )));
    }
    Ok(value)
}

/// Parses and checks a base URL: http(s), a host, no credentials, query or fragment, and HTTPS
/// unless the host is loopback or plain HTTP is allowed explicitly.
fn parse_base_url(text: &str, allow_insecure_http: bool) -> Result<Url, Error> {
    let shown = crate::error::one_line(text, 120);
    if text.trim() != text {
        return Err(Error::configuration(format!(
            "base URL {shown:?} has white space around it"
        )));
    }
    let url = Url::parse(text)
        .map_err(|e| Error::configuration(format!("invalid base URL {shown:?}: {e}")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(Error::configuration(format!(
            "base URL {shown:?} must use https"
        )));
    }
    let Some(host) = url.host() else {
        return Err(Error::configuration(format!(
            "base URL {shown:?} has no host"
        )));
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::configuration(
            "base URL must not carry a user name or password",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::configuration(format!(
            "base URL {shown:?} must not have a query or fragment"
        )));
    }
    if url.scheme() == "http" && !allow_insecure_http && !is_loopback(&host) {
        return Err(Error::configuration(format!(
            "base URL {shown:?} uses plain http on a non-loopback host; use https, or allow_insecure_http to send the token in clear text"
        )));
    }
    Ok(url)
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        // Only `localhost` itself: `*.localhost` may be resolved through DNS to anywhere.
        Host::Domain(name) => name.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> ClientBuilder {
        ClientBuilder::new().environment([(ENV_ACCESS_TOKEN, "pt-test-token")])
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let config = builder().resolve().expect("defaults are valid");
        assert_eq!(
            config.base_url().as_str(),
            "https://openapi-rdc.aliyuncs.com/"
        );
        assert_eq!(config.edition(), Edition::Central);
        assert_eq!(config.request_timeout(), Duration::from_secs(60));
        assert_eq!(config.connect_timeout(), Duration::from_secs(10));
        assert_eq!(config.max_retries(), 2);
        assert_eq!(config.max_response_bytes(), 8 * 1024 * 1024);
        assert_eq!(
            config.user_agent(),
            format!("yunxiao-appstack/{VERSION} (rust)")
        );
    }

    #[test]
    fn explicit_beats_environment_beats_default() {
        let b = ClientBuilder::new().environment([
            (ENV_ACCESS_TOKEN, "pt-env-token"),
            (ENV_MAX_RETRIES, "5"),
            (ENV_TIMEOUT, "2.5"),
            (ENV_EDITION, "region"),
        ]);
        let config = b.resolve().expect("valid");
        assert_eq!(config.max_retries(), 5);
        assert_eq!(config.request_timeout(), Duration::from_millis(2500));
        assert_eq!(config.edition(), Edition::Region);
        let config = b
            .max_retries(1)
            .edition(Edition::Central)
            .resolve()
            .expect("valid");
        assert_eq!(config.max_retries(), 1);
        assert_eq!(config.edition(), Edition::Central);
    }

    #[test]
    fn bad_environment_values_name_the_variable() {
        for (var, value) in [
            (ENV_MAX_RETRIES, "many"),
            (ENV_MAX_RETRIES, "11"),
            (ENV_TIMEOUT, "-1"),
            (ENV_TIMEOUT, "0"),
            (ENV_TIMEOUT, "NaN"),
            (ENV_EDITION, "moon"),
            (ENV_EDITION, "centre"),
            (ENV_EDITION, "center"),
            (ENV_EDITION, "Region"),
            (ENV_EDITION, "region "),
            (ENV_API_BASE_URL, "http://127.0.0.1:1 "),
            (ENV_API_BASE_URL, " http://127.0.0.1:1"),
            (ENV_TIMEOUT, " 5"),
            (ENV_MAX_RETRIES, "1\n"),
            (ENV_ACCESS_TOKEN, "pt-test-token "),
            (ENV_API_BASE_URL, "ftp://example.com"),
            (ENV_API_BASE_URL, "http://example.com"),
            (ENV_ORGANIZATION_ID, "org\nid"),
        ] {
            let err = builder()
                .environment([(ENV_ACCESS_TOKEN, "pt-test-token"), (var, value)])
                .resolve()
                .expect_err(value);
            assert!(matches!(err, Error::Configuration { .. }), "{err:?}");
            assert!(err.to_string().contains(var), "{var}: {err}");
        }
    }

    #[test]
    fn only_the_documented_spellings_are_accepted() {
        assert_eq!("central".parse::<Edition>().ok(), Some(Edition::Central));
        assert_eq!("region".parse::<Edition>().ok(), Some(Edition::Region));
        for bad in [
            "centre",
            "center",
            "Central",
            "REGION",
            " region",
            "central\n",
            "",
        ] {
            let err = bad.parse::<Edition>().expect_err(bad);
            assert!(
                matches!(err, Error::Configuration { .. }),
                "{bad:?}: {err:?}"
            );
        }
        for bad in [
            "http://127.0.0.1:1/ ",
            " http://127.0.0.1:1",
            "http://127.0.0.1:1\n",
        ] {
            let err = builder().base_url(bad).resolve().expect_err(bad);
            assert!(err.to_string().contains("white space"), "{bad:?}: {err}");
        }
        // The token's value is never echoed, even in this message.
        let err = ClientBuilder::new()
            .environment([(ENV_ACCESS_TOKEN, " pt-secret-token")])
            .resolve()
            .expect_err("padded token");
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn plain_http_only_on_loopback_or_when_allowed() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1/prefix",
            "http://[::1]:9",
        ] {
            builder().base_url(ok).resolve().expect(ok);
        }
        builder()
            .base_url("http://example.com")
            .resolve()
            .expect_err("insecure");
        builder()
            .base_url("http://example.com")
            .allow_insecure_http(true)
            .resolve()
            .expect("explicitly allowed");
        builder()
            .base_url("https://u:p@example.com")
            .resolve()
            .expect_err("credentials");
        builder()
            .base_url("https://example.com/?q=1")
            .resolve()
            .expect_err("query");
    }

    #[test]
    fn tokens_with_control_characters_are_refused() {
        for bad in ["pt-a\r\nX-Evil: 1", "pt\0x", "pt x", "令牌"] {
            let err = ClientBuilder::new()
                .ignore_environment()
                .token(bad)
                .resolve()
                .expect_err(bad);
            assert!(matches!(err, Error::Configuration { .. }));
            assert!(!err.to_string().contains(bad));
        }
    }

    #[test]
    fn debug_masks_the_token() {
        let b = ClientBuilder::new().token("pt-very-secret");
        assert!(!format!("{b:?}").contains("very-secret"));
        let config = b.resolve().expect("valid");
        assert!(!format!("{config:?}").contains("very-secret"));
    }
}
