//! Every call at centre and region paths, the workflow and change-request listings, the
//! integration metadata, and faults, recording, methods and tokens on the new routes.

mod support;

use serde_json::{Value, json};
use support::*;
use yunxiao_sandbox::Fault;

const DOC_CENTRE: &str =
    "/oapi/v1/appstack/organizations/ec766e63aee3437d9a51f334d6exe671/apps/my-web-service";

#[tokio::test]
async fn every_call_answers_at_centre_and_region_paths() {
    let sandbox = frozen();
    for app in [CENTRE, REGION, DOC_CENTRE] {
        sandbox.reset();
        sandbox.clear_requests();
        let api = Api::new(&sandbox, app);
        let n = api.execute("stage-gate").await;
        assert_eq!(n, 1, "{app}");
        let run = api.run("stage-gate", n).await;
        let build = job_id(&run, "Build");
        let gate = job_id(&run, "Approve");
        let e = execution("stage-gate", n);
        let gets = [
            (format!("{e}:pipelineJobLog?jobId={build}"), 200),
            (format!("{e}/integratedMetadata"), 200),
            (format!("{}/executions", stage("stage-gate")), 200),
            (
                format!("{}:find_release_integrated_metadata", stage("stage-gate")),
                200,
            ),
            ("/releaseWorkflows".to_string(), 200),
            ("/releaseWorkflowBriefs".to_string(), 200),
            (
                "/releaseWorkflow/wf-main/releaseStageBriefs".to_string(),
                200,
            ),
            (
                "/releaseWorkflow/wf-main/releaseStage/stage-gate".to_string(),
                200,
            ),
        ];
        for (tail, expected) in gets {
            let (status, body) = api.get(&tail).await;
            assert_eq!(status, expected, "GET {app}{tail}: {body}");
        }
        let (status, body) = api.post_json("/changeRequests:search", &json!({})).await;
        assert_eq!(status, 200, "{app}: {body}");
        // The gate is not waiting yet: pass and refuse are refused, retry too; skip works.
        for verb in ["passPipelineValidate", "refusePipelineValidate", "retry"] {
            let (status, body) = api.post(&format!("{e}:{verb}?jobId={gate}")).await;
            assert_eq!(status, 400, "{app} {verb}: {body}");
        }
        let (status, _) = api.post(&format!("{e}:skip?jobId={build}")).await;
        assert_eq!(status, 200);
        let (status, body) = api.post(&format!("{e}:cancel")).await;
        assert_eq!((status, body), (200, json!({"success": true})));

        // Every one of those calls was recorded with its method, path and query.
        let recorded: Vec<String> = sandbox
            .requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert_eq!(recorded.len(), 16, "{recorded:#?}");
        assert!(recorded.iter().all(|r| r.contains(app)), "{recorded:#?}");
        for expected in [
            format!("POST {app}{}:execute", stage("stage-gate")),
            format!("GET {app}{e}:getPipelineRun"),
            format!("GET {app}{e}:pipelineJobLog?jobId={build}"),
            format!("GET {app}/releaseWorkflow/wf-main/releaseStage/stage-gate"),
            format!("POST {app}/changeRequests:search"),
            format!("POST {app}{e}:retry?jobId={gate}"),
            format!("POST {app}{e}:skip?jobId={build}"),
            format!("POST {app}{e}:cancel"),
        ] {
            assert!(
                recorded.contains(&expected),
                "{expected} not in {recorded:#?}"
            );
        }
    }
    // Region paths find the app in the first organization: they share its runs.
    sandbox.reset();
    let region = Api::new(&sandbox, REGION);
    let doc = Api::new(&sandbox, DOC_CENTRE);
    let n = region.execute("stage-deploy").await;
    assert_eq!(doc.run("stage-deploy", n).await["status"], "RUNNING");
    let (status, _) = Api::new(&sandbox, CENTRE)
        .get(&format!("{}:getPipelineRun", execution("stage-deploy", n)))
        .await;
    assert_eq!(status, 404, "the other organization has no run yet");
}

