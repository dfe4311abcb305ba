//! ExecuteChangeRequestReleaseStage: the documented checks, the success answer, and the start
//! of the run the other calls then observe.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::responses::{self};
use crate::router::{Answer, Ctx, parse_object};

/// Above this body size a run keeps no `params`: a run lives until the stage has
/// [`crate::MAX_RUNS_PER_STAGE`] newer ones, and thousands of 16 MiB bodies would exhaust memory.
/// Real params are a few hundred bytes.
pub(crate) const MAX_KEPT_PARAMS_BYTES: usize = 64 * 1024;

/// The success answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Executed {
    object: u64,
    pipeline_id: u64,
    pipeline_run_id: u64,
}

/// Checks step 4 of the contract: an empty body is fine; otherwise `application/json`, a JSON
/// object, and `params` (when present) an object. Returns the params.
fn check_body(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, String> {
    let mut object = parse_object(headers, body)?;
    match object.remove("params") {
        None => Ok(Map::new()),
        Some(Value::Object(params)) => Ok(params),
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

/// Answers an execute request whose method and token were already checked: existence first,
/// then the body, then a new run.
pub(crate) fn handle(ctx: &Ctx<'_>) -> Answer {
    let body_check = match ctx.body {
        BodyRead::Full(bytes) => check_body(ctx.headers, bytes)
            .map_err(|msg| (StatusCode::BAD_REQUEST, "BadRequest", msg)),
        BodyRead::TooLarge(limit) => Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLarge",
            format!("the request body is larger than {limit} bytes"),
        )),
    };
    let t = &ctx.target;
    let mut state = ctx.sandbox.lock();
    let params = match body_check {
        Ok(params) => match ctx.body {
            BodyRead::Full(bytes) if bytes.len() > MAX_KEPT_PARAMS_BYTES => Map::new(),
            _ => params,
        },
        Err((status, code, message)) => {
            // Existence is checked before the body; only a found stage reports a body error.
            let found = state
                .index
                .exists(t.org.as_deref(), &t.app, t.workflow(), t.stage());
            drop(state);
            return Err(match found {
                Err(missing) => ctx.not_found(&missing),
                Ok(()) => responses::error(status, code, &message, ctx.ids),
            });
        }
    };
    let now = state.clock.now_ms();
    let hit = state.index.execute(
        t.org.as_deref(),
        &t.app,
        t.workflow(),
        t.stage(),
        now,
        params,
    );
    drop(state);
    match hit {
        Ok(hit) => Ok(responses::json(
            StatusCode::OK,
            ctx.ids,
            &Executed {
                object: hit.run,
                pipeline_id: hit.pipeline_id,
                pipeline_run_id: hit.run,
            },
        )),
        Err(missing) => Err(ctx.not_found(&missing)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{CONTENT_TYPE, HeaderValue};

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
