//! `yx_result`: what every fallible function returns.

use std::ffi::{CStr, c_char, c_int};

use crate::boundary;

/// The outcome of a call. The values are stable: they never change meaning between versions,
/// and new values are only ever added at the end.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum yx_result {
    /// Success: the outputs are written.
    Ok = 0,
    /// The operation failed: the server answered with an error, the connection failed, or the
    /// core refused an argument or a setting. `*error_out` (when given) says which, with
    /// yx_error_get_kind and yx_error_get_may_have_executed.
    Error = 1,
    /// A required pointer argument was NULL. Nothing was done; `*error_out` (when given) names
    /// the argument.
    NullArgument = 2,
    /// An argument could not be read: a string that is not UTF-8, text that is not the JSON
    /// expected, an unknown enumeration value. Nothing was done; `*error_out` (when given)
    /// names the argument.
    InvalidArgument = 3,
    /// The value asked for is absent (the server did not send it): not an error. The output is
    /// set to NULL or 0, and `*error_out` to NULL.
    NotPresent = 4,
    /// A bug in the library was caught before it could cross into C. The outputs are NULL;
    /// `*error_out` (when given) holds an error saying so. Please report it.
    Panic = 5,
}

impl yx_result {
    /// Every value, with its enumerator name as the header spells it.
    pub(crate) const NAMES: [(yx_result, &'static CStr); 6] = [
        (yx_result::Ok, c"YX_RESULT_OK"),
        (yx_result::Error, c"YX_RESULT_ERROR"),
        (yx_result::NullArgument, c"YX_RESULT_NULL_ARGUMENT"),
        (yx_result::InvalidArgument, c"YX_RESULT_INVALID_ARGUMENT"),
        (yx_result::NotPresent, c"YX_RESULT_NOT_PRESENT"),
        (yx_result::Panic, c"YX_RESULT_PANIC"),
    ];
}

/// The enumerator name of a yx_result value, e.g. "YX_RESULT_NULL_ARGUMENT", or
/// "YX_RESULT_UNKNOWN" for a value that is not one. `result` is an `int` so that any value is
/// safe to pass. The string is static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn yx_result_name(result: c_int) -> *const c_char {
    boundary::guard(c"YX_RESULT_UNKNOWN".as_ptr(), || {
        yx_result::NAMES
            .iter()
            .find(|(value, _)| *value as c_int == result)
            .map_or(c"YX_RESULT_UNKNOWN", |(_, name)| *name)
            .as_ptr()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_enumerators_and_values_are_dense() {
        for (index, (value, name)) in yx_result::NAMES.iter().enumerate() {
            assert_eq!(*value as usize, index, "values are 0, 1, 2… in order");
            // SAFETY: a static C string.
            let shown = unsafe { CStr::from_ptr(yx_result_name(*value as c_int)) };
            assert_eq!(shown, *name);
        }
        for unknown in [-1, 6, c_int::MAX, c_int::MIN] {
            // SAFETY: a static C string.
            let shown = unsafe { CStr::from_ptr(yx_result_name(unknown)) };
            assert_eq!(shown, c"YX_RESULT_UNKNOWN");
        }
    }
}
