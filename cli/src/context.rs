//! From the generic flags to a client, and from the naming flags to core's references.
//!
//! Nothing is decided here: settings go to core's builder, which validates and resolves them
//! (flags over YUNXIAO_* variables over defaults); names go to core's find calls.

use std::path::Path;
use std::time::Duration;

use yunxiao_appstack::{AppRef, Client, ClientBuilder, ClientConfig, Edition, Error, StageRef};

use crate::args::{AppArgs, GlobalArgs, JobArgs, RunArgs, StageArgs, WorkflowArgs};

/// The generic flags of one invocation.
pub struct Context {
    pub global: GlobalArgs,
}

impl Context {
    /// Core's builder with every generic flag applied; the token file is read here.
    pub fn builder(&self) -> Result<ClientBuilder, Error> {
        let g = &self.global;
        if g.token.is_some() {
            return Err(Error::configuration(
                "--token is refused: command-line arguments are visible to every user in the process list; use YUNXIAO_ACCESS_TOKEN or --token-file",
            ));
        }
        let mut builder = ClientBuilder::new().user_agent_suffix("cli");
        if let Some(path) = &g.token_file {
            builder = builder.token(read_token_file(path)?);
        }
        if let Some(url) = &g.base_url {
            builder = builder.base_url(url);
        }
        if let Some(edition) = &g.edition {
            builder = builder.edition(edition.parse::<Edition>()?);
        }
        if g.region {
            builder = builder.edition(Edition::Region);
        }
        if g.central {
            builder = builder.edition(Edition::Central);
        }
        if let Some(secs) = g.timeout {
            builder = builder.request_timeout(seconds("--timeout", secs)?);
        }
        if let Some(secs) = g.connect_timeout {
            builder = builder.connect_timeout(seconds("--connect-timeout", secs)?);
        }
        if let Some(n) = g.max_retries {
            builder = builder.max_retries(n);
        }
        if let Some(secs) = g.deadline {
            builder = builder.deadline(seconds("--deadline", secs)?);
        }
        if let Some(rps) = g.max_rps {
            builder = builder.max_rps(rps);
        }
        if let Some(path) = &g.ca_bundle {
            builder = builder.ca_bundle(path);
        }
        if let Some(proxy) = &g.proxy {
            let has_password = url::Url::parse(proxy).is_ok_and(|u| u.password().is_some());
            if has_password {
                return Err(Error::configuration(
                    "--proxy: a proxy password on the command line is visible to every user of the machine; set HTTPS_PROXY instead",
                ));
            }
            builder = builder.proxy(proxy);
        }
        Ok(builder)
    }

    /// The resolved settings, without requiring a token (for dry runs).
    pub fn config(&self) -> Result<ClientConfig, Error> {
        self.builder()?.resolve()
    }

    /// A client: the settings resolved, and a token required.
    pub fn client(&self) -> Result<Client, Error> {
        self.builder()?.build()
    }

    /// The app named by `--app`, in `--org` when given.
    pub fn app(&self, app: &AppArgs) -> AppRef {
        let mut app = AppRef::new(&app.app);
        if let Some(org) = &self.global.org {
            app = app.organization_id(org);
        }
        app
    }

    /// Whether naming the stage needs core's find calls (a name was given, not a serial
    /// number), so that a dry run knows it must build a client to read the briefs.
    pub fn needs_lookup(stage: &StageArgs) -> bool {
        stage.workflow.workflow_name.is_some() || stage.stage_name.is_some()
    }

    /// The workflow's serial number: `--workflow`, or `--workflow-name` resolved by core.
    pub async fn workflow_sn(
        &self,
        client: Option<&Client>,
        workflow: &WorkflowArgs,
    ) -> Result<String, Error> {
        if let Some(sn) = &workflow.workflow {
            return Ok(sn.clone());
        }
        let name = workflow.workflow_name.as_deref().unwrap_or_default();
        let app = self.app(&workflow.app);
        let found = lookup_client(client)?
            .find_release_workflow(&app, name)
            .await?;
        found.sn.ok_or_else(|| {
            Error::invalid_request("the release workflow found has no serial number")
        })
    }

    /// The stage: serial numbers as given, or names resolved by core.
    pub async fn stage(
        &self,
        client: Option<&Client>,
        stage: &StageArgs,
    ) -> Result<StageRef, Error> {
        let app = self.app(&stage.workflow.app);
        match (&stage.stage, &stage.stage_name) {
            (Some(stage_sn), _) => {
                let workflow_sn = self.workflow_sn(client, &stage.workflow).await?;
                Ok(app.stage(workflow_sn, stage_sn))
            }
            (None, name) => {
                let workflow = stage
                    .workflow
                    .workflow
                    .as_deref()
                    .or(stage.workflow.workflow_name.as_deref())
                    .unwrap_or_default();
                lookup_client(client)?
                    .find_release_stage(&app, workflow, name.as_deref().unwrap_or_default())
                    .await
            }
        }
    }

    /// The run named by the stage flags and `--number`.
    pub async fn run(
        &self,
        client: Option<&Client>,
        run: &RunArgs,
    ) -> Result<yunxiao_appstack::RunRef, Error> {
        Ok(self.stage(client, &run.stage).await?.run(run.number))
    }

    /// The job named by the run flags and `--job`.
    pub async fn job(
        &self,
        client: Option<&Client>,
        job: &JobArgs,
    ) -> Result<yunxiao_appstack::JobRef, Error> {
        Ok(self.run(client, &job.run).await?.job(job.job))
    }
}

/// The client that reads the briefs to resolve names (a dry run has none until it needs one).
fn lookup_client(client: Option<&Client>) -> Result<&Client, Error> {
    client.ok_or_else(|| {
        Error::configuration("resolving --workflow-name or --stage-name needs a client")
    })
}

/// Reads the token file, warning (as ssh does for keys) when others may read it.
fn read_token_file(path: &Path) -> Result<String, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::configuration(format!("cannot read --token-file {}: {e}", path.display()))
    })?;
    warn_if_shared(path);
    Ok(text.trim().to_owned())
}

#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = std::fs::metadata(path) {
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            eprintln!(
                "warning: --token-file {} is accessible by other users (mode {mode:04o}); anyone who can read it can deploy as you: chmod 600 it",
                path.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_: &Path) {}

/// A positive number of seconds given to `flag`.
fn seconds(flag: &str, secs: f64) -> Result<Duration, Error> {
    match Duration::try_from_secs_f64(secs) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => Err(Error::configuration(format!(
            "{flag} must be a number of seconds above 0, got {secs}"
        ))),
    }
}
