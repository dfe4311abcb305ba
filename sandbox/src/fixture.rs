//! The fixture: which organizations, applications, release workflows and release stages exist,
//! and which token the sandbox accepts.
//!
//! On the wire (a fixture file, or the body of `PUT /_sandbox/fixture`) a fixture is
//!
//! ```json
//! {"token": "pt-sandbox-token",
//!  "organizations": {"<orgId>": {"apps": {"<appName>": {
//!      "releaseWorkflows": {"<workflowSn>": {"name": "Main", "releaseStages": [
//!          "<stageSn>",
//!          {"sn": "<stageSn>", "name": "Deploy", "script": [[{"name": "Build", "duration_s": 30}]]}]}},
//!      "changeRequests": [{"sn": "cr-1", "name": "Login page", "state": "DEVELOPING"}]}}}}}
//! ```
//!
//! Every addition to the original form (`name`, stage objects, `script`, `changeRequests`) is
//! optional, so fixtures written for the execute-only sandbox keep working.
//!
//! Object keys keep their order: "first match" and pipeline ids follow the order of the file.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{FIRST_JOB_ID, Run, Script, StageRuns};

/// The token the built-in fixture accepts in `x-yunxiao-token`.
pub const DEFAULT_TOKEN: &str = "pt-sandbox-token";

/// The built-in fixture as JSON text (the content of `sandbox/fixtures/default.json`).
pub const BUILTIN_FIXTURE_JSON: &str = include_str!("../fixtures/default.json");

/// The first pipeline id handed out: a stage's pipeline id is this plus the stage's 1-based
/// position among all stages of the fixture, in file order.
pub const PIPELINE_ID_BASE: u64 = 100_000;

/// Why a fixture could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The fixture file could not be read.
    #[error("cannot read fixture file {path}: {source}")]
    Io {
        /// The file that was being read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not JSON of the fixture's shape.
    #[error("fixture is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON has the right shape but breaks a rule (empty token, empty or duplicate names).
    #[error("fixture is not valid: {0}")]
    Invalid(String),
}

/// Everything the sandbox knows exists, plus the token it accepts.
///
/// `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Fixture {
    /// The value `x-yunxiao-token` must carry (unless the server was given a token override).
    pub token: String,
    /// The organizations, in file order.
    pub organizations: Vec<Organization>,
}

/// One organization of a [`Fixture`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    /// The organization id as it appears (decoded) in the path.
    pub id: String,
    /// Its applications, in file order.
    pub apps: Vec<App>,
}

/// One AppStack application of an [`Organization`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    /// The application name as it appears (decoded) in the path.
    pub name: String,
    /// Its release workflows, in file order.
    pub release_workflows: Vec<ReleaseWorkflow>,
    /// Its change requests, in file order (what `changeRequests:search` finds).
    pub change_requests: Vec<ChangeRequest>,
}

/// One release workflow of an [`App`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseWorkflow {
    /// The workflow serial number as it appears (decoded) in the path.
    pub sn: String,
    /// The display name (the sn unless the fixture gives one).
    pub name: String,
    /// Its release stages, in file order.
    pub release_stages: Vec<ReleaseStage>,
}

/// One release stage of a [`ReleaseWorkflow`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseStage {
    /// The stage serial number as it appears (decoded) in the path.
    pub sn: String,
    /// The display name (the sn unless the fixture gives one).
    pub name: String,
    /// What a run of the stage does; `None` runs [`default_script`].
    pub script: Option<Vec<Vec<ScriptJob>>>,
}

impl ReleaseStage {
    /// A stage named after its sn, running the default script.
    pub fn new(sn: impl Into<String>) -> ReleaseStage {
        let sn = sn.into();
        ReleaseStage {
            name: sn.clone(),
            sn,
            script: None,
        }
    }

    /// The script a run of this stage follows: its own, else [`default_script`].
    pub fn effective_script(&self) -> Vec<Vec<ScriptJob>> {
        self.script.clone().unwrap_or_else(default_script)
    }
}

/// How a script job ends once its duration has passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum JobOutcome {
    /// The job succeeds and the run goes on.
    Success,
    /// The job fails, and with it the run.
    Fail,
}

