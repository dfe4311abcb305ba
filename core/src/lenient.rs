//! Reading answers leniently: every field optional, numbers as numbers or numeric strings,
//! JSON kept in strings parsed when valid, statuses as open enums, times in every documented
//! form. Nothing here can fail or panic on any input: a field of the wrong type reads as absent
//! (and stays visible in the answer's `raw`).

use std::fmt;

use schemars::JsonSchema;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::one_line;
use crate::policy;

/// A JSON object read field by field, each accessor tolerant of the shapes the sources disagree
/// on.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'a>(pub(crate) Option<&'a Map<String, Value>>);

impl<'a> Obj<'a> {
    /// `value` as an object; anything else reads as an empty object.
    pub(crate) fn of(value: &'a Value) -> Self {
        Obj(value.as_object())
    }

    fn get(&self, names: &[&str]) -> Option<&'a Value> {
        let map = self.0?;
        names
            .iter()
            .find_map(|name| map.get(*name).filter(|v| !v.is_null()))
    }

    /// The first of `names` present as a string (a number or boolean is written out).
    pub(crate) fn str_any(&self, names: &[&str]) -> Option<String> {
        self.get(names).and_then(text_of)
    }

    /// The field `name` as a string.
    pub(crate) fn str(&self, name: &str) -> Option<String> {
        self.str_any(&[name])
    }

    /// The first of `names` as a non-negative integer (a number or a numeric string).
    pub(crate) fn u64_any(&self, names: &[&str]) -> Option<u64> {
        self.get(names).and_then(lenient_u64)
    }

    /// The field `name` as a non-negative integer.
    pub(crate) fn u64(&self, name: &str) -> Option<u64> {
        self.u64_any(&[name])
    }

    /// The first of `names` as a boolean (`true`/`false`, `"true"`/`"false"`, `1`/`0`).
    pub(crate) fn bool_any(&self, names: &[&str]) -> Option<bool> {
        match self.get(names)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            },
            Value::Number(n) => n.as_u64().map(|n| n != 0),
            _ => None,
        }
    }

    /// The field `name` as a boolean.
    pub(crate) fn bool(&self, name: &str) -> Option<bool> {
        self.bool_any(&[name])
    }

    /// The field `name` as a time.
    pub(crate) fn time(&self, name: &str) -> Option<Timestamp> {
        self.get(&[name]).and_then(Timestamp::from_value)
    }

    /// The field `name` as JSON text: a string holding JSON is parsed, any other string kept.
    pub(crate) fn json_text(&self, name: &str) -> Option<JsonText> {
        self.get(&[name]).map(JsonText::from_value)
    }

    /// The field `name` as a status.
    pub(crate) fn status<S: From<String>>(&self, names: &[&str]) -> Option<S> {
        self.str_any(names).map(S::from)
    }

    /// The field `name` as an object (absent or another type: empty).
    pub(crate) fn obj(&self, name: &str) -> Obj<'a> {
        Obj(self.get(&[name]).and_then(Value::as_object))
    }

    /// The first of `names` as a list, each element read by `read`; a non-array reads as empty.
    pub(crate) fn list_any<T>(&self, names: &[&str], read: impl Fn(&'a Value) -> T) -> Vec<T> {
        match self.get(names) {
            Some(Value::Array(items)) => items.iter().map(read).collect(),
            _ => Vec::new(),
        }
    }

    /// The field `name` as a list.
    pub(crate) fn list<T>(&self, name: &str, read: impl Fn(&'a Value) -> T) -> Vec<T> {
        self.list_any(&[name], read)
    }

    /// The field `name` as a list of strings.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn strings(&self, name: &str) -> Vec<String> {
        self.list(name, text_of).into_iter().flatten().collect()
    }

    /// The field `name`, as it came.
    pub(crate) fn raw(&self, name: &str) -> Option<Value> {
        self.get(&[name]).cloned()
    }

    /// Whether any of `names` is present (even as null).
    pub(crate) fn has_any(&self, names: &[&str]) -> bool {
        self.0
            .is_some_and(|map| names.iter().any(|n| map.contains_key(*n)))
    }
}

/// A string, number or boolean, as text; ids are cut to a sane length.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A number, or a string holding one, as a non-negative integer.
pub(crate) fn lenient_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            let f = n.as_f64()?;
            // 2^64 as f64; integral floats below it convert exactly.
            (f.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&f))
                .then_some(f as u64)
        }),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
}

/// A field that holds JSON inside a string (`"params": "{\"a\":1}"`), or sometimes JSON itself.
///
/// Serializes as the parsed JSON when the text was valid JSON, else as the text.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonText {
    /// The text was JSON (or the field was JSON already): its value.
    Json(Value),
    /// The text, which was not JSON.
    Text(String),
}

