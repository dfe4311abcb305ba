//! The calls on a stage's runs: get, cancel, list, the gate and job actions, the job log and
//! the integration metadata.

use http::StatusCode;
use serde_json::{Value, json};

use crate::clock::beijing_text;
use crate::fixture::{ChangeRequest, Missing, fake_commit};
use crate::model::{ActionError, JobRun, JobStatus, Run, StageRuns};
use crate::responses::{self, SandboxBody, SandboxResponse};
use crate::router::{Answer, Ctx, parse_decimal};
use crate::state::State;

/// The creator every sandbox run reports.
const CREATOR: &str = "sandbox-user";
/// `triggerMode` of every run: 1 = manual (what an OpenAPI execute is).
const TRIGGER_MODE: &str = "1";
/// The largest `perPage` ListAppReleaseStageRuns accepts.
const MAX_PER_PAGE: u64 = 100;
/// What keyset tokens start with; the rest is the last execution number of the page.
const TOKEN_PREFIX: &str = "sbx-";

/// Finds the stage of the path and runs `f` on its runs with the lock held.
fn with_stage<T>(
    ctx: &Ctx<'_>,
    f: impl FnOnce(&mut StageRuns, u64, &[ChangeRequest]) -> Result<T, SandboxResponse>,
) -> Result<T, SandboxResponse> {
    let t = &ctx.target;
    let mut state = ctx.sandbox.lock();
    let State {
        index,
        fixture,
        clock,
        ..
    } = &mut *state;
    let now = clock.now_ms();
    let app = index
        .app(t.org.as_deref(), &t.app)
        .map_err(|m| ctx.not_found(&m))?;
    let change_requests = fixture
        .organizations
        .get(app.org_index)
        .and_then(|org| org.apps.get(app.app_index))
        .map_or(&[][..], |app| &app.change_requests[..]);
    let entry = index
        .stage(t.org.as_deref(), &t.app, t.workflow(), t.stage())
        .map_err(|m| ctx.not_found(&m))?;
    f(&mut entry.runs, now, change_requests)
}

/// Finds the run of the path (brought up to date) and runs `f` on it with the lock held.
fn with_run(ctx: &Ctx<'_>, f: impl FnOnce(&mut Run, u64, &[ChangeRequest]) -> Answer) -> Answer {
    with_stage(ctx, |runs, now, change_requests| {
        let text = ctx.target.execution();
        let run = parse_decimal(text)
            .and_then(|n| runs.get_mut(n))
            .ok_or_else(|| {
                ctx.not_found(&Missing::Run {
                    stage: ctx.target.stage().to_string(),
                    number: text.to_string(),
                })
            })?;
        run.advance(now);
        f(run, now, change_requests)
    })
}

/// Maps a refused action to its answer: an unknown job is 404, a wrong state 400.
fn action_error(ctx: &Ctx<'_>, run: &Run, error: ActionError) -> Answer {
    Err(match error {
        ActionError::UnknownJob(job) => ctx.not_found(&Missing::Job {
            number: run.number,
            job,
        }),
        ActionError::NotAllowed(message) => ctx.bad_request(&message),
    })
}

/// The aggregate status of a group of jobs.
fn group_status(jobs: &[&JobRun]) -> JobStatus {
    let any = |status: JobStatus| jobs.iter().any(|j| j.status == status);
    if any(JobStatus::Fail) {
        JobStatus::Fail
    } else if any(JobStatus::Canceled) {
        JobStatus::Canceled
    } else if any(JobStatus::Running) {
        JobStatus::Running
    } else if any(JobStatus::Waiting) {
        JobStatus::Waiting
    } else if jobs.iter().all(|j| j.status == JobStatus::Init) {
        JobStatus::Init
    } else if jobs.iter().all(|j| j.status == JobStatus::Skipped) {
        JobStatus::Skipped
    } else if jobs.iter().all(|j| j.status.is_done()) {
        JobStatus::Success
    } else {
        // Some jobs done and later ones not started: the group is under way.
        JobStatus::Running
    }
}

fn job_view(run: &Run, job: &JobRun, sign: usize) -> Value {
    let spec = run.spec(job);
    let actions: Vec<Value> = if spec.is_some_and(|s| s.gate) {
        let disable = job.status != JobStatus::Waiting;
        ["PassPipelineValidate", "RefusePipelineValidate"]
            .iter()
            .map(|kind| json!({"type": kind, "disable": disable, "params": "{}"}))
            .collect()
    } else {
        Vec::new()
    };
    let result = match job.status {
        JobStatus::Success | JobStatus::Skipped => r#"{"successful":true}"#,
        JobStatus::Fail | JobStatus::Canceled => r#"{"successful":false}"#,
        _ => "{}",
    };
    json!({
        "id": job.id,
        "name": spec.map_or("", |s| s.name.as_str()),
        "jobSign": format!("job-{sign}"),
        "status": job.status.as_str(),
        "startTime": job.start_ms,
        "endTime": job.end_ms,
        "params": "{}",
        "result": result,
        "actions": actions,
    })
}