/// One job of a stage's script.
///
/// On the wire: `{"name": "Build", "duration_s": 30, "outcome": "SUCCESS"|"FAIL",
/// "gate": false, "log": ["line", …]}`; only `name` is required (duration 0, `SUCCESS`, no
/// gate, no log lines by default).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WireJob", into = "WireJob")]
pub struct ScriptJob {
    /// The job name (and its group's name when it is the group's first job).
    pub name: String,
    /// How long it runs, in sandbox time (kept to the millisecond).
    pub duration: Duration,
    /// How it ends.
    pub outcome: JobOutcome,
    /// A manual validation gate: it waits, whatever its duration, until passed or refused.
    pub gate: bool,
    /// Its log lines, which appear evenly spread over its duration.
    pub log: Vec<String>,
}

impl ScriptJob {
    /// The duration in whole milliseconds.
    pub(crate) fn duration_ms(&self) -> u64 {
        u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX)
    }
}

/// The script of a stage that has none: group "Build" (job "Build", 20 s, 3 log lines), then
/// group "Deploy" (job "Deploy", 10 s, 2 log lines), both succeeding.
pub fn default_script() -> Vec<Vec<ScriptJob>> {
    let job = |name: &str, secs: u64, log: &[&str]| ScriptJob {
        name: name.to_string(),
        duration: Duration::from_secs(secs),
        outcome: JobOutcome::Success,
        gate: false,
        log: log.iter().map(|line| line.to_string()).collect(),
    };
    vec![
        vec![job(
            "Build",
            20,
            &[
                "[sandbox] checking out the source",
                "[sandbox] compiling",
                "[sandbox] build finished",
            ],
        )],
        vec![job(
            "Deploy",
            10,
            &["[sandbox] deploying", "[sandbox] deployment finished"],
        )],
    ]
}

/// The change-request states the service documents.
pub const CHANGE_REQUEST_STATES: [&str; 4] = ["DEVELOPING", "INTEGRATING", "RELEASED", "CLOSED"];

/// One change request of an [`App`].
///
/// On the wire every field but `sn` is optional: `name` defaults to the sn, `state` to
/// `DEVELOPING`, `branch` to `feature/<sn>`, `originBranch` to `master`, `ownerId` to
/// `sandbox-user`, `creatorId` to the owner, `gmtCreate` to `2025-12-16T08:14:56.000+00:00`,
/// `gmtModified` to `gmtCreate`, `appCodeRepoSn` to `sandbox-repo`, `commitId` to 40 hex
/// digits derived from the sn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "WireChangeRequest")]
pub struct ChangeRequest {
    /// The change request's serial number.
    pub sn: String,
    /// Its title.
    pub name: String,
    /// One of [`CHANGE_REQUEST_STATES`].
    pub state: String,
    /// The change's branch.
    pub branch: String,
    /// The branch it was cut from.
    pub origin_branch: String,
    /// The owner's user id.
    pub owner_id: String,
    /// The creator's user id.
    pub creator_id: String,
    /// Creation time, ISO 8601 text as the service writes it.
    pub gmt_create: String,
    /// Last modification time, ISO 8601 text.
    pub gmt_modified: String,
    /// The serial number of the app's code repository.
    pub app_code_repo_sn: String,
    /// The head commit of the branch.
    pub commit_id: String,
}

