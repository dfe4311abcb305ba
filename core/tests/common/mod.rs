//! Shared pieces of the integration tests: the sandbox and a client pointed at it.

#![allow(dead_code)]

use std::time::Duration;

use yunxiao_appstack::{Client, ClientBuilder, ExecuteReleaseStageRequest};
use yunxiao_sandbox::{SandboxConfig, SandboxGuard};

/// The organization of the sandbox's built-in fixture used by these tests.
pub const ORG: &str = "sandbox-org";

/// A sandbox on a free loopback port, stopped when dropped.
pub fn sandbox() -> SandboxGuard {
    yunxiao_sandbox::spawn(SandboxConfig::default()).expect("the sandbox starts on loopback")
}

/// A builder for the sandbox that ignores the process environment.
pub fn builder(sandbox: &SandboxGuard) -> ClientBuilder {
    builder_at(sandbox.base_url()).token(sandbox.token())
}

/// A builder for any base URL (a bare server of a test's own), ignoring the environment.
pub fn builder_at(base_url: &str) -> ClientBuilder {
    ClientBuilder::new()
        .ignore_environment()
        .token("pt-test-token")
        .base_url(base_url)
        .organization_id(ORG)
        .request_timeout(Duration::from_secs(10))
}

/// An async client for the sandbox.
pub fn client(sandbox: &SandboxGuard) -> Client {
    builder(sandbox).build().expect("a valid configuration")
}

/// The stage every test runs unless it says otherwise.
pub fn deploy() -> ExecuteReleaseStageRequest {
    ExecuteReleaseStageRequest::new("my-web-service", "wf-main", "stage-deploy")
}
