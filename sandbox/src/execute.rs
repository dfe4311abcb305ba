//! The ExecuteChangeRequestReleaseStage route: path matching, the documented checks, and the
//! success answer.

use std::borrow::Cow;

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, Method, StatusCode};
use percent_encoding::percent_decode_str;
use serde::Serialize;
use serde_json::Value;

use crate::fixture::Missing;
use crate::recording::TokenStatus;
use crate::responses::{self, Ids, SandboxResponse};
use crate::state::Sandbox;

/// The literal suffix of the last path segment.
const EXECUTE_SUFFIX: &str = ":execute";

/// The raw (still percent-encoded) names of an execute path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawTarget<'a> {
    /// `None` for region-edition paths (no `organizations/{org}` part).
    pub org: Option<&'a str>,
    pub app: &'a str,
    pub workflow: &'a str,
    pub stage: &'a str,
}

/// Recognizes `…/oapi/v1/appstack/[organizations/{org}/]apps/{app}/releaseWorkflows/{wf}/
/// releaseStages/{stage}:execute` in a raw path; any prefix before `oapi` is allowed.
pub(crate) fn parse_path(path: &str) -> Option<RawTarget<'_>> {
    let segments: Vec<&str> = path.split('/').collect();
    let last = *segments.last()?;
    if !last.ends_with(EXECUTE_SUFFIX) {
        return None;
    }
    (0..segments.len()).find_map(|start| match_from(&segments[start..]))
}

fn match_from<'a>(segments: &[&'a str]) -> Option<RawTarget<'a>> {
    match segments {
        [
            "oapi",
            "v1",
            "appstack",
            "organizations",
            org,
            "apps",
            app,
            "releaseWorkflows",
            workflow,
            "releaseStages",
            stage,
        ] => Some(RawTarget {
            org: Some(org),
            app,
            workflow,
            stage: stage.strip_suffix(EXECUTE_SUFFIX)?,
        }),
        [
            "oapi",
            "v1",
            "appstack",
            "apps",
            app,
            "releaseWorkflows",
            workflow,
            "releaseStages",
            stage,
        ] => Some(RawTarget {
            org: None,
            app,
            workflow,
            stage: stage.strip_suffix(EXECUTE_SUFFIX)?,
        }),
        _ => None,
    }
}

/// Percent-decodes one raw path segment as UTF-8 (`+` stays `+`).
fn decode(raw: &str) -> Result<Cow<'_, str>, String> {
    percent_decode_str(raw).decode_utf8().map_err(|_| {
        format!("path segment {raw:?} is not valid UTF-8 once percent-decoded, so it names nothing")
    })
}

/// The success answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Executed {
    object: u64,
    pipeline_id: u64,
    pipeline_run_id: u64,
}

/// Checks step 4 of the contract: an empty body is fine; otherwise `application/json`, a JSON
/// object, and `params` (when present) an object.
fn check_body(headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    if body.is_empty() {
        return Ok(());
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let is_json = content_type.as_deref().is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
    });
    if !is_json {
        return Err(match content_type {
            Some(ct) => format!("Content-Type must be application/json, got {ct:?}"),
            None => "Content-Type must be application/json for a non-empty body".into(),
        });
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the request body is not valid JSON: {e}"))?;
    let Value::Object(object) = value else {
        return Err("the request body must be a JSON object".into());
    };
    match object.get("params") {
        None | Some(Value::Object(_)) => Ok(()),
        Some(_) => Err("\"params\" must be a JSON object".into()),
    }
}

/// What was read of the request body.
#[derive(Debug)]
pub(crate) enum BodyRead {
    /// The whole body.
    Full(Bytes),
    /// The body was larger than the server accepts; it was not read to the end.
    TooLarge(usize),
}

