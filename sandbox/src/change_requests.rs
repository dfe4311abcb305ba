//! ListAppChangeRequests: searching an app's change requests.

use serde_json::{Map, Value, json};

use crate::fixture::{App, CHANGE_REQUEST_STATES, ChangeRequest, Missing};
use crate::router::{Answer, Ctx};
use crate::state::State;

/// The largest `pageSize` the service accepts.
const MAX_PAGE_SIZE: u64 = 30;
/// `pageSize` when the body gives none.
const DEFAULT_PAGE_SIZE: u64 = 10;

/// The search body, checked.
struct Search {
    current: u64,
    page_size: u64,
    owners: Vec<String>,
    name: Option<String>,
    states: Vec<String>,
}

/// A positive integer field; absent or null gives `default`.
fn integer(body: &Map<String, Value>, key: &str, default: u64) -> Result<u64, String> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(value) => value
            .as_u64()
            .ok_or_else(|| format!("{key} must be a non-negative integer, got {value}")),
    }
}

/// A list of strings; absent or null is empty.
fn strings(body: &Map<String, Value>, key: &str) -> Result<Vec<String>, String> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{key} must be an array of strings, got {item} in it"))
            })
            .collect(),
        Some(other) => Err(format!("{key} must be an array of strings, got {other}")),
    }
}

impl Search {
    /// Reads the body; unknown fields are ignored, as the service ignores them.
    fn parse(body: &Map<String, Value>) -> Result<Search, String> {
        let current = integer(body, "current", 1)?;
        if current < 1 {
            return Err("current must be at least 1".into());
        }
        let page_size = integer(body, "pageSize", DEFAULT_PAGE_SIZE)?;
        if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
            return Err(format!(
                "pageSize must be between 1 and {MAX_PAGE_SIZE}, got {page_size}"
            ));
        }
        let name = match body.get("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) if name.is_empty() => None,
            Some(Value::String(name)) => Some(name.to_lowercase()),
            Some(other) => return Err(format!("name must be a string, got {other}")),
        };
        let states = strings(body, "state")?;
        if let Some(bad) = states
            .iter()
            .find(|s| !CHANGE_REQUEST_STATES.contains(&s.as_str()))
        {
            return Err(format!(
                "state {bad:?} is not one of {CHANGE_REQUEST_STATES:?}"
            ));
        }
        Ok(Search {
            current,
            page_size,
            owners: strings(body, "owner")?,
            name,
            states,
        })
    }

    /// Whether a change request passes every filter given (`name` is a case-insensitive
    /// substring match).
    fn matches(&self, cr: &ChangeRequest) -> bool {
        (self.owners.is_empty() || self.owners.contains(&cr.owner_id))
            && (self.states.is_empty() || self.states.contains(&cr.state))
            && self
                .name
                .as_ref()
                .is_none_or(|name| cr.name.to_lowercase().contains(name.as_str()))
    }
}

fn record(app: &App, cr: &ChangeRequest) -> Value {
    json!({
        "sn": cr.sn,
        "appName": app.name,
        "name": cr.name,
        "type": "APP",
        "state": cr.state,
        "branch": cr.branch,
        "originBranch": cr.origin_branch,
        "ownerId": cr.owner_id,
        "creatorId": cr.creator_id,
        "gmtCreate": cr.gmt_create,
        "gmtModified": cr.gmt_modified,
        "appCodeRepoSn": cr.app_code_repo_sn,
    })
}

/// ListAppChangeRequests: the app's change requests that pass the filters, in fixture order,
/// one page of them.
pub(crate) fn search(ctx: &Ctx<'_>) -> Answer {
    let body = ctx.json_object();
    let t = &ctx.target;
    let state = ctx.sandbox.lock();
    let State { index, fixture, .. } = &*state;
    // Existence before the body, as execute does: a wrong name is the more useful error.
    let entry = index
        .app(t.org.as_deref(), &t.app)
        .map_err(|m| ctx.not_found(&m))?;
    let app = fixture
        .organizations
        .get(entry.org_index)
        .and_then(|org| org.apps.get(entry.app_index))
        .ok_or_else(|| {
            ctx.not_found(&Missing::App {
                org: t.org.clone(),
                app: t.app.clone(),
            })
        })?;
    let search = Search::parse(&body?).map_err(|message| ctx.bad_request(&message))?;
    let found: Vec<&ChangeRequest> = app
        .change_requests
        .iter()
        .filter(|cr| search.matches(cr))
        .collect();
    let total = found.len() as u64;
    let size = usize::try_from(search.page_size).unwrap_or(usize::MAX);
    let skip = usize::try_from((search.current - 1).saturating_mul(search.page_size))
        .unwrap_or(usize::MAX);
    let records: Vec<Value> = found
        .iter()
        .skip(skip)
        .take(size)
        .map(|cr| record(app, cr))
        .collect();
    ctx.ok(&json!({
        "total": total,
        "current": search.current,
        "pageSize": search.page_size,
        "pages": total.div_ceil(search.page_size),
        "records": records,
    }))
}
