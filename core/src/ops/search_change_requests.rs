//! ListAppChangeRequests: search an app's change requests (a POST that only reads).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::lenient::{Obj, Timestamp, open_enum};
use crate::operation::{Answer, AppRef, Effect, HttpMethod, Operation, OperationInfo};
use crate::ops::{check_range, list_items};
use crate::paging::{BlockingPaginator, Page, Paged, Paginator};
use crate::{Client, blocking};

open_enum! {
    /// The state of a change request.
    ChangeRequestState {
        /// `DEVELOPING`.
        Developing = "DEVELOPING",
        /// `INTEGRATING`.
        Integrating = "INTEGRATING",
        /// `RELEASED`.
        Released = "RELEASED",
        /// `CLOSED`.
        Closed = "CLOSED",
        /// `INIT`.
        Init = "INIT"
    }
}

/// Filters and paging of a change-request search; all optional.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct SearchChangeRequestsOptions {
    /// The page number, from 1 (`current`).
    pub current: Option<u32>,
    /// Change requests per page, 1–30 (`pageSize`; the server's default is 10).
    pub page_size: Option<u32>,
    /// Only these owners' (user ids).
    pub owner: Vec<String>,
    /// Only names containing this text.
    pub name: Option<String>,
    /// Only these states.
    pub state: Vec<ChangeRequestState>,
}

/// The request of ListAppChangeRequests.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListAppChangeRequests {
    /// The app.
    #[serde(flatten)]
    pub app: AppRef,
    /// Filters and paging.
    #[serde(flatten)]
    pub options: SearchChangeRequestsOptions,
}

/// A change request (`records[]`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ChangeRequest {
    /// `sn`: what `releaseBranchRepoInfo.featureBranchs[].changeRequestSn` takes.
    pub sn: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `appName`.
    pub app_name: Option<String>,
    /// `type`, e.g. `APP`.
    pub change_type: Option<String>,
    /// `state`.
    pub state: Option<ChangeRequestState>,
    /// `branch`: the change's branch.
    pub branch: Option<String>,
    /// `originBranch`: the branch it was cut from.
    pub origin_branch: Option<String>,
    /// `originBranchRevision`.
    pub origin_branch_revision: Option<String>,
    /// `ownerId`.
    pub owner_id: Option<String>,
    /// `creatorId`.
    pub creator_id: Option<String>,
    /// `gmtCreate`.
    pub gmt_create: Option<Timestamp>,
    /// `gmtModified`.
    pub gmt_modified: Option<Timestamp>,
    /// `appCodeRepoSn`.
    pub app_code_repo_sn: Option<String>,
    /// `appCodeRepo.repoUrl` (else `appCodeRepo.repoContext.repoUrl`).
    pub repo_url: Option<String>,
    /// The record as received.
    pub raw: Value,
}

impl ChangeRequest {
    fn from_value(value: &Value) -> Self {
        let o = Obj::of(value);
        let repo = o.obj("appCodeRepo");
        ChangeRequest {
            sn: o.str("sn"),
            name: o.str("name"),
            app_name: o.str("appName"),
            change_type: o.str("type"),
            state: o.status(&["state"]),
            branch: o.str("branch"),
            origin_branch: o.str("originBranch"),
            origin_branch_revision: o.str("originBranchRevision"),
            owner_id: o.str("ownerId"),
            creator_id: o.str("creatorId"),
            gmt_create: o.time("gmtCreate"),
            gmt_modified: o.time("gmtModified"),
            app_code_repo_sn: o.str("appCodeRepoSn"),
            repo_url: repo
                .str("repoUrl")
                .or_else(|| repo.obj("repoContext").str("repoUrl")),
            raw: value.clone(),
        }
    }
}

impl Operation for ListAppChangeRequests {
    type Output = Page<ChangeRequest>;

    const INFO: OperationInfo = OperationInfo {
        name: "ListAppChangeRequests",
        method_name: "search_change_requests",
        http_method: HttpMethod::Post,
        path: "/apps/{appName}/changeRequests:search",
        query: &[],
        effect: Effect::ReadOnly,
        summary: "Search an app's change requests by state, owner and name, a page at a time.",
        may_have_effect: "",
    };