#[tokio::test]
async fn prefixed_and_encoded_paths_reach_the_new_calls() {
    let sandbox = frozen();
    let prefixed = Api::new(&sandbox, "/gateway/v2/oapi/v1/appstack/apps/my-web-service");
    let (status, body) = prefixed.get("/releaseWorkflowBriefs").await;
    assert_eq!(status, 200, "{body}");
    let encoded = Api::new(
        &sandbox,
        "/oapi/v1/appstack/organizations/sandbox-org/apps/a%2Fb%20c",
    );
    let (status, body) = encoded.get("/releaseWorkflows").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["appName"], "a/b c");
    let (status, body) = encoded
        .post("/releaseWorkflows/wf-main/releaseStages/stage-deploy:execute")
        .await;
    assert_eq!((status, &body["pipelineRunId"]), (200, &json!(1)));
    let (status, _) = encoded
        .get("/releaseWorkflows/wf-main/releaseStages/stage-deploy/executions/1:getPipelineRun")
        .await;
    assert_eq!(status, 200);
    let (status, _) = encoded
        .get("/releaseWorkflows/wf-main/releaseStages/stage-deploy/executions/1%3AgetPipelineRun")
        .await;
    assert_eq!(status, 404, "the verb's colon must be literal");
    let unencoded = Api::new(
        &sandbox,
        "/oapi/v1/appstack/organizations/sandbox-org/apps/a/b c",
    );
    let (status, _) = unencoded.get("/releaseWorkflows").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn workflows_stages_and_their_shapes() {
    let sandbox = frozen();
    let api = Api::new(&sandbox, CENTRE);
    let (status, executed) = api
        .post(&format!("{}:execute", stage("stage-deploy")))
        .await;
    assert_eq!(status, 200);
    let pipeline_id = executed["pipelineId"].to_string();

    let (status, workflows) = api.get("/releaseWorkflows").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = workflows
        .as_array()
        .expect("array")
        .iter()
        .map(|wf| wf["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["xxxxxxxxxxxxxx", "Main", "main"]);
    let main = &workflows[1];
    assert_eq!(
        main.as_object().expect("object").keys().collect::<Vec<_>>(),
        [
            "appName",
            "sn",
            "name",
            "note",
            "order",
            "type",
            "releaseStages"
        ]
    );
    assert_eq!(
        (&main["appName"], &main["sn"], &main["order"], &main["type"]),
        (
            &json!("my-web-service"),
            &json!("wf-main"),
            &json!("2"),
            &json!("CR")
        )
    );
    let stages: Vec<&str> = main["releaseStages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| s["sn"].as_str().expect("sn"))
        .collect();
    assert_eq!(
        stages,
        [
            "stage-build",
            "stage-deploy",
            "stage-fail",
            "stage-gate",
            "stage-long"
        ]
    );
    let deploy = &main["releaseStages"][1];
    assert_eq!(
        deploy,
        &json!({"appName": "my-web-service", "sn": "stage-deploy", "releaseWorkflowSn": "wf-main",
            "name": "Deploy", "order": "2", "labels": [], "variableGroups": [],
            "pipeline": {"engineType": "FlowV2", "engineSn": pipeline_id}})
    );

    let (_, briefs) = api.get("/releaseWorkflowBriefs").await;
    let mut expected = main.clone();
    expected
        .as_object_mut()
        .expect("object")
        .remove("releaseStages");
    assert_eq!(briefs[1], expected);
    assert_eq!(briefs.as_array().map(Vec::len), Some(3));

    let (_, stage_briefs) = api.get("/releaseWorkflow/wf-main/releaseStageBriefs").await;
    assert_eq!(
        stage_briefs[1],
        json!({"appName": "my-web-service", "releaseWorkflowSn": "wf-main", "sn": "stage-deploy",
            "name": "Deploy", "order": "2", "labels": [], "processEngineType": "FlowV2",
            "processEngineSn": pipeline_id})
    );
    let (status, one) = api
        .get("/releaseWorkflow/wf-main/releaseStage/stage-deploy")
        .await;
    assert_eq!((status, &one), (200, deploy));

    for (tail, needle) in [
        (
            "/releaseWorkflow/nope/releaseStageBriefs",
            "release workflow \"nope\"",
        ),
        (
            "/releaseWorkflow/nope/releaseStage/stage-deploy",
            "release workflow \"nope\"",
        ),
        (
            "/releaseWorkflow/wf-main/releaseStage/nope",
            "release stage \"nope\"",
        ),
    ] {
        let (status, body) = api.get(tail).await;
        assert_eq!(status, 404, "{tail}");
        assert!(
            body["errorMessage"]
                .as_str()
                .expect("message")
                .contains(needle),
            "{body}"
        );
    }
    let (status, body) = Api::new(&sandbox, "/oapi/v1/appstack/apps/nope")
        .get("/releaseWorkflows")
        .await;
    assert_eq!(status, 404);
    assert!(
        body["errorMessage"]
            .as_str()
            .expect("message")
            .contains("application")
    );
}

#[tokio::test]
async fn change_request_search_filters_and_pages() {
    let sandbox = frozen();
    let api = Api::new(&sandbox, REGION);
    let search = |body: Value| {
        let api = &api;
        async move { api.post_json("/changeRequests:search", &body).await }
    };
    let sns = |body: &Value| -> Vec<String> {
        body["records"]
            .as_array()
            .expect("records")
            .iter()
            .map(|r| r["sn"].as_str().expect("sn").to_string())
            .collect()
    };
    let (status, all) = search(json!({})).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        (
            &all["total"],
            &all["current"],
            &all["pageSize"],
            &all["pages"]
        ),
        (&json!(4), &json!(1), &json!(10), &json!(1))
    );
    let first = &all["records"][0];
    assert_eq!(
        first
            .as_object()
            .expect("object")
            .keys()
            .collect::<Vec<_>>(),
        [
            "sn",
            "appName",
            "name",
            "type",
            "state",
            "branch",
            "originBranch",
            "ownerId",
            "creatorId",
            "gmtCreate",
            "gmtModified",
            "appCodeRepoSn"
        ]
    );
    assert_eq!(first["type"], "APP");
    assert_eq!(first["gmtCreate"], "2025-12-16T08:14:56.000+00:00");

    let (_, body) = search(json!({"state": ["DEVELOPING", "INTEGRATING"]})).await;
    assert_eq!(sns(&body), ["cr-login", "cr-payment"]);
    let (_, body) = search(json!({"owner": ["user-alice"]})).await;
    assert_eq!(sns(&body), ["cr-login", "cr-logging"]);
    let (_, body) = search(json!({"name": "LOGIN"})).await;
    assert_eq!(
        sns(&body),
        ["cr-login", "cr-legacy"],
        "case-insensitive substring"
    );
    let (_, body) =
        search(json!({"name": "login", "state": ["CLOSED"], "owner": ["user-carol"]})).await;
    assert_eq!(sns(&body), ["cr-legacy"]);
    let (_, body) = search(json!({"pageSize": 3, "current": 2})).await;
    assert_eq!(sns(&body), ["cr-legacy"]);
    assert_eq!((&body["pages"], &body["total"]), (&json!(2), &json!(4)));
    let (_, body) = search(json!({"pageSize": 30, "unknownField": true})).await;
    assert_eq!(body["total"], 4, "unknown fields are ignored");

    // No body at all is a search with the defaults.
    let (status, body) = api.post("/changeRequests:search").await;
    assert_eq!((status, &body["total"]), (200, &json!(4)));

    for bad in [
        json!({"pageSize": 31}),
        json!({"pageSize": 0}),
        json!({"current": 0}),
        json!({"current": "1"}),
        json!({"state": ["OPEN"]}),
        json!({"state": "DEVELOPING"}),
        json!({"owner": [1]}),
        json!({"name": 5}),
        json!([1]),
    ] {
        let (status, body) = search(bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["errorCode"], "BadRequest");
    }
    let (status, body) = Api::new(&sandbox, "/oapi/v1/appstack/apps/a%2Fb%20c")
        .post("/changeRequests:search")
        .await;
    assert_eq!(
        (status, &body["records"]),
        (200, &json!([])),
        "an app with none"
    );
}

#[tokio::test]
async fn integration_metadata_comes_from_the_execute_params() {
    let sandbox = frozen();
    let api = Api::new(&sandbox, CENTRE);
    let find = format!("{}:find_release_integrated_metadata", stage("stage-build"));
    let (status, body) = api.get(&find).await;
    assert_eq!(status, 404, "no run yet: {body}");

    let info = json!({
        "featureBranchs": [
            {"branchName": "feature/login", "changeRequestSn": "cr-login"},
            {"branchName": "feature/payment"},
            {"branchName": "feature/unknown", "changeRequestSn": "cr-unknown"}
        ],
        "repo": "https://codeup.aliyun.com/sandbox/my-web-service.git",
        "baseBranch": {"branchName": "master"},
        "needCreateBranch": false,
        "releaseBranch": {"branchName": "release/20261202"}
    });
    let with = api
        .execute_with("stage-build", json!({"releaseBranchRepoInfo": info}))
        .await;
    let without = api.execute("stage-build").await;

    let (status, body) = api
        .get(&format!(
            "{}/integratedMetadata",
            execution("stage-build", with)
        ))
        .await;
    assert_eq!(status, 200);
    let item = &body[0];
    assert_eq!(body.as_array().map(Vec::len), Some(1));
    assert_eq!(item["releaseBranch"], "release/20261202");
    assert_eq!(item["repoType"], "CODEUP");
    assert_eq!(
        item["repoUrl"],
        "https://codeup.aliyun.com/sandbox/my-web-service.git"
    );
    assert_eq!(item["releaseRevision"].as_str().map(str::len), Some(40));
    let crs = item["changeRequests"].as_array().expect("crs");
    assert_eq!(crs.len(), 3);
    assert_eq!(
        crs[0]
            .as_object()
            .expect("object")
            .keys()
            .collect::<Vec<_>>(),
        [
            "sn",
            "name",
            "branchName",
            "commitId",
            "ownerId",
            "ownerAccountId"
        ]
    );
    assert_eq!(
        (&crs[0]["sn"], &crs[0]["name"], &crs[0]["ownerId"]),
        (
            &json!("cr-login"),
            &json!("Login page redesign"),
            &json!("user-alice")
        )
    );
    assert_eq!(crs[1]["sn"], "cr-payment", "matched by branch name");
    assert_eq!(crs[2]["sn"], "cr-unknown", "unmatched entries are kept");

    let (_, body) = api
        .get(&format!(
            "{}/integratedMetadata",
            execution("stage-build", without)
        ))
        .await;
    assert_eq!(body, json!([]));

    let (status, latest) = api.get(&find).await;
    assert_eq!(status, 200);
    assert_eq!(
        latest,
        json!({"releaseStageSn": "stage-build", "releaseBranch": "", "releaseRevision": "",
            "repoUrl": "", "repoType": "CODEUP", "runNumber": without, "crDetailList": []}),
        "the newest run by default"
    );
    let (_, first) = api.get(&format!("{find}?buildNum={with}")).await;
    assert_eq!(first["runNumber"], with);
    assert_eq!(first["releaseBranch"], "release/20261202");
    let detail = &first["crDetailList"][0];
    assert_eq!(
        detail,
        &json!({"sn": "cr-login", "name": "Login page redesign", "ownerId": "user-alice",
            "branchName": "feature/login", "commitId": crs[0]["commitId"],
            "state": "DEVELOPING", "branchState": "LATEST"})
    );
    assert_eq!(first["crDetailList"][1]["state"], "INTEGRATING");
    let (status, _) = api.get(&format!("{find}?buildNum=99")).await;
    assert_eq!(status, 404);
    let (status, _) = api.get(&format!("{find}?buildNum=x")).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn faults_and_recording_apply_to_every_route() {
    let sandbox = frozen();
    let api = Api::new(&sandbox, CENTRE);
    let n = api.execute("stage-deploy").await;
    let get = format!("{}:getPipelineRun", execution("stage-deploy", n));

    // A fault queued before a GET is served to that GET, whatever its route.
    sandbox.push_fault(Fault::respond(503));
    let (status, body) = api.get(&get).await;
    assert_eq!(status, 503);
    assert_eq!(body["errorCode"], "ServiceUnavailable");
    let (status, _) = api.get(&get).await;
    assert_eq!(status, 200, "consumed");

    // An exact route with its query.
    let run = api.run("stage-deploy", n).await;
    let job = job_id(&run, "Build");
    let log = format!(
        "{CENTRE}{}:pipelineJobLog?jobId={job}",
        execution("stage-deploy", n)
    );
    sandbox.push_fault(Fault::malformed_json().on_route(log.clone()));
    let (status, body) = api
        .get(&format!("{}/executions", stage("stage-deploy")))
        .await;
    assert_eq!(status, 200, "another route is not faulted: {body}");
    let (status, body) = api.get(log.trim_start_matches(CENTRE)).await;
    assert_eq!(status, 200);
    assert!(body.is_string(), "truncated JSON: {body}");

    sandbox.clear_requests();
    let search = "/changeRequests:search";
    api.get(&format!(
        "{}/executions?page=1&perPage=5",
        stage("stage-deploy")
    ))
    .await;
    api.post_json(search, &json!({"pageSize": 5})).await;
    api.post(&format!("{}:cancel", execution("stage-deploy", n)))
        .await;
    let sent = sandbox.requests();
    let seen: Vec<(String, String)> = sent
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "GET".to_string(),
                format!(
                    "{CENTRE}{}/executions?page=1&perPage=5",
                    stage("stage-deploy")
                )
            ),
            ("POST".to_string(), format!("{CENTRE}{search}")),
            (
                "POST".to_string(),
                format!("{CENTRE}{}:cancel", execution("stage-deploy", n))
            ),
        ]
    );
    assert_eq!(sent[1].json, Some(json!({"pageSize": 5})));
}

