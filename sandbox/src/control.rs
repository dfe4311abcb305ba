//! The control API under `/_sandbox/`: never recorded, never faulted, no token needed.

use http::header::{ALLOW, HeaderValue};
use http::{HeaderMap, Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use std::time::Duration;

use crate::clock::check_scale;
use crate::execute::BodyRead;
use crate::faults::parse_faults;
use crate::fixture::Fixture;
use crate::responses::{self, Ids, SandboxResponse};
use crate::state::Sandbox;

/// The path prefix of the control API.
pub const CONTROL_PREFIX: &str = "/_sandbox";

/// Whether a raw path belongs to the control API.
pub(crate) fn is_control(path: &str) -> bool {
    path.strip_prefix(CONTROL_PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordingBody {
    enabled: bool,
}

/// `POST /_sandbox/clock`: advance, rescale, or both (the advance applies first).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    #[serde(default)]
    advance_ms: Option<u64>,
    #[serde(default)]
    scale: Option<f64>,
}

fn clock_view(sandbox: &Sandbox) -> serde_json::Value {
    let state = sandbox.lock();
    json!({"now_ms": state.clock.now_ms(), "scale": state.clock.scale()})
}

fn bad_request(message: &str, ids: &Ids) -> SandboxResponse {
    responses::error(StatusCode::BAD_REQUEST, "BadRequest", message, ids)
}

fn ok(ids: &Ids) -> SandboxResponse {
    responses::json(StatusCode::OK, ids, &json!({"ok": true}))
}

fn method_not_allowed(method: &Method, allowed: &'static str, ids: &Ids) -> SandboxResponse {
    let mut response = responses::error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        &format!("method {method} is not allowed here; allowed: {allowed}"),
        ids,
    );
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allowed));
    response
}

/// The 413 answer for a control body over the limit.
fn too_large(limit: usize, ids: &Ids) -> SandboxResponse {
    responses::error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PayloadTooLarge",
        &format!("the request body is larger than {limit} bytes"),
        ids,
    )
}

