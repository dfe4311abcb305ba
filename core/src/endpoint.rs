//! The exact HTTP request of a call: URL from the operation's path template, headers, body.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use crate::config::{ClientConfig, Edition};
use crate::error::Error;
use crate::operation::Operation;
use crate::request::ExecuteReleaseStageRequest;
use crate::secret::MASK;
use crate::validate;

/// Everything but RFC 3986's unreserved characters is encoded in a path segment, so `/`, `%`,
/// `?`, `#`, `:` and spaces in an app name stay inside their segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The request a call sends, fully built; `Display` shows it with the token masked (what the
/// CLI's `--dry-run` prints).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PreparedRequest {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The full URL, path segments percent-encoded, query included.
    pub url: Url,
    /// Header names and values, the token replaced by `****`.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body; empty for calls that send none.
    pub body: String,
}

impl fmt::Display for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}", self.method, self.url)?;
        for (name, value) in &self.headers {
            writeln!(f, "{name}: {value}")?;
        }
        writeln!(f)?;
        f.write_str(&self.body)
    }
}

/// Builds the request of an execute call: checks every id, resolves the organization, encodes
/// the path.
pub fn prepare(
    config: &ClientConfig,
    request: &ExecuteReleaseStageRequest,
) -> Result<PreparedRequest, Error> {
    prepare_operation(config, request)
}

/// Builds the request of any call: checks every id, resolves the organization, encodes the
/// path and the query, serializes the body. Sends nothing.
pub fn prepare_operation<O: Operation + ?Sized>(
    config: &ClientConfig,
    operation: &O,
) -> Result<PreparedRequest, Error> {
    // Validates the ids and the body first: a bad request costs no network call.
    let body = operation.body()?;
    let url = operation_url(config, operation)?;
    let body = match body {
        Some(body) => serde_json::to_string(&body)
            .map_err(|e| Error::invalid_request(format!("the body cannot be serialized: {e}")))?,
        None => String::new(),
    };
    let token = if config.has_token() {
        MASK.to_owned()
    } else {
        "<not set>".to_owned()
    };
    let mut headers = vec![("x-yunxiao-token", token)];
    if !body.is_empty() {
        headers.push(("content-type", "application/json".to_owned()));
    }
    headers.push(("accept", "application/json".to_owned()));
    headers.push(("user-agent", config.user_agent().to_owned()));
    Ok(PreparedRequest {
        method: O::INFO.http_method.as_str(),
        url,
        headers,
        body,
    })
}

/// The URL of `operation` under the client's base URL and edition, from the operation's path
/// template.
fn operation_url<O: Operation + ?Sized>(
    config: &ClientConfig,
    operation: &O,
) -> Result<Url, Error> {
    let app = operation.app();
    validate::path_value("app_name", &app.app_name)?;
    if let Some(org) = &app.organization_id {
        validate::path_value("organization_id", org)?;
    }
    let mut path = config.base_url().path().trim_end_matches('/').to_owned();
    path.push_str("/oapi/v1/appstack");
    if config.edition() == Edition::Central {
        // Both candidates are checked already: the request's just above, the client's when its
        // settings were resolved.
        let organization_id = app
            .organization_id
            .as_deref()
            .or(config.organization_id())
            .ok_or_else(|| {
                Error::invalid_request(
                    "organization_id is required by the central edition: give it on the request, the client, or in YUNXIAO_ORGANIZATION_ID",
                )
            })?;
        path.push_str("/organizations/");
        path.extend(utf8_percent_encode(organization_id, SEGMENT));
    }
    for segment in O::INFO.path.split('/').filter(|s| !s.is_empty()) {
        path.push('/');
        // A segment is a literal, or `{name}` followed by an optional literal `:verb`.
        let Some(rest) = segment.strip_prefix('{') else {
            path.push_str(segment);
            continue;
        };
        let (name, suffix) = rest
            .split_once('}')
            .expect("catalog path templates close every placeholder (checked by a test)");
        let value = if name == "appName" {
            app.app_name.clone()
        } else {
            let value = operation.path_value(name).ok_or_else(|| {
                Error::invalid_request(format!("{} is required", snake_case(name)))
            })?;
            validate::path_value(&snake_case(name), &value)?;
            value
        };
        path.extend(utf8_percent_encode(&value, SEGMENT));
        // The method suffix is literal: `:` must not be encoded.
        path.push_str(suffix);
    }

    let mut url = config.base_url().clone();
    url.set_path(&path);
    url.set_query(None);
    let query = operation.query()?;
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (name, value) in &query {
            pairs.append_pair(name, value);
        }
    }
    Ok(url)
}

/// `releaseWorkflowSn` → `release_workflow_sn`: the field names messages use.
pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for ch in name.chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientBuilder;

    fn config(base: &str, edition: Edition) -> ClientConfig {
        ClientBuilder::new()
            .ignore_environment()
            .token("pt-test-token")
            .base_url(base)
            .edition(edition)
            .organization_id("org")
            .resolve()
            .expect("valid")
    }

    #[test]
    fn segments_are_encoded_and_the_suffix_is_literal() {
        let request = ExecuteReleaseStageRequest::new("a/b c", "w?#", "100%应");
        let url = operation_url(&config("https://h", Edition::Central), &request).expect("url");
        assert_eq!(
            url.as_str(),
            "https://h/oapi/v1/appstack/organizations/org/apps/a%2Fb%20c/releaseWorkflows/w%3F%23/releaseStages/100%25%E5%BA%94:execute"
        );
    }

    #[test]
    fn region_paths_omit_the_organization_and_prefixes_are_kept() {
        let request = ExecuteReleaseStageRequest::new("app", "wf", "st");
        let url =
            operation_url(&config("https://h/gw/v2/", Edition::Region), &request).expect("url");
        assert_eq!(
            url.as_str(),
            "https://h/gw/v2/oapi/v1/appstack/apps/app/releaseWorkflows/wf/releaseStages/st:execute"
        );
    }

    #[test]
    fn central_needs_an_organization() {
        let config = ClientBuilder::new()
            .ignore_environment()
            .token("pt-test-token")
            .resolve()
            .expect("valid");
        let err =
            prepare(&config, &ExecuteReleaseStageRequest::new("a", "b", "c")).expect_err("no org");
        assert!(matches!(err, Error::InvalidRequest { .. }));
    }
}
