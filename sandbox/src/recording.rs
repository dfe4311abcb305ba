//! The request log: every non-control request, in arrival order, with the token masked.

use std::collections::{BTreeMap, VecDeque};

use http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The default cap on kept records (older ones are dropped first).
pub const DEFAULT_MAX_RECORDS: usize = 100_000;

/// The name of the token header, lowercase.
pub const TOKEN_HEADER: &str = "x-yunxiao-token";

/// What stands in for the token wherever it would be recorded.
pub const MASK: &str = "****";

/// How the request's `x-yunxiao-token` compared with the sandbox's token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenStatus {
    /// Exactly one `x-yunxiao-token` header, equal to the token.
    Valid,
    /// The header is present but wrong (or present more than once).
    Invalid,
    /// No `x-yunxiao-token` header.
    Missing,
}

impl TokenStatus {
    /// Classifies the token headers of a request.
    pub(crate) fn of(headers: &HeaderMap, token: &str) -> TokenStatus {
        let mut values = headers.get_all(TOKEN_HEADER).iter();
        match (values.next(), values.next()) {
            (None, _) => TokenStatus::Missing,
            (Some(value), None) if value.as_bytes() == token.as_bytes() => TokenStatus::Valid,
            _ => TokenStatus::Invalid,
        }
    }
}

/// One recorded request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// 1-based position since the log was last cleared.
    pub seq: u64,
    /// The HTTP method, e.g. `"POST"`.
    pub method: String,
    /// The raw path plus `?query` if any, exactly as received (not decoded).
    pub path: String,
    /// Headers by lowercase name; repeated headers joined with `", "`; the token masked.
    pub headers: BTreeMap<String, String>,
    /// How the token compared.
    pub token: TokenStatus,
    /// The body as UTF-8 (invalid sequences replaced by U+FFFD).
    pub body: String,
    /// The body parsed as JSON, or `None` (`null`) when empty or not JSON.
    pub json: Option<Value>,
}

impl RecordedRequest {
    /// The value of a header by name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Builds a record; `seq` is filled in by the log. Every occurrence of `token` in the
    /// path, header values and body is replaced by `****`, and `x-yunxiao-token` always is.
    pub(crate) fn capture(
        method: &str,
        path_and_query: &str,
        headers: &HeaderMap,
        body: &[u8],
        token: &str,
    ) -> RecordedRequest {
        let scrub = |text: String| -> String {
            if !token.is_empty() && text.contains(token) {
                text.replace(token, MASK)
            } else {
                text
            }
        };
        let mut recorded: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in headers {
            let value = if name.as_str() == TOKEN_HEADER {
                MASK.to_string()
            } else {
                scrub(String::from_utf8_lossy(value.as_bytes()).into_owned())
            };
            recorded
                .entry(name.as_str().to_string())
                .and_modify(|existing| {
                    existing.push_str(", ");
                    existing.push_str(&value);
                })
                .or_insert(value);
        }
        let body = scrub(String::from_utf8_lossy(body).into_owned());
        let json = if body.is_empty() {
            None
        } else {
            serde_json::from_str(&body).ok()
        };
        RecordedRequest {
            seq: 0,
            method: method.to_string(),
            path: scrub(path_and_query.to_string()),
            headers: recorded,
            token: TokenStatus::of(headers, token),
            body,
            json,
        }
    }
}

/// The bounded request log.
#[derive(Debug)]
pub(crate) struct RequestLog {
    enabled: bool,
    max: usize,
    count: u64,
    entries: VecDeque<RecordedRequest>,
}

/// The JSON answer of `GET /_sandbox/requests`, borrowing the log.
#[derive(Serialize)]
pub(crate) struct RequestsView<'a> {
    count: u64,
    requests: &'a VecDeque<RecordedRequest>,
}

impl RequestLog {
    /// An empty log.
    pub fn new(enabled: bool, max: usize) -> RequestLog {
        RequestLog {
            enabled,
            max,
            count: 0,
            entries: VecDeque::new(),
        }
    }

    /// Whether requests are being recorded.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Turns recording on or off (the kept log stays).
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    /// Appends a record, numbering it and dropping the oldest beyond the cap.
    pub fn push(&mut self, mut record: RecordedRequest) {
        self.count += 1;
        record.seq = self.count;
        if self.max == 0 {
            return;
        }
        while self.entries.len() >= self.max {
            self.entries.pop_front();
        }
        self.entries.push_back(record);
    }

    /// Total recorded since the last clear, including dropped records.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// A copy of the kept records.
    pub fn records(&self) -> Vec<RecordedRequest> {
        self.entries.iter().cloned().collect()
    }

    /// The `GET /_sandbox/requests` view.
    pub fn view(&self) -> RequestsView<'_> {
        RequestsView {
            count: self.count,
            requests: &self.entries,
        }
    }

    /// Forgets every record and restarts numbering.
    pub fn clear(&mut self) {
        self.count = 0;
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(token: Option<&str>) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert("content-type", HeaderValue::from_static("application/json"));
        map.append("x-multi", HeaderValue::from_static("a"));
        map.append("x-multi", HeaderValue::from_static("b"));
        map.insert(
            "authorization",
            HeaderValue::from_static("Bearer pt-secret"),
        );
        if let Some(token) = token {
            map.insert(
                TOKEN_HEADER,
                HeaderValue::from_str(token).expect("valid value"),
            );
        }
        map
    }

    #[test]
    fn masks_and_classifies() {
        let record = RecordedRequest::capture(
            "POST",
            "/p?t=pt-secret",
            &headers(Some("pt-secret")),
            br#"{"params": {"x": "pt-secret"}}"#,
            "pt-secret",
        );
        assert_eq!(record.token, TokenStatus::Valid);
        assert_eq!(record.header("X-Yunxiao-Token"), Some(MASK));
        assert_eq!(record.header("authorization"), Some("Bearer ****"));
        assert_eq!(record.header("x-multi"), Some("a, b"));
        assert_eq!(record.path, "/p?t=****");
        assert!(
            !serde_json::to_string(&record)
                .expect("json")
                .contains("pt-secret")
        );
        assert_eq!(
            record.json,
            Some(serde_json::json!({"params": {"x": "****"}}))
        );
        let wrong = RecordedRequest::capture("POST", "/", &headers(Some("nope")), b"", "t");
        assert_eq!(wrong.token, TokenStatus::Invalid);
        assert_eq!(wrong.header(TOKEN_HEADER), Some(MASK));
        assert_eq!(wrong.json, None);
        let missing = RecordedRequest::capture("POST", "/", &headers(None), b"x", "t");
        assert_eq!(missing.token, TokenStatus::Missing);
        assert_eq!(missing.json, None);
    }

    #[test]
    fn log_caps_and_counts() {
        let mut log = RequestLog::new(true, 2);
        for _ in 0..3 {
            log.push(RecordedRequest::capture(
                "GET",
                "/",
                &HeaderMap::new(),
                b"",
                "t",
            ));
        }
        assert_eq!(log.count(), 3);
        let seqs: Vec<_> = log.records().iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [2, 3]);
        log.clear();
        assert_eq!((log.count(), log.records().len()), (0, 0));
    }
}
