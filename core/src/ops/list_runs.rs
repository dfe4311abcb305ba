//! ListAppReleaseStageRuns: a stage's runs (execution records), a page at a time.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::lenient::{Obj, RunStatus, Timestamp};
use crate::operation::{
    Answer, AppRef, Effect, HttpMethod, Operation, OperationInfo, StageRef, stage_path_value,
};
use crate::ops::{check_range, list_items};
use crate::paging::{BlockingPaginator, Page, Paged, Paginator};
use crate::{Client, blocking};

/// How runs are ordered (`orderBy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum RunOrder {
    /// `id`: by execution number — with ascending order, the spec's choice for a strict walk.
    Id,
    /// `gmtCreate`: by creation time.
    GmtCreate,
}

/// Sort direction (`sort`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortDirection {
    /// `asc`.
    Asc,
    /// `desc`.
    Desc,
}

/// Options of a runs listing; all optional (the server's defaults: page 1, 20 per page).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ListRunsOptions {
    /// The page number, from 1 (page-number mode).
    pub page: Option<u32>,
    /// Runs per page, 1–100.
    pub per_page: Option<u32>,
    /// The order (`orderBy`).
    pub order_by: Option<RunOrder>,
    /// The direction (`sort`).
    pub sort: Option<SortDirection>,
    /// Keyset paging (`pagination=keyset`) instead of page numbers.
    pub keyset: bool,
    /// The keyset token of the page to get (from the previous page's `next_token`).
    pub next_token: Option<String>,
}

/// The request of ListAppReleaseStageRuns.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ListAppReleaseStageRuns {
    /// The stage.
    #[serde(flatten)]
    pub stage: StageRef,
    /// Paging and order.
    #[serde(flatten)]
    pub options: ListRunsOptions,
}

/// One run in a stage's list (`data[]`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct StageRun {
    /// `number`: the execution number the run calls take.
    pub number: Option<u64>,
    /// `state`.
    pub state: Option<RunStatus>,
    /// `triggerMode`.
    pub trigger_mode: Option<String>,
    /// `startTime` (often `2024-01-01 00:00:00`, no zone).
    pub start_time: Option<Timestamp>,
    /// `endTime` (absent while running).
    pub end_time: Option<Timestamp>,
}

impl StageRun {
    fn from_value(value: &Value) -> Self {
        let o = Obj::of(value);
        StageRun {
            number: o.u64_any(&["number", "executionNumber", "id"]),
            state: o.status(&["state", "status"]),
            trigger_mode: o.str("triggerMode"),
            start_time: o.time("startTime"),
            end_time: o.time("endTime"),
        }
    }
}

impl Operation for ListAppReleaseStageRuns {
    type Output = Page<StageRun>;

    const INFO: OperationInfo = OperationInfo {
        name: "ListAppReleaseStageRuns",
        method_name: "list_release_stage_runs",
        http_method: HttpMethod::Get,
        path: "/apps/{appName}/releaseWorkflows/{releaseWorkflowSn}/releaseStages/{releaseStageSn}/executions",
        query: &[
            "pagination",
            "page",
            "perPage",
            "orderBy",
            "sort",
            "nextToken",
        ],
        effect: Effect::ReadOnly,
        summary: "List a release stage's runs, newest first by default, a page at a time.",
        may_have_effect: "",
    };