    const RESULT_KEYS: &'static [&'static str] = &["records", "total"];

    fn app(&self) -> &AppRef {
        &self.app
    }

    fn path_value(&self, _: &str) -> Option<String> {
        None
    }

    fn body(&self) -> Result<Option<Value>, Error> {
        let o = &self.options;
        check_range("current", o.current, 1..=u32::MAX)?;
        check_range("page_size", o.page_size, 1..=30)?;
        // The documented body is required, so at least `{}` is sent.
        let mut body = Map::new();
        if let Some(current) = o.current {
            body.insert("current".into(), current.into());
        }
        if let Some(size) = o.page_size {
            body.insert("pageSize".into(), size.into());
        }
        if !o.owner.is_empty() {
            body.insert("owner".into(), o.owner.clone().into());
        }
        if let Some(name) = &o.name {
            body.insert("name".into(), name.clone().into());
        }
        if !o.state.is_empty() {
            let states: Vec<Value> = o.state.iter().map(|s| s.as_str().into()).collect();
            body.insert("state".into(), states.into());
        }
        Ok(Some(Value::Object(body)))
    }

    fn describe(&self) -> String {
        format!("searching the change requests of {}", self.app)
    }

    fn parse(&self, answer: Answer) -> Result<Page<ChangeRequest>, Error> {
        let items = list_items(&answer, &["records", "data"])?;
        let raw = answer.require_json()?;
        let o = Obj::of(raw);
        let mut page = Page {
            items: items.iter().map(ChangeRequest::from_value).collect(),
            total: o.u64("total"),
            current: o.u64("current"),
            pages: o.u64("pages"),
            per_page: o.u64_any(&["pageSize", "perPage"]),
            next_token: None,
            raw: Value::Null,
        };
        page.raw = answer.into_json();
        Ok(page)
    }
    fn take_raw(output: &mut Self::Output) -> Option<Value> {
        Some(std::mem::take(&mut output.raw))
    }
}

impl Paged for ListAppChangeRequests {
    type Item = ChangeRequest;

    fn next_page_of(&self, page: &Page<ChangeRequest>, count: usize) -> Option<Self> {
        if page.is_last_of(count, self.options.page_size.map(u64::from)) {
            return None;
        }
        let current = page
            .current
            .and_then(|c| u32::try_from(c).ok())
            .unwrap_or(self.options.current.unwrap_or(1));
        let mut next = self.clone();
        next.options.current = Some(current.checked_add(1)?);
        Some(next)
    }
}

impl Client {
    /// Searches one page of an app's change requests (ListAppChangeRequests).
    pub async fn search_change_requests(
        &self,
        app: &AppRef,
        options: SearchChangeRequestsOptions,
    ) -> Result<Page<ChangeRequest>, Error> {
        self.send(&ListAppChangeRequests {
            app: app.clone(),
            options,
        })
        .await
    }

    /// Every matching change request, page after page; at most `limit` when given.
    pub fn search_change_requests_all(
        &self,
        app: &AppRef,
        options: SearchChangeRequestsOptions,
        limit: Option<usize>,
    ) -> Paginator<ListAppChangeRequests> {
        let first = ListAppChangeRequests {
            app: app.clone(),
            options,
        };
        Paginator::new(self.clone(), first, limit)
    }
}

impl blocking::Client {
    /// Blocking twin of [`Client::search_change_requests`].
    pub fn search_change_requests(
        &self,
        app: &AppRef,
        options: SearchChangeRequestsOptions,
    ) -> Result<Page<ChangeRequest>, Error> {
        self.send(&ListAppChangeRequests {
            app: app.clone(),
            options,
        })
    }

    /// Blocking twin of [`Client::search_change_requests_all`]: an iterator.
    pub fn search_change_requests_all(
        &self,
        app: &AppRef,
        options: SearchChangeRequestsOptions,
        limit: Option<usize>,
    ) -> BlockingPaginator<ListAppChangeRequests> {
        let first = ListAppChangeRequests {
            app: app.clone(),
            options,
        };
        BlockingPaginator::new(self.clone(), first, limit)
    }
}
