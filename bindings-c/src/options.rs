//! `yx_options`: the settings a client is built from.
//!
//! A setter records a value; nothing is checked until yx_client_new, where the core resolves
//! every setting (explicit value, else the `YUNXIAO_*` environment variable, else its default)
//! and judges it. So a timeout of 0 is accepted here and refused there, with the core's message.

use std::ffi::{c_char, c_int};
use std::ptr;
use std::time::Duration;

use yunxiao_appstack::{ClientBuilder, Edition};

use crate::boundary::{self, Failure};
use crate::result::yx_result;

/// The text this binding adds to the `User-Agent` header: `yunxiao-appstack/VERSION (c)`.
const USER_AGENT_SUFFIX: &str = "c";

/// Which Yunxiao edition a client talks to; it decides the shape of the request paths.
/// Environment: `YUNXIAO_EDITION` ("central" or "region"); default central.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum yx_edition {
    /// The centre edition (中心版) at openapi-rdc.aliyuncs.com: paths name the organization.
    Central = 1,
    /// The region edition, on the organization's own domain: paths omit the organization.
    Region = 2,
}

/// Settings for yx_client_new. Create with yx_options_new, free with yx_options_free (any time
/// after yx_client_new: the client keeps a copy). Not synchronized: set from one thread at a
/// time.
pub struct yx_options {
    builder: ClientBuilder,
    ignore_environment: bool,
}

impl yx_options {
    /// Options with nothing set, as yx_options_new makes them.
    pub(crate) fn empty() -> Self {
        Self {
            builder: ClientBuilder::new(),
            ignore_environment: false,
        }
    }

    /// The builder for a client: these settings, this binding's user agent, and the
    /// environment unless ignored.
    pub(crate) fn client_builder(&self) -> ClientBuilder {
        let builder = self.builder.clone().user_agent_suffix(USER_AGENT_SUFFIX);
        if self.ignore_environment {
            builder.ignore_environment()
        } else {
            builder
        }
    }

    fn update(&mut self, change: impl FnOnce(ClientBuilder) -> ClientBuilder) {
        self.builder = change(std::mem::take(&mut self.builder));
    }
}

/// Applies `change` to the options behind `options`, after converting the arguments.
///
/// # Safety
/// `options` is NULL or a live yx_options used by no one else during the call.
unsafe fn set(
    options: *mut yx_options,
    change: impl FnOnce(&mut yx_options) -> Result<(), Failure>,
) -> yx_result {
    boundary::call(ptr::null_mut(), || {
        // SAFETY: forwarded contract.
        let options = unsafe { boundary::handle_mut(options, "options") }?;
        change(options)
    })
}

/// Creates options with nothing set: every setting comes from the environment (`YUNXIAO_*`)
/// or the default. Free with yx_options_free. Never returns NULL.
#[unsafe(no_mangle)]
pub extern "C" fn yx_options_new() -> *mut yx_options {
    boundary::guard(ptr::null_mut(), || boundary::into_raw(yx_options::empty()))
}

/// Frees options made by yx_options_new. NULL is a no-op.
///
/// # Safety
/// `options` is NULL or a yx_options from yx_options_new that was not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_options_free(options: *mut yx_options) {
    // SAFETY: forwarded contract.
    unsafe { boundary::free(options) }
}

/// Sets the personal access token, sent in the `x-yunxiao-token` header; copied. Environment:
/// `YUNXIAO_ACCESS_TOKEN`. Checked by yx_client_new (non-empty printable ASCII). The token never
/// appears in any message of the library.
///
/// # Safety
/// `options` is NULL or a live yx_options; `token` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_options_set_token(
    options: *mut yx_options,
    token: *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            let token = boundary::text(token, "token")?;
            o.update(|b| b.token(token));
            Ok(())
        })
    }
}

/// Sets the API base URL, optionally with a path prefix; copied. Environment:
/// `YUNXIAO_API_BASE_URL`; default https://openapi-rdc.aliyuncs.com. Must be https unless the
/// host is loopback or yx_options_set_allow_insecure_http is set.
///
/// # Safety
/// `options` is NULL or a live yx_options; `base_url` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_options_set_base_url(
    options: *mut yx_options,
    base_url: *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            let base_url = boundary::text(base_url, "base_url")?;
            o.update(|b| b.base_url(base_url));
            Ok(())
        })
    }
}

/// Sets the edition: a yx_edition value. Environment: `YUNXIAO_EDITION`; default central.
/// Any other value is YX_RESULT_INVALID_ARGUMENT.
///
/// # Safety
/// `options` is NULL or a live yx_options.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_options_set_edition(
    options: *mut yx_options,
    edition: c_int,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            let edition = match edition {
                e if e == yx_edition::Central as c_int => Edition::Central,
                e if e == yx_edition::Region as c_int => Edition::Region,
                _ => {
                    return Err(Failure::InvalidArgument(format!(
                        "edition {edition} is not a yx_edition value"
                    )));
                }
            };
            o.update(|b| b.edition(edition));
            Ok(())
        })
    }
}

/// Sets the organization used when a call names none; copied. Environment:
/// `YUNXIAO_ORGANIZATION_ID`. The central edition needs one, here or on each call.
///
/// # Safety
/// `options` is NULL or a live yx_options; `organization_id` is NULL or a NUL-terminated
/// string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_options_set_organization_id(
    options: *mut yx_options,
    organization_id: *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            let id = boundary::text(organization_id, "organization_id")?;
            o.update(|b| b.organization_id(id));
            Ok(())
        })
    }
}

