//! What changed between two snapshots of a prompt set: per prompt added, removed or changed,
//! with a line diff of the template and the parameter and metadata changes. The server's diff
//! endpoint, the CLI and the editor show the same thing.

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::params::Parameter;
use crate::snapshot::{Snapshot, SnapshotPrompt};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PromptChange {
    Added,
    Removed,
    Changed,
}

/// A run of template lines: `equal`, `insert` or `delete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineRun {
    pub op: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParameterChange {
    pub name: String,
    pub from: Parameter,
    pub to: Parameter,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParameterChanges {
    pub added: Vec<Parameter>,
    pub removed: Vec<Parameter>,
    pub changed: Vec<ParameterChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PromptDiff {
    pub slug: String,
    pub change: PromptChange,
    pub template_diff: Vec<LineRun>,
    pub parameters: ParameterChanges,
    pub metadata_changed: bool,
    /// Other fields that differ (`name`, `description`, `examples`).
    pub fields_changed: Vec<&'static str>,
}

/// Set-level differences beside the prompts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetDiff {
    pub fields_changed: Vec<&'static str>,
    pub prompts: Vec<PromptDiff>,
}

fn line_runs(from: &str, to: &str) -> Vec<LineRun> {
    let diff = TextDiff::from_lines(from, to);
    let mut runs: Vec<LineRun> = Vec::new();
    for change in diff.iter_all_changes() {
        let op = match change.tag() {
            ChangeTag::Equal => "equal",
            ChangeTag::Insert => "insert",
            ChangeTag::Delete => "delete",
        };
        match runs.last_mut() {
            Some(last) if last.op == op => last.text.push_str(change.value()),
            _ => runs.push(LineRun {
                op,
                text: change.value().to_string(),
            }),
        }
    }
    runs
}

fn parameter_changes(from: &[Parameter], to: &[Parameter]) -> ParameterChanges {
    let mut out = ParameterChanges::default();
    for p in from {
        match to.iter().find(|q| q.name == p.name) {
            None => out.removed.push(p.clone()),
            Some(q) if q != p => out.changed.push(ParameterChange {
                name: p.name.clone(),
                from: p.clone(),
                to: q.clone(),
            }),
            Some(_) => {}
        }
    }
    out.added = to
        .iter()
        .filter(|q| from.iter().all(|p| p.name != q.name))
        .cloned()
        .collect();
    out
}

fn prompt_diff(
    slug: &str,
    from: Option<&SnapshotPrompt>,
    to: Option<&SnapshotPrompt>,
) -> Option<PromptDiff> {
    let empty = |p: Option<&SnapshotPrompt>| p.map(|p| p.template.clone()).unwrap_or_default();
    let change = match (from, to) {
        (None, None) => return None,
        (None, Some(_)) => PromptChange::Added,
        (Some(_), None) => PromptChange::Removed,
        (Some(a), Some(b)) if a == b => return None,
        _ => PromptChange::Changed,
    };
    let params = |p: Option<&SnapshotPrompt>| p.map(|p| p.parameters.clone()).unwrap_or_default();
    let mut fields_changed = Vec::new();
    if let (Some(a), Some(b)) = (from, to) {
        if a.name != b.name {
            fields_changed.push("name");
        }
        if a.description != b.description {
            fields_changed.push("description");
        }
        if a.examples != b.examples {
            fields_changed.push("examples");
        }
    }
    Some(PromptDiff {
        slug: slug.to_string(),
        change,
        template_diff: line_runs(&empty(from), &empty(to)),
        parameters: parameter_changes(&params(from), &params(to)),
        metadata_changed: from.map(|p| &p.metadata) != to.map(|p| &p.metadata),
        fields_changed,
    })
}

/// Every prompt that differs between `from` and `to`, in slug order.
pub fn diff(from: &Snapshot, to: &Snapshot) -> SetDiff {
    let mut slugs: Vec<&String> = from.prompts.keys().chain(to.prompts.keys()).collect();
    slugs.sort();
    slugs.dedup();
    let prompts = slugs
        .into_iter()
        .filter_map(|s| prompt_diff(s, from.prompts.get(s), to.prompts.get(s)))
        .collect();
    let mut fields_changed = Vec::new();
    if from.name != to.name {
        fields_changed.push("name");
    }
    if from.description != to.description {
        fields_changed.push("description");
    }
    if from.dependencies != to.dependencies {
        fields_changed.push("dependencies");
    }
    SetDiff {
        fields_changed,
        prompts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snap(v: serde_json::Value) -> Snapshot {
        Snapshot::from_json(&v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn reports_added_removed_and_changed_prompts_with_line_runs() {
        let a = snap(json!({"name": "S", "prompts": {
            "keep": {"name": "Keep", "template": "same"},
            "gone": {"name": "Gone", "template": "bye"},
            "edit": {"name": "Edit", "template": "one\ntwo\nthree\n", "metadata": {"m": 1},
                     "parameters": [{"name": "a", "type": "string"}, {"name": "b", "type": "string"}]}
        }}));
        let b = snap(json!({"name": "S", "description": "d", "prompts": {
            "keep": {"name": "Keep", "template": "same"},
            "new": {"name": "New", "template": "hello"},
            "edit": {"name": "Edited", "template": "one\n2\nthree\n", "metadata": {"m": 2},
                     "parameters": [{"name": "a", "type": "number"}, {"name": "c", "type": "string"}]}
        }}));
        let d = diff(&a, &b);
        assert_eq!(d.fields_changed, ["description"]);
        let summary: Vec<(&str, PromptChange)> = d
            .prompts
            .iter()
            .map(|p| (p.slug.as_str(), p.change))
            .collect();
        assert_eq!(
            summary,
            [
                ("edit", PromptChange::Changed),
                ("gone", PromptChange::Removed),
                ("new", PromptChange::Added)
            ]
        );
        let edit = &d.prompts[0];
        let runs: Vec<(&str, &str)> = edit
            .template_diff
            .iter()
            .map(|r| (r.op, r.text.as_str()))
            .collect();
        assert_eq!(
            runs,
            [
                ("equal", "one\n"),
                ("delete", "two\n"),
                ("insert", "2\n"),
                ("equal", "three\n")
            ]
        );
        assert_eq!(edit.parameters.added[0].name, "c");
        assert_eq!(edit.parameters.removed[0].name, "b");
        assert_eq!(edit.parameters.changed[0].name, "a");
        assert!(edit.metadata_changed);
        assert_eq!(edit.fields_changed, ["name"]);
        assert_eq!(d.prompts[2].template_diff[0].op, "insert");
    }
}