#[tokio::test]
async fn methods_and_tokens_are_checked_on_every_route() {
    let sandbox = frozen();
    let api = Api::new(&sandbox, CENTRE);
    let n = api.execute("stage-deploy").await;
    let e = execution("stage-deploy", n);
    let http = reqwest::Client::new();
    for (tail, wrong, allow) in [
        (format!("{e}:getPipelineRun"), "POST", "GET"),
        (format!("{e}:cancel"), "GET", "POST"),
        (format!("{e}:pipelineJobLog?jobId=1"), "DELETE", "GET"),
        ("/releaseWorkflows".to_string(), "POST", "GET"),
        ("/changeRequests:search".to_string(), "GET", "POST"),
    ] {
        let method = reqwest::Method::from_bytes(wrong.as_bytes()).expect("method");
        let response = http
            .request(method, sandbox.url(&format!("{CENTRE}{tail}")))
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), 405, "{wrong} {tail}");
        assert_eq!(response.headers()["allow"], allow);

        let method = reqwest::Method::from_bytes(allow.as_bytes()).expect("method");
        let response = http
            .request(method.clone(), sandbox.url(&format!("{CENTRE}{tail}")))
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), 401, "no token: {tail}");
        let response = http
            .request(method, sandbox.url(&format!("{CENTRE}{tail}")))
            .header("x-yunxiao-token", "pt-wrong")
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), 401, "wrong token: {tail}");
    }
}