/// Sets the time allowed for one attempt, from connecting to the last byte of the answer, in
/// milliseconds. Environment: `YUNXIAO_TIMEOUT` (seconds); default 60 s. Must be above 0 and at
/// most 24 hours (checked by yx_client_new).
///
/// # Safety
/// `options` is NULL or a live yx_options.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_options_set_request_timeout_ms(
    options: *mut yx_options,
    timeout_ms: u64,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.update(|b| b.request_timeout(Duration::from_millis(timeout_ms)));
            Ok(())
        })
    }
}

/// Sets the time allowed to open a connection (TCP and TLS), in milliseconds. Environment:
/// `YUNXIAO_CONNECT_TIMEOUT` (seconds); default 10 s. Must be above 0 and at most 24 hours.
///
/// # Safety
/// `options` is NULL or a live yx_options.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_options_set_connect_timeout_ms(
    options: *mut yx_options,
    timeout_ms: u64,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.update(|b| b.connect_timeout(Duration::from_millis(timeout_ms)));
            Ok(())
        })
    }
}

/// Sets how many times a failed attempt is retried — only failures where the server certainly
/// did not act (no connection, a 429…). Environment: `YUNXIAO_MAX_RETRIES`;
/// default 2; at most 10.
///
/// # Safety
/// `options` is NULL or a live yx_options.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_options_set_max_retries(
    options: *mut yx_options,
    max_retries: u32,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.update(|b| b.max_retries(max_retries));
            Ok(())
        })
    }
}

/// Sets the largest answer body read, in bytes; a larger answer is a
/// YX_ERROR_KIND_RESPONSE_TOO_LARGE error. Default 8 MiB; must be above 0.
///
/// # Safety
/// `options` is NULL or a live yx_options.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_options_set_max_response_bytes(
    options: *mut yx_options,
    max_bytes: usize,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.update(|b| b.max_response_bytes(max_bytes));
            Ok(())
        })
    }
}

/// Allows a plain `http://` base URL on a host that is not loopback. Off by default: the token
/// would cross the network in clear text.
///
/// # Safety
/// `options` is NULL or a live yx_options.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_options_set_allow_insecure_http(
    options: *mut yx_options,
    allow: bool,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.update(|b| b.allow_insecure_http(allow));
            Ok(())
        })
    }
}

/// With `ignore` true, yx_client_new reads no `YUNXIAO_*` environment variable: only the
/// values set on these options and the defaults count. Off by default.
///
/// # Safety
/// `options` is NULL or a live yx_options.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_options_set_ignore_environment(
    options: *mut yx_options,
    ignore: bool,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.ignore_environment = ignore;
            Ok(())
        })
    }
}

/// Sets a file of PEM certificates to trust, in addition to the built-in roots, for a server
/// whose certificate a private CA signed; copied. Environment: `YUNXIAO_CA_BUNDLE`; default
/// none. Read and checked by yx_client_new (a missing or unreadable file is a configuration
/// error); a server certificate refused is a YX_ERROR_KIND_CONNECTION error.
///
/// # Safety
/// `options` is NULL or a live yx_options; `path` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_options_set_ca_bundle(
    options: *mut yx_options,
    path: *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            let path = boundary::text(path, "path")?;
            o.update(|b| b.ca_bundle(path));
            Ok(())
        })
    }
}

/// Sets the proxy for every request, e.g. `http://user:password@proxy:3128`; copied, and kept
/// as secret as the token (never in a message). Default: `HTTPS_PROXY` / `ALL_PROXY` from the
/// environment. Checked by yx_client_new.
///
/// # Safety
/// `options` is NULL or a live yx_options; `proxy_url` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_options_set_proxy(
    options: *mut yx_options,
    proxy_url: *const c_char,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            let url = boundary::text(proxy_url, "proxy_url")?;
            o.update(|b| b.proxy(url));
            Ok(())
        })
    }
}

/// Sets the longest one call may take across all its attempts and waits (backoff,
/// Retry-After, the rate cap), in milliseconds; a call over it fails with
/// YX_ERROR_KIND_TIMEOUT. Environment: `YUNXIAO_DEADLINE` (seconds); default none. Must be
/// above 0 (checked by yx_client_new). A lifecycle wait has its own "deadline_ms" argument.
///
/// # Safety
/// `options` is NULL or a live yx_options.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_options_set_deadline_ms(
    options: *mut yx_options,
    deadline_ms: u64,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.update(|b| b.deadline(Duration::from_millis(deadline_ms)));
            Ok(())
        })
    }
}

/// Sets the most requests per second this client sends (all its calls and threads together):
/// requests are delayed, never dropped. Environment: `YUNXIAO_MAX_RPS`; default none. Must be
/// a finite number above 0 (checked by yx_client_new).
///
/// # Safety
/// `options` is NULL or a live yx_options.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yx_options_set_max_rps(
    options: *mut yx_options,
    max_rps: f64,
) -> yx_result {
    // SAFETY: forwarded contract.
    unsafe {
        set(options, |o| {
            o.update(|b| b.max_rps(max_rps));
            Ok(())
        })
    }
}
