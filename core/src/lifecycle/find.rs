//! Finding workflows and stages by the names the console shows.
//!
//! A serial number given as the name matches first; then an exact name; then a unique
//! case-insensitive name. No match is an error listing the names that exist; several are an
//! error listing the candidates with their serial numbers.

use crate::error::Error;
use crate::operation::{AppRef, StageRef};
use crate::ops::list_workflow_briefs::ReleaseWorkflowBrief;
use crate::{Client, blocking};

/// Picks the one item called `wanted` among `items` (see the module docs).
fn resolve<'a, T>(
    what: &str,
    scope: &str,
    wanted: &str,
    items: &'a [T],
    name: impl Fn(&T) -> Option<&str>,
    sn: impl Fn(&T) -> Option<&str>,
) -> Result<&'a T, Error> {
    if let Some(item) = items.iter().find(|item| sn(item) == Some(wanted)) {
        return Ok(item);
    }
    let show = |item: &T| {
        format!(
            "{:?} (sn {})",
            name(item).unwrap_or(""),
            sn(item).unwrap_or("?")
        )
    };
    let pick = |matches: Vec<&'a T>| -> Option<Result<&'a T, Error>> {
        match matches.len() {
            0 => None,
            1 => Some(Ok(matches[0])),
            _ => Some(Err(Error::invalid_request(format!(
                "several {what}s of {scope} are named {wanted:?}: {}; give the serial number instead",
                matches
                    .iter()
                    .map(|m| show(m))
                    .collect::<Vec<_>>()
                    .join(", ")
            )))),
        }
    };
    let exact: Vec<&T> = items.iter().filter(|i| name(i) == Some(wanted)).collect();
    if let Some(found) = pick(exact) {
        return found;
    }
    let folded = wanted.to_lowercase();
    let loose: Vec<&T> = items
        .iter()
        .filter(|i| name(i).is_some_and(|n| n.to_lowercase() == folded))
        .collect();
    if let Some(found) = pick(loose) {
        return found;
    }
    let names: Vec<String> = items.iter().map(show).collect();
    Err(Error::invalid_request(if names.is_empty() {
        format!("no {what} named {wanted:?} in {scope}, which has none")
    } else {
        format!(
            "no {what} named {wanted:?} in {scope}; it has: {}",
            names.join(", ")
        )
    }))
}

impl Client {
    /// The release workflow of `app` named `name` (or whose serial number is `name`).
    pub async fn find_release_workflow(
        &self,
        app: &AppRef,
        name: &str,
    ) -> Result<ReleaseWorkflowBrief, Error> {
        let workflows = self.list_release_workflow_briefs(app).await?;
        resolve(
            "release workflow",
            &app.to_string(),
            name,
            &workflows,
            |w| w.name.as_deref(),
            |w| w.sn.as_deref(),
        )
        .cloned()
    }

    /// The stage named `stage` of the workflow named (or numbered) `workflow` of `app`.
    pub async fn find_release_stage(
        &self,
        app: &AppRef,
        workflow: &str,
        stage: &str,
    ) -> Result<StageRef, Error> {
        let workflow = self.find_release_workflow(app, workflow).await?;
        let workflow_sn = workflow
            .sn
            .ok_or_else(|| Error::invalid_request("the workflow found has no serial number"))?;
        let stages = self.list_release_stage_briefs(app, &workflow_sn).await?;
        let scope = format!("workflow {workflow_sn} ({app})");
        let found = resolve(
            "release stage",
            &scope,
            stage,
            &stages,
            |s| s.name.as_deref(),
            |s| s.sn.as_deref(),
        )?;
        let stage_sn = found
            .sn
            .clone()
            .ok_or_else(|| Error::invalid_request("the stage found has no serial number"))?;
        Ok(app.stage(workflow_sn, stage_sn))
    }
}

impl blocking::Client {
    /// Blocking twin of [`Client::find_release_workflow`].
    pub fn find_release_workflow(
        &self,
        app: &AppRef,
        name: &str,
    ) -> Result<ReleaseWorkflowBrief, Error> {
        let (app, name) = (app.clone(), name.to_owned());
        self.run(move |client| async move { client.find_release_workflow(&app, &name).await })
    }

    /// Blocking twin of [`Client::find_release_stage`].
    pub fn find_release_stage(
        &self,
        app: &AppRef,
        workflow: &str,
        stage: &str,
    ) -> Result<StageRef, Error> {
        let (app, workflow, stage) = (app.clone(), workflow.to_owned(), stage.to_owned());
        self.run(
            move |client| async move { client.find_release_stage(&app, &workflow, &stage).await },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick<'a>(items: &'a [(&'a str, &'a str)], wanted: &str) -> Result<&'a str, String> {
        resolve("thing", "here", wanted, items, |i| Some(i.0), |i| Some(i.1))
            .map(|i| i.1)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn exact_then_unique_case_insensitive() {
        let items = [("Main", "sn1"), ("main", "sn2"), ("Deploy", "sn3")];
        assert_eq!(pick(&items, "Main"), Ok("sn1"));
        assert_eq!(pick(&items, "main"), Ok("sn2"));
        assert_eq!(pick(&items, "sn3"), Ok("sn3"));
        assert_eq!(pick(&items, "deploy"), Ok("sn3"));
        let err = pick(&items, "MAIN").expect_err("ambiguous");
        assert!(err.contains("sn1") && err.contains("sn2"), "{err}");
        let err = pick(&items, "nope").expect_err("missing");
        assert!(err.contains("\"Deploy\" (sn sn3)"), "{err}");
    }
}
