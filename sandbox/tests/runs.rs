//! The run model over real HTTP: a run's life, failures, gates, cancel, retry, skip, the job
//! log and the runs list, on a frozen clock advanced explicitly.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::*;
use yunxiao_sandbox::{SandboxConfig, spawn};

/// `"YYYY-MM-DD HH:MM:SS"`.
fn is_beijing_text(value: &Value) -> bool {
    let Some(text) = value.as_str() else {
        return false;
    };
    let b = text.as_bytes();
    b.len() == 19
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && text
            .chars()
            .enumerate()
            .all(|(i, c)| [4, 7, 10, 13, 16].contains(&i) || c.is_ascii_digit())
}

#[tokio::test]
async fn a_default_run_goes_from_running_to_success() {
    let sandbox = frozen();
    let api = Api::new(&sandbox, CENTRE);
    let (status, executed) = api
        .post_json(&format!("{}:execute", stage("stage-deploy")), &json!({}))
        .await;
    assert_eq!(status, 200);
    let n = executed["pipelineRunId"].as_u64().expect("number");
    assert_eq!(n, 1);

    let run = api.run("stage-deploy", n).await;
    assert_eq!(run["status"], "RUNNING");
    assert_eq!(
        run["pipelineRunId"], "1",
        "ids are strings at the run level"
    );
    assert_eq!(
        run["pipelineId"],
        executed["pipelineId"].to_string(),
        "the execute answer's pipeline"
    );
    assert!(is_beijing_text(&run["createTime"]), "{}", run["createTime"]);
    assert!(is_beijing_text(&run["updateTime"]));
    assert_eq!(run["creator"], "sandbox-user");
    assert_eq!(run["triggerMode"], "1");
    assert_eq!(run["sources"], json!([]));
    assert_eq!(
        run["stageTopo"],
        json!([["Group0-Stage0"], ["Group1-Stage0"]])
    );
    assert_eq!(run["stages"][0]["name"], "Build");
    assert_eq!(run["stages"][0]["index"], "Group0-Stage0");
    assert_eq!(run["stages"][0]["stageInfo"]["status"], "RUNNING");
    assert_eq!(run["stages"][1]["stageInfo"]["status"], "INIT");
    assert_eq!(job_statuses(&run), ["RUNNING", "INIT"]);
    let all = jobs(&run);
    let build = &all[0];
    assert!(build["id"].is_u64(), "job ids are numbers");
    assert_eq!(build["jobSign"], "job-1");
    assert_eq!(build["params"], "{}");
    assert_eq!(build["actions"], json!([]));
    let started = build["startTime"].as_u64().expect("epoch ms");
    assert!(build["endTime"].is_null());
    assert!(all[1]["startTime"].is_null(), "INIT jobs have not started");
    // The clock starts at the real wall time.
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64;
    assert!(started.abs_diff(wall) < 60_000, "{started} vs {wall}");

    sandbox.advance_clock(Duration::from_secs(20));
    let run = api.run("stage-deploy", n).await;
    assert_eq!(job_statuses(&run), ["SUCCESS", "RUNNING"]);
    let build = &jobs(&run)[0];
    assert_eq!(build["endTime"].as_u64(), Some(started + 20_000));
    assert_eq!(build["result"], r#"{"successful":true}"#);
    assert_eq!(run["stages"][0]["stageInfo"]["status"], "SUCCESS");
    assert_eq!(
        run["stages"][0]["stageInfo"]["endTime"].as_u64(),
        Some(started + 20_000)
    );
    assert_eq!(run["status"], "RUNNING");

    sandbox.advance_clock(Duration::from_secs(10));
    let run = api.run("stage-deploy", n).await;
    assert_eq!(run["status"], "SUCCESS");
    assert_eq!(job_statuses(&run), ["SUCCESS", "SUCCESS"]);
    assert_eq!(
        jobs(&run)[1]["endTime"].as_u64(),
        Some(started + 30_000),
        "the run ends when its last job does"
    );
}

#[tokio::test]
async fn a_failing_stage_fails_then_retry_and_skip_move_it_on() {
    let sandbox = frozen();
    let api = Api::new(&sandbox, CENTRE);
    let n = api.execute("stage-fail").await;
    sandbox.advance_clock(Duration::from_secs(60));
    let run = api.run("stage-fail", n).await;
    assert_eq!(run["status"], "FAIL");
    assert_eq!(job_statuses(&run), ["SUCCESS", "FAIL", "INIT"]);
    assert_eq!(run["stages"][1]["stageInfo"]["status"], "FAIL");
    let test_job = job_id(&run, "Test");
    let build_job = job_id(&run, "Build");
    assert_eq!(jobs(&run)[1]["result"], r#"{"successful":false}"#);

    // Only the failed job can be retried.
    let (status, body) = api
        .post(&format!(
            "{}:retry?jobId={build_job}",
            execution("stage-fail", n)
        ))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errorCode"], "BadRequest");

    let (status, body) = api
        .post(&format!(
            "{}:retry?jobId={test_job}",
            execution("stage-fail", n)
        ))
        .await;
    assert_eq!((status, body), (200, json!({"success": true})));
    let run = api.run("stage-fail", n).await;
    assert_eq!(
        run["status"], "RUNNING",
        "same execution number, running again"
    );
    assert_eq!(job_statuses(&run), ["SUCCESS", "RUNNING", "INIT"]);
    sandbox.advance_clock(Duration::from_secs(10));
    let run = api.run("stage-fail", n).await;
    assert_eq!(run["status"], "FAIL", "the script fails the job again");

    let (status, body) = api
        .post(&format!(
            "{}:skip?jobId={test_job}",
            execution("stage-fail", n)
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body, json!(""), "skip answers an empty body");
    let run = api.run("stage-fail", n).await;
    assert_eq!(run["status"], "RUNNING");
    assert_eq!(job_statuses(&run), ["SUCCESS", "SKIPPED", "RUNNING"]);
    sandbox.advance_clock(Duration::from_secs(10));
    let run = api.run("stage-fail", n).await;
    assert_eq!(run["status"], "SUCCESS");
    // Nothing left to skip.
    let (status, _) = api
        .post(&format!(
            "{}:skip?jobId={test_job}",
            execution("stage-fail", n)
        ))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_gate_waits_and_is_passed_or_refused() {
    let sandbox = frozen();
    let api = Api::new(&sandbox, REGION);
    let passed = api.execute("stage-gate").await;
    let refused = api.execute("stage-gate").await;
    sandbox.advance_clock(Duration::from_secs(3600));
    let run = api.run("stage-gate", passed).await;
    assert_eq!(
        run["status"], "RUNNING",
        "a waiting gate keeps the run running"
    );
    assert_eq!(job_statuses(&run), ["SUCCESS", "WAITING", "INIT"]);
    let gate = &jobs(&run)[1];
    assert_eq!(
        gate["actions"],
        json!([
            {"type": "PassPipelineValidate", "disable": false, "params": "{}"},
            {"type": "RefusePipelineValidate", "disable": false, "params": "{}"}
        ])
    );
    let gate_id = job_id(&run, "Approve");
    let build_id = job_id(&run, "Build");
    let e = execution("stage-gate", passed);

    let (status, body) = api
        .post(&format!("{e}:passPipelineValidate?jobId={build_id}"))
        .await;
    assert_eq!(status, 400, "not a gate: {body}");
    assert!(
        body["errorMessage"]
            .as_str()
            .expect("message")
            .contains("gate")
    );

    let (status, body) = api
        .post(&format!("{e}:passPipelineValidate?jobId={gate_id}"))
        .await;
    assert_eq!((status, body), (200, json!({"success": true})));
    let run = api.run("stage-gate", passed).await;
    assert_eq!(job_statuses(&run), ["SUCCESS", "SUCCESS", "RUNNING"]);
    assert_eq!(jobs(&run)[1]["actions"][0]["disable"], true);
    let (status, _) = api
        .post(&format!("{e}:passPipelineValidate?jobId={gate_id}"))
        .await;
    assert_eq!(status, 400, "the gate no longer waits");
    sandbox.advance_clock(Duration::from_secs(10));
    assert_eq!(api.run("stage-gate", passed).await["status"], "SUCCESS");

    let run = api.run("stage-gate", refused).await;
    let gate_id = job_id(&run, "Approve");
    let (status, body) = api
        .post(&format!(
            "{}:refusePipelineValidate?jobId={gate_id}",
            execution("stage-gate", refused)
        ))
        .await;
    assert_eq!((status, body), (200, json!({"success": true})));
    let run = api.run("stage-gate", refused).await;
    assert_eq!(run["status"], "FAIL");
    assert_eq!(job_statuses(&run), ["SUCCESS", "FAIL", "INIT"]);
    assert_eq!(jobs(&run)[1]["actions"][1]["disable"], true);
}

#[tokio::test]
async fn cancel_while_running_and_after_the_end() {
    let sandbox = frozen();
    let api = Api::new(&sandbox, CENTRE);
    let n = api.execute("stage-long").await;
    sandbox.advance_clock(Duration::from_secs(700));
    let e = execution("stage-long", n);
    let (status, body) = api.post(&format!("{e}:cancel")).await;
    assert_eq!((status, body), (200, json!({"success": true})));
    let run = api.run("stage-long", n).await;
    assert_eq!(run["status"], "CANCELED");
    assert_eq!(job_statuses(&run), ["SUCCESS", "CANCELED"]);
    assert_eq!(run["stages"][1]["stageInfo"]["status"], "CANCELED");
    sandbox.advance_clock(Duration::from_secs(3600));
    assert_eq!(
        api.run("stage-long", n).await["status"],
        "CANCELED",
        "a canceled run stays canceled"
    );
    let (status, body) = api.post(&format!("{e}:cancel")).await;
    assert_eq!((status, body), (200, json!({"success": false})));

    let done = api.execute("stage-deploy").await;
    sandbox.advance_clock(Duration::from_secs(30));
    let (status, body) = api
        .post(&format!("{}:cancel", execution("stage-deploy", done)))
        .await;
    assert_eq!((status, body), (200, json!({"success": false})));
    assert_eq!(api.run("stage-deploy", done).await["status"], "SUCCESS");
}

#[tokio::test]
async fn the_job_log_grows_with_the_clock() {
    let sandbox = frozen();
    let api = Api::new(&sandbox, CENTRE);
    let n = api.execute("stage-deploy").await;
    let run = api.run("stage-deploy", n).await;
    let build = job_id(&run, "Build");
    let deploy = job_id(&run, "Deploy");
    let log = |job: u64| {
        format!(
            "{}:pipelineJobLog?jobId={job}",
            execution("stage-deploy", n)
        )
    };

    let (status, body) = api.get(&log(build)).await;
    assert_eq!(status, 200);
    assert_eq!(body["more"], true);
    let lines = |body: &Value| body["content"].as_str().expect("content").lines().count();
    assert_eq!(lines(&body), 1, "the first line at the start: {body}");
    let (_, before) = api.get(&log(deploy)).await;
    assert_eq!(before, json!({"content": "", "more": true}), "not started");

    sandbox.advance_clock(Duration::from_secs(7));
    let (_, body) = api.get(&log(build)).await;
    assert_eq!(lines(&body), 2, "{body}");
    sandbox.advance_clock(Duration::from_secs(13));
    let (_, body) = api.get(&log(build)).await;
    assert_eq!(lines(&body), 3);
    assert_eq!(body["more"], false, "the job has ended");
    let (_, body) = api.get(&log(deploy)).await;
    assert_eq!((lines(&body), body["more"].clone()), (1, json!(true)));
}

#[tokio::test]
async fn a_fast_clock_runs_by_itself() {
    let sandbox = spawn(SandboxConfig {
        clock_scale: 1000.0,
        ..SandboxConfig::default()
    })
    .expect("starts");
    let api = Api::new(&sandbox, CENTRE);
    let n = api.execute("stage-deploy").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = api.run("stage-deploy", n).await["status"].clone();
        if status == "SUCCESS" {
            break;
        }
        assert_eq!(status, "RUNNING");
        assert!(
            Instant::now() < deadline,
            "30 s of sandbox time took too long"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn the_clock_control_api() {
    let sandbox = frozen();
    let http = reqwest::Client::new();
    let url = sandbox.url("/_sandbox/clock");
    let clock: Value = http
        .get(&url)
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(clock["scale"], 0.0);
    let start = clock["now_ms"].as_u64().expect("now");
    assert_eq!(sandbox.clock_now_ms(), start, "frozen");

    let advanced: Value = http
        .post(&url)
        .json(&json!({"advance_ms": 5000}))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(advanced["now_ms"].as_u64(), Some(start + 5000));
    let rescaled: Value = http
        .post(&url)
        .json(&json!({"scale": 1000}))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(rescaled["scale"], 1000.0);
    for bad in [
        json!({"scale": -1}),
        json!({"advance_ms": -5}),
        json!({"advance": 1}),
        json!([1]),
    ] {
        let response = http.post(&url).json(&bad).send().await.expect("answered");
        assert_eq!(response.status(), 400, "{bad}");
    }
    let response = http.delete(&url).send().await.expect("answered");
    assert_eq!(response.status(), 405);
    assert!(sandbox.try_set_clock_scale(f64::NAN).is_err());
    assert!(sandbox.try_set_clock_scale(-2.0).is_err());
    sandbox.try_set_clock_scale(0.0).expect("valid");
    sandbox.set_clock_scale(f64::INFINITY);
    assert_eq!(sandbox.clock_scale(), 0.0, "an invalid scale is ignored");
    sandbox.set_clock_scale(2.0);
    assert_eq!(sandbox.sandbox().clock_scale(), 2.0);
}

#[tokio::test]
async fn runs_are_listed_newest_first_with_page_and_keyset_paging() {
    let sandbox = frozen();
    let api = Api::new(&sandbox, CENTRE);
    for _ in 0..5 {
        api.execute("stage-build").await;
        sandbox.advance_clock(Duration::from_secs(1));
    }
    let list = format!("{}/executions", stage("stage-build"));
    let numbers = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|item| item["number"].as_str().expect("number").to_string())
            .collect()
    };
    let (status, body) = api.get(&list).await;
    assert_eq!(status, 200);
    assert_eq!(numbers(&body), ["5", "4", "3", "2", "1"]);
    assert_eq!(
        (
            &body["current"],
            &body["pages"],
            &body["perPage"],
            &body["total"]
        ),
        (&json!(1), &json!(1), &json!(20), &json!(5))
    );
    let item = &body["data"][4];
    assert_eq!(item["state"], "RUNNING");
    assert_eq!(item["triggerMode"], "1");
    assert!(is_beijing_text(&item["startTime"]));
    assert!(item["endTime"].is_null());

    let (_, body) = api.get(&format!("{list}?page=2&perPage=2")).await;
    assert_eq!(numbers(&body), ["3", "2"]);
    assert_eq!((&body["current"], &body["pages"]), (&json!(2), &json!(3)));
    let (_, body) = api
        .get(&format!("{list}?orderBy=id&sort=asc&perPage=3"))
        .await;
    assert_eq!(numbers(&body), ["1", "2", "3"]);
    let (_, body) = api.get(&format!("{list}?page=9")).await;
    assert_eq!(numbers(&body), Vec::<String>::new());

    // Keyset: follow nextToken to the end.
    let mut seen = Vec::new();
    let mut query = format!("{list}?pagination=keyset&perPage=2");
    for _ in 0..10 {
        let (status, body) = api.get(&query).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body.get("total").is_none(),
            "keyset answers have no page fields"
        );
        seen.extend(numbers(&body));
        match body.get("nextToken").and_then(Value::as_str) {
            Some(token) => {
                query = format!("{list}?pagination=keyset&perPage=2&nextToken={token}");
            }
            None => break,
        }
    }
    assert_eq!(seen, ["5", "4", "3", "2", "1"]);

    sandbox.advance_clock(Duration::from_secs(60));
    let (_, body) = api.get(&list).await;
    assert!(
        body["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|item| item["state"] == "SUCCESS" && is_beijing_text(&item["endTime"]))
    );

    for bad in [
        "perPage=0",
        "perPage=101",
        "perPage=x",
        "page=0",
        "page=-1",
        "sort=up",
        "orderBy=name",
        "pagination=cursor",
        "pagination=keyset&nextToken=garbage",
    ] {
        let (status, body) = api.get(&format!("{list}?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["errorCode"], "BadRequest");
    }
}

#[tokio::test]
async fn job_ids_are_required_and_unknown_runs_and_jobs_are_404() {
    let sandbox = frozen();
    let api = Api::new(&sandbox, CENTRE);
    let n = api.execute("stage-deploy").await;
    let e = execution("stage-deploy", n);
    for (verb, get) in [
        ("passPipelineValidate", false),
        ("refusePipelineValidate", false),
        ("retry", false),
        ("skip", false),
        ("pipelineJobLog", true),
    ] {
        for query in ["", "?jobId=", "?jobId=abc", "?jobid=1001", "?jobId=-1"] {
            let tail = format!("{e}:{verb}{query}");
            let (status, body) = if get {
                api.get(&tail).await
            } else {
                api.post(&tail).await
            };
            assert_eq!(status, 400, "{tail}: {body}");
            let message = body["errorMessage"].as_str().expect("message");
            assert!(
                message.starts_with("Required request parameter [jobId]"),
                "{message}"
            );
        }
        let tail = format!("{e}:{verb}?jobId=999999");
        let (status, body) = if get {
            api.get(&tail).await
        } else {
            api.post(&tail).await
        };
        assert_eq!(status, 404, "{tail}");
        assert!(
            body["errorMessage"]
                .as_str()
                .expect("message")
                .contains("999999")
        );
    }
    for missing in ["99", "abc", "0", "-1"] {
        let tail = format!(
            "{}/executions/{missing}:getPipelineRun",
            stage("stage-deploy")
        );
        let (status, body) = api.get(&tail).await;
        assert_eq!(status, 404, "{tail}");
        assert_eq!(body["errorCode"], "NotFound");
        assert!(
            body["errorMessage"]
                .as_str()
                .expect("message")
                .contains(&format!("\"{missing}\"")),
            "{body}"
        );
    }
    // A job of another run is not a job of this one.
    let other = api.execute("stage-deploy").await;
    let other_job = job_id(&api.run("stage-deploy", other).await, "Build");
    let (status, _) = api
        .get(&format!("{e}:pipelineJobLog?jobId={other_job}"))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn reset_and_fixture_replacement_forget_runs() {
    let sandbox = frozen();
    let api = Api::new(&sandbox, CENTRE);
    let n = api.execute("stage-deploy").await;
    sandbox.reset();
    let (status, _) = api
        .get(&format!("{}:getPipelineRun", execution("stage-deploy", n)))
        .await;
    assert_eq!(status, 404);
    assert_eq!(api.execute("stage-deploy").await, 1, "numbers restart");

    // A fixture with a script of its own, in the object form next to the old string form.
    let fixture = json!({"organizations": {"o": {"apps": {"app": {"releaseWorkflows": {
    "wf": {"name": "Flow", "releaseStages": ["plain", {"sn": "custom", "name": "Custom", "script": [
        [{"name": "One", "duration_s": 1.5, "log": ["a"]}, {"name": "Two", "duration_s": 2}],
        [{"name": "Three", "outcome": "FAIL"}]
    ]}]}}}}}}});
    let response = reqwest::Client::new()
        .put(sandbox.url("/_sandbox/fixture"))
        .json(&fixture)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    let shown: Value = reqwest::get(sandbox.url("/_sandbox/fixture"))
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(
        shown["organizations"]["o"]["apps"]["app"]["releaseWorkflows"]["wf"]["releaseStages"][0],
        "plain",
        "the short form round-trips"
    );
    let app = Api::new(&sandbox, "/oapi/v1/appstack/organizations/o/apps/app");
    let (status, body) = app
        .post("/releaseWorkflows/wf/releaseStages/custom:execute")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["pipelineRunId"], 1);
    let get = "/releaseWorkflows/wf/releaseStages/custom/executions/1:getPipelineRun";
    let (_, body) = app.get(get).await;
    let run = &body["pipelineRun"];
    assert_eq!(job_statuses(run), ["RUNNING", "INIT", "INIT"]);
    assert_eq!(
        run["stageTopo"],
        json!([["Group0-Stage0"], ["Group1-Stage0"]])
    );
    assert_eq!(run["stages"][0]["name"], "One");
    sandbox.advance_clock(Duration::from_millis(1500));
    let (_, body) = app.get(get).await;
    assert_eq!(
        job_statuses(&body["pipelineRun"]),
        ["SUCCESS", "RUNNING", "INIT"]
    );
    sandbox.advance_clock(Duration::from_secs(2));
    let (_, body) = app.get(get).await;
    assert_eq!(body["pipelineRun"]["status"], "FAIL", "Three fails at once");

    // Bad scripts are refused.
    for bad in [
        json!({"organizations": {"o": {"apps": {"a": {"releaseWorkflows": {"w": {"releaseStages": [{"sn": "s", "script": [[]]}]}}}}}}}),
        json!({"organizations": {"o": {"apps": {"a": {"releaseWorkflows": {"w": {"releaseStages": [{"sn": "s", "script": [[{"name": "j", "duration_s": -1}]]}]}}}}}}}),
        json!({"organizations": {"o": {"apps": {"a": {"releaseWorkflows": {"w": {"releaseStages": [{"sn": "s", "script": [[{"name": "j", "outcome": "MAYBE"}]]}]}}}}}}}),
        json!({"organizations": {"o": {"apps": {"a": {"releaseWorkflows": {"w": {"releaseStages": [{"sn": "s", "colour": "red"}]}}}}}}}),
        json!({"organizations": {"o": {"apps": {"a": {"releaseWorkflows": {"w": {"releaseStages": [7]}}}}}}}),
        json!({"organizations": {"o": {"apps": {"a": {"changeRequests": [{"sn": "c", "state": "OPEN"}]}}}}}),
        json!({"organizations": {"o": {"apps": {"a": {"changeRequests": [{"sn": "c"}, {"sn": "c"}]}}}}}),
    ] {
        let response = reqwest::Client::new()
            .put(sandbox.url("/_sandbox/fixture"))
            .json(&bad)
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), 400, "{bad}");
    }
}
