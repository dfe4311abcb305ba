//! The commands that only read: workflows, stages, runs, logs, metadata, change requests.

use yunxiao_appstack::{
    ChangeRequest, ChangeRequestState, Error, IntegratedChangeRequest, ListRunsOptions, Page,
    PipelineRun, RunStatus, SearchChangeRequestsOptions, StageRun,
};

use crate::args::{
    LogArgs, MetadataArgs, Output, RunArgs, RunListArgs, SearchArgs, StageArgs, WorkflowArgs,
    WorkflowListArgs,
};
use crate::context::Context;
use crate::exit::Exit;
use crate::output::{cell, emit, print, table, time};

fn status(status: Option<&RunStatus>) -> String {
    cell(status.map(RunStatus::as_str))
}

/// `release-workflow list [--brief]`.
pub async fn workflow_list(cx: &Context, args: WorkflowListArgs) -> Result<Exit, Error> {
    let client = cx.client()?;
    let app = cx.app(&args.app);
    let output = cx.global.output;
    if args.brief {
        let workflows = client.list_release_workflow_briefs(&app).await?;
        emit(output, &workflows, |workflows| {
            let rows: Vec<Vec<String>> = workflows
                .iter()
                .map(|w| {
                    vec![
                        cell(w.sn.as_deref()),
                        cell(w.name.as_deref()),
                        cell(w.workflow_type.as_deref()),
                    ]
                })
                .collect();
            table(&["SN", "NAME", "TYPE"], &rows)
        });
    } else {
        let workflows = client.list_release_workflows(&app).await?;
        emit(output, &workflows, |workflows| {
            let mut text = String::new();
            for w in workflows {
                text.push_str(&format!(
                    "{}  {}  ({})\n",
                    cell(w.sn.as_deref()),
                    cell(w.name.as_deref()),
                    cell(w.workflow_type.as_deref())
                ));
                for s in &w.release_stages {
                    text.push_str(&format!(
                        "  stage {}  {}\n",
                        cell(s.sn.as_deref()),
                        cell(s.name.as_deref())
                    ));
                }
            }
            text
        });
    }
    Ok(Exit::Success)
}

/// `release-stage list`.
pub async fn stage_list(cx: &Context, args: WorkflowArgs) -> Result<Exit, Error> {
    let client = cx.client()?;
    let workflow_sn = cx.workflow_sn(Some(&client), &args).await?;
    let stages = client
        .list_release_stage_briefs(&cx.app(&args.app), &workflow_sn)
        .await?;
    emit(cx.global.output, &stages, |stages| {
        let rows: Vec<Vec<String>> = stages
            .iter()
            .map(|s| {
                vec![
                    cell(s.sn.as_deref()),
                    cell(s.name.as_deref()),
                    cell(s.order.as_deref()),
                    cell(s.process_engine_type.as_deref()),
                    cell(s.process_engine_sn.as_deref()),
                ]
            })
            .collect();
        table(&["SN", "NAME", "ORDER", "ENGINE", "PIPELINE"], &rows)
    });
    Ok(Exit::Success)
}