impl JsonText {
    fn from_value(value: &Value) -> Self {
        match value {
            Value::String(text) => match serde_json::from_str::<Value>(text) {
                Ok(parsed) => JsonText::Json(parsed),
                Err(_) => JsonText::Text(text.clone()),
            },
            other => JsonText::Json(other.clone()),
        }
    }

    /// The parsed JSON, when the text was JSON.
    pub fn json(&self) -> Option<&Value> {
        match self {
            JsonText::Json(value) => Some(value),
            JsonText::Text(_) => None,
        }
    }
}

impl Serialize for JsonText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            JsonText::Json(value) => value.serialize(serializer),
            JsonText::Text(text) => text.serialize(serializer),
        }
    }
}

impl JsonSchema for JsonText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "JsonText".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "JSON the server sent inside a string, parsed; the text itself when it was not JSON."
        })
    }
}

/// Declares an open enum over a string field: known values as variants, anything else kept as
/// `Unknown(text)`. Serializes as the wire text.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $($wire:literal)|+),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version does not know, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// The wire text of the value.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => open_enum!(@first $($wire)|+),)+
                    $name::Unknown(text) => text,
                }
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                match text.trim() {
                    $($($wire)|+ => $name::$variant,)+
                    _ => $name::Unknown(text),
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                $name::from(text.to_owned())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(deserializer)?;
                Ok($name::from(text))
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "description": "An open set: other values may appear and are kept as sent.",
                    "examples": [$($($wire),+),+]
                })
            }
        }
    };
    (@first $first:literal $(| $rest:literal)*) => { $first };
}
pub(crate) use open_enum;

open_enum! {
    /// The status of a pipeline run, a stage of it or a job (`status`, `state`).
    ///
    /// Failure is spelled `FAIL` in pipeline runs and `FAILED` in execution records: both are
    /// failures ([`RunStatus::is_failure`]). Anything unknown is kept and is not terminal.
    RunStatus {
        /// `SUCCESS`.
        Success = "SUCCESS",
        /// `FAIL` (pipeline runs and jobs).
        Fail = "FAIL",
        /// `FAILED` (execution records).
        Failed = "FAILED",
        /// `CANCELED` (always one L).
        Canceled = "CANCELED",
        /// `RUNNING`.
        Running = "RUNNING",
        /// `WAITING`.
        Waiting = "WAITING",
        /// `INIT`: not started yet.
        Init = "INIT",
        /// `SKIPPED`: a job passed over by SkipChangeRequestStagePipeline.
        Skipped = "SKIPPED"
    }
}

impl RunStatus {
    /// `SUCCESS`, `FAIL`, `FAILED` or `CANCELED`: the run will not change any more.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            RunStatus::Success | RunStatus::Fail | RunStatus::Failed | RunStatus::Canceled
        )
    }

    /// `SUCCESS`.
    pub fn is_success(&self) -> bool {
        *self == RunStatus::Success
    }

    /// `FAIL` or `FAILED`.
    pub fn is_failure(&self) -> bool {
        matches!(self, RunStatus::Fail | RunStatus::Failed)
    }
}

/// A time as the server sent it, with its instant when the text could be read.
///
/// The sources send epoch milliseconds (numbers or numeric strings), ISO 8601 with an offset,
/// and `2024-01-01 00:00:00` with no zone; the last is read in
/// [`policy::DEFAULT_NAIVE_TIME_OFFSET_MINUTES`] (UTC+8, the zone of the Yunxiao service) unless
/// [`Timestamp::with_offset_minutes`] says otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Timestamp {
    /// The value as sent (a number written out).
    pub text: String,
    /// Milliseconds since the Unix epoch, when the text could be read.
    pub epoch_millis: Option<i64>,
    /// Whether the text carried no zone (the default offset was assumed).
    pub zone_assumed: bool,
}

impl Timestamp {
    pub(crate) fn from_value(value: &Value) -> Option<Self> {
        let text = text_of(value)?;
        if text.trim().is_empty() {
            return None;
        }
        Some(Self::parse(&text))
    }

    /// Reads `text` in any of the documented forms.
    pub fn parse(text: &str) -> Self {
        Self::parse_with_offset(text, policy::DEFAULT_NAIVE_TIME_OFFSET_MINUTES)
    }

    /// Reads `text`, taking a time with no zone as `offset_minutes` east of UTC.
    pub fn parse_with_offset(text: &str, offset_minutes: i32) -> Self {
        let trimmed = text.trim();
        let (epoch_millis, zone_assumed) = match parse_time(trimmed, offset_minutes) {
            Some((millis, assumed)) => (Some(millis), assumed),
            None => (None, false),
        };
        Timestamp {
            text: one_line(trimmed, policy::ID_MAX_CHARS),
            epoch_millis,
            zone_assumed,
        }
    }

