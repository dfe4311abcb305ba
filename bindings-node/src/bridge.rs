//! The one generic entry: any catalog operation or lifecycle helper, by name, through the
//! core's bridge with Node's spelling (`ArgStyle::Node`: camelCase, durations in milliseconds).
//!
//! The arguments arrive as JSON text written by the wrapper (so integers up to 64 bits and
//! `bigint`s stay exact); whether they are right — names, types, missing ones, durations — is
//! the core's to say, in Node's spelling. Results go back as JavaScript values (integers beyond
//! `Number.MAX_SAFE_INTEGER` as `bigint`), errors as [`NativeError`] records, events through a
//! threadsafe function.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use napi::Env;
use napi::Status;
use napi::bindgen_prelude::PromiseRaw;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde_json::Value;
use yunxiao_appstack::Error;
use yunxiao_appstack::bridge::{ArgStyle, HELPERS, Hooks};

use crate::abort::AbortHandle;
use crate::client::NativeClient;
use crate::completions;
use crate::outcome::NativeError;

/// The JavaScript function that receives a helper's events.
type EventFunction = ThreadsafeFunction<Value, (), Value, Status, false>;

/// The settled value of a bridge call: `value` when it succeeded, `error` when it failed;
/// `aborted` when its `AbortHandle` fired before it ended.
#[napi(object, object_from_js = false)]
pub struct CallOutcome {
    /// The result, in Node's spelling.
    #[napi(ts_type = "unknown")]
    pub value: Option<Value>,
    /// The error, when the call failed.
    pub error: Option<NativeError>,
    /// True when the call's `AbortHandle` fired before it ended.
    pub aborted: bool,
    /// How many events were handed to `onEvent`: the wrapper settles only once it has seen
    /// them all, so the last event always comes before the result.
    pub events: u32,
}

impl CallOutcome {
    fn settled(result: Result<Value, Error>, aborted: bool, events: u32) -> Self {
        match result {
            Ok(value) => Self {
                value: Some(value),
                error: None,
                aborted,
                events,
            },
            Err(error) => Self {
                value: None,
                error: Some(NativeError::from(&error)),
                aborted,
                events,
            },
        }
    }
}

#[napi]
impl NativeClient {
    /// Runs the operation or lifecycle helper `name` with `argsJson` (a JSON object in Node's
    /// spelling). A wait (`waitForRun`, `executeAndWait`, `followJobLog`) stops through the
    /// core's abort handle, so it can still `cancelOnAbort`; any other call is dropped at once
    /// when `abort` fires, which closes its connection.
    #[napi(
        ts_args_type = "name: string, argsJson: string, onEvent?: ((event: unknown) => void) | undefined | null, abort?: AbortHandle | undefined | null",
        ts_return_type = "Promise<CallOutcome>"
    )]
    pub fn call<'env>(
        &self,
        env: &'env Env,
        name: String,
        args_json: String,
        on_event: Option<EventFunction>,
        abort: Option<&AbortHandle>,
    ) -> napi::Result<PromiseRaw<'env, CallOutcome>> {
        let client = self.client.clone();
        let waits = HELPERS.iter().any(|h| h.events && h.name == name);
        let core_abort = abort.map(AbortHandle::core);
        let aborted = abort.map(AbortHandle::subscribe);
        let count = Arc::new(AtomicU32::new(0));
        let mut hooks = Hooks::default();
        if let Some(function) = on_event {
            let count = Arc::clone(&count);
            hooks.on_event = Some(Arc::new(move |event: &Value| {
                if function.call(event.clone(), ThreadsafeFunctionCallMode::NonBlocking)
                    == Status::Ok
                {
                    count.fetch_add(1, Ordering::SeqCst);
                }
            }));
        }
        if waits {
            hooks.abort.clone_from(&core_abort);
        }
        completions::spawn(env, async move {
            let args: Value = match serde_json::from_str(&args_json) {
                Ok(args) => args,
                // The wrapper wrote this text itself; stay total anyway.
                Err(e) => {
                    let error = Error::invalid_request(format!("{name}: arguments: {e}"));
                    return CallOutcome::settled(Err(error), false, 0);
                }
            };
            let call = client.call_bridge(&name, args, ArgStyle::Node, &hooks);
            let outcome = match aborted {
                Some(aborted) if !waits => tokio::select! {
                    // Prefer a result that is already there over a late abort.
                    biased;
                    result = call => CallOutcome::settled(result, false, 0),
                    () = aborted.fired() => CallOutcome {
                        value: None,
                        error: None,
                        aborted: true,
                        events: 0,
                    },
                },
                _ => {
                    let result = call.await;
                    let fired = core_abort.as_ref().is_some_and(|h| h.is_aborted());
                    CallOutcome::settled(result, fired, 0)
                }
            };
            // Dropping the hooks releases the event function, so nothing is left holding the
            // event loop open once the call has settled.
            drop(hooks);
            CallOutcome {
                events: count.load(Ordering::SeqCst),
                ..outcome
            }
        })
    }
}