/// Answers one control request. `path` is the raw path (without query).
pub(crate) fn handle(
    sandbox: &Sandbox,
    method: &Method,
    path: &str,
    _headers: &HeaderMap,
    body: &BodyRead,
    ids: &Ids,
) -> SandboxResponse {
    let rest = path.strip_prefix(CONTROL_PREFIX).unwrap_or(path);
    let endpoint = rest.trim_end_matches('/');
    match endpoint {
        "/health" => match *method {
            Method::GET | Method::HEAD => responses::json(
                StatusCode::OK,
                ids,
                &json!({
                    "ok": true,
                    "version": crate::VERSION,
                    "tls": sandbox.ca_path().is_some(),
                    "ca_path": sandbox.ca_path().map(|path| path.display().to_string()),
                    "connections_accepted": sandbox.connections_accepted(),
                }),
            ),
            _ => method_not_allowed(method, "GET", ids),
        },
        "/requests" => match *method {
            Method::GET => {
                let state = sandbox.lock();
                responses::json(StatusCode::OK, ids, &state.log.view())
            }
            Method::DELETE => {
                sandbox.clear_requests();
                ok(ids)
            }
            _ => method_not_allowed(method, "GET, DELETE", ids),
        },
        "/faults" => match *method {
            Method::GET => {
                let state = sandbox.lock();
                let pending = state.faults.pending();
                responses::json(
                    StatusCode::OK,
                    ids,
                    &json!({"count": pending.len(), "faults": pending}),
                )
            }
            Method::POST => {
                let bytes = match body {
                    BodyRead::Full(bytes) => bytes,
                    BodyRead::TooLarge(limit) => return too_large(*limit, ids),
                };
                match parse_faults(bytes) {
                    Ok(faults) => {
                        let queued = faults.len();
                        let mut state = sandbox.lock();
                        state.faults.push(faults);
                        let pending = state.faults.len();
                        drop(state);
                        responses::json(
                            StatusCode::OK,
                            ids,
                            &json!({"ok": true, "queued": queued, "pending": pending}),
                        )
                    }
                    Err(message) => bad_request(&message, ids),
                }
            }
            Method::DELETE => {
                sandbox.clear_faults();
                ok(ids)
            }
            _ => method_not_allowed(method, "GET, POST, DELETE", ids),
        },
        "/reset" => match *method {
            Method::POST => {
                sandbox.reset();
                ok(ids)
            }
            _ => method_not_allowed(method, "POST", ids),
        },
        "/recording" => match *method {
            Method::GET => responses::json(
                StatusCode::OK,
                ids,
                &json!({"enabled": sandbox.recording()}),
            ),
            Method::PUT | Method::POST => {
                let bytes = match body {
                    BodyRead::Full(bytes) => bytes,
                    BodyRead::TooLarge(limit) => return too_large(*limit, ids),
                };
                match serde_json::from_slice::<RecordingBody>(bytes) {
                    Ok(RecordingBody { enabled }) => {
                        sandbox.set_recording(enabled);
                        responses::json(
                            StatusCode::OK,
                            ids,
                            &json!({"ok": true, "enabled": enabled}),
                        )
                    }
                    Err(e) => bad_request(
                        &format!("body must be {{\"enabled\": true|false}}: {e}"),
                        ids,
                    ),
                }
            }
            _ => method_not_allowed(method, "GET, PUT", ids),
        },
        "/fixture" => match *method {
            Method::GET => {
                let fixture = sandbox.lock().fixture.to_masked_json();
                responses::json(StatusCode::OK, ids, &fixture)
            }
            Method::PUT | Method::POST => {
                let bytes = match body {
                    BodyRead::Full(bytes) => bytes,
                    BodyRead::TooLarge(limit) => return too_large(*limit, ids),
                };
                match Fixture::from_slice(bytes) {
                    Ok(fixture) => {
                        let organizations = fixture.organizations.len();
                        sandbox.set_fixture(fixture);
                        responses::json(
                            StatusCode::OK,
                            ids,
                            &json!({"ok": true, "organizations": organizations}),
                        )
                    }
                    Err(e) => bad_request(&e.to_string(), ids),
                }
            }
            _ => method_not_allowed(method, "GET, PUT", ids),
        },
        "/clock" => match *method {
            Method::GET => responses::json(StatusCode::OK, ids, &clock_view(sandbox)),
            Method::POST | Method::PUT => {
                let bytes = match body {
                    BodyRead::Full(bytes) => bytes,
                    BodyRead::TooLarge(limit) => return too_large(*limit, ids),
                };
                // Through a map first: serde would also read a struct from a JSON array.
                let change = match serde_json::from_slice::<
                    serde_json::Map<String, serde_json::Value>,
                >(bytes)
                .and_then(|map| ClockBody::deserialize(serde_json::Value::Object(map)))
                {
                    Ok(change) => change,
                    Err(e) => {
                        return bad_request(
                            &format!(
                                "body must be {{\"advance_ms\": <ms >= 0>, \"scale\": <number >= 0>}} (either or both): {e}"
                            ),
                            ids,
                        );
                    }
                };
                // Check the scale before changing anything, so a bad request changes nothing.
                if let Some(scale) = change.scale {
                    if let Err(e) = check_scale(scale) {
                        return bad_request(&e.to_string(), ids);
                    }
                }
                if let Some(ms) = change.advance_ms {
                    sandbox.advance_clock(Duration::from_millis(ms));
                }
                if let Some(scale) = change.scale {
                    if let Err(e) = sandbox.try_set_clock_scale(scale) {
                        return bad_request(&e.to_string(), ids);
                    }
                }
                responses::json(StatusCode::OK, ids, &clock_view(sandbox))
            }
            _ => method_not_allowed(method, "GET, POST", ids),
        },
        _ => responses::error(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!(
                "no control endpoint at {path:?}; see /_sandbox/health, /_sandbox/requests, /_sandbox/faults, /_sandbox/reset, /_sandbox/recording, /_sandbox/fixture, /_sandbox/clock"
            ),
            ids,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_prefix() {
        assert!(is_control("/_sandbox/health"));
        assert!(is_control("/_sandbox"));
        assert!(!is_control("/_sandboxes"));
        assert!(!is_control("/x/_sandbox/health"));
    }
}
