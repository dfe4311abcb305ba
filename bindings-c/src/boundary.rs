//! The boundary between C and Rust, where the header's conventions are enforced.
//!
//! Every exported function runs its body through [`call`] (or [`guard`] for functions that
//! return a value instead of a [`yx_result`]), which catches panics. Bodies follow one order:
//! clear every output (NULL, 0 or false: [`clear`]), check and convert every argument, do the
//! work, and write the outputs last — so every output is set on every return, and a request is
//! never sent when an output pointer is NULL.

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use yunxiao_appstack::Error;

use crate::error::yx_error;
use crate::result::yx_result;

/// Why an exported function did not succeed.
pub(crate) enum Failure {
    /// A required pointer argument was NULL; holds the argument's name.
    NullArgument(&'static str),
    /// An argument could not be converted (not UTF-8, not JSON, not an enumerator); holds a
    /// message naming the argument and never quoting its value (it may be the token).
    InvalidArgument(String),
    /// The core refused the call or the call failed.
    Core(Error),
    /// The value asked for is absent (an accessor's "no such value").
    NotPresent,
    /// An invariant of this crate does not hold: a bug, reported like a panic.
    Bug,
}

/// The message of the error handed out with [`yx_result::Panic`]. The panic's own message is
/// not quoted: it could hold any value the library had at hand.
pub(crate) const PANIC_MESSAGE: &str =
    "a bug in the library was caught (a Rust panic) before it could reach C; please report it";

impl Failure {
    fn result(&self) -> yx_result {
        match self {
            Failure::NullArgument(_) => yx_result::NullArgument,
            Failure::InvalidArgument(_) => yx_result::InvalidArgument,
            Failure::Core(_) => yx_result::Error,
            Failure::NotPresent => yx_result::NotPresent,
            Failure::Bug => yx_result::Panic,
        }
    }

    /// The error handed to the caller through `error_out`, if this failure has one. Argument
    /// failures become the core's invalid-request errors, so the caller reads them like any
    /// other error (kind, message, may-have-executed false).
    fn into_error(self) -> Option<yx_error> {
        match self {
            Failure::NullArgument(name) => Some(yx_error::new(Error::invalid_request(format!(
                "{name} must not be NULL"
            )))),
            Failure::InvalidArgument(message) => {
                Some(yx_error::new(Error::invalid_request(message)))
            }
            Failure::Core(error) => Some(yx_error::new(error)),
            Failure::Bug => Some(yx_error::panic()),
            Failure::NotPresent => None,
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Core(error)
    }
}

/// Runs the body of an exported function that returns a [`yx_result`]: sets `*error_out` to
/// NULL first, catches panics, maps failures to results, and stores the failure's error
/// (a panic's too) in `*error_out` when `error_out` is not NULL. Pass `std::ptr::null_mut()`
/// for functions without an `error_out` parameter.
pub(crate) fn call(
    error_out: *mut *mut yx_error,
    body: impl FnOnce() -> Result<(), Failure>,
) -> yx_result {
    // SAFETY: `error_out` is NULL or, per the header, writable storage for a `yx_error *`.
    unsafe { clear(error_out) };
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return yx_result::Ok,
        Ok(Err(failure)) => failure,
        Err(_) => Failure::Bug,
    };
    let result = failure.result();
    if error_out.is_null() {
        return result;
    }
    // Building the error handle allocates and formats: keep that inside the boundary too.
    let error = catch_unwind(AssertUnwindSafe(|| failure.into_error()))
        .unwrap_or_else(|_| catch_unwind(yx_error::panic).ok());
    if let Some(error) = error {
        // SAFETY: as above; non-NULL here.
        unsafe { error_out.write(into_raw(error)) };
    }
    result
}

/// A value an output holds when there is nothing to give: NULL, 0 or false.
pub(crate) trait Empty {
    /// The empty value.
    const EMPTY: Self;
}

impl<T> Empty for *mut T {
    const EMPTY: Self = std::ptr::null_mut();
}

impl<T> Empty for *const T {
    const EMPTY: Self = std::ptr::null();
}

macro_rules! empty_numbers {
    ($($t:ty),*) => { $(impl Empty for $t { const EMPTY: Self = 0 as $t; })* };
}
empty_numbers!(u16, u32, u64, i32, f64);

impl Empty for bool {
    const EMPTY: Self = false;
}

/// Sets an output to its empty value, when the pointer is not NULL: the first thing every
/// function does with each of its outputs, so that no return leaves one as it was.
///
/// # Safety
/// `out` is NULL or points to writable, aligned storage for `T`.
pub(crate) unsafe fn clear<T: Empty>(out: *mut T) {
    if !out.is_null() {
        // SAFETY: per the function's contract.
        unsafe { out.write(T::EMPTY) }
    }
}

/// Runs the body of an exported function that returns a plain value, returning `fallback` if
/// the body panics.
pub(crate) fn guard<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Checks that a required pointer argument is not NULL.
pub(crate) fn required<T>(pointer: *const T, name: &'static str) -> Result<(), Failure> {
    if pointer.is_null() {
        Err(Failure::NullArgument(name))
    } else {
        Ok(())
    }
}

/// Borrows the handle behind a required `const` pointer argument.
///
/// # Safety
/// `pointer` is NULL or points to a live `T` created by this library, not mutated during `'a`.
pub(crate) unsafe fn handle<'a, T>(
    pointer: *const T,
    name: &'static str,
) -> Result<&'a T, Failure> {
    required(pointer, name)?;
    // SAFETY: non-NULL, and valid per the caller's contract.
    Ok(unsafe { &*pointer })
}

