//! The exact HTTP request for an execute call: URL, headers and body.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

use crate::config::{ClientConfig, Edition};
use crate::error::Error;
use crate::request::ExecuteReleaseStageRequest;
use crate::secret::MASK;

/// Everything but RFC 3986's unreserved characters is encoded in a path segment, so `/`, `%`,
/// `?`, `#`, `:` and spaces in an app name stay inside their segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The request an execute call sends, fully built; `Display` shows it with the token masked
/// (what the CLI's `--dry-run` prints).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PreparedRequest {
    /// Always `POST`.
    pub method: &'static str,
    /// The full URL, path segments percent-encoded.
    pub url: Url,
    /// Header names and values, the token replaced by `****`.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
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

/// Builds the request: checks every id, resolves the organization, encodes the path.
pub fn prepare(
    config: &ClientConfig,
    request: &ExecuteReleaseStageRequest,
) -> Result<PreparedRequest, Error> {
    // Validates the ids and params first: a bad request costs no network call.
    let body = request.body()?;
    let url = execute_url(config, request)?;
    let body = serde_json::to_string(&body)
        .map_err(|e| Error::invalid_request(format!("params cannot be serialized: {e}")))?;
    let token = if config.has_token() {
        MASK.to_owned()
    } else {
        "<not set>".to_owned()
    };
    Ok(PreparedRequest {
        method: "POST",
        url,
        headers: vec![
            ("x-yunxiao-token", token),
            ("content-type", "application/json".to_owned()),
            ("accept", "application/json".to_owned()),
            ("user-agent", config.user_agent().to_owned()),
        ],
        body,
    })
}

/// The execute URL for `request` under the client's base URL and edition.
fn execute_url(config: &ClientConfig, request: &ExecuteReleaseStageRequest) -> Result<Url, Error> {
    let mut path = config.base_url().path().trim_end_matches('/').to_owned();
    path.push_str("/oapi/v1/appstack/");
    if config.edition() == Edition::Central {
        // Both candidates are checked already: the request's by `body()`, the client's when
        // its settings were resolved.
        let organization_id = request
            .get_organization_id()
            .or(config.organization_id())
            .ok_or_else(|| {
                Error::invalid_request(
                    "organization_id is required by the central edition: give it on the request, the client, or in YUNXIAO_ORGANIZATION_ID",
                )
            })?;
        push_segments(&mut path, &["organizations", organization_id]);
    }
    push_segments(
        &mut path,
        &[
            "apps",
            request.app_name(),
            "releaseWorkflows",
            request.release_workflow_sn(),
            "releaseStages",
            request.release_stage_sn(),
        ],
    );
    // The method suffix is literal: `:` must not be encoded here.
    path.pop();
    path.push_str(":execute");

    let mut url = config.base_url().clone();
    url.set_path(&path);
    Ok(url)
}

fn push_segments(path: &mut String, segments: &[&str]) {
    for segment in segments {
        path.extend(utf8_percent_encode(segment, SEGMENT));
        path.push('/');
    }
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
        let url = execute_url(&config("https://h", Edition::Central), &request).expect("url");
        assert_eq!(
            url.as_str(),
            "https://h/oapi/v1/appstack/organizations/org/apps/a%2Fb%20c/releaseWorkflows/w%3F%23/releaseStages/100%25%E5%BA%94:execute"
        );
    }

    #[test]
    fn region_paths_omit_the_organization_and_prefixes_are_kept() {
        let request = ExecuteReleaseStageRequest::new("app", "wf", "st");
        let url = execute_url(&config("https://h/gw/v2/", Edition::Region), &request).expect("url");
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
