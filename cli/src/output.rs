//! Writing results: text for people, JSON for programs, errors on stderr.
//!
//! A closed stdout (`| head`) is not worth a failure status: write errors are ignored.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Value, json};
use yunxiao_appstack::{Effect, Error, OperationInfo, PreparedRequest, Timestamp};

use crate::args::Output;

/// Writes `text` to stdout, adding a final newline when it lacks one.
pub fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    if !text.is_empty() && !text.ends_with('\n') {
        let _ = stdout.write_all(b"\n");
    }
    let _ = stdout.flush();
}

/// Writes one line of JSON to stdout.
pub fn print_json(value: &impl Serialize) {
    match serde_json::to_string(value) {
        Ok(text) => print(&text),
        // The result types are plain data; this is not expected, but must not pass silently.
        Err(e) => eprintln!("error: cannot write the result as JSON: {e}"),
    }
}

/// Writes a result: `text()` in text mode, the typed value in JSON mode.
pub fn emit<T: Serialize>(output: Output, value: &T, text: impl FnOnce(&T) -> String) {
    match output {
        Output::Text => print(&text(value)),
        Output::Json => print_json(value),
    }
}

/// Prints the request a dry run would send (token masked).
pub fn print_prepared(prepared: &PreparedRequest, output: Output) {
    match output {
        Output::Text => print(&prepared.to_string()),
        Output::Json => {
            let headers: serde_json::Map<String, Value> = prepared
                .headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::String(v.clone())))
                .collect();
            let body: Value = serde_json::from_str(&prepared.body).unwrap_or(Value::Null);
            print_json(&json!({
                "method": prepared.method,
                "url": prepared.url.as_str(),
                "headers": headers,
                "body": body,
            }));
        }
    }
}

/// What the command's call is, for the line that says what an error left behind.
#[derive(Clone, Copy)]
pub struct CallKind {
    /// The operation's description (its effect and what an error may have done).
    pub info: Option<&'static OperationInfo>,
    /// What to say when nothing was done, e.g. "nothing was started".
    pub nothing_done: &'static str,
}

impl CallKind {
    /// A read: errors need no word on what was left behind.
    pub const READ: CallKind = CallKind {
        info: None,
        nothing_done: "",
    };

    /// A call that changes something.
    pub const fn change(info: &'static OperationInfo, nothing_done: &'static str) -> Self {
        CallKind {
            info: Some(info),
            nothing_done,
        }
    }

    fn changes(&self) -> bool {
        self.info
            .is_some_and(|info| info.effect != Effect::ReadOnly)
    }

    /// Whether `error` came from this call, or from nothing sent at all (configuration,
    /// invalid input) — not from another call of the command (a wait's poll after execute,
    /// a name lookup), whose failure says nothing about this one.
    fn is_call_of(&self, error: &Error) -> bool {
        match (error.call(), self.info) {
            (None, _) => true,
            (Some(call), Some(info)) => call.operation == info.name,
            (Some(_), None) => false,
        }
    }
}

/// Reports an error on stderr: text with what it means for the deployment, or JSON.
pub fn report_error(error: &Error, output: Output, kind: CallKind) {
    let mut stderr = std::io::stderr().lock();
    let _ = match output {
        Output::Text => {
            let consequence = if error.may_have_executed() {
                let effect = error
                    .call()
                    .map(|call| call.may_have_effect)
                    .filter(|text| !text.is_empty())
                    .or(kind.info.map(|info| info.may_have_effect))
                    .unwrap_or("the call may have taken effect");
                format!("\n{effect}: check before trying again")
            } else if kind.changes() && kind.is_call_of(error) {
                format!("\n{}", kind.nothing_done)
            } else {
                String::new()
            };
            writeln!(stderr, "error: {}{consequence}", with_action(error))
        }
        Output::Json => writeln!(stderr, "{}", error_json(error)),
    };
}

/// The error's text, led by what its call was doing when core's text does not say it (an
/// HTTP error's text is the status and the server's message only).
fn with_action(error: &Error) -> String {
    let text = error.to_string();
    match error.call().map(|call| &*call.action) {
        Some(action) if !action.is_empty() && !text.contains(action) => {
            format!("{action}: {text}")
        }
        _ => text,
    }
}

/// An error as the JSON object `--output json` writes.
pub fn error_json(error: &Error) -> Value {
    let api = error.api();
    json!({"error": {
        "kind": error.kind().as_str(),
        "message": error.message(),
        "display": error.to_string(),
        "status": error.status(),
        "errorCode": api.and_then(|a| a.error_code.clone()),
        "requestId": error.request_id(),
        "traceId": api.and_then(|a| a.trace_id.clone()),
        "retryAfter": error.retry_after().map(|d| d.as_secs_f64()),
        "mayHaveExecuted": error.may_have_executed(),
        "operation": error.call().map(|c| c.operation),
        "action": error.call().map(|c| c.action.to_string()),
    }})
}

/// Rows as columns padded to their widest cell, two spaces apart.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(i) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                text.push_str(cell);
                text.push_str(&" ".repeat(pad + 2));
            }
        }
        text.trim_end().to_owned()
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// An optional text for a table cell: `-` when absent or empty.
pub fn cell(value: Option<impl AsRef<str>>) -> String {
    match value {
        Some(v) if !v.as_ref().is_empty() => v.as_ref().to_owned(),
        _ => "-".to_owned(),
    }
}

/// A time from the server for people: the text as sent, except epoch numbers, which are
/// written as UTC.
pub fn time(value: Option<&Timestamp>) -> String {
    match value {
        None => "-".to_owned(),
        Some(t) if t.text.bytes().all(|b| b.is_ascii_digit()) => match t.epoch_millis {
            Some(millis) => utc(millis),
            None => t.text.clone(),
        },
        Some(t) => t.text.clone(),
    }
}

/// Now, as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn now() -> String {
    system_time(SystemTime::now())
}

/// A time of this machine, as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn system_time(time: SystemTime) -> String {
    let millis = time
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    utc_precise(millis)
}

/// Epoch milliseconds as `YYYY-MM-DD HH:MM:SSZ`.
pub fn utc(millis: i64) -> String {
    let (date, h, m, s, _) = civil(millis);
    format!("{date} {h:02}:{m:02}:{s:02}Z")
}

fn utc_precise(millis: i64) -> String {
    let (date, h, m, s, ms) = civil(millis);
    format!("{date}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
}

/// The UTC calendar date and clock time of epoch milliseconds (Howard Hinnant's
/// days-to-civil algorithm).
fn civil(millis: i64) -> (String, i64, i64, i64, i64) {
    let secs = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_millis_in_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00Z");
        assert_eq!(utc(1_796_177_019_691), "2026-12-02 02:03:39Z");
        assert_eq!(utc_precise(951_782_400_123), "2000-02-29T00:00:00.123Z");
    }

    #[test]
    fn columns_line_up() {
        let text = table(
            &["A", "LONG"],
            &[vec!["xyz".into(), "1".into()], vec!["b".into(), "-".into()]],
        );
        assert_eq!(text, "A    LONG\nxyz  1\nb    -");
    }
}
