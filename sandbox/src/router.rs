//! The router: which call a raw path names, and the checks every call shares (method, token,
//! path decoding), before the call's handler runs.
//!
//! Every call is one line of [`ROUTES`]: its method, the shape of its path after
//! `…/apps/{app}`, and its handler. Matching works on the raw path, as the service's gateway
//! does: segments are split on `/` first and percent-decoded afterwards, so `a%2Fb` names the
//! app `a/b` while an unencoded `/` makes a different shape; a verb such as `:execute` must be
//! a literal `:` (`%3A` does not count).

use std::borrow::Cow;

use http::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, Method, StatusCode, Uri};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::execute::BodyRead;
use crate::fixture::Missing;
use crate::recording::TokenStatus;
use crate::responses::{self, Ids, SandboxResponse};
use crate::state::Sandbox;
use crate::{change_requests, execute, runs, workflows};

/// What a handler produces: the answer, or an error answer (so handlers can use `?`).
pub(crate) type Answer = Result<SandboxResponse, SandboxResponse>;

/// A call's handler.
type Handler = fn(&Ctx<'_>) -> Answer;

/// One segment of a path shape.
#[derive(Clone, Copy, Debug)]
enum Seg {
    /// This exact raw segment.
    Lit(&'static str),
    /// `{releaseWorkflowSn}`.
    Workflow,
    /// `{releaseStageSn}`.
    Stage,
    /// `{releaseStageSn}:verb` (the verb after a literal `:`).
    StageVerb(&'static str),
    /// `{executionNumber}`.
    Execution,
    /// `{executionNumber}:verb`.
    ExecutionVerb(&'static str),
}

use Seg::{Execution, ExecutionVerb, Lit, Stage, StageVerb, Workflow};

/// One call the sandbox serves.
#[derive(Debug)]
pub(crate) struct Route {
    /// The call's name in the API reference.
    pub name: &'static str,
    /// Its one method.
    pub method: Method,
    /// Its path after `…/apps/{app}`.
    tail: &'static [Seg],
    /// What answers it once the shared checks passed.
    handler: Handler,
}

/// `…/releaseWorkflows/{wf}/releaseStages/{st}/executions/{n}`, then the given last segment.
macro_rules! execution {
    ($last:expr) => {
        &[
            Lit("releaseWorkflows"),
            Workflow,
            Lit("releaseStages"),
            Stage,
            Lit("executions"),
            $last,
        ]
    };
}

/// Every call, by path shape. A new call is one line here plus its handler.
#[rustfmt::skip]
static ROUTES: &[Route] = &[
    Route { name: "ExecuteChangeRequestReleaseStage", method: Method::POST, tail: &[Lit("releaseWorkflows"), Workflow, Lit("releaseStages"), StageVerb("execute")], handler: execute::handle },
    Route { name: "ListReleaseStageFlowChangeRequests", method: Method::GET, tail: &[Lit("releaseWorkflows"), Workflow, Lit("releaseStages"), StageVerb("find_release_integrated_metadata")], handler: runs::find_integrated_metadata },
    Route { name: "ListAppReleaseStageRuns", method: Method::GET, tail: &[Lit("releaseWorkflows"), Workflow, Lit("releaseStages"), Stage, Lit("executions")], handler: runs::list },
    Route { name: "GetReleaseStagePipelineRun", method: Method::GET, tail: execution!(ExecutionVerb("getPipelineRun")), handler: runs::get },
    Route { name: "CancelExecutionReleaseStage", method: Method::POST, tail: execution!(ExecutionVerb("cancel")), handler: runs::cancel },
    Route { name: "PassReleaseStagePipelineValidate", method: Method::POST, tail: execution!(ExecutionVerb("passPipelineValidate")), handler: runs::pass },
    Route { name: "RefuseReleaseStagePipelineValidate", method: Method::POST, tail: execution!(ExecutionVerb("refusePipelineValidate")), handler: runs::refuse },
    Route { name: "RetryChangeRequestStagePipeline", method: Method::POST, tail: execution!(ExecutionVerb("retry")), handler: runs::retry },
    Route { name: "SkipChangeRequestStagePipeline", method: Method::POST, tail: execution!(ExecutionVerb("skip")), handler: runs::skip },
    Route { name: "GetAppReleaseStageExecutionPipelineJobLog", method: Method::GET, tail: execution!(ExecutionVerb("pipelineJobLog")), handler: runs::job_log },
    Route { name: "ListAppReleaseStageExecutionIntegratedMetadata", method: Method::GET, tail: &[Lit("releaseWorkflows"), Workflow, Lit("releaseStages"), Stage, Lit("executions"), Execution, Lit("integratedMetadata")], handler: runs::integrated_metadata },
    Route { name: "ListAllReleaseWorkflows", method: Method::GET, tail: &[Lit("releaseWorkflows")], handler: workflows::list },
    Route { name: "ListAllReleaseWorkflowBriefs", method: Method::GET, tail: &[Lit("releaseWorkflowBriefs")], handler: workflows::briefs },
    Route { name: "ListAllReleaseStageBriefs", method: Method::GET, tail: &[Lit("releaseWorkflow"), Workflow, Lit("releaseStageBriefs")], handler: workflows::stage_briefs },
    Route { name: "GetReleaseWorkflowStage", method: Method::GET, tail: &[Lit("releaseWorkflow"), Workflow, Lit("releaseStage"), Stage], handler: workflows::stage },
    Route { name: "ListAppChangeRequests", method: Method::POST, tail: &[Lit("changeRequests:search")], handler: change_requests::search },
];

/// The raw (still percent-encoded) names a path gives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RawTarget<'a> {
    /// `None` for region-edition paths (no `organizations/{org}` part).
    pub org: Option<&'a str>,
    pub app: &'a str,
    pub workflow: Option<&'a str>,
    pub stage: Option<&'a str>,
    pub execution: Option<&'a str>,
}

/// Recognizes `…/oapi/v1/appstack/[organizations/{org}/]apps/{app}/<tail>` in a raw path for
/// one of [`ROUTES`]; any prefix before `oapi` is allowed.
pub(crate) fn parse_path(path: &str) -> Option<(&'static Route, RawTarget<'_>)> {
    let segments: Vec<&str> = path.split('/').collect();
    (0..segments.len()).find_map(|start| match_from(&segments[start..]))
}

fn match_from<'a>(segments: &[&'a str]) -> Option<(&'static Route, RawTarget<'a>)> {
    let (org, app, tail) = match segments {
        [
            "oapi",
            "v1",
            "appstack",
            "organizations",
            org,
            "apps",
            app,
            tail @ ..,
        ] => (Some(*org), *app, tail),
        ["oapi", "v1", "appstack", "apps", app, tail @ ..] => (None, *app, tail),
        _ => return None,
    };
    ROUTES.iter().find_map(|route| {
        let mut target = RawTarget {
            org,
            app,
            ..RawTarget::default()
        };
        match_tail(route.tail, tail, &mut target).then_some((route, target))
    })
}

fn match_tail<'a>(shape: &[Seg], tail: &[&'a str], target: &mut RawTarget<'a>) -> bool {
    if shape.len() != tail.len() {
        return false;
    }
    shape.iter().zip(tail).all(|(seg, raw)| match *seg {
        Lit(text) => *raw == text,
        Workflow => {
            target.workflow = Some(raw);
            true
        }
        Stage => {
            target.stage = Some(raw);
            true
        }
        StageVerb(verb) => strip_verb(raw, verb)
            .map(|s| target.stage = Some(s))
            .is_some(),
        Execution => {
            target.execution = Some(raw);
            true
        }
        ExecutionVerb(verb) => strip_verb(raw, verb)
            .map(|n| target.execution = Some(n))
            .is_some(),
    })
}

