//! The `anvil.bundle/v1` format: prompt sets at exact versions in one self-contained JSON
//! document that renders offline. The forge writes it (export), reads it (import) and the SDKs
//! load it as a fallback; all of them use these types, so writers and readers agree exactly
//! (unknown fields are refused, a newer format is refused by name).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::snapshot::{PinnedDependency, Snapshot, SnapshotPrompt};

/// The one format this code reads and writes.
pub const FORMAT: &str = "anvil.bundle/v1";

/// A bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// `anvil.bundle/v1`.
    pub format: String,
    /// RFC 3339.
    pub exported_at: String,
    pub source: Source,
    pub prompt_sets: Vec<BundleSet>,
    /// `sha256:` + hex of the RFC 8785 form of everything but this field.
    pub checksum: String,
}

/// Where a bundle was exported from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The forge's public URL.
    pub instance: String,
    /// The organisation's slug.
    pub organisation: String,
    /// The project's slug (of the set, for a set bundle).
    pub project: String,
}

/// One prompt set at one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BundleSet {
    /// The slug of the project it belongs to.
    pub project: String,
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub version: BundleVersion,
    #[serde(default)]
    pub dependencies: Vec<PinnedDependency>,
    /// Prompts by slug.
    pub prompts: BTreeMap<String, SnapshotPrompt>,
    /// Project bundles only: where each channel points (outside the version checksum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<BTreeMap<String, BundleChannel>>,
}

/// The version an entry is at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BundleVersion {
    pub label: String,
    #[serde(default)]
    pub description: String,
    /// RFC 3339.
    pub created_at: String,
    /// The version's checksum on the forge: `sha256:` of the RFC 8785 form of the set's
    /// content (name, description, dependencies, prompts).
    pub checksum: String,
}

/// A channel of a set in a project bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BundleChannel {
    /// The label it points at.
    pub version: String,
    #[serde(default)]
    pub protected: bool,
}

impl BundleSet {
    /// The content the version checksum covers.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            name: self.name.clone(),
            description: self.description.clone(),
            dependencies: self.dependencies.clone(),
            prompts: self.prompts.clone(),
        }
    }

    /// `project/slug`.
    pub fn address(&self) -> String {
        format!("{}/{}", self.project, self.slug)
    }
}

/// What is wrong with a bundle someone hands over.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BundleError {
    #[error("not a bundle: {0}")]
    Malformed(String),
    #[error("format '{0}' is not supported; this forge reads {FORMAT}")]
    Format(String),
    #[error("the bundle checksum does not match its content (expected {expected}, got {actual})")]
    Checksum { expected: String, actual: String },
    #[error(
        "{set}@{label}: the version checksum does not match its content (expected {expected}, got {actual})"
    )]
    SetChecksum {
        set: String,
        label: String,
        expected: String,
        actual: String,
    },
}

impl Bundle {
    /// A bundle of `prompt_sets`, with its checksum computed.
    pub fn new(exported_at: String, source: Source, prompt_sets: Vec<BundleSet>) -> Bundle {
        let mut b = Bundle {
            format: FORMAT.to_string(),
            exported_at,
            source,
            prompt_sets,
            checksum: String::new(),
        };
        b.checksum = b.computed_checksum();
        b
    }

    /// The checksum of everything but the `checksum` field.
    pub fn computed_checksum(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.remove("checksum");
        }
        crate::canonical::checksum(&v)
    }

    /// Reads a bundle, checking its format, its checksum and every set's version checksum.
    pub fn parse(text: &[u8]) -> Result<Bundle, BundleError> {
        let raw: Value =
            serde_json::from_slice(text).map_err(|e| BundleError::Malformed(e.to_string()))?;
        // The format first: a newer format's unknown fields should not be the message.
        match raw.get("format").and_then(Value::as_str) {
            Some(FORMAT) => {}
            Some(other) => return Err(BundleError::Format(other.to_string())),
            None => return Err(BundleError::Malformed("missing field `format`".into())),
        }
        let b: Bundle = serde_path_to_error::deserialize(raw).map_err(|e| {
            let path = e.path().to_string();
            BundleError::Malformed(if path == "." {
                e.inner().to_string()
            } else {
                format!("{path}: {}", e.inner())
            })
        })?;
        b.verify()?;
        Ok(b)
    }

    /// Checks the bundle checksum and each set's version checksum.
    pub fn verify(&self) -> Result<(), BundleError> {
        let actual = self.computed_checksum();
        if actual != self.checksum {
            return Err(BundleError::Checksum {
                expected: self.checksum.clone(),
                actual,
            });
        }
        for s in &self.prompt_sets {
            let actual = s.snapshot().checksum();
            if actual != s.version.checksum {
                return Err(BundleError::SetChecksum {
                    set: s.address(),
                    label: s.version.label.clone(),
                    expected: s.version.checksum.clone(),
                    actual,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Bundle {
        let prompt = SnapshotPrompt {
            name: "Welcome".into(),
            description: String::new(),
            template: "Hello {{ name }}".into(),
            parameters: vec![],
            metadata: serde_json::json!({}),
            examples: serde_json::json!({}),
        };
        let mut set = BundleSet {
            project: "support".into(),
            slug: "emails".into(),
            name: "Emails".into(),
            description: String::new(),
            version: BundleVersion {
                label: "1.0.0".into(),
                description: String::new(),
                created_at: "2026-12-01T10:00:00Z".into(),
                checksum: String::new(),
            },
            dependencies: vec![],
            prompts: BTreeMap::from([("welcome".to_string(), prompt)]),
            channels: None,
        };
        set.version.checksum = set.snapshot().checksum();
        Bundle::new(
            "2026-12-01T10:00:00Z".into(),
            Source {
                instance: "http://localhost:4000".into(),
                organisation: "acme".into(),
                project: "support".into(),
            },
            vec![set],
        )
    }

    #[test]
    fn a_bundle_round_trips_and_verifies() {
        let b = sample();
        let text = serde_json::to_vec(&b).unwrap();
        assert_eq!(Bundle::parse(&text).unwrap(), b);
    }

    #[test]
    fn tampering_newer_formats_and_unknown_fields_are_refused() {
        let b = sample();
        let mut v = serde_json::to_value(&b).unwrap();
        v["prompt_sets"][0]["prompts"]["welcome"]["template"] = "Hacked".into();
        let e = Bundle::parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert!(matches!(e, BundleError::Checksum { .. }), "{e}");

        let mut v = serde_json::to_value(&b).unwrap();
        v["format"] = "anvil.bundle/v2".into();
        let e = Bundle::parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(e, BundleError::Format("anvil.bundle/v2".into()));

        let mut v = serde_json::to_value(&b).unwrap();
        v["prompt_sets"][0]["colour"] = "red".into();
        let e = Bundle::parse(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");

        let text = serde_json::to_vec(&b).unwrap();
        let e = Bundle::parse(&text[..text.len() / 2]).unwrap_err();
        assert!(matches!(e, BundleError::Malformed(_)), "{e}");
    }

    #[test]
    fn a_set_whose_content_does_not_match_its_version_checksum_is_named() {
        let mut b = sample();
        b.prompt_sets[0]
            .prompts
            .get_mut("welcome")
            .unwrap()
            .template = "Changed".into();
        b.checksum = b.computed_checksum();
        let e = b.verify().unwrap_err();
        assert!(e.to_string().starts_with("support/emails@1.0.0"), "{e}");
    }
}