/// A stable, commit-looking 40-hex-digit id derived from `seed` (FNV-1a, stretched).
pub(crate) fn fake_commit(seed: &str) -> String {
    let mut out = String::with_capacity(40);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for round in 0u8..3 {
        for byte in seed.bytes().chain([round]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        out.push_str(&format!("{hash:016x}"));
    }
    out.truncate(40);
    out
}

impl Fixture {
    /// The built-in fixture (`sandbox/fixtures/default.json`, embedded in the binary).
    pub fn builtin() -> Fixture {
        Fixture::from_json(BUILTIN_FIXTURE_JSON).expect("the embedded default fixture is valid")
    }

    /// Parses and checks a fixture from JSON text.
    pub fn from_json(text: &str) -> Result<Fixture, FixtureError> {
        Fixture::from_slice(text.as_bytes())
    }

    /// Parses and checks a fixture from JSON bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Fixture, FixtureError> {
        let fixture: Fixture = serde_json::from_slice(bytes)?;
        fixture.validate()?;
        Ok(fixture)
    }

    /// Reads, parses and checks a fixture file.
    pub fn load(path: impl AsRef<Path>) -> Result<Fixture, FixtureError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| FixtureError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Fixture::from_slice(&bytes)
    }

    /// Checks the rules JSON parsing cannot: a non-empty token, non-empty names, and no name
    /// twice within the same parent.
    pub fn validate(&self) -> Result<(), FixtureError> {
        let invalid = |msg: String| Err(FixtureError::Invalid(msg));
        if self.token.is_empty() {
            return invalid("token must not be empty".into());
        }
        let mut orgs = HashSet::new();
        for org in &self.organizations {
            if org.id.is_empty() {
                return invalid("organization ids must not be empty".into());
            }
            if !orgs.insert(org.id.as_str()) {
                return invalid(format!("organization {:?} appears twice", org.id));
            }
            let mut apps = HashSet::new();
            for app in &org.apps {
                if app.name.is_empty() {
                    return invalid(format!("organization {:?}: empty app name", org.id));
                }
                if !apps.insert(app.name.as_str()) {
                    return invalid(format!(
                        "organization {:?}: app {:?} appears twice",
                        org.id, app.name
                    ));
                }
                let mut workflows = HashSet::new();
                for wf in &app.release_workflows {
                    if wf.sn.is_empty() {
                        return invalid(format!("app {:?}: empty release workflow sn", app.name));
                    }
                    if !workflows.insert(wf.sn.as_str()) {
                        return invalid(format!(
                            "app {:?}: release workflow {:?} appears twice",
                            app.name, wf.sn
                        ));
                    }
                    if wf.name.is_empty() {
                        return invalid(format!("release workflow {:?}: empty name", wf.sn));
                    }
                    let mut stages = HashSet::new();
                    for stage in &wf.release_stages {
                        if stage.sn.is_empty() {
                            return invalid(format!(
                                "release workflow {:?}: empty release stage sn",
                                wf.sn
                            ));
                        }
                        if !stages.insert(stage.sn.as_str()) {
                            return invalid(format!(
                                "release workflow {:?}: release stage {:?} appears twice",
                                wf.sn, stage.sn
                            ));
                        }
                        if stage.name.is_empty() {
                            return invalid(format!("release stage {:?}: empty name", stage.sn));
                        }
                        for group in stage.script.iter().flatten() {
                            if group.is_empty() {
                                return invalid(format!(
                                    "release stage {:?}: a script group has no jobs",
                                    stage.sn
                                ));
                            }
                            if group.iter().any(|job| job.name.is_empty()) {
                                return invalid(format!(
                                    "release stage {:?}: a script job has an empty name",
                                    stage.sn
                                ));
                            }
                        }
                    }
                }
                let mut change_requests = HashSet::new();
                for cr in &app.change_requests {
                    if cr.sn.is_empty() {
                        return invalid(format!("app {:?}: empty change request sn", app.name));
                    }
                    if !change_requests.insert(cr.sn.as_str()) {
                        return invalid(format!(
                            "app {:?}: change request {:?} appears twice",
                            app.name, cr.sn
                        ));
                    }
                    if !CHANGE_REQUEST_STATES.contains(&cr.state.as_str()) {
                        return invalid(format!(
                            "change request {:?}: state must be one of {CHANGE_REQUEST_STATES:?}, got {:?}",
                            cr.sn, cr.state
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Serializes the fixture to its JSON form with the token replaced by `"****"`.
    pub fn to_masked_json(&self) -> serde_json::Value {
        let mut masked = self.clone();
        masked.token = "****".into();
        serde_json::to_value(&masked).expect("a fixture always serializes to JSON")
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture::builtin()
    }
}

impl fmt::Debug for Fixture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixture")
            .field("token", &"****")
            .field("organizations", &self.organizations)
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Wire form.

/// A JSON object read into a list of (key, value) pairs in file order; duplicate keys rejected.
struct Keyed<V>(Vec<(String, V)>);

impl<V> Default for Keyed<V> {
    fn default() -> Self {
        Keyed(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Keyed<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyedVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for KeyedVisitor<V> {
            type Value = Keyed<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut seen = HashSet::new();
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, V>()? {
                    if !seen.insert(key.clone()) {
                        return Err(serde::de::Error::custom(format!("duplicate key {key:?}")));
                    }
                    entries.push((key, value));
                }
                Ok(Keyed(entries))
            }
        }
        deserializer.deserialize_map(KeyedVisitor(PhantomData))
    }
}

impl<V: Serialize> Serialize for Keyed<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireFixture {
    #[serde(default = "default_token")]
    token: String,
    #[serde(default)]
    organizations: Keyed<WireOrganization>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireOrganization {
    #[serde(default)]
    apps: Keyed<WireApp>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WireApp {
    #[serde(default)]
    release_workflows: Keyed<WireWorkflow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    change_requests: Vec<ChangeRequest>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WireWorkflow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default)]
    release_stages: Vec<WireStage>,
}

/// A stage on the wire: its sn alone (the original form), or an object.
enum WireStage {
    Sn(String),
    Full(WireStageObject),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireStageObject {
    sn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    script: Option<Vec<Vec<ScriptJob>>>,
}

impl<'de> Deserialize<'de> for WireStage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StageVisitor;
        impl<'de> Visitor<'de> for StageVisitor {
            type Value = WireStage;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a release stage sn or a {\"sn\", \"name\", \"script\"} object")
            }
            fn visit_str<E: serde::de::Error>(self, sn: &str) -> Result<WireStage, E> {
                Ok(WireStage::Sn(sn.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<WireStage, A::Error> {
                // Deserializing the object itself (not a Value) keeps serde's precise errors.
                WireStageObject::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(WireStage::Full)
            }
        }
        deserializer.deserialize_any(StageVisitor)
    }
}

impl Serialize for WireStage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            WireStage::Sn(sn) => serializer.serialize_str(sn),
            WireStage::Full(object) => object.serialize(serializer),
        }
    }
}

impl From<WireStage> for ReleaseStage {
    fn from(wire: WireStage) -> Self {
        match wire {
            WireStage::Sn(sn) => ReleaseStage::new(sn),
            WireStage::Full(object) => ReleaseStage {
                name: object.name.unwrap_or_else(|| object.sn.clone()),
                sn: object.sn,
                script: object.script,
            },
        }
    }
}

impl From<&ReleaseStage> for WireStage {
    fn from(stage: &ReleaseStage) -> Self {
        // The short form whenever it says everything, so old fixtures round-trip unchanged.
        if stage.name == stage.sn && stage.script.is_none() {
            WireStage::Sn(stage.sn.clone())
        } else {
            WireStage::Full(WireStageObject {
                sn: stage.sn.clone(),
                name: (stage.name != stage.sn).then(|| stage.name.clone()),
                script: stage.script.clone(),
            })
        }
    }
}

/// The longest job duration a fixture may give: about 31 years, far from any overflow.
const MAX_DURATION_S: f64 = 1e9;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireJob {
    name: String,
    #[serde(default)]
    duration_s: f64,
    #[serde(default = "default_outcome")]
    outcome: JobOutcome,
    #[serde(default)]
    gate: bool,
    #[serde(default)]
    log: Vec<String>,
}

fn default_outcome() -> JobOutcome {
    JobOutcome::Success
}

impl TryFrom<WireJob> for ScriptJob {
    type Error = String;

    fn try_from(wire: WireJob) -> Result<Self, Self::Error> {
        if !(wire.duration_s.is_finite() && (0.0..=MAX_DURATION_S).contains(&wire.duration_s)) {
            return Err(format!(
                "job {:?}: duration_s must be a number from 0 to {MAX_DURATION_S}, got {}",
                wire.name, wire.duration_s
            ));
        }
        Ok(ScriptJob {
            name: wire.name,
            duration: Duration::from_millis((wire.duration_s * 1000.0).round() as u64),
            outcome: wire.outcome,
            gate: wire.gate,
            log: wire.log,
        })
    }
}

impl From<ScriptJob> for WireJob {
    fn from(job: ScriptJob) -> Self {
        WireJob {
            duration_s: job.duration_ms() as f64 / 1000.0,
            name: job.name,
            outcome: job.outcome,
            gate: job.gate,
            log: job.log,
        }
    }
}

/// The creation time change requests get when the fixture gives none.
const DEFAULT_GMT: &str = "2025-12-16T08:14:56.000+00:00";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WireChangeRequest {
    sn: String,
    name: Option<String>,
    state: Option<String>,
    branch: Option<String>,
    origin_branch: Option<String>,
    owner_id: Option<String>,
    creator_id: Option<String>,
    gmt_create: Option<String>,
    gmt_modified: Option<String>,
    app_code_repo_sn: Option<String>,
    commit_id: Option<String>,
}

impl From<WireChangeRequest> for ChangeRequest {
    fn from(wire: WireChangeRequest) -> Self {
        let owner_id = wire.owner_id.unwrap_or_else(|| "sandbox-user".into());
        let gmt_create = wire.gmt_create.unwrap_or_else(|| DEFAULT_GMT.into());
        ChangeRequest {
            name: wire.name.unwrap_or_else(|| wire.sn.clone()),
            state: wire.state.unwrap_or_else(|| "DEVELOPING".into()),
            branch: wire
                .branch
                .unwrap_or_else(|| format!("feature/{}", wire.sn)),
            origin_branch: wire.origin_branch.unwrap_or_else(|| "master".into()),
            creator_id: wire.creator_id.unwrap_or_else(|| owner_id.clone()),
            owner_id,
            gmt_modified: wire.gmt_modified.unwrap_or_else(|| gmt_create.clone()),
            gmt_create,
            app_code_repo_sn: wire
                .app_code_repo_sn
                .unwrap_or_else(|| "sandbox-repo".into()),
            commit_id: wire.commit_id.unwrap_or_else(|| fake_commit(&wire.sn)),
            sn: wire.sn,
        }
    }
}

fn default_token() -> String {
    DEFAULT_TOKEN.to_string()
}

impl From<WireFixture> for Fixture {
    fn from(wire: WireFixture) -> Self {
        Fixture {
            token: wire.token,
            organizations: wire
                .organizations
                .0
                .into_iter()
                .map(|(id, org)| Organization {
                    id,
                    apps: org
                        .apps
                        .0
                        .into_iter()
                        .map(|(name, app)| App {
                            name,
                            release_workflows: app
                                .release_workflows
                                .0
                                .into_iter()
                                .map(|(sn, wf)| ReleaseWorkflow {
                                    name: wf.name.unwrap_or_else(|| sn.clone()),
                                    sn,
                                    release_stages: wf
                                        .release_stages
                                        .into_iter()
                                        .map(ReleaseStage::from)
                                        .collect(),
                                })
                                .collect(),
                            change_requests: app.change_requests,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl From<&Fixture> for WireFixture {
    fn from(fixture: &Fixture) -> Self {
        let workflow = |wf: &ReleaseWorkflow| WireWorkflow {
            name: (wf.name != wf.sn).then(|| wf.name.clone()),
            release_stages: wf.release_stages.iter().map(WireStage::from).collect(),
        };
        let app = |app: &App| WireApp {
            release_workflows: Keyed(
                app.release_workflows
                    .iter()
                    .map(|wf| (wf.sn.clone(), workflow(wf)))
                    .collect(),
            ),
            change_requests: app.change_requests.clone(),
        };
        WireFixture {
            token: fixture.token.clone(),
            organizations: Keyed(
                fixture
                    .organizations
                    .iter()
                    .map(|org| {
                        let apps = org.apps.iter().map(|a| (a.name.clone(), app(a))).collect();
                        (org.id.clone(), WireOrganization { apps: Keyed(apps) })
                    })
                    .collect(),
            ),
        }
    }
}

impl<'de> Deserialize<'de> for Fixture {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        WireFixture::deserialize(deserializer).map(Fixture::from)
    }
}

impl Serialize for Fixture {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireFixture::from(self).serialize(serializer)
    }
}

// ---------------------------------------------------------------------------------------------
// Lookup index with the per-stage run counters.

/// What a successful execute yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StageHit {
    /// The stable pipeline id of the stage.
    pub pipeline_id: u64,
    /// The run number just handed out (1 for the first execution).
    pub run: u64,
}

/// Which part of a path does not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Missing {
    Organization(String),
    App {
        org: Option<String>,
        app: String,
    },
    Workflow {
        app: String,
        workflow: String,
    },
    Stage {
        workflow: String,
        stage: String,
    },
    /// No run with this execution number (as sent) in the stage.
    Run {
        stage: String,
        number: String,
    },
    /// No job with this id in the run.
    Job {
        number: u64,
        job: u64,
    },
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Missing::Organization(org) => write!(f, "organization {org:?} not found"),
            Missing::App {
                org: Some(org),
                app,
            } => {
                write!(f, "application {app:?} not found in organization {org:?}")
            }
            Missing::App { org: None, app } => {
                write!(f, "application {app:?} not found in any organization")
            }
            Missing::Workflow { app, workflow } => write!(
                f,
                "release workflow {workflow:?} not found in application {app:?}"
            ),
            Missing::Stage { workflow, stage } => write!(
                f,
                "release stage {stage:?} not found in release workflow {workflow:?}"
            ),
            Missing::Run { stage, number } => write!(
                f,
                "execution {number:?} of release stage {stage:?} not found (pipeline instance does not exist)"
            ),
            Missing::Job { number, job } => {
                write!(f, "job {job} not found in execution {number}")
            }
        }
    }
}

/// One stage's lookup entry: its pipeline id, script and runs.
#[derive(Debug)]
pub(crate) struct StageEntry {
    pub pipeline_id: u64,
    pub script: Script,
    pub runs: StageRuns,
}

/// One app's lookup entry: where it is in the fixture, and its stages.
#[derive(Debug, Default)]
pub(crate) struct AppEntry {
    /// Position of its organization in [`Fixture::organizations`].
    pub org_index: usize,
    /// Position of the app in that organization's [`Organization::apps`].
    pub app_index: usize,
    workflows: HashMap<String, HashMap<String, StageEntry>>,
}

impl AppEntry {
    /// The pipeline id of a stage of this app.
    pub fn pipeline_id(&self, workflow: &str, stage: &str) -> Option<u64> {
        Some(self.workflows.get(workflow)?.get(stage)?.pipeline_id)
    }
}

type Orgs = HashMap<String, HashMap<String, AppEntry>>;

/// Hash-map view of a fixture for constant-time lookups, plus the runs of every stage.
#[derive(Debug)]
pub(crate) struct FixtureIndex {
    orgs: Orgs,
    /// For region-edition paths: the first organization (in file order) holding each app.
    app_home: HashMap<String, String>,
    /// The id the next job gets; never restarts, so a job id names one job for good.
    next_job_id: u64,
}

/// Resolves the organization of a lookup: the given one, or for region-edition paths the first
/// organization holding the app.
fn home<'a>(
    app_home: &'a HashMap<String, String>,
    org: Option<&'a str>,
    app: &str,
) -> Result<&'a str, Missing> {
    match org {
        Some(org) => Ok(org),
        None => app_home
            .get(app)
            .map(String::as_str)
            .ok_or_else(|| Missing::App {
                org: None,
                app: app.to_string(),
            }),
    }
}

fn missing_app(org: Option<&str>, app: &str) -> Missing {
    Missing::App {
        org: org.map(str::to_string),
        app: app.to_string(),
    }
}

fn locate_in<'a>(
    orgs: &'a mut Orgs,
    app_home: &HashMap<String, String>,
    org: Option<&str>,
    app: &str,
    workflow: &str,
    stage: &str,
) -> Result<&'a mut StageEntry, Missing> {
    let org_id = home(app_home, org, app)?;
    let apps = orgs
        .get_mut(org_id)
        .ok_or_else(|| Missing::Organization(org_id.to_string()))?;
    let app_entry = apps.get_mut(app).ok_or_else(|| missing_app(org, app))?;
    let stages = app_entry
        .workflows
        .get_mut(workflow)
        .ok_or_else(|| Missing::Workflow {
            app: app.to_string(),
            workflow: workflow.to_string(),
        })?;
    stages.get_mut(stage).ok_or_else(|| Missing::Stage {
        workflow: workflow.to_string(),
        stage: stage.to_string(),
    })
}

impl FixtureIndex {
    /// Builds the index; there are no runs yet. Duplicate names (only possible in a fixture
    /// built in Rust without [`Fixture::validate`]) keep their first occurrence.
    pub fn new(fixture: &Fixture) -> FixtureIndex {
        let mut index = FixtureIndex {
            orgs: HashMap::new(),
            app_home: HashMap::new(),
            next_job_id: FIRST_JOB_ID,
        };
        let mut position = 0u64;
        for (org_index, org) in fixture.organizations.iter().enumerate() {
            let apps = index.orgs.entry(org.id.clone()).or_default();
            for (app_index, app) in org.apps.iter().enumerate() {
                index
                    .app_home
                    .entry(app.name.clone())
                    .or_insert_with(|| org.id.clone());
                let entry = apps.entry(app.name.clone()).or_insert_with(|| AppEntry {
                    org_index,
                    app_index,
                    workflows: HashMap::new(),
                });
                for wf in &app.release_workflows {
                    let stages = entry.workflows.entry(wf.sn.clone()).or_default();
                    for stage in &wf.release_stages {
                        position += 1;
                        stages
                            .entry(stage.sn.clone())
                            .or_insert_with(|| StageEntry {
                                pipeline_id: PIPELINE_ID_BASE + position,
                                script: Arc::new(stage.effective_script()),
                                runs: StageRuns::default(),
                            });
                    }
                }
            }
        }
        index
    }

    /// Finds an app. `org` is `None` for region-edition paths: the app is then looked up in
    /// the first organization that has it.
    pub fn app(&self, org: Option<&str>, app: &str) -> Result<&AppEntry, Missing> {
        let org_id = home(&self.app_home, org, app)?;
        let apps = self
            .orgs
            .get(org_id)
            .ok_or_else(|| Missing::Organization(org_id.to_string()))?;
        apps.get(app).ok_or_else(|| missing_app(org, app))
    }

    /// Finds a stage (see [`FixtureIndex::app`] for `org`).
    pub fn stage(
        &mut self,
        org: Option<&str>,
        app: &str,
        workflow: &str,
        stage: &str,
    ) -> Result<&mut StageEntry, Missing> {
        locate_in(&mut self.orgs, &self.app_home, org, app, workflow, stage)
    }

    /// Whether a stage exists, without touching its runs.
    pub fn exists(
        &mut self,
        org: Option<&str>,
        app: &str,
        workflow: &str,
        stage: &str,
    ) -> Result<(), Missing> {
        self.stage(org, app, workflow, stage).map(|_| ())
    }

    /// Resolves a stage and starts its next run at `now` with `params`.
    #[allow(clippy::too_many_arguments)]
    pub fn execute(
        &mut self,
        org: Option<&str>,
        app: &str,
        workflow: &str,
        stage: &str,
        now: u64,
        params: serde_json::Map<String, serde_json::Value>,
    ) -> Result<StageHit, Missing> {
        let entry = locate_in(&mut self.orgs, &self.app_home, org, app, workflow, stage)?;
        let number = entry.runs.next_number();
        let run = Run::start(
            number,
            entry.pipeline_id,
            now,
            params,
            Arc::clone(&entry.script),
            &mut self.next_job_id,
        );
        entry.runs.push(run);
        Ok(StageHit {
            pipeline_id: entry.pipeline_id,
            run: number,
        })
    }

    /// Carries the job id counter over from the index this one replaces, so that a job id
    /// never names two jobs in one sandbox, even across fixture replacements.
    pub fn continue_job_ids(&mut self, previous: &FixtureIndex) {
        self.next_job_id = self.next_job_id.max(previous.next_job_id);
    }

    /// Forgets every run of every stage; run numbers restart at 1.
    pub fn reset_counters(&mut self) {
        for apps in self.orgs.values_mut() {
            for app in apps.values_mut() {
                for stages in app.workflows.values_mut() {
                    for entry in stages.values_mut() {
                        entry.runs.clear();
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_both_orgs_and_encoded_apps() {
        let fixture = Fixture::builtin();
        assert_eq!(fixture.token, DEFAULT_TOKEN);
        let ids: Vec<_> = fixture
            .organizations
            .iter()
            .map(|o| o.id.as_str())
            .collect();
        assert_eq!(ids, ["ec766e63aee3437d9a51f334d6exe671", "sandbox-org"]);
        for org in &fixture.organizations {
            let names: Vec<_> = org.apps.iter().map(|a| a.name.as_str()).collect();
            for name in [
                "my-web-service",
                "a/b c",
                "100%",
                "what?",
                "#hash",
                "应用服务",
            ] {
                assert!(names.contains(&name), "{name} missing in {}", org.id);
            }
            assert!(names.contains(&"app with space") && names.contains(&"a+b&c=d"));
        }
    }

    #[test]
    fn round_trips_in_order() {
        let fixture = Fixture::builtin();
        let text = serde_json::to_string(&fixture).expect("serializes");
        assert_eq!(Fixture::from_json(&text).expect("parses"), fixture);
    }

    #[test]
    fn rejects_bad_fixtures() {
        for bad in [
            r#"{"token": ""}"#,
            r#"{"organizations": []}"#,
            r#"{"organizations": {"o": {"apps": {"a": {"releaseWorkflow": {}}}}}}"#,
            r#"{"organizations": {"o": {}, "o": {}}}"#,
            r#"{"organizations": {"o": {"apps": {"a": {"releaseWorkflows": {"w": {"releaseStages": ["s", "s"]}}}}}}}"#,
            r#"{"organizations": {"": {}}}"#,
            "[1]",
        ] {
            assert!(Fixture::from_json(bad).is_err(), "accepted {bad}");
        }
        assert_eq!(
            Fixture::from_json("{}")
                .expect("empty fixture is fine")
                .token,
            DEFAULT_TOKEN
        );
    }

    #[test]
    fn old_form_and_defaults() {
        let fixture = Fixture::from_json(
            r#"{"organizations": {"o": {"apps": {"a": {
                "releaseWorkflows": {"w": {"releaseStages": ["s", {"sn": "t", "name": "T"}]}},
                "changeRequests": [{"sn": "c"}]}}}}}"#,
        )
        .expect("valid");
        let app = &fixture.organizations[0].apps[0];
        let wf = &app.release_workflows[0];
        assert_eq!(wf.name, "w", "names default to the sn");
        assert_eq!(wf.release_stages[0], ReleaseStage::new("s"));
        assert_eq!(wf.release_stages[1].name, "T");
        assert_eq!(wf.release_stages[1].effective_script(), default_script());
        let cr = &app.change_requests[0];
        assert_eq!(
            (cr.name.as_str(), cr.state.as_str(), cr.branch.as_str()),
            ("c", "DEVELOPING", "feature/c")
        );
        assert_eq!(cr.commit_id.len(), 40);
        assert_eq!(cr.commit_id, fake_commit("c"), "stable");
        // The short forms come back out as they went in.
        let text = serde_json::to_value(&fixture).expect("serializes");
        assert_eq!(
            text["organizations"]["o"]["apps"]["a"]["releaseWorkflows"]["w"],
            serde_json::json!({"releaseStages": ["s", {"sn": "t", "name": "T"}]})
        );
        let script: Vec<Vec<ScriptJob>> =
            serde_json::from_str(r#"[[{"name": "j", "duration_s": 0.25}]]"#).expect("valid");
        assert_eq!(script[0][0].duration, Duration::from_millis(250));
        assert_eq!(script[0][0].outcome, JobOutcome::Success);
        for bad in [
            r#"[[{"name": "j", "duration_s": 1e10}]]"#,
            r#"[[{"name": "j", "duration_s": -0.5}]]"#,
            r#"[[{"name": "j", "extra": 1}]]"#,
            r#"[[{"duration_s": 1}]]"#,
        ] {
            assert!(
                serde_json::from_str::<Vec<Vec<ScriptJob>>>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_hides_the_token() {
        let text = format!("{:?}", Fixture::builtin());
        assert!(!text.contains(DEFAULT_TOKEN));
    }

    #[test]
    fn index_counts_per_stage_and_finds_region_apps() {
        let mut index = FixtureIndex::new(&Fixture::builtin());
        let org = Some("sandbox-org");
        let first = index
            .execute(
                org,
                "my-web-service",
                "wf-main",
                "stage-build",
                0,
                Default::default(),
            )
            .expect("exists");
        assert_eq!(first.run, 1);
        let second = index
            .execute(
                org,
                "my-web-service",
                "wf-main",
                "stage-build",
                0,
                Default::default(),
            )
            .expect("exists");
        assert_eq!((second.run, second.pipeline_id), (2, first.pipeline_id));
        let other = index
            .execute(
                org,
                "my-web-service",
                "wf-main",
                "stage-deploy",
                0,
                Default::default(),
            )
            .expect("exists");
        assert_eq!(other.run, 1);
        assert_ne!(other.pipeline_id, first.pipeline_id);
        let region = index
            .execute(
                None,
                "my-web-service",
                "xxxxxxxxxxxxxx",
                "xxxxxxxxxxxxxxx",
                0,
                Default::default(),
            )
            .expect("exists");
        assert_eq!(region.pipeline_id, PIPELINE_ID_BASE + 1);
        assert!(matches!(
            index.execute(Some("nope"), "a", "w", "s", 0, Default::default()),
            Err(Missing::Organization(_))
        ));
        assert!(matches!(
            index.execute(None, "nope", "w", "s", 0, Default::default()),
            Err(Missing::App { org: None, .. })
        ));
        assert!(matches!(
            index.execute(org, "my-web-service", "nope", "s", 0, Default::default()),
            Err(Missing::Workflow { .. })
        ));
        assert!(matches!(
            index.execute(
                org,
                "my-web-service",
                "wf-main",
                "nope",
                0,
                Default::default()
            ),
            Err(Missing::Stage { .. })
        ));
        index.reset_counters();
        let again = index
            .execute(
                org,
                "my-web-service",
                "wf-main",
                "stage-build",
                0,
                Default::default(),
            )
            .expect("exists");
        assert_eq!(again.run, 1);
    }
}
