//! Every operation against the sandbox over real HTTP, in both editions, and retries by
//! effect.

mod common;

use std::time::Duration;

use common::{ORG, builder, client, sandbox};
use yunxiao_appstack::{
    AppRef, Edition, ErrorKind, ExecuteReleaseStageRequest, ListRunsOptions, RunStatus,
    SearchChangeRequestsOptions, StageRef,
};
use yunxiao_sandbox::{Fault, SandboxConfig, SandboxGuard};

fn fast_sandbox() -> SandboxGuard {
    yunxiao_sandbox::spawn(SandboxConfig {
        clock_scale: 1000.0,
        ..SandboxConfig::default()
    })
    .expect("the sandbox starts")
}

fn app() -> AppRef {
    AppRef::new("my-web-service")
}

#[tokio::test]
async fn every_call_works_in_both_editions() {
    let sandbox = sandbox();
    for edition in [Edition::Central, Edition::Region] {
        let client = builder(&sandbox).edition(edition).build().expect("client");
        let stage = StageRef::new("my-web-service", "wf-main", "stage-deploy");
        sandbox.clear_requests();

        let started = client
            .execute_release_stage(&ExecuteReleaseStageRequest::for_stage(stage.clone()))
            .await
            .expect("execute");
        let run = started.run(&stage).expect("a run number");
        let detail = client
            .get_release_stage_pipeline_run(&run)
            .await
            .expect("get run");
        assert_eq!(detail.status, Some(RunStatus::Running), "{detail:?}");
        let job_id = detail.jobs().find_map(|(_, job)| job.id).expect("a job id");

        let page = client
            .list_release_stage_runs(&stage, ListRunsOptions::default())
            .await
            .expect("runs");
        assert_eq!(
            page.items[0].number,
            Some(run.execution_number),
            "newest first"
        );

        let log = client
            .get_pipeline_job_log(&run.job(job_id))
            .await
            .expect("log");
        assert!(log.more, "the job is still running");

        let workflows = client
            .list_release_workflows(&app())
            .await
            .expect("workflows");
        assert!(
            workflows
                .iter()
                .any(|w| w.sn.as_deref() == Some("wf-main") && !w.release_stages.is_empty())
        );
        let briefs = client
            .list_release_workflow_briefs(&app())
            .await
            .expect("briefs");
        assert!(briefs.iter().any(|w| w.name.as_deref() == Some("Main")));
        let stages = client
            .list_release_stage_briefs(&app(), "wf-main")
            .await
            .expect("stages");
        assert!(
            stages
                .iter()
                .any(|s| s.sn.as_deref() == Some("stage-deploy"))
        );
        let one = client.get_release_stage(&stage).await.expect("stage");
        assert_eq!(one.stage.name.as_deref(), Some("Deploy"));

        let crs = client
            .search_change_requests(&app(), SearchChangeRequestsOptions::default())
            .await
            .expect("change requests");
        assert!(!crs.items.is_empty());
        client
            .list_integrated_metadata(&run)
            .await
            .expect("run metadata");
        let meta = client
            .find_release_integrated_metadata(&stage, Some(run.execution_number))
            .await
            .expect("stage metadata");
        assert_eq!(meta.run_number, Some(run.execution_number));

        let cancel = client
            .cancel_release_stage_execution(&run)
            .await
            .expect("cancel");
        assert!(cancel.canceled, "{cancel:?}");
        let again = client
            .cancel_release_stage_execution(&run)
            .await
            .expect("cancel twice");
        assert!(again.already_finished && !again.canceled, "{again:?}");
        assert_eq!(again.run_status, Some(RunStatus::Canceled));

        let prefix = match edition {
            Edition::Central => format!("/oapi/v1/appstack/organizations/{ORG}/apps/"),
            _ => "/oapi/v1/appstack/apps/".to_owned(),
        };
        let requests = sandbox.requests();
        assert!(requests.len() >= 14, "{}", requests.len());
        for request in &requests {
            assert!(
                request.path.starts_with(&prefix),
                "{edition:?}: {}",
                request.path
            );
        }
        let log_request = requests
            .iter()
            .find(|r| {
                r.path
                    .split('?')
                    .next()
                    .is_some_and(|p| p.ends_with(":pipelineJobLog"))
            })
            .expect("a log request");
        assert_eq!(log_request.method, "GET");
        assert!(
            log_request
                .path
                .ends_with(&format!(":pipelineJobLog?jobId={job_id}")),
            "{}",
            log_request.path
        );
        let briefs_request = requests
            .iter()
            .find(|r| r.path.ends_with("/releaseStageBriefs"))
            .expect("a stage briefs request");
        assert!(
            briefs_request.path.contains("/releaseWorkflow/wf-main/"),
            "singular"
        );
    }
}

