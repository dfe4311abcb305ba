//! `yx_error_kind`: the core's error kinds, with the core's numeric codes.
//!
//! The enum is generated from the catalog's `error_kinds` (`generated/tables.rs`); the const
//! assertions below check, at compile time, that each value equals the core's
//! `ErrorKind::X as u8` and that the two lists have the same length — a kind added to the core
//! fails this crate's build until the generator has run.

use std::ffi::{CString, c_char, c_int};
use std::sync::LazyLock;

use yunxiao_appstack::ErrorKind;

use crate::boundary;
use crate::generated::YX_ERROR_KIND_NAMES;
pub use crate::generated::yx_error_kind;

/// Every C kind, in the order of the core's `ErrorKind::ALL`.
const C_KINDS: [yx_error_kind; ErrorKind::ALL.len()] = {
    let mut kinds = [yx_error_kind::InvalidRequest; ErrorKind::ALL.len()];
    let mut i = 0;
    while i < kinds.len() {
        kinds[i] = YX_ERROR_KIND_NAMES[i].0;
        i += 1;
    }
    kinds
};

// Each C value is the core's code of the same kind, with the same name (the array's length
// already ties the two lists together: `ErrorKind::ALL.len()` is its type's length).
const _: () = {
    assert!(YX_ERROR_KIND_NAMES.len() == ErrorKind::ALL.len());
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
        for (index, kind) in ErrorKind::ALL.into_iter().enumerate() {
            assert_eq!(
                YX_ERROR_KIND_NAMES[index].1,
                kind.as_str(),
                "the catalog's name"
            );
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
