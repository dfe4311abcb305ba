//! The access token, kept out of every `Debug`, `Display`, log line and error message.

use std::fmt;

/// A Yunxiao personal access token (`x-yunxiao-token`).
///
/// Its `Debug` output is always masked; the value is reachable only through
/// [`AccessToken::expose`], which the client calls once per request to build the header.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// Wraps a token. Validation (empty, control characters) happens when a client is built.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself. Never log or format what this returns.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of the token in `text` with `****`, for text that came from
    /// elsewhere (a server that echoes the header back, say) and is about to be shown.
    pub fn scrub(&self, text: &str) -> String {
        // Validation refuses tokens under policy::MIN_TOKEN_CHARS; an empty one (never sent)
        // must not make `replace` insert the mask between every character.
        if self.0.is_empty() || !text.contains(self.0.as_str()) {
            return text.to_owned();
        }
        text.replace(self.0.as_str(), MASK)
    }
}

/// A setting that may carry credentials (a proxy URL with a password): masked in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself. Never log or format what this returns.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// What a masked secret looks like in every output.
pub const MASK: &str = "****";

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(****)")
    }
}

impl From<String> for AccessToken {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for AccessToken {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_masked_and_scrub_removes_the_token() {
        let token = AccessToken::new("pt-secret-value");
        assert_eq!(format!("{token:?}"), "AccessToken(****)");
        assert_eq!(token.scrub("echo pt-secret-value!"), "echo ****!");
        assert_eq!(token.scrub("nothing here"), "nothing here");
    }
}