    /// The same time re-read with another offset for zone-less text.
    pub fn with_offset_minutes(&self, offset_minutes: i32) -> Self {
        Self::parse_with_offset(&self.text, offset_minutes)
    }

    /// The instant, when known.
    pub fn system_time(&self) -> Option<std::time::SystemTime> {
        let millis = self.epoch_millis?;
        let magnitude = std::time::Duration::from_millis(millis.unsigned_abs());
        if millis >= 0 {
            std::time::SystemTime::UNIX_EPOCH.checked_add(magnitude)
        } else {
            std::time::SystemTime::UNIX_EPOCH.checked_sub(magnitude)
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Epoch milliseconds of `text`, and whether the zone was assumed.
fn parse_time(text: &str, offset_minutes: i32) -> Option<(i64, bool)> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = text.parse().ok()?;
        // Ten digits or fewer is seconds (until the year 2286); more is milliseconds.
        return Some((
            if text.len() <= 10 {
                n.checked_mul(1000)?
            } else {
                n
            },
            false,
        ));
    }
    let bytes = text.as_bytes();
    if bytes.len() < 19 {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if bytes[4] != b'-' || bytes[7] != b'-' || !matches!(bytes[10], b'T' | b't' | b' ') {
        return None;
    }
    if bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    let mut millis = 0i64;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let first3: String = fraction[..digits].chars().take(3).collect();
        millis = format!("{first3:0<3}").parse().ok()?;
        rest = &fraction[digits..];
    }
    let (offset, assumed) = match rest {
        "" => (i64::from(offset_minutes), true),
        "Z" | "z" => (0, false),
        zone => {
            let sign = match zone.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let hours: i64 = digits[..2].parse().ok()?;
            let minutes: i64 = digits[2..].parse().ok()?;
            (sign * (hours * 60 + minutes), false)
        }
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset * 60;
    Some((seconds * 1000 + millis, assumed))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_in_every_documented_form() {
        let utc = 1_704_067_200_000; // 2024-01-01T00:00:00Z
        assert_eq!(Timestamp::parse("1704067200000").epoch_millis, Some(utc));
        assert_eq!(Timestamp::parse("1704067200").epoch_millis, Some(utc));
        assert_eq!(
            Timestamp::parse("2024-01-01T00:00:00Z").epoch_millis,
            Some(utc)
        );
        assert_eq!(
            Timestamp::parse("2024-01-01T08:00:00.000+08:00").epoch_millis,
            Some(utc)
        );
        assert_eq!(
            Timestamp::parse("2024-01-01T08:00:00.5+0800").epoch_millis,
            Some(utc + 500)
        );
        let naive = Timestamp::parse("2024-01-01 08:00:00");
        assert_eq!((naive.epoch_millis, naive.zone_assumed), (Some(utc), true));
        assert_eq!(
            naive.with_offset_minutes(0).epoch_millis,
            Some(utc + 8 * 3_600_000)
        );
        for bad in [
            "",
            "soon",
            "2024-13-01 00:00:00",
            "2024-01-01 00:00:00+8",
            "２０２４",
        ] {
            assert_eq!(Timestamp::parse(bad).epoch_millis, None, "{bad}");
        }
        assert_eq!(
            Obj::of(&json!({"t": 1704067200000u64}))
                .time("t")
                .and_then(|t| t.epoch_millis),
            Some(utc)
        );
    }

    #[test]
    fn fields_are_lenient() {
        let value = json!({"a": "12", "b": 12.0, "c": -1, "d": "x", "e": "true", "f": null,
            "g": "{\"k\": 1}", "h": "not json", "l": [1, "2", {}], "s": "FAILED"});
        let o = Obj::of(&value);
        assert_eq!(
            (o.u64("a"), o.u64("b"), o.u64("c"), o.u64("d")),
            (Some(12), Some(12), None, None)
        );
        assert_eq!((o.bool("e"), o.bool("f")), (Some(true), None));
        assert_eq!(o.str_any(&["f", "a"]), Some("12".into()));
        assert_eq!(o.json_text("g"), Some(JsonText::Json(json!({"k": 1}))));
        assert_eq!(o.json_text("h"), Some(JsonText::Text("not json".into())));
        assert_eq!(o.strings("l"), vec!["1", "2"]);
        let status: RunStatus = o.status(&["s"]).expect("status");
        assert!(status.is_failure() && status.is_terminal());
        assert_eq!(
            RunStatus::from("PAUSED"),
            RunStatus::Unknown("PAUSED".into())
        );
        assert!(!RunStatus::from("PAUSED").is_terminal());
        assert_eq!(Obj::of(&json!([1])).u64("a"), None);
    }
}