/// The GetReleaseStagePipelineRun answer.
fn run_view(run: &Run) -> Value {
    let groups = run.script().len();
    let mut stages = Vec::with_capacity(groups);
    let mut sign = 0;
    for group in 0..groups {
        let jobs: Vec<&JobRun> = run.jobs.iter().filter(|j| j.group == group).collect();
        let status = group_status(&jobs);
        let name = run
            .script()
            .get(group)
            .and_then(|g| g.first())
            .map_or("", |job| job.name.as_str());
        let start = jobs.iter().filter_map(|j| j.start_ms).min();
        let end = status
            .is_done()
            .then(|| jobs.iter().filter_map(|j| j.end_ms).max())
            .flatten();
        let job_views: Vec<Value> = jobs
            .iter()
            .map(|job| {
                sign += 1;
                job_view(run, job, sign)
            })
            .collect();
        stages.push(json!({
            "name": name,
            "index": format!("Group{group}-Stage0"),
            "stageInfo": {
                "name": name,
                "status": status.as_str(),
                "startTime": start,
                "endTime": end,
                "jobs": job_views,
            },
        }));
    }
    let topo: Vec<Vec<String>> = (0..groups)
        .map(|g| vec![format!("Group{g}-Stage0")])
        .collect();
    json!({"pipelineRun": {
        "pipelineId": run.pipeline_id.to_string(),
        "pipelineRunId": run.number.to_string(),
        "status": run.status.as_str(),
        "createTime": beijing_text(run.created_ms),
        "updateTime": beijing_text(run.update_ms),
        "creator": CREATOR,
        "triggerMode": TRIGGER_MODE,
        "sources": [],
        "stageTopo": topo,
        "stages": stages,
    }})
}

/// GetReleaseStagePipelineRun.
pub(crate) fn get(ctx: &Ctx<'_>) -> Answer {
    with_run(ctx, |run, _, _| ctx.ok(&run_view(run)))
}

/// CancelExecutionReleaseStage: `{"success": true}` when the run was running, `{"success":
/// false}` (still 200) when it had already ended.
pub(crate) fn cancel(ctx: &Ctx<'_>) -> Answer {
    with_run(ctx, |run, now, _| {
        ctx.ok(&json!({"success": run.cancel(now)}))
    })
}

/// PassReleaseStagePipelineValidate.
pub(crate) fn pass(ctx: &Ctx<'_>) -> Answer {
    let job = ctx.job_id()?;
    with_run(ctx, |run, now, _| match run.pass(job, now) {
        Ok(()) => ctx.ok(&json!({"success": true})),
        Err(e) => action_error(ctx, run, e),
    })
}

/// RefuseReleaseStagePipelineValidate.
pub(crate) fn refuse(ctx: &Ctx<'_>) -> Answer {
    let job = ctx.job_id()?;
    with_run(ctx, |run, now, _| match run.refuse(job, now) {
        Ok(()) => ctx.ok(&json!({"success": true})),
        Err(e) => action_error(ctx, run, e),
    })
}

/// RetryChangeRequestStagePipeline: `{"success": true}` (the reference leaves the body
/// unspecified; retry and skip use the two plausible shapes between them).
pub(crate) fn retry(ctx: &Ctx<'_>) -> Answer {
    let job = ctx.job_id()?;
    with_run(ctx, |run, now, _| match run.retry(job, now) {
        Ok(()) => ctx.ok(&json!({"success": true})),
        Err(e) => action_error(ctx, run, e),
    })
}

/// SkipChangeRequestStagePipeline: 200 with an empty body and no `Content-Type`, as help
/// documents "no return value".
pub(crate) fn skip(ctx: &Ctx<'_>) -> Answer {
    let job = ctx.job_id()?;
    with_run(ctx, |run, now, _| match run.skip(job, now) {
        Ok(()) => Ok(responses::base_response(
            StatusCode::OK,
            ctx.ids,
            SandboxBody::full(bytes::Bytes::new()),
        )),
        Err(e) => action_error(ctx, run, e),
    })
}

