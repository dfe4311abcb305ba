//! How ids cross into JavaScript without losing precision.
//!
//! The core parses `object`, `pipelineId` and `pipelineRunId` as `u64`. A JavaScript `number`
//! holds integers exactly only up to `Number.MAX_SAFE_INTEGER` (2^53 − 1), so an id is handed
//! over as a `number` when it fits and as a `bigint` when it does not — never rounded. This is
//! the same rule napi-rs applies to integers inside `raw` (with its `napi6` feature), so an id
//! and the same field in `raw` always have the same JavaScript type.

use napi::bindgen_prelude::{BigInt, ToNapiValue};
use napi::sys;

/// The largest integer a JavaScript `number` holds exactly (`Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// An id from an answer: a `number` in JavaScript when safe, else a `bigint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id(pub u64);

impl ToNapiValue for Id {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        if val.0 <= MAX_SAFE_INTEGER {
            // Exact: every integer up to 2^53 − 1 is representable as an f64.
            #[allow(clippy::cast_precision_loss)]
            let number = val.0 as f64;
            // SAFETY: `env` is the live environment napi handed to this conversion.
            unsafe { f64::to_napi_value(env, number) }
        } else {
            // SAFETY: as above.
            unsafe { BigInt::to_napi_value(env, BigInt::from(val.0)) }
        }
    }
}
