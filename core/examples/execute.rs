//! Starts one run of a release stage and reports the outcome the way a deployment script should.
//!
//! Try it against the sandbox:
//!
//! ```sh
//! cargo run -p yunxiao-sandbox -- --port 8787 &
//! YUNXIAO_ACCESS_TOKEN=pt-sandbox-token YUNXIAO_API_BASE_URL=http://127.0.0.1:8787 \
//! YUNXIAO_ORGANIZATION_ID=sandbox-org \
//!   cargo run -p yunxiao-appstack --example execute -- my-web-service wf-main stage-deploy
//! ```

use std::process::ExitCode;

use yunxiao_appstack::{Client, ExecuteReleaseStageRequest};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [app, workflow, stage] = args.as_slice() else {
        eprintln!("usage: execute APP WORKFLOW_SN STAGE_SN  (settings from YUNXIAO_* variables)");
        return ExitCode::from(2);
    };
    let client = match Client::from_env() {
        Ok(client) => client,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(3);
        }
    };
    let request = ExecuteReleaseStageRequest::new(app, workflow, stage)
        .comment("started by the yunxiao-appstack example");
    match client.execute_release_stage(&request).await {
        Ok(run) => {
            println!(
                "started run {} (request id {})",
                run.run_id().map_or("?".to_owned(), |id| id.to_string()),
                run.request_id.as_deref().unwrap_or("-")
            );
            ExitCode::SUCCESS
        }
        Err(error) if error.may_have_executed() => {
            eprintln!("{error}\nthe stage may have started: check its runs before retrying");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("{error}\nnothing was started");
            ExitCode::FAILURE
        }
    }
}