/// GetAppReleaseStageExecutionPipelineJobLog: the whole log so far.
pub(crate) fn job_log(ctx: &Ctx<'_>) -> Answer {
    let job = ctx.job_id()?;
    with_run(ctx, |run, now, _| match run.log(job, now) {
        Ok((content, more)) => ctx.ok(&json!({"content": content, "more": more})),
        Err(e) => action_error(ctx, run, e),
    })
}

/// ListAppReleaseStageRuns, in page or keyset mode.
pub(crate) fn list(ctx: &Ctx<'_>) -> Answer {
    let keyset = match ctx.query_value("pagination").as_deref() {
        None | Some("") => false,
        Some("keyset") => true,
        Some(other) => {
            return Err(ctx.bad_request(&format!(
                "pagination must be \"keyset\" or absent, got {other:?}"
            )));
        }
    };
    let page = ctx.optional_number("page")?.unwrap_or(1);
    if page < 1 {
        return Err(ctx.bad_request("page must be at least 1"));
    }
    let per_page = ctx.optional_number("perPage")?.unwrap_or(20);
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(ctx.bad_request(&format!(
            "perPage must be between 1 and {MAX_PER_PAGE}, got {per_page}"
        )));
    }
    match ctx.query_value("orderBy").as_deref() {
        // Run numbers grow with creation time, so both orders are the same here.
        None | Some("") | Some("id") | Some("gmtCreate") => {}
        Some(other) => {
            return Err(ctx.bad_request(&format!(
                "orderBy must be \"id\" or \"gmtCreate\", got {other:?}"
            )));
        }
    }
    let descending = match ctx.query_value("sort").as_deref() {
        None | Some("") | Some("desc") => true,
        Some("asc") => false,
        Some(other) => {
            return Err(
                ctx.bad_request(&format!("sort must be \"asc\" or \"desc\", got {other:?}"))
            );
        }
    };
    let after = match ctx.query_value("nextToken").filter(|t| !t.is_empty()) {
        Some(token) if keyset => Some(
            token
                .strip_prefix(TOKEN_PREFIX)
                .and_then(parse_decimal)
                .ok_or_else(|| ctx.bad_request(&format!("nextToken {token:?} is not valid")))?,
        ),
        _ => None,
    };
    let per_page_len = usize::try_from(per_page).unwrap_or(usize::MAX);
    let answer = with_stage(ctx, |runs, now, _| {
        // Bring every run up to date (cheap: ended runs return at once), but build the JSON of
        // the page only: a stage can hold 10 000 runs.
        let mut ordered: Vec<&Run> = runs
            .iter_mut()
            .map(|run| {
                run.advance(now);
                &*run
            })
            .collect();
        if descending {
            ordered.reverse();
        }
        let item = |run: &Run| {
            json!({
                "number": run.number.to_string(),
                "state": run.status.as_str(),
                "triggerMode": TRIGGER_MODE,
                "startTime": beijing_text(run.created_ms),
                "endTime": run.end_ms.map(beijing_text),
            })
        };
        if keyset {
            let mut rest = ordered.into_iter().filter(|run| match after {
                None => true,
                Some(last) if descending => run.number < last,
                Some(last) => run.number > last,
            });
            let page: Vec<&Run> = rest.by_ref().take(per_page_len).collect();
            let mut answer = serde_json::Map::new();
            if rest.next().is_some() {
                if let Some(last) = page.last() {
                    let token = format!("{TOKEN_PREFIX}{}", last.number);
                    answer.insert("nextToken".into(), Value::String(token));
                }
            }
            let data: Vec<Value> = page.into_iter().map(item).collect();
            answer.insert("data".into(), Value::Array(data));
            return Ok(Value::Object(answer));
        }
        let total = ordered.len() as u64;
        let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
        let data: Vec<Value> = ordered
            .into_iter()
            .skip(skip)
            .take(per_page_len)
            .map(item)
            .collect();
        Ok(json!({
            "current": page,
            "pages": total.div_ceil(per_page),
            "perPage": per_page,
            "total": total,
            "data": data,
        }))
    })?;
    ctx.ok(&answer)
}

/// One change request a run integrated.
struct Integrated {
    sn: String,
    name: String,
    branch: String,
    commit: String,
    owner: String,
    state: String,
}

/// What a run integrated, from the `releaseBranchRepoInfo` param execute was given.
struct Integration {
    release_branch: String,
    revision: String,
    repo_url: String,
    change_requests: Vec<Integrated>,
}

