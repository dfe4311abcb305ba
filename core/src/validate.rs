//! Checks applied before anything is sent: a request that fails them costs no network call.

use crate::error::Error;
use crate::secret::AccessToken;

/// Checks a value that goes into a URL path segment (an id, an app name).
///
/// Empty values, control characters (CR, LF, NUL, DEL…) and the dot segments `.` and `..` are
/// refused: a URL parser would resolve dot segments even when percent-encoded, so they can
/// never reach the server as the value given.
pub(crate) fn path_value(field: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid_request(format!("{field} must not be empty")));
    }
    if value.trim().is_empty() {
        return Err(Error::invalid_request(format!("{field} must not be blank")));
    }
    if value.trim() != value {
        // Almost always a copy-paste slip, and the server would answer 404 for `%20my-app`.
        return Err(Error::invalid_request(format!(
            "{field} must not start or end with white space"
        )));
    }
    if let Some(ch) = value.chars().find(|c| c.is_control()) {
        return Err(Error::invalid_request(format!(
            "{field} must not contain control characters (found U+{:04X})",
            u32::from(ch)
        )));
    }
    if value == "." || value == ".." {
        return Err(Error::invalid_request(format!(
            "{field} must not be {value:?}: it is a URL dot segment"
        )));
    }
    Ok(())
}

/// Checks a key of `params`: non-empty and free of control characters.
pub(crate) fn param_key(source: &str, key: &str) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::invalid_request(format!(
            "{source}: parameter names must not be empty"
        )));
    }
    if let Some(ch) = key.chars().find(|c| c.is_control()) {
        return Err(Error::invalid_request(format!(
            "{source}: parameter names must not contain control characters (found U+{:04X})",
            u32::from(ch)
        )));
    }
    Ok(())
}

/// Checks the token: printable ASCII without spaces, as an HTTP header value must be. The
/// message never quotes the token.
pub(crate) fn token(token: &AccessToken) -> Result<(), Error> {
    let value = token.expose();
    if value.is_empty() {
        return Err(Error::configuration("the access token is empty"));
    }
    if value.len() < crate::policy::MIN_TOKEN_CHARS {
        return Err(Error::configuration(format!(
            "the access token is too short (under {} characters) to be a real one",
            crate::policy::MIN_TOKEN_CHARS
        )));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::configuration(
            "the access token must be printable ASCII without spaces or control characters (check for a trailing newline)",
        ));
    }
    Ok(())
}