#[tokio::test]
async fn hostile_input_gets_answers_not_panics() {
    let sandbox = frozen();
    let api = Api::new(&sandbox, CENTRE);
    let n = api.execute("stage-deploy").await;
    let e = execution("stage-deploy", n);
    let runs = format!("{}/executions", stage("stage-deploy"));
    for (tail, expected) in [
        (format!("{e}:pipelineJobLog?jobId=%FF%FE"), 400),
        (
            format!("{e}:pipelineJobLog?jobId=18446744073709551616"),
            400,
        ),
        (format!("{e}:pipelineJobLog?jobId=1001&jobId=x"), 200),
        (format!("{e}:pipelineJobLog?=&&jobId&=1"), 400),
        (
            format!(
                "{}/executions/18446744073709551616:getPipelineRun",
                stage("stage-deploy")
            ),
            404,
        ),
        (
            format!("{}/executions/%FF:getPipelineRun", stage("stage-deploy")),
            404,
        ),
        (format!("{runs}?page=18446744073709551615&perPage=100"), 200),
        (
            format!("{runs}?pagination=keyset&nextToken=sbx-99999999999999999999"),
            400,
        ),
        (
            format!("{runs}?pagination=keyset&nextToken=sbx-18446744073709551615&sort=asc"),
            200,
        ),
        (
            format!(
                "{}:find_release_integrated_metadata?buildNum=18446744073709551615",
                stage("stage-deploy")
            ),
            404,
        ),
    ] {
        let (status, body) = api.get(&tail).await;
        assert_eq!(status, expected, "{tail}: {body}");
    }
    for (body, expected) in [
        (json!({"current": u64::MAX, "pageSize": 30}), 200),
        (json!({"current": -1}), 400),
        (json!({"pageSize": 1.5}), 400),
        (json!({"owner": null, "state": null, "name": null}), 200),
    ] {
        let (status, answer) = api.post_json("/changeRequests:search", &body).await;
        assert_eq!(status, expected, "{body}: {answer}");
    }
    // Odd params are kept as sent and do not break the metadata calls.
    for params in [
        json!({"releaseBranchRepoInfo": "not json"}),
        json!({"releaseBranchRepoInfo": {"featureBranchs": "no"}}),
        json!({"releaseBranchRepoInfo": [1, 2]}),
        json!({"releaseBranchRepoInfo": "{\"featureBranchs\": [{}], \"repo\": 5}"}),
    ] {
        let n = api.execute_with("stage-deploy", params.clone()).await;
        let (status, body) = api
            .get(&format!(
                "{}/integratedMetadata",
                execution("stage-deploy", n)
            ))
            .await;
        assert_eq!(status, 200, "{params}: {body}");
    }
    // The end of time: the clock saturates instead of overflowing.
    let http = reqwest::Client::new();
    let response = http
        .post(sandbox.url("/_sandbox/clock"))
        .json(&json!({"advance_ms": u64::MAX}))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    let n = api.execute("stage-long").await;
    let run = api.run("stage-long", n).await;
    // Every job's end saturates at the last representable instant, which has come.
    assert_eq!(run["status"], "SUCCESS");
    assert!(jobs(&run).iter().all(|j| j["endTime"] == u64::MAX));
    let (status, _) = api.get(&runs).await;
    assert_eq!(status, 200);
    let health = http
        .get(sandbox.url("/_sandbox/health"))
        .send()
        .await
        .expect("still serving");
    assert_eq!(health.status(), 200);
}
