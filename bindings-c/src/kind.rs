//! `yx_error_kind`: the core's error kinds, with the core's numeric codes.
//!
//! cbindgen needs literal discriminants, so the values are written out once here; the const
//! assertions below check, at compile time, that each one equals the core's
//! `ErrorKind::X as u8` and that the two lists have the same length — a kind added to the core
//! fails this crate's build until it is added here.

use std::ffi::{CString, c_char, c_int};
use std::sync::LazyLock;

use yunxiao_appstack::ErrorKind;

use crate::boundary;

/// The kind of a yx_error: what went wrong, with the same codes and names in every binding of
/// yunxiao-appstack. yx_error_kind_name gives the stable name, e.g. "rate_limited".
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum yx_error_kind {
    /// The request was refused before anything was sent: an empty or malformed id, a control
    /// character, a missing organization, conflicting parameters; also a NULL or unreadable
    /// argument. Nothing was executed.
    InvalidRequest = 1,
    /// The client could not be configured: no token, a bad base URL, a bad setting or
    /// environment variable. Nothing was executed.
    Configuration = 2,
    /// The server answered HTTP 400.
    BadRequest = 3,
    /// The server answered HTTP 401: the token is missing, wrong or expired.
    Authentication = 4,
    /// The server answered HTTP 403.
    PermissionDenied = 5,
    /// The server answered HTTP 404: no such organization, app, workflow or stage.
    NotFound = 6,
    /// The server answered HTTP 429 (after the retries the client makes on its own).
    RateLimited = 7,
    /// The server answered another non-2xx status below 500 (409, a 3xx redirect…).
    ApiStatus = 8,
    /// The server answered HTTP 500 or above.
    Server = 9,
    /// An attempt ran out of time (yx_options_set_request_timeout_ms,
    /// yx_options_set_connect_timeout_ms).
    Timeout = 10,
    /// No connection could be opened, or it broke before the whole answer arrived.
    Connection = 11,
    /// The server answered 2xx, but not with the JSON this call returns.
    Decode = 12,
    /// The answer was larger than the limit (yx_options_set_max_response_bytes).
    ResponseTooLarge = 13,
}

/// Every C kind, in the order of the core's `ErrorKind::ALL`.
const C_KINDS: [yx_error_kind; ErrorKind::ALL.len()] = [
    yx_error_kind::InvalidRequest,
    yx_error_kind::Configuration,
    yx_error_kind::BadRequest,
    yx_error_kind::Authentication,
    yx_error_kind::PermissionDenied,
    yx_error_kind::NotFound,
    yx_error_kind::RateLimited,
    yx_error_kind::ApiStatus,
    yx_error_kind::Server,
    yx_error_kind::Timeout,
    yx_error_kind::Connection,
    yx_error_kind::Decode,
    yx_error_kind::ResponseTooLarge,
];

// Each C value is the core's code of the same kind (the array's length already ties the two
// lists together: `ErrorKind::ALL.len()` is its type's length).
const _: () = {
    let mut i = 0;
    while i < C_KINDS.len() {
        assert!(C_KINDS[i] as u8 == ErrorKind::ALL[i] as u8);
        i += 1;
    }
};

impl yx_error_kind {
    /// The C kind of a core kind; `None` only if the core has a kind missing from its `ALL`.
    pub(crate) fn from_core(kind: ErrorKind) -> Option<Self> {
        let code = kind as u8;
        C_KINDS.iter().copied().find(|c| *c as u8 == code)
    }
}

/// The core's stable names, as C strings, in `ErrorKind::ALL` order; built once, kept for the
/// whole program (the header promises static strings).
static NAMES: LazyLock<Vec<CString>> = LazyLock::new(|| {
    ErrorKind::ALL
        .iter()
        .map(|kind| boundary::c_string(kind.as_str()))
        .collect()
});

/// The stable name of an error kind, e.g. "rate_limited" for YX_ERROR_KIND_RATE_LIMITED: the
/// same string in every binding of yunxiao-appstack and in its conformance vectors. Returns
/// "unknown" for a value that is not a kind. `kind` is an `int` so that any value is safe to
/// pass. The string is static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn yx_error_kind_name(kind: c_int) -> *const c_char {
    boundary::guard(c"unknown".as_ptr(), || {
        C_KINDS
            .iter()
            .position(|c| *c as c_int == kind)
            .and_then(|index| NAMES.get(index))
            .map_or(c"unknown".as_ptr(), |name| name.as_ptr())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn every_core_kind_maps_to_the_c_kind_with_its_code_and_name() {
        for kind in ErrorKind::ALL {
            let c = yx_error_kind::from_core(kind).expect("mapped");
            assert_eq!(c as u8, kind as u8);
            // SAFETY: a static C string.
            let name = unsafe { CStr::from_ptr(yx_error_kind_name(c as c_int)) };
            assert_eq!(name.to_str(), Ok(kind.as_str()));
        }
    }

    #[test]
    fn unknown_values_have_a_name_too() {
        for unknown in [0, 14, -1, c_int::MAX] {
            // SAFETY: a static C string.
            let name = unsafe { CStr::from_ptr(yx_error_kind_name(unknown)) };
            assert_eq!(name, c"unknown");
        }
    }
}