/// Borrows the handle behind a required mutable pointer argument.
///
/// # Safety
/// `pointer` is NULL or points to a live `T` created by this library, used by no one else
/// during `'a`.
pub(crate) unsafe fn handle_mut<'a, T>(
    pointer: *mut T,
    name: &'static str,
) -> Result<&'a mut T, Failure> {
    required(pointer, name)?;
    // SAFETY: non-NULL, and exclusive per the caller's contract.
    Ok(unsafe { &mut *pointer })
}

/// Reads a required input string: non-NULL, NUL-terminated, UTF-8.
///
/// # Safety
/// `pointer` is NULL or points to a NUL-terminated string that stays unchanged during `'a`.
pub(crate) unsafe fn text<'a>(
    pointer: *const c_char,
    name: &'static str,
) -> Result<&'a str, Failure> {
    required(pointer, name)?;
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let bytes = unsafe { CStr::from_ptr(pointer) };
    bytes.to_str().map_err(|e| {
        // The position only: the value itself may be the access token.
        Failure::InvalidArgument(format!(
            "{name} is not valid UTF-8 (invalid byte sequence at offset {})",
            e.valid_up_to()
        ))
    })
}

/// Reads an optional input string: NULL is `None`, anything else as [`text`].
///
/// # Safety
/// As [`text`].
pub(crate) unsafe fn optional_text<'a>(
    pointer: *const c_char,
    name: &'static str,
) -> Result<Option<&'a str>, Failure> {
    if pointer.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { text(pointer, name) }.map(Some)
    }
}

/// Writes an output. Call only once everything that can fail has succeeded.
///
/// # Safety
/// `out` was checked non-NULL with [`required`] and points to writable, aligned storage for `T`.
pub(crate) unsafe fn write<T>(out: *mut T, value: T) {
    // SAFETY: per the function's contract.
    unsafe { out.write(value) }
}

/// Moves a value to the heap and hands ownership to C; [`free`] takes it back.
pub(crate) fn into_raw<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Releases a handle made by [`into_raw`]; NULL is a no-op. Panics while dropping are caught:
/// a `_free` function has no way to report them, and they must not unwind into C.
///
/// # Safety
/// `pointer` is NULL or came from [`into_raw`] for this `T` and was not freed before.
pub(crate) unsafe fn free<T>(pointer: *mut T) {
    if pointer.is_null() {
        return;
    }
    // SAFETY: per the function's contract, this is the only owner.
    let owned = unsafe { Box::from_raw(pointer) };
    let _ = catch_unwind(AssertUnwindSafe(move || drop(owned)));
}

/// A C copy of `text`. C strings end at the first NUL, so an embedded U+0000 (possible only in
/// text that came from the server) is shown as U+FFFD instead of cutting the string short.
pub(crate) fn c_string(text: &str) -> CString {
    let owned = if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text.to_owned()
    };
    CString::new(owned).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_string_keeps_text_and_replaces_nul() {
        assert_eq!(c_string("应用 a").to_str(), Ok("应用 a"));
        assert_eq!(c_string("a\0b").to_str(), Ok("a\u{FFFD}b"));
    }

    #[test]
    fn panics_become_the_panic_result_with_an_error() {
        let mut error: *mut yx_error = std::ptr::dangling_mut();
        let result = call(&raw mut error, || panic!("a bug holding pt-secret"));
        assert_eq!(result, yx_result::Panic);
        assert!(!error.is_null(), "a panic comes with an error object");
        // SAFETY: made by `call` above, freed once.
        let handed = unsafe { Box::from_raw(error) };
        assert!(handed.core().is_none(), "a panic has no core error");
        assert_eq!(handed.message_text(), PANIC_MESSAGE);
        assert_eq!(guard(7, || panic!("a bug")), 7);
    }

    #[test]
    fn success_sets_the_error_output_to_null() {
        let mut error: *mut yx_error = std::ptr::dangling_mut();
        assert_eq!(call(&raw mut error, || Ok(())), yx_result::Ok);
        assert!(error.is_null());
        let mut error: *mut yx_error = std::ptr::dangling_mut();
        assert_eq!(
            call(&raw mut error, || Err(Failure::NotPresent)),
            yx_result::NotPresent
        );
        assert!(error.is_null(), "an absent value is not an error");
    }

    #[test]
    fn argument_failures_hand_out_invalid_request_errors() {
        let mut error: *mut yx_error = std::ptr::null_mut();
        let result = call(&raw mut error, || Err(Failure::NullArgument("app_name")));
        assert_eq!(result, yx_result::NullArgument);
        assert!(!error.is_null());
        // SAFETY: made by `call` above, freed once.
        let handed = unsafe { Box::from_raw(error) };
        let core = handed.core().expect("a core error");
        assert_eq!(core.kind(), yunxiao_appstack::ErrorKind::InvalidRequest);
        assert_eq!(core.message(), "app_name must not be NULL");
    }

    #[test]
    fn invalid_utf8_is_reported_without_the_value() {
        let bytes = b"pt-secret-\xff\0";
        // SAFETY: a NUL-terminated literal.
        let failure = unsafe { text(bytes.as_ptr().cast(), "token") }.expect_err("invalid");
        let Failure::InvalidArgument(message) = failure else {
            panic!("not an argument failure")
        };
        assert_eq!(
            message,
            "token is not valid UTF-8 (invalid byte sequence at offset 10)"
        );
    }
}
