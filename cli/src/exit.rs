//! The exit codes of the command, one per kind of failure, stable across versions.

use yunxiao_appstack::ErrorKind;

/// A documented exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The call succeeded (for execute: the stage started), or `--dry-run` printed the request.
    Success = 0,
    /// The server refused the call with a status not listed below (409, 3xx…).
    ApiError = 1,
    /// Bad command-line usage (clap's own code).
    Usage = 2,
    /// Invalid request or configuration, or a 400 from the server: nothing was done.
    InvalidRequest = 3,
    /// 401 or 403: the token is missing, invalid, expired, or lacks permission.
    Auth = 4,
    /// 404: the organization, app, workflow, stage, run or job does not exist.
    NotFound = 5,
    /// 429, still after the retries.
    RateLimited = 6,
    /// 5xx from the server.
    Server = 7,
    /// An attempt timed out.
    Timeout = 8,
    /// The connection could not be opened, or broke.
    Connection = 9,
    /// A 2xx answer that could not be read (not JSON, too large).
    Decode = 10,
    /// `--wait`: the run failed.
    RunFailed = 11,
    /// `--wait`: the run was canceled.
    RunCanceled = 12,
    /// `--wait`: the wait's deadline (`--wait-timeout`) passed; the run goes on.
    WaitDeadline = 13,
    /// `--wait --on-approval stop`: the run waits at a manual gate.
    StoppedAtGate = 14,
    /// Interrupted by Ctrl-C (SIGINT), as shells report it: 128 + 2.
    Interrupted = 130,
}

impl Exit {
    /// The exit status for an error of `kind`.
    pub fn for_kind(kind: ErrorKind) -> Exit {
        match kind {
            ErrorKind::InvalidRequest | ErrorKind::Configuration | ErrorKind::BadRequest => {
                Exit::InvalidRequest
            }
            ErrorKind::Authentication | ErrorKind::PermissionDenied => Exit::Auth,
            ErrorKind::NotFound => Exit::NotFound,
            ErrorKind::RateLimited => Exit::RateLimited,
            ErrorKind::Server => Exit::Server,
            ErrorKind::Timeout => Exit::Timeout,
            ErrorKind::Connection => Exit::Connection,
            ErrorKind::Decode | ErrorKind::ResponseTooLarge => Exit::Decode,
            _ => Exit::ApiError,
        }
    }
}

/// The table printed at the end of `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
   0  success: the call succeeded (execute: the stage started), or --dry-run
      printed the request
   1  the server answered with another error status (409, 3xx, ...)
   2  bad command-line usage
   3  invalid request or configuration (a --dry-run without a token too), or
      HTTP 400: nothing was done
   4  HTTP 401/403: token invalid, expired or without permission
   5  HTTP 404: organization, app, workflow, stage, run or job not found
   6  HTTP 429: rate limited, still after the retries
   7  HTTP 5xx: server error (a call that changes something may have taken
      effect, e.g. the stage may have started, unless the error says otherwise)
   8  timeout (after sending, a call that changes something may have taken effect)
   9  connection failed or broke (after sending, likewise)
  10  a 2xx answer that could not be read: a change has probably been made
  11  --wait: the run failed (the failed jobs are named)
  12  --wait: the run was canceled
  13  --wait: the wait's deadline (--wait-timeout) passed; the run goes on
  14  --wait --on-approval stop: the run waits at a manual gate (its job id
      is named)
 130  interrupted (Ctrl-C): if the request was sent, a change may have been
      made; a wait stops and the run goes on, unless --cancel-on-interrupt
      (one cancel request)

Environment:
  YUNXIAO_ACCESS_TOKEN     the personal access token (or --token-file)
  YUNXIAO_ORGANIZATION_ID  the organization, when --org is not given
  YUNXIAO_API_BASE_URL     default https://openapi-rdc.aliyuncs.com
  YUNXIAO_EDITION          central (default) or region
  YUNXIAO_TIMEOUT          seconds per attempt (default 60)
  YUNXIAO_CONNECT_TIMEOUT  seconds to connect (default 10)
  YUNXIAO_MAX_RETRIES      retries of a failed attempt (default 2; see --max-retries)
  YUNXIAO_DEADLINE         seconds one call may take across all its attempts (default none)
  YUNXIAO_MAX_RPS          at most this many requests per second (default none)
  YUNXIAO_CA_BUNDLE        an extra PEM bundle of trusted certificates
  HTTPS_PROXY, NO_PROXY    the proxy (never used for a plain-http base URL)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_documented_code() {
        for kind in ErrorKind::ALL {
            let code = Exit::for_kind(kind) as i32;
            assert!(
                EXIT_CODES_HELP.contains(&format!("\n  {code:>2}  ")),
                "{kind}: {code}"
            );
        }
    }
}