#[tokio::test]
async fn a_read_is_retried_after_a_502_and_a_cut_connection() {
    let sandbox = sandbox();
    let client = builder(&sandbox).max_retries(2).build().expect("client");
    for fault in [Fault::respond(502), Fault::close()] {
        sandbox.clear_requests();
        sandbox.push_fault(fault);
        let briefs = client
            .list_release_workflow_briefs(&app())
            .await
            .expect("retried");
        assert!(!briefs.is_empty());
        assert_eq!(sandbox.request_count(), 2, "one failed attempt, one retry");
    }
    sandbox.clear_requests();
    sandbox.push_faults([
        Fault::respond(500),
        Fault::respond(500),
        Fault::respond(500),
    ]);
    let error = client
        .list_release_workflow_briefs(&app())
        .await
        .expect_err("exhausted");
    assert_eq!(error.kind(), ErrorKind::Server);
    assert!(!error.may_have_executed(), "a read never has an effect");
    assert_eq!(sandbox.request_count(), 3);
    assert!(!error.to_string().contains("may have started"), "{error}");
}

#[tokio::test]
async fn mutating_calls_are_not_retried_after_sending() {
    let sandbox = fast_sandbox();
    let client = builder(&sandbox).max_retries(2).build().expect("client");
    let stage = StageRef::new("my-web-service", "wf-main", "stage-gate");
    let run = client
        .execute_release_stage(&ExecuteReleaseStageRequest::for_stage(stage.clone()))
        .await
        .expect("execute")
        .run(&stage)
        .expect("run");
    let job = run.job(1);
    for fault in [Fault::respond(502), Fault::close()] {
        sandbox.clear_requests();
        sandbox.push_fault(fault.clone());
        let error = client
            .pass_pipeline_validate(&job)
            .await
            .expect_err("not retried");
        assert!(error.may_have_executed(), "{error}");
        let call = error.call().expect("a call");
        assert_eq!(call.operation, "PassReleaseStagePipelineValidate");
        assert!(
            call.action.starts_with("approving the gate at job 1"),
            "{}",
            call.action
        );
        assert_eq!(sandbox.request_count(), 1);

        sandbox.clear_requests();
        sandbox.push_fault(fault);
        let error = client
            .execute_release_stage(&ExecuteReleaseStageRequest::for_stage(stage.clone()))
            .await
            .expect_err("not retried");
        assert!(error.may_have_executed());
        assert_eq!(sandbox.request_count(), 1);
    }
}

#[tokio::test]
async fn the_runs_listing_pages_through_everything() {
    let sandbox = sandbox();
    let client = client(&sandbox);
    let stage = StageRef::new("my-web-service", "wf-main", "stage-build");
    for _ in 0..5 {
        client
            .execute_release_stage(&ExecuteReleaseStageRequest::for_stage(stage.clone()))
            .await
            .expect("execute");
    }
    for keyset in [false, true] {
        sandbox.clear_requests();
        let options = ListRunsOptions {
            per_page: Some(2),
            keyset,
            ..ListRunsOptions::default()
        };
        let runs = client
            .list_release_stage_runs_all(&stage, options.clone(), None)
            .collect()
            .await
            .expect("all pages");
        let numbers: Vec<u64> = runs.iter().filter_map(|r| r.number).collect();
        assert_eq!(numbers, vec![5, 4, 3, 2, 1], "keyset={keyset}");
        assert_eq!(sandbox.request_count(), 3, "three pages of two");
        let limited = client
            .list_release_stage_runs_all(&stage, options, Some(3))
            .collect()
            .await
            .expect("limited");
        assert_eq!(limited.len(), 3);
    }
    let error = client
        .list_release_stage_runs(
            &stage,
            ListRunsOptions {
                per_page: Some(101),
                ..Default::default()
            },
        )
        .await
        .expect_err("checked before sending");
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
}

#[test]
fn blocking_twins_work_and_page() {
    let sandbox = sandbox();
    let client = builder(&sandbox).build_blocking().expect("client");
    let stage = StageRef::new("my-web-service", "wf-main", "stage-build");
    let run = client
        .execute_release_stage(&ExecuteReleaseStageRequest::for_stage(stage.clone()))
        .expect("execute")
        .run(&stage)
        .expect("run");
    client.get_release_stage_pipeline_run(&run).expect("get");
    let all: Vec<_> = client
        .search_change_requests_all(
            &app(),
            SearchChangeRequestsOptions {
                page_size: Some(1),
                ..Default::default()
            },
            None,
        )
        .collect::<Result<_, _>>()
        .expect("every page");
    assert!(all.len() >= 3, "{}", all.len());
    let _ = Duration::ZERO;
}
