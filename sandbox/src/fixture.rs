//! The fixture: which organizations, applications, release workflows and release stages exist,
//! and which token the sandbox accepts.
//!
//! On the wire (a fixture file, or the body of `PUT /_sandbox/fixture`) a fixture is
//!
//! ```json
//! {"token": "pt-sandbox-token",
//!  "organizations": {"<orgId>": {"apps": {"<appName>": {"releaseWorkflows": {
//!      "<workflowSn>": {"releaseStages": ["<stageSn>", "..."]}}}}}}}
//! ```
//!
//! Object keys keep their order: "first match" and pipeline ids follow the order of the file.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
}

/// One release workflow of an [`App`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseWorkflow {
    /// The workflow serial number as it appears (decoded) in the path.
    pub sn: String,
    /// The serial numbers of its release stages, in file order.
    pub release_stages: Vec<String>,
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
                    let mut stages = HashSet::new();
                    for stage in &wf.release_stages {
                        if stage.is_empty() {
                            return invalid(format!(
                                "release workflow {:?}: empty release stage sn",
                                wf.sn
                            ));
                        }
                        if !stages.insert(stage.as_str()) {
                            return invalid(format!(
                                "release workflow {:?}: release stage {:?} appears twice",
                                wf.sn, stage
                            ));
                        }
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
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WireWorkflow {
    #[serde(default)]
    release_stages: Vec<String>,
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
                                    sn,
                                    release_stages: wf.release_stages,
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl From<&Fixture> for WireFixture {
    fn from(fixture: &Fixture) -> Self {
        WireFixture {
            token: fixture.token.clone(),
            organizations: Keyed(
                fixture
                    .organizations
                    .iter()
                    .map(|org| {
                        let apps = org
                            .apps
                            .iter()
                            .map(|app| {
                                let workflows = app
                                    .release_workflows
                                    .iter()
                                    .map(|wf| {
                                        let stages = wf.release_stages.clone();
                                        (
                                            wf.sn.clone(),
                                            WireWorkflow {
                                                release_stages: stages,
                                            },
                                        )
                                    })
                                    .collect();
                                (
                                    app.name.clone(),
                                    WireApp {
                                        release_workflows: Keyed(workflows),
                                    },
                                )
                            })
                            .collect();
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

/// What a successful lookup yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StageHit {
    /// The stable pipeline id of the stage.
    pub pipeline_id: u64,
    /// The run number just handed out (1 for the first execution).
    pub run: u64,
}

/// Which part of an execute path does not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Missing {
    Organization(String),
    App { org: Option<String>, app: String },
    Workflow { app: String, workflow: String },
    Stage { workflow: String, stage: String },
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
        }
    }
}

#[derive(Debug, Default)]
struct StageEntry {
    pipeline_id: u64,
    runs: u64,
}

#[derive(Debug, Default)]
struct AppEntry {
    workflows: HashMap<String, HashMap<String, StageEntry>>,
}

/// Hash-map view of a fixture for constant-time lookups, plus the run counter of every stage.
#[derive(Debug, Default)]
pub(crate) struct FixtureIndex {
    orgs: HashMap<String, HashMap<String, AppEntry>>,
    /// For region-edition paths: the first organization (in file order) holding each app.
    app_home: HashMap<String, String>,
}

impl FixtureIndex {
    /// Builds the index; counters start at zero. Duplicate names (only possible in a fixture
    /// built in Rust without [`Fixture::validate`]) keep their first occurrence.
    pub fn new(fixture: &Fixture) -> FixtureIndex {
        let mut index = FixtureIndex::default();
        let mut position = 0u64;
        for org in &fixture.organizations {
            let apps = index.orgs.entry(org.id.clone()).or_default();
            for app in &org.apps {
                index
                    .app_home
                    .entry(app.name.clone())
                    .or_insert_with(|| org.id.clone());
                let entry = apps.entry(app.name.clone()).or_default();
                for wf in &app.release_workflows {
                    let stages = entry.workflows.entry(wf.sn.clone()).or_default();
                    for stage in &wf.release_stages {
                        position += 1;
                        stages.entry(stage.clone()).or_insert(StageEntry {
                            pipeline_id: PIPELINE_ID_BASE + position,
                            runs: 0,
                        });
                    }
                }
            }
        }
        index
    }

    /// Finds a stage. `org` is `None` for region-edition paths: the app is then looked up in
    /// the first organization that has it.
    fn locate(
        &mut self,
        org: Option<&str>,
        app: &str,
        workflow: &str,
        stage: &str,
    ) -> Result<&mut StageEntry, Missing> {
        let org_id = match org {
            Some(org) => org,
            None => self
                .app_home
                .get(app)
                .map(String::as_str)
                .ok_or_else(|| Missing::App {
                    org: None,
                    app: app.to_string(),
                })?,
        };
        let apps = self
            .orgs
            .get_mut(org_id)
            .ok_or_else(|| Missing::Organization(org_id.to_string()))?;
        let app_entry = apps.get_mut(app).ok_or_else(|| Missing::App {
            org: org.map(str::to_string),
            app: app.to_string(),
        })?;
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

    /// Whether a stage exists, without touching its counter.
    pub fn exists(
        &mut self,
        org: Option<&str>,
        app: &str,
        workflow: &str,
        stage: &str,
    ) -> Result<(), Missing> {
        self.locate(org, app, workflow, stage).map(|_| ())
    }

    /// Resolves a stage and hands out its next run number (see [`FixtureIndex::locate`]).
    pub fn execute(
        &mut self,
        org: Option<&str>,
        app: &str,
        workflow: &str,
        stage: &str,
    ) -> Result<StageHit, Missing> {
        let entry = self.locate(org, app, workflow, stage)?;
        entry.runs += 1;
        Ok(StageHit {
            pipeline_id: entry.pipeline_id,
            run: entry.runs,
        })
    }

    /// Sets every stage's run counter back to zero.
    pub fn reset_counters(&mut self) {
        for apps in self.orgs.values_mut() {
            for app in apps.values_mut() {
                for stages in app.workflows.values_mut() {
                    for entry in stages.values_mut() {
                        entry.runs = 0;
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
    fn debug_hides_the_token() {
        let text = format!("{:?}", Fixture::builtin());
        assert!(!text.contains(DEFAULT_TOKEN));
    }

    #[test]
    fn index_counts_per_stage_and_finds_region_apps() {
        let mut index = FixtureIndex::new(&Fixture::builtin());
        let org = Some("sandbox-org");
        let first = index
            .execute(org, "my-web-service", "wf-main", "stage-build")
            .expect("exists");
        assert_eq!(first.run, 1);
        let second = index
            .execute(org, "my-web-service", "wf-main", "stage-build")
            .expect("exists");
        assert_eq!((second.run, second.pipeline_id), (2, first.pipeline_id));
        let other = index
            .execute(org, "my-web-service", "wf-main", "stage-deploy")
            .expect("exists");
        assert_eq!(other.run, 1);
        assert_ne!(other.pipeline_id, first.pipeline_id);
        let region = index
            .execute(None, "my-web-service", "xxxxxxxxxxxxxx", "xxxxxxxxxxxxxxx")
            .expect("exists");
        assert_eq!(region.pipeline_id, PIPELINE_ID_BASE + 1);
        assert!(matches!(
            index.execute(Some("nope"), "a", "w", "s"),
            Err(Missing::Organization(_))
        ));
        assert!(matches!(
            index.execute(None, "nope", "w", "s"),
            Err(Missing::App { org: None, .. })
        ));
        assert!(matches!(
            index.execute(org, "my-web-service", "nope", "s"),
            Err(Missing::Workflow { .. })
        ));
        assert!(matches!(
            index.execute(org, "my-web-service", "wf-main", "nope"),
            Err(Missing::Stage { .. })
        ));
        index.reset_counters();
        let again = index
            .execute(org, "my-web-service", "wf-main", "stage-build")
            .expect("exists");
        assert_eq!(again.run, 1);
    }
}