/// Reads `releaseBranchRepoInfo` (an object, or JSON text of one, since params values are
/// often sent as strings) and matches its `featureBranchs` with the app's change requests: by
/// `changeRequestSn`, else by branch name. Unmatched entries are reported with what they say.
fn integration(run: &Run, known: &[ChangeRequest]) -> Option<Integration> {
    let info = match run.params.get("releaseBranchRepoInfo")? {
        Value::String(text) => serde_json::from_str::<Value>(text).ok()?,
        value => value.clone(),
    };
    let info = info.as_object()?;
    let text = |value: Option<&Value>| value.and_then(Value::as_str).unwrap_or("").to_string();
    let release_branch = info
        .get("releaseBranch")
        .and_then(|b| b.get("branchName"))
        .and_then(Value::as_str)
        .map_or_else(|| format!("release/{}", run.number), str::to_string);
    let change_requests = info
        .get("featureBranchs")
        .and_then(Value::as_array)
        .map(|branches| {
            branches
                .iter()
                .map(|branch| {
                    let sn = text(branch.get("changeRequestSn"));
                    let branch_name = text(branch.get("branchName"));
                    let found = known
                        .iter()
                        .find(|cr| !sn.is_empty() && cr.sn == sn)
                        .or_else(|| {
                            known
                                .iter()
                                .find(|cr| !branch_name.is_empty() && cr.branch == branch_name)
                        });
                    match found {
                        Some(cr) => Integrated {
                            sn: cr.sn.clone(),
                            name: cr.name.clone(),
                            branch: cr.branch.clone(),
                            commit: cr.commit_id.clone(),
                            owner: cr.owner_id.clone(),
                            state: cr.state.clone(),
                        },
                        None => Integrated {
                            commit: fake_commit(&branch_name),
                            name: branch_name.clone(),
                            branch: branch_name,
                            sn,
                            owner: String::new(),
                            state: "INTEGRATING".into(),
                        },
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Integration {
        revision: fake_commit(&format!("{release_branch}@{}", run.number)),
        release_branch,
        repo_url: text(info.get("repo")),
        change_requests,
    })
}

/// ListAppReleaseStageExecutionIntegratedMetadata: `[]` when the run was started without
/// `releaseBranchRepoInfo`.
pub(crate) fn integrated_metadata(ctx: &Ctx<'_>) -> Answer {
    with_run(ctx, |run, _, known| {
        let items: Vec<Value> = integration(run, known)
            .into_iter()
            .map(|i| {
                let crs: Vec<Value> = i
                    .change_requests
                    .iter()
                    .map(|cr| {
                        json!({
                            "sn": cr.sn, "name": cr.name, "branchName": cr.branch,
                            "commitId": cr.commit, "ownerId": cr.owner, "ownerAccountId": cr.owner,
                        })
                    })
                    .collect();
                json!({
                    "releaseBranch": i.release_branch,
                    "releaseRevision": i.revision,
                    "repoType": "CODEUP",
                    "repoUrl": i.repo_url,
                    "changeRequests": crs,
                })
            })
            .collect();
        ctx.ok(&Value::Array(items))
    })
}

/// ListReleaseStageFlowChangeRequests: the integration of run `buildNum`, default the newest.
pub(crate) fn find_integrated_metadata(ctx: &Ctx<'_>) -> Answer {
    let build = ctx.optional_number("buildNum")?;
    with_stage(ctx, |runs, _, known| {
        let run = match build {
            Some(n) => runs.get_mut(n),
            None => runs.latest_mut(),
        };
        let run = run.ok_or_else(|| {
            ctx.not_found(&Missing::Run {
                stage: ctx.target.stage().to_string(),
                number: build.map_or_else(|| "latest".into(), |n| n.to_string()),
            })
        })?;
        let found = integration(run, known);
        let (branch, revision, url, crs) = match found {
            Some(i) => (i.release_branch, i.revision, i.repo_url, i.change_requests),
            None => (String::new(), String::new(), String::new(), Vec::new()),
        };
        let details: Vec<Value> = crs
            .iter()
            .map(|cr| {
                json!({
                    "sn": cr.sn, "name": cr.name, "ownerId": cr.owner, "branchName": cr.branch,
                    "commitId": cr.commit, "state": cr.state, "branchState": "LATEST",
                })
            })
            .collect();
        ctx.ok(&json!({
            "releaseStageSn": ctx.target.stage(),
            "releaseBranch": branch,
            "releaseRevision": revision,
            "repoUrl": url,
            "repoType": "CODEUP",
            "runNumber": run.number,
            "crDetailList": details,
        }))
    })
}
