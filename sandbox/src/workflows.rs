//! The calls that describe an app's release workflows and stages.

use serde_json::{Value, json};

use crate::fixture::{App, Missing, ReleaseStage, ReleaseWorkflow};
use crate::router::{Answer, Ctx};
use crate::state::State;

/// The pipeline engine every sandbox stage reports.
const ENGINE: &str = "FlowV2";

/// Finds the app of the path and builds an answer from it with the lock held. `pipeline_id`
/// gives a stage's pipeline id from its workflow and stage sn.
fn with_app(ctx: &Ctx<'_>, f: impl FnOnce(&App, &dyn Fn(&str, &str) -> u64) -> Answer) -> Answer {
    let t = &ctx.target;
    let state = ctx.sandbox.lock();
    let State { index, fixture, .. } = &*state;
    let entry = index
        .app(t.org.as_deref(), &t.app)
        .map_err(|m| ctx.not_found(&m))?;
    let Some(app) = fixture
        .organizations
        .get(entry.org_index)
        .and_then(|org| org.apps.get(entry.app_index))
    else {
        return Err(ctx.not_found(&Missing::App {
            org: t.org.clone(),
            app: t.app.clone(),
        }));
    };
    let pipeline_id = |wf: &str, st: &str| entry.pipeline_id(wf, st).unwrap_or_default();
    f(app, &pipeline_id)
}

/// The workflow of the path in `app`, else 404.
fn workflow<'a>(
    ctx: &Ctx<'_>,
    app: &'a App,
) -> Result<&'a ReleaseWorkflow, crate::responses::SandboxResponse> {
    let sn = ctx.target.workflow();
    app.release_workflows
        .iter()
        .find(|wf| wf.sn == sn)
        .ok_or_else(|| {
            ctx.not_found(&Missing::Workflow {
                app: app.name.clone(),
                workflow: sn.to_string(),
            })
        })
}

/// A 1-based position as the service writes `order`: a string.
fn order(index: usize) -> String {
    (index + 1).to_string()
}

/// The AS `ReleaseStage` object (as in ListAllReleaseWorkflows and GetReleaseWorkflowStage).
fn stage_view(
    app: &App,
    wf: &ReleaseWorkflow,
    index: usize,
    stage: &ReleaseStage,
    pipeline_id: u64,
) -> Value {
    json!({
        "appName": app.name,
        "sn": stage.sn,
        "releaseWorkflowSn": wf.sn,
        "name": stage.name,
        "order": order(index),
        "labels": [],
        "variableGroups": [],
        "pipeline": {"engineType": ENGINE, "engineSn": pipeline_id.to_string()},
    })
}

/// A workflow without its stages (ListAllReleaseWorkflowBriefs), to which the full list adds
/// `releaseStages`.
fn workflow_brief(app: &App, index: usize, wf: &ReleaseWorkflow) -> serde_json::Map<String, Value> {
    let mut brief = serde_json::Map::new();
    brief.insert("appName".into(), json!(app.name));
    brief.insert("sn".into(), json!(wf.sn));
    brief.insert("name".into(), json!(wf.name));
    brief.insert("note".into(), json!(""));
    brief.insert("order".into(), json!(order(index)));
    brief.insert("type".into(), json!("CR"));
    brief
}

/// ListAllReleaseWorkflows: every workflow of the app, with its stages.
pub(crate) fn list(ctx: &Ctx<'_>) -> Answer {
    with_app(ctx, |app, pipeline_id| {
        let items: Vec<Value> = app
            .release_workflows
            .iter()
            .enumerate()
            .map(|(i, wf)| {
                let mut item = workflow_brief(app, i, wf);
                let stages: Vec<Value> = wf
                    .release_stages
                    .iter()
                    .enumerate()
                    .map(|(j, st)| stage_view(app, wf, j, st, pipeline_id(&wf.sn, &st.sn)))
                    .collect();
                item.insert("releaseStages".into(), Value::Array(stages));
                Value::Object(item)
            })
            .collect();
        ctx.ok(&Value::Array(items))
    })
}

/// ListAllReleaseWorkflowBriefs: every workflow of the app, without stages.
pub(crate) fn briefs(ctx: &Ctx<'_>) -> Answer {
    with_app(ctx, |app, _| {
        let items: Vec<Value> = app
            .release_workflows
            .iter()
            .enumerate()
            .map(|(i, wf)| Value::Object(workflow_brief(app, i, wf)))
            .collect();
        ctx.ok(&Value::Array(items))
    })
}

/// ListAllReleaseStageBriefs: the stages of one workflow, in brief (help's AS shape, `sn`).
pub(crate) fn stage_briefs(ctx: &Ctx<'_>) -> Answer {
    with_app(ctx, |app, pipeline_id| {
        let wf = workflow(ctx, app)?;
        let items: Vec<Value> = wf
            .release_stages
            .iter()
            .enumerate()
            .map(|(j, st)| {
                json!({
                    "appName": app.name,
                    "releaseWorkflowSn": wf.sn,
                    "sn": st.sn,
                    "name": st.name,
                    "order": order(j),
                    "labels": [],
                    "processEngineType": ENGINE,
                    "processEngineSn": pipeline_id(&wf.sn, &st.sn).to_string(),
                })
            })
            .collect();
        ctx.ok(&Value::Array(items))
    })
}

/// GetReleaseWorkflowStage: one stage object, as in the workflows list.
pub(crate) fn stage(ctx: &Ctx<'_>) -> Answer {
    with_app(ctx, |app, pipeline_id| {
        let wf = workflow(ctx, app)?;
        let sn = ctx.target.stage();
        let (j, st) = wf
            .release_stages
            .iter()
            .enumerate()
            .find(|(_, st)| st.sn == sn)
            .ok_or_else(|| {
                ctx.not_found(&Missing::Stage {
                    workflow: wf.sn.clone(),
                    stage: sn.to_string(),
                })
            })?;
        ctx.ok(&stage_view(app, wf, j, st, pipeline_id(&wf.sn, &st.sn)))
    })
}