/// `name:verb` → `name`, for a literal `:`.
fn strip_verb<'a>(raw: &'a str, verb: &str) -> Option<&'a str> {
    raw.strip_suffix(verb)?.strip_suffix(':')
}

/// Percent-decodes one raw path segment as UTF-8 (`+` stays `+`).
pub(crate) fn decode(raw: &str) -> Result<Cow<'_, str>, String> {
    percent_decode_str(raw).decode_utf8().map_err(|_| {
        format!("path segment {raw:?} is not valid UTF-8 once percent-decoded, so it names nothing")
    })
}

/// The decoded names of a request's path.
#[derive(Debug)]
pub(crate) struct Target {
    pub org: Option<String>,
    pub app: String,
    workflow: Option<String>,
    stage: Option<String>,
    execution: Option<String>,
}

impl Target {
    fn decode(raw: &RawTarget<'_>) -> Result<Target, String> {
        let one = |raw: Option<&str>| -> Result<Option<String>, String> {
            raw.map(|r| decode(r).map(Cow::into_owned)).transpose()
        };
        Ok(Target {
            org: one(raw.org)?,
            app: decode(raw.app)?.into_owned(),
            workflow: one(raw.workflow)?,
            stage: one(raw.stage)?,
            execution: one(raw.execution)?,
        })
    }

