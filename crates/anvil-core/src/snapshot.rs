//! The content of a prompt set as a version freezes it, and what kind of change separates two
//! of them.
//!
//! A snapshot holds the set's name, description, pinned dependencies and every prompt's
//! fields, never the version label or changelog, so equal content has an equal checksum. The
//! same object is one entry of a bundle's `prompt_sets` (less the entry's `slug` and
//! `version`), so an SDK verifies what it fetched by recomputing [`Snapshot::checksum`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::params::Parameter;
use crate::version::Change;

/// A dependency as a version pins it: the address the author wrote and the exact label that
/// its spec resolved to when the version was cut.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PinnedDependency {
    pub address: String,
    pub resolved: String,
}

/// One prompt of a snapshot (its slug is the key in [`Snapshot::prompts`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SnapshotPrompt {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub template: String,
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    #[serde(default = "empty_object")]
    pub metadata: Value,
    #[serde(default = "empty_object")]
    pub examples: Value,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// A prompt set's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Snapshot {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub dependencies: Vec<PinnedDependency>,
    pub prompts: BTreeMap<String, SnapshotPrompt>,
}

impl Snapshot {
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// `sha256:` + hex of the RFC 8785 form.
    pub fn checksum(&self) -> String {
        crate::canonical::checksum(&self.to_json())
    }

    pub fn from_json(v: &Value) -> Result<Snapshot, String> {
        serde_json::from_value(v.clone()).map_err(|e| format!("not a prompt set snapshot: {e}"))
    }
}

/// The size of the change from `old` to `new`, by the rule of `domain.md`: major when a prompt
/// was removed (or its slug changed), or a parameter was removed, renamed, made required,
/// added as required without default, or changed type; minor when a prompt or an optional
/// parameter was added; patch otherwise.
pub fn classify_change(old: &Snapshot, new: &Snapshot) -> Change {
    let mut change = Change::Patch;
    for (slug, before) in &old.prompts {
        let Some(after) = new.prompts.get(slug) else {
            return Change::Major;
        };
        for p in &before.parameters {
            match after.parameters.iter().find(|q| q.name == p.name) {
                None => return Change::Major,
                Some(q) if q.kind != p.kind || (q.required && !p.required) => {
                    return Change::Major;
                }
                Some(_) => {}
            }
        }
        for q in &after.parameters {
            if before.parameters.iter().all(|p| p.name != q.name) {
                if q.required && q.default.as_ref().is_none_or(Value::is_null) {
                    return Change::Major;
                }
                change = Change::Minor;
            }
        }
    }
    if new.prompts.keys().any(|s| !old.prompts.contains_key(s)) {
        change = Change::Minor;
    }
    change
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snap(prompts: Value) -> Snapshot {
        Snapshot::from_json(&json!({"name": "Emails", "prompts": prompts}))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn base() -> Snapshot {
        snap(json!({
            "welcome": {"name": "Welcome", "template": "Hi {{ name }}", "parameters": [
                {"name": "name", "type": "string", "required": true},
                {"name": "tone", "type": "string"}
            ]}
        }))
    }

    fn with_params(params: Value) -> Snapshot {
        snap(
            json!({"welcome": {"name": "Welcome", "template": "Hi {{ name }}", "parameters": params}}),
        )
    }

    #[test]
    fn text_descriptions_and_metadata_are_patches() {
        let mut s = base();
        if let Some(p) = s.prompts.get_mut("welcome") {
            p.template = "Hello {{ name }}".into();
            p.metadata = json!({"model": "x"});
            p.description = "new".into();
        }
        assert_eq!(classify_change(&base(), &s), Change::Patch);
        assert_eq!(classify_change(&base(), &base()), Change::Patch);
    }

    #[test]
    fn additions_are_minor() {
        let mut s = base();
        s.prompts.insert(
            "bye".into(),
            SnapshotPrompt {
                name: "Bye".into(),
                description: String::new(),
                template: "Bye".into(),
                parameters: vec![],
                metadata: json!({}),
                examples: json!({}),
            },
        );
        assert_eq!(classify_change(&base(), &s), Change::Minor);
        let optional = with_params(json!([
            {"name": "name", "type": "string", "required": true},
            {"name": "tone", "type": "string"},
            {"name": "extra", "type": "number"},
        ]));
        assert_eq!(classify_change(&base(), &optional), Change::Minor);
        let required_with_default = with_params(json!([
            {"name": "name", "type": "string", "required": true},
            {"name": "tone", "type": "string"},
            {"name": "extra", "type": "number", "required": true, "default": 3},
        ]));
        assert_eq!(
            classify_change(&base(), &required_with_default),
            Change::Minor
        );
    }

    #[test]
    fn breaking_changes_are_major() {
        let removed_prompt = snap(json!({}));
        assert_eq!(classify_change(&base(), &removed_prompt), Change::Major);
        let removed_param =
            with_params(json!([{"name": "name", "type": "string", "required": true}]));
        assert_eq!(classify_change(&base(), &removed_param), Change::Major);
        let retyped = with_params(json!([
            {"name": "name", "type": "number", "required": true},
            {"name": "tone", "type": "string"},
        ]));
        assert_eq!(classify_change(&base(), &retyped), Change::Major);
        let made_required = with_params(json!([
            {"name": "name", "type": "string", "required": true},
            {"name": "tone", "type": "string", "required": true},
        ]));
        assert_eq!(classify_change(&base(), &made_required), Change::Major);
        let added_required = with_params(json!([
            {"name": "name", "type": "string", "required": true},
            {"name": "tone", "type": "string"},
            {"name": "extra", "type": "string", "required": true},
        ]));
        assert_eq!(classify_change(&base(), &added_required), Change::Major);
    }

    #[test]
    fn checksums_ignore_key_order_and_follow_content() {
        let a = base();
        let b = Snapshot::from_json(&serde_json::from_str::<Value>(
            r#"{"prompts": {"welcome": {"template": "Hi {{ name }}", "name": "Welcome", "parameters": [
                {"type": "string", "name": "name", "required": true},
                {"name": "tone", "type": "string"}]}}, "name": "Emails"}"#,
        ).unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.checksum(), b.checksum());
        assert!(a.checksum().starts_with("sha256:"));
        let mut c = base();
        c.description = "changed".into();
        assert_ne!(a.checksum(), c.checksum());
    }
}