/// `release-stage view`.
pub async fn stage_view(cx: &Context, args: StageArgs) -> Result<Exit, Error> {
    let client = cx.client()?;
    let stage = cx.stage(Some(&client), &args).await?;
    let detail = client.get_release_stage(&stage).await?;
    emit(cx.global.output, &detail, |detail| {
        let s = &detail.stage;
        let labels: Vec<String> = s
            .labels
            .iter()
            .map(|l| format!("{}={}", cell(l.name.as_deref()), cell(l.value.as_deref())))
            .collect();
        let groups: Vec<String> = s
            .variable_groups
            .iter()
            .map(|g| cell(g.name.as_deref()))
            .collect();
        let pipeline = s.pipeline.as_ref().map(|p| {
            let field = |name: &str| p.get(name).and_then(|v| v.as_str()).unwrap_or("-");
            format!("{} {}", field("engineType"), field("engineSn"))
        });
        let lines = [
            ("sn", cell(s.sn.as_deref())),
            ("name", cell(s.name.as_deref())),
            ("app", cell(s.app_name.as_deref())),
            ("workflow", cell(s.release_workflow_sn.as_deref())),
            ("order", cell(s.order.as_deref())),
            ("labels", cell(Some(labels.join(", ")))),
            ("variable groups", cell(Some(groups.join(", ")))),
            ("pipeline", cell(pipeline)),
        ];
        lines
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(Exit::Success)
}

/// `run list`: one page, or with `--all`/`--limit` as many pages as needed.
pub async fn run_list(cx: &Context, args: RunListArgs) -> Result<Exit, Error> {
    let client = cx.client()?;
    let stage = cx.stage(Some(&client), &args.stage).await?;
    let options = ListRunsOptions {
        page: args.page,
        per_page: args.per_page,
        ..ListRunsOptions::default()
    };
    let rows = |runs: &[StageRun]| -> String {
        let rows: Vec<Vec<String>> = runs
            .iter()
            .map(|r| {
                vec![
                    cell(r.number.map(|n| n.to_string())),
                    status(r.state.as_ref()),
                    time(r.start_time.as_ref()),
                    time(r.end_time.as_ref()),
                    cell(r.trigger_mode.as_deref()),
                ]
            })
            .collect();
        table(&["NUMBER", "STATE", "STARTED", "ENDED", "TRIGGER"], &rows)
    };
    if args.all || args.limit.is_some() {
        let runs = client
            .list_release_stage_runs_all(&stage, options, args.limit)
            .collect()
            .await?;
        emit(cx.global.output, &runs, |runs| rows(runs));
    } else {
        let page = client.list_release_stage_runs(&stage, options).await?;
        emit(cx.global.output, &page, |page| rows(&page.items));
        more_pages_hint(cx.global.output, &page, "runs");
    }
    Ok(Exit::Success)
}

/// On stderr, in text mode: that more pages exist, and how to get them.
fn more_pages_hint<T>(output: Output, page: &Page<T>, what: &str) {
    if output == Output::Text && !page.is_last(page.per_page) {
        let of = match (page.current, page.pages, page.total) {
            (Some(c), Some(p), Some(t)) => format!("page {c} of {p}, {t} {what} in all"),
            (Some(c), _, _) => format!("page {c}"),
            _ => "one page".to_owned(),
        };
        eprintln!("{of}; --page N for another, --all for every page");
    }
}

/// `run view`: the status, then every stage and job with ids and statuses.
pub async fn run_view(cx: &Context, args: RunArgs) -> Result<Exit, Error> {
    let client = cx.client()?;
    let run = cx.run(Some(&client), &args).await?;
    let pipeline = client.get_release_stage_pipeline_run(&run).await?;
    emit(cx.global.output, &pipeline, describe_run);
    Ok(Exit::Success)
}

/// A run for people: its status first, then its stages and their jobs.
fn describe_run(p: &PipelineRun) -> String {
    let mut text = format!("status: {}\n", status(p.status.as_ref()));
    text.push_str(&format!(
        "pipeline: {}  run: {}  created: {}  updated: {}\n",
        cell(p.pipeline_id.map(|n| n.to_string())),
        cell(p.pipeline_run_id.map(|n| n.to_string())),
        time(p.create_time.as_ref()),
        time(p.update_time.as_ref()),
    ));
    for stage in &p.stages {
        text.push_str(&format!(
            "stage {}: {}\n",
            cell(stage.name.as_deref()),
            status(stage.status.as_ref())
        ));
        for job in &stage.jobs {
            let gate = if job.is_waiting_for_approval() {
                "  (waiting for approval: run approve|reject --job ID)"
            } else {
                ""
            };
            text.push_str(&format!(
                "  job {}  {}: {}{gate}\n",
                cell(job.id.map(|n| n.to_string())),
                cell(job.name.as_deref()),
                status(job.status.as_ref()),
            ));
        }
    }
    text
}

/// `run log`: the job's log as the server has it.
pub async fn run_log(cx: &Context, args: LogArgs) -> Result<Exit, Error> {
    let client = cx.client()?;
    let job = cx.job(Some(&client), &args.job).await?;
    let log = client.get_pipeline_job_log(&job).await?;
    match cx.global.output {
        Output::Text => print(&log.content),
        Output::Json => crate::output::print_json(&log),
    }
    Ok(Exit::Success)
}

/// `run metadata`: what a run integrated (or, with `--stage-level`, the stage's view of it).
pub async fn run_metadata(cx: &Context, args: MetadataArgs) -> Result<Exit, Error> {
    let client = cx.client()?;
    let stage = cx.stage(Some(&client), &args.stage).await?;
    let change_requests = |crs: &[IntegratedChangeRequest]| -> String {
        let rows: Vec<Vec<String>> = crs
            .iter()
            .map(|cr| {
                vec![
                    cell(cr.sn.as_deref()),
                    cell(cr.name.as_deref()),
                    cell(cr.branch_name.as_deref()),
                    cell(cr.commit_id.as_deref()),
                    cell(cr.state.as_deref()),
                ]
            })
            .collect();
        table(
            &["  CHANGE REQUEST", "NAME", "BRANCH", "COMMIT", "STATE"],
            &rows,
        )
    };
    match args.number {
        Some(number) if !args.stage_level => {
            let metadata = client.list_integrated_metadata(&stage.run(number)).await?;
            emit(cx.global.output, &metadata, |metadata| {
                if metadata.is_empty() {
                    return "nothing integrated (the run built a branch, not change requests)"
                        .to_owned();
                }
                metadata
                    .iter()
                    .map(|m| {
                        format!(
                            "release branch {} at {} ({} {})\n{}",
                            cell(m.release_branch.as_deref()),
                            cell(m.release_revision.as_deref()),
                            cell(m.repo_type.as_deref()),
                            cell(m.repo_url.as_deref()),
                            change_requests(&m.change_requests)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        _ => {
            let m = client
                .find_release_integrated_metadata(&stage, args.build_num)
                .await?;
            emit(cx.global.output, &m, |m| {
                format!(
                    "run {}: release branch {} at {} ({} {})\n{}",
                    cell(m.run_number.map(|n| n.to_string())),
                    cell(m.release_branch.as_deref()),
                    cell(m.release_revision.as_deref()),
                    cell(m.repo_type.as_deref()),
                    cell(m.repo_url.as_deref()),
                    change_requests(&m.change_requests)
                )
            });
        }
    }
    Ok(Exit::Success)
}

/// `change-request search`.
pub async fn change_request_search(cx: &Context, args: SearchArgs) -> Result<Exit, Error> {
    let client = cx.client()?;
    let app = cx.app(&args.app);
    let options = SearchChangeRequestsOptions {
        current: args.page,
        page_size: args.page_size,
        owner: args.owner,
        name: args.name,
        state: args
            .state
            .iter()
            .map(|s| ChangeRequestState::from(s.as_str()))
            .collect(),
    };
    fn rows(crs: &[ChangeRequest]) -> String {
        let rows: Vec<Vec<String>> = crs
            .iter()
            .map(|cr| {
                vec![
                    cell(cr.sn.as_deref()),
                    cell(cr.state.as_ref().map(ChangeRequestState::as_str)),
                    cell(cr.owner_id.as_deref()),
                    cell(cr.branch.as_deref()),
                    cell(cr.name.as_deref()),
                ]
            })
            .collect();
        table(&["SN", "STATE", "OWNER", "BRANCH", "NAME"], &rows)
    }
    if args.all || args.limit.is_some() {
        let found = client
            .search_change_requests_all(&app, options, args.limit)
            .collect()
            .await?;
        emit(cx.global.output, &found, |found| rows(found));
    } else {
        let page = client.search_change_requests(&app, options).await?;
        emit(cx.global.output, &page, |page| rows(&page.items));
        more_pages_hint(cx.global.output, &page, "change requests");
    }
    Ok(Exit::Success)
}