    /// The workflow sn (empty for calls whose path has none, which never ask).
    pub fn workflow(&self) -> &str {
        self.workflow.as_deref().unwrap_or_default()
    }

    /// The stage sn (empty for calls whose path has none).
    pub fn stage(&self) -> &str {
        self.stage.as_deref().unwrap_or_default()
    }

    /// The execution number as sent, decoded (empty for calls whose path has none).
    pub fn execution(&self) -> &str {
        self.execution.as_deref().unwrap_or_default()
    }
}

/// Everything a handler sees.
#[derive(Debug)]
pub(crate) struct Ctx<'a> {
    pub sandbox: &'a Sandbox,
    pub headers: &'a HeaderMap,
    pub body: &'a BodyRead,
    pub ids: &'a Ids,
    /// The raw query string, if any.
    pub query: Option<&'a str>,
    pub target: Target,
}

/// The message the service sends when a required query parameter is absent (a Spring
/// binding error, seen in the official MCP server's logs), so clients can match on it.
fn required_parameter(name: &str) -> String {
    format!("Required request parameter [{name}] for method parameter type String is not present")
}

impl Ctx<'_> {
    /// The first value of a query parameter, decoded as a form value (`+` is a space there).
    pub fn query_value(&self, name: &str) -> Option<String> {
        let query = self.query?;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(key) == name).then(|| form_decode(value))
        })
    }

    /// A 404 naming what is missing.
    pub fn not_found(&self, missing: &Missing) -> SandboxResponse {
        responses::error(
            StatusCode::NOT_FOUND,
            "NotFound",
            &missing.to_string(),
            self.ids,
        )
    }

    /// A 400 `BadRequest`.
    pub fn bad_request(&self, message: &str) -> SandboxResponse {
        responses::error(StatusCode::BAD_REQUEST, "BadRequest", message, self.ids)
    }

    /// A 200 JSON answer.
    pub fn ok(&self, value: &Value) -> Answer {
        Ok(responses::json(StatusCode::OK, self.ids, value))
    }

    /// The required `jobId` query parameter: a decimal job id, else 400.
    pub fn job_id(&self) -> Result<u64, SandboxResponse> {
        let value = self
            .query_value("jobId")
            .filter(|v| !v.is_empty())
            .ok_or_else(|| self.bad_request(&required_parameter("jobId")))?;
        parse_decimal(&value).ok_or_else(|| {
            self.bad_request(&format!(
                "Required request parameter [jobId] must be a decimal job id, got {value:?}"
            ))
        })
    }

    /// An optional decimal query parameter; present but not decimal → 400.
    pub fn optional_number(&self, name: &str) -> Result<Option<u64>, SandboxResponse> {
        match self.query_value(name) {
            None => Ok(None),
            Some(value) if value.is_empty() => Ok(None),
            Some(value) => parse_decimal(&value).map(Some).ok_or_else(|| {
                self.bad_request(&format!(
                    "query parameter {name} must be a decimal integer, got {value:?}"
                ))
            }),
        }
    }

    /// The body as a JSON object: empty is `{}`; otherwise `Content-Type: application/json`
    /// and a JSON object, else 400 (413 above the size limit).
    pub fn json_object(&self) -> Result<Map<String, Value>, SandboxResponse> {
        match self.body {
            BodyRead::Full(bytes) => {
                parse_object(self.headers, bytes).map_err(|message| self.bad_request(&message))
            }
            BodyRead::TooLarge(limit) => Err(responses::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PayloadTooLarge",
                &format!("the request body is larger than {limit} bytes"),
                self.ids,
            )),
        }
    }
}

