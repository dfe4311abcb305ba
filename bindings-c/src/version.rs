//! The version of the library linked at run time; the header's YX_VERSION* macros give the
//! version it was compiled against. Both come from the workspace manifest, the one version
//! source.

use std::ffi::{CStr, c_char};

use crate::boundary;

/// This crate's version, NUL-terminated for C.
const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(version) => version,
        Err(_) => panic!("a version has no NUL byte"),
    };

// The binding's version is the core's: both inherit the workspace version.
const _: () = assert!(same_text(
    env!("CARGO_PKG_VERSION"),
    yunxiao_appstack::VERSION
));

const fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A decimal version part, parsed at compile time.
const fn number(text: &str) -> u32 {
    let bytes = text.as_bytes();
    let mut value = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        assert!(bytes[i].is_ascii_digit(), "a version part is decimal");
        value = value * 10 + (bytes[i] - b'0') as u32;
        i += 1;
    }
    value
}

/// The version packed as YX_VERSION_NUM packs it: 0xXXYYZZ.
const VERSION_NUMBER: u32 = (number(env!("CARGO_PKG_VERSION_MAJOR")) << 16)
    | (number(env!("CARGO_PKG_VERSION_MINOR")) << 8)
    | number(env!("CARGO_PKG_VERSION_PATCH"));

/// The version of the library linked at run time, e.g. "0.1.0": compare with YX_VERSION, the
/// version of the header compiled against. The string is static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn yx_version() -> *const c_char {
    boundary::guard(VERSION.as_ptr(), || VERSION.as_ptr())
}

/// The version of the library linked at run time, packed as YX_VERSION_NUM: 0xXXYYZZ for
/// major XX, minor YY, patch ZZ. `yx_version_number() >= YX_VERSION_NUM` checks that the
/// library is at least as new as the header.
#[unsafe(no_mangle)]
pub extern "C" fn yx_version_number() -> u32 {
    boundary::guard(VERSION_NUMBER, || VERSION_NUMBER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_the_workspace_version() {
        // SAFETY: a static C string.
        let version = unsafe { CStr::from_ptr(yx_version()) };
        assert_eq!(version.to_str(), Ok(yunxiao_appstack::VERSION));
        let parts: Vec<u32> = yunxiao_appstack::VERSION
            .split(['.', '-', '+'])
            .take(3)
            .map(|p| p.parse().expect("numeric"))
            .collect();
        assert_eq!(
            yx_version_number(),
            (parts[0] << 16) | (parts[1] << 8) | parts[2]
        );
    }
}