/// Answers a non-control request that no fault diverted.
pub(crate) fn handle(
    sandbox: &Sandbox,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &BodyRead,
    ids: &Ids,
) -> SandboxResponse {
    let Some(target) = parse_path(path) else {
        return responses::error(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!(
                "no API at {path:?}: the sandbox serves ExecuteChangeRequestReleaseStage (POST …/oapi/v1/appstack/[organizations/{{org}}/]apps/{{app}}/releaseWorkflows/{{wf}}/releaseStages/{{stage}}:execute) and /_sandbox/"
            ),
            ids,
        );
    };
    if method != Method::POST {
        let mut response = responses::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            &format!("method {method} is not allowed here; use POST"),
            ids,
        );
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let body_check = match body {
        BodyRead::Full(bytes) => {
            check_body(headers, bytes).map_err(|msg| (StatusCode::BAD_REQUEST, "BadRequest", msg))
        }
        BodyRead::TooLarge(limit) => Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLarge",
            format!("the request body is larger than {limit} bytes"),
        )),
    };
    let decoded = (|| -> Result<_, String> {
        Ok((
            target.org.map(decode).transpose()?,
            decode(target.app)?,
            decode(target.workflow)?,
            decode(target.stage)?,
        ))
    })();

    let mut state = sandbox.lock();
    let token_status = TokenStatus::of(headers, state.token());
    if token_status != TokenStatus::Valid {
        drop(state);
        let message = if token_status == TokenStatus::Missing {
            "the x-yunxiao-token header is missing"
        } else {
            "the x-yunxiao-token is not valid"
        };
        return responses::error(StatusCode::UNAUTHORIZED, "InvalidTokenError", message, ids);
    }
    let (org, app, workflow, stage) = match decoded {
        Ok(names) => names,
        Err(message) => {
            drop(state);
            return responses::error(StatusCode::NOT_FOUND, "NotFound", &message, ids);
        }
    };
    if let Err((status, code, message)) = body_check {
        // Existence is checked before the body; only a found stage reports a body error.
        let found = state.index.exists(org.as_deref(), &app, &workflow, &stage);
        drop(state);
        return match found {
            Err(missing) => not_found(&missing, ids),
            Ok(()) => responses::error(status, code, &message, ids),
        };
    }
    let hit = state.index.execute(org.as_deref(), &app, &workflow, &stage);
    drop(state);
    match hit {
        Ok(hit) => responses::json(
            StatusCode::OK,
            ids,
            &Executed {
                object: hit.run,
                pipeline_id: hit.pipeline_id,
                pipeline_run_id: hit.run,
            },
        ),
        Err(missing) => not_found(&missing, ids),
    }
}

fn not_found(missing: &Missing, ids: &Ids) -> SandboxResponse {
    responses::error(StatusCode::NOT_FOUND, "NotFound", &missing.to_string(), ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_centre_region_and_prefixed_paths() {
        let centre = "/oapi/v1/appstack/organizations/o/apps/a%2Fb/releaseWorkflows/w/releaseStages/s:execute";
        assert_eq!(
            parse_path(centre),
            Some(RawTarget {
                org: Some("o"),
                app: "a%2Fb",
                workflow: "w",
                stage: "s"
            })
        );
        let region = "/oapi/v1/appstack/apps/a/releaseWorkflows/w/releaseStages/s:execute";
        assert_eq!(parse_path(region).map(|t| t.org), Some(None));
        let prefixed = format!("/gateway/v2{centre}");
        assert_eq!(parse_path(&prefixed).map(|t| t.app), Some("a%2Fb"));
        let tricky = "/oapi/v1/appstack/x/oapi/v1/appstack/apps/a/releaseWorkflows/w/releaseStages/s:execute";
        assert_eq!(parse_path(tricky).map(|t| t.app), Some("a"));
    }

    #[test]
    fn rejects_other_shapes() {
        for path in [
            "/",
            "",
            "/oapi/v1/appstack/apps/a/releaseWorkflows/w/releaseStages/s",
            "/oapi/v1/appstack/apps/a/releaseWorkflows/w/releaseStages/s%3Aexecute",
            "/oapi/v1/appstack/apps/a/releaseWorkflows/w/releaseStages/s:execute/",
            "/oapi/v1/appstack/apps/a/b/releaseWorkflows/w/releaseStages/s:execute",
            "/oapi/v2/appstack/apps/a/releaseWorkflows/w/releaseStages/s:execute",
            "/oapi/v1/appstack/organizations/o/apps/a/releaseWorkflow/w/releaseStages/s:execute",
        ] {
            assert_eq!(parse_path(path), None, "{path}");
        }
    }

    #[test]
    fn decodes_utf8_and_keeps_plus() {
        assert_eq!(
            decode("%E5%BA%94%E7%94%A8%E6%9C%8D%E5%8A%A1").expect("utf-8"),
            "应用服务"
        );
        assert_eq!(decode("a+b%26c%3Dd").expect("ascii"), "a+b&c=d");
        assert!(decode("%FF").is_err());
    }

    #[test]
    fn body_rules() {
        let mut json = HeaderMap::new();
        json.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert!(check_body(&HeaderMap::new(), b"").is_ok());
        assert!(check_body(&json, b"{}").is_ok());
        assert!(check_body(&json, br#"{"params": {"a": "b"}}"#).is_ok());
        assert!(check_body(&HeaderMap::new(), b"{}").is_err());
        assert!(check_body(&json, b"[]").is_err());
        assert!(check_body(&json, b"{").is_err());
        assert!(check_body(&json, br#"{"params": []}"#).is_err());
        assert!(check_body(&json, br#"{"params": null}"#).is_err());
        let mut text = HeaderMap::new();
        text.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(check_body(&text, b"{}").is_err());
    }
}