    const RESULT_KEYS: &'static [&'static str] = &["data", "current", "nextToken"];

    fn app(&self) -> &AppRef {
        &self.stage.app
    }

    fn path_value(&self, name: &str) -> Option<String> {
        stage_path_value(&self.stage, name)
    }

    fn query(&self) -> Result<Vec<(&'static str, String)>, Error> {
        let o = &self.options;
        check_range("page", o.page, 1..=u32::MAX)?;
        check_range("per_page", o.per_page, 1..=100)?;
        if o.next_token.is_some() && !o.keyset {
            return Err(Error::invalid_request(
                "next_token is a keyset token: set keyset as well",
            ));
        }
        let mut query = Vec::new();
        if o.keyset {
            query.push(("pagination", "keyset".to_owned()));
        }
        if let Some(page) = o.page {
            query.push(("page", page.to_string()));
        }
        if let Some(per_page) = o.per_page {
            query.push(("perPage", per_page.to_string()));
        }
        if let Some(order) = o.order_by {
            let order = match order {
                RunOrder::Id => "id",
                RunOrder::GmtCreate => "gmtCreate",
            };
            query.push(("orderBy", order.to_owned()));
        }
        if let Some(sort) = o.sort {
            let sort = match sort {
                SortDirection::Asc => "asc",
                SortDirection::Desc => "desc",
            };
            query.push(("sort", sort.to_owned()));
        }
        if let Some(token) = &o.next_token {
            query.push(("nextToken", token.clone()));
        }
        Ok(query)
    }

    fn describe(&self) -> String {
        format!("listing the runs of {}", self.stage)
    }

    fn parse(&self, answer: Answer) -> Result<Page<StageRun>, Error> {
        let items = list_items(&answer, &["data", "records", "items"])?;
        let raw = answer.require_json()?;
        let o = Obj::of(raw);
        let mut page = Page {
            items: items.iter().map(StageRun::from_value).collect(),
            total: o.u64("total"),
            current: o.u64_any(&["current", "page"]),
            pages: o.u64_any(&["pages", "totalPages"]),
            per_page: o.u64_any(&["perPage", "pageSize"]),
            next_token: o.str("nextToken"),
            raw: Value::Null,
        };
        page.raw = answer.into_json();
        Ok(page)
    }
    fn take_raw(output: &mut Self::Output) -> Option<Value> {
        Some(std::mem::take(&mut output.raw))
    }
}

impl Paged for ListAppReleaseStageRuns {
    type Item = StageRun;

    fn next_page_of(&self, page: &Page<StageRun>, count: usize) -> Option<Self> {
        if page.is_last_of(count, self.options.per_page.map(u64::from)) {
            return None;
        }
        let mut next = self.clone();
        if self.options.keyset {
            let token = page.next_token.clone()?;
            if self.options.next_token.as_deref() == Some(token.as_str()) {
                return None; // The same token twice would loop forever.
            }
            next.options.next_token = Some(token);
        } else {
            let current = page
                .current
                .and_then(|c| u32::try_from(c).ok())
                .unwrap_or(self.options.page.unwrap_or(1));
            next.options.page = Some(current.checked_add(1)?);
        }
        Some(next)
    }
}

impl Client {
    /// Lists one page of a stage's runs (ListAppReleaseStageRuns).
    pub async fn list_release_stage_runs(
        &self,
        stage: &StageRef,
        options: ListRunsOptions,
    ) -> Result<Page<StageRun>, Error> {
        self.send(&ListAppReleaseStageRuns {
            stage: stage.clone(),
            options,
        })
        .await
    }

    /// Every run of a stage, page after page, starting at `options`' page; at most `limit`
    /// runs when given.
    pub fn list_release_stage_runs_all(
        &self,
        stage: &StageRef,
        options: ListRunsOptions,
        limit: Option<usize>,
    ) -> Paginator<ListAppReleaseStageRuns> {
        let first = ListAppReleaseStageRuns {
            stage: stage.clone(),
            options,
        };
        Paginator::new(self.clone(), first, limit)
    }
}

impl blocking::Client {
    /// Blocking twin of [`Client::list_release_stage_runs`].
    pub fn list_release_stage_runs(
        &self,
        stage: &StageRef,
        options: ListRunsOptions,
    ) -> Result<Page<StageRun>, Error> {
        self.send(&ListAppReleaseStageRuns {
            stage: stage.clone(),
            options,
        })
    }

    /// Blocking twin of [`Client::list_release_stage_runs_all`]: an iterator.
    pub fn list_release_stage_runs_all(
        &self,
        stage: &StageRef,
        options: ListRunsOptions,
        limit: Option<usize>,
    ) -> BlockingPaginator<ListAppReleaseStageRuns> {
        let first = ListAppReleaseStageRuns {
            stage: stage.clone(),
            options,
        };
        BlockingPaginator::new(self.clone(), first, limit)
    }
}