/// A decimal integer: ASCII digits only (no sign, no spaces), within `u64`.
pub(crate) fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Decodes a query key or value: `+` is a space, then percent-decoding (invalid UTF-8 is
/// replaced, so such a value simply matches nothing).
fn form_decode(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

/// The body rules shared by every call with a body: empty is `{}`; otherwise
/// `application/json` (parameters such as `charset` allowed) and a JSON object.
pub(crate) fn parse_object(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, String> {
    if body.is_empty() {
        return Ok(Map::new());
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
    match value {
        Value::Object(object) => Ok(object),
        _ => Err("the request body must be a JSON object".into()),
    }
}

/// Answers a non-control request that no fault diverted.
pub(crate) fn handle(
    sandbox: &Sandbox,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &BodyRead,
    ids: &Ids,
) -> SandboxResponse {
    let path = uri.path();
    let Some((route, raw)) = parse_path(path) else {
        return responses::error(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!(
                "no API at {path:?}: the sandbox serves the AppStack release-stage calls under …/oapi/v1/appstack/[organizations/{{org}}/]apps/{{app}}/ (ExecuteChangeRequestReleaseStage is POST …/releaseWorkflows/{{wf}}/releaseStages/{{stage}}:execute; see its README for the others) and /_sandbox/"
            ),
            ids,
        );
    };
    // Method first, then the token, as the gateway does: neither needs the names to exist.
    if method != route.method {
        let mut response = responses::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            &format!(
                "method {method} is not allowed here; use {} ({})",
                route.method, route.name
            ),
            ids,
        );
        if let Ok(allow) = HeaderValue::from_str(route.method.as_str()) {
            response.headers_mut().insert(ALLOW, allow);
        }
        return response;
    }
    let token_status = TokenStatus::of(headers, sandbox.lock().token());
    if token_status != TokenStatus::Valid {
        let message = if token_status == TokenStatus::Missing {
            "the x-yunxiao-token header is missing"
        } else {
            "the x-yunxiao-token is not valid"
        };
        return responses::error(StatusCode::UNAUTHORIZED, "InvalidTokenError", message, ids);
    }
    let target = match Target::decode(&raw) {
        Ok(target) => target,
        Err(message) => return responses::error(StatusCode::NOT_FOUND, "NotFound", &message, ids),
    };
    let ctx = Ctx {
        sandbox,
        headers,
        body,
        ids,
        query: uri.query(),
        target,
    };
    match (route.handler)(&ctx) {
        Ok(response) | Err(response) => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(path: &str) -> Option<&'static str> {
        parse_path(path).map(|(route, _)| route.name)
    }

    #[test]
    fn parses_centre_region_and_prefixed_paths() {
        let centre = "/oapi/v1/appstack/organizations/o/apps/a%2Fb/releaseWorkflows/w/releaseStages/s:execute";
        let (route, target) = parse_path(centre).expect("execute");
        assert_eq!(route.name, "ExecuteChangeRequestReleaseStage");
        assert_eq!(
            target,
            RawTarget {
                org: Some("o"),
                app: "a%2Fb",
                workflow: Some("w"),
                stage: Some("s"),
                execution: None,
            }
        );
        let region = "/oapi/v1/appstack/apps/a/releaseWorkflows/w/releaseStages/s:execute";
        assert_eq!(parse_path(region).map(|(_, t)| t.org), Some(None));
        let prefixed = format!("/gateway/v2{centre}");
        assert_eq!(parse_path(&prefixed).map(|(_, t)| t.app), Some("a%2Fb"));
        let tricky = "/oapi/v1/appstack/x/oapi/v1/appstack/apps/a/releaseWorkflows/w/releaseStages/s:execute";
        assert_eq!(parse_path(tricky).map(|(_, t)| t.app), Some("a"));
    }

    #[test]
    fn every_call_has_its_shape() {
        let e = "/oapi/v1/appstack/apps/a/releaseWorkflows/w/releaseStages/s/executions/7";
        for (path, name) in [
            (format!("{e}:getPipelineRun"), "GetReleaseStagePipelineRun"),
            (format!("{e}:cancel"), "CancelExecutionReleaseStage"),
            (format!("{e}:passPipelineValidate"), "PassReleaseStagePipelineValidate"),
            (format!("{e}:refusePipelineValidate"), "RefuseReleaseStagePipelineValidate"),
            (format!("{e}:retry"), "RetryChangeRequestStagePipeline"),
            (format!("{e}:skip"), "SkipChangeRequestStagePipeline"),
            (format!("{e}:pipelineJobLog"), "GetAppReleaseStageExecutionPipelineJobLog"),
            (format!("{e}/integratedMetadata"), "ListAppReleaseStageExecutionIntegratedMetadata"),
            ("/oapi/v1/appstack/apps/a/releaseWorkflows/w/releaseStages/s/executions".into(), "ListAppReleaseStageRuns"),
            ("/oapi/v1/appstack/apps/a/releaseWorkflows".into(), "ListAllReleaseWorkflows"),
            ("/oapi/v1/appstack/apps/a/releaseWorkflowBriefs".into(), "ListAllReleaseWorkflowBriefs"),
            ("/oapi/v1/appstack/apps/a/releaseWorkflow/w/releaseStageBriefs".into(), "ListAllReleaseStageBriefs"),
            ("/oapi/v1/appstack/apps/a/releaseWorkflow/w/releaseStage/s".into(), "GetReleaseWorkflowStage"),
            ("/oapi/v1/appstack/apps/a/changeRequests:search".into(), "ListAppChangeRequests"),
            ("/oapi/v1/appstack/apps/a/releaseWorkflows/w/releaseStages/s:find_release_integrated_metadata".into(), "ListReleaseStageFlowChangeRequests"),
        ] {
            assert_eq!(call(&path), Some(name), "{path}");
        }
        let cancel = format!("{e}:cancel");
        let (_, target) = parse_path(&cancel).expect("cancel");
        assert_eq!((target.stage, target.execution), (Some("s"), Some("7")));
        // A stage whose raw name holds a `:` still splits at the verb.
        let (_, target) = parse_path(
            "/oapi/v1/appstack/apps/a/releaseWorkflows/w/releaseStages/x:execute:execute",
        )
        .expect("execute");
        assert_eq!(target.stage, Some("x:execute"));
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
            "/oapi/v1/appstack/apps/a/releaseWorkflows/w/releaseStages/s/executions/1:nope",
            "/oapi/v1/appstack/apps/a/releaseWorkflows/w/releaseStages/s/executions/1%3Acancel",
            "/oapi/v1/appstack/apps/a/releaseWorkflows/w/releaseStages/s/executions/1:integratedMetadata",
            "/oapi/v1/appstack/apps/a/releaseWorkflows/w/releaseStages/s/executions/",
            "/oapi/v1/appstack/apps/a/releaseStageBriefs",
            "/oapi/v1/appstack/apps/a/changeRequests",
        ] {
            assert!(parse_path(path).is_none(), "{path}");
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
    fn decimals_and_form_values() {
        assert_eq!(parse_decimal("1001"), Some(1001));
        for bad in [
            "",
            "-1",
            "+1",
            " 1",
            "1.0",
            "0x10",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
        assert_eq!(form_decode("a+b%20c%FF"), "a b c\u{FFFD}");
    }
}
