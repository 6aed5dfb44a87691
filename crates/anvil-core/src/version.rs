//! Version labels, version specs and their resolution.
//!
//! Labels are Semantic Versioning 2.0.0, stored without a leading `v`, ordered by semver
//! precedence with build metadata ignored (for order and for uniqueness). A spec is an exact
//! version, a requirement as the `semver` crate (Cargo) reads it, `latest`, `stable`, or a
//! channel name. Yanked versions never satisfy requirements, `latest` or `stable`; an exact
//! request (or a channel pointing at one) still gets them, flagged, as on crates.io.

use std::cmp::Ordering;
use std::fmt;

use semver::{Version, VersionReq};

/// A version label.
#[derive(Debug, Clone)]
pub struct Label(Version);

/// The longest version label (`1.2.0-rc.1` is 10).
pub const MAX_LABEL_LEN: usize = 64;

impl Label {
    /// Parses a label; a leading `v` is accepted and dropped.
    pub fn parse(s: &str) -> Result<Label, String> {
        let t = s.trim();
        if t.len() > MAX_LABEL_LEN {
            return Err(format!("must be at most {MAX_LABEL_LEN} characters"));
        }
        let t = t.strip_prefix('v').unwrap_or(t);
        Version::parse(t)
            .map(Label)
            .map_err(|e| format!("'{s}' is not a semantic version (like 1.2.0): {e}"))
    }

    pub fn version(&self) -> &Version {
        &self.0
    }

    pub fn is_prerelease(&self) -> bool {
        !self.0.pre.is_empty()
    }

    /// The label as stored: `1.2.0`, `2.0.0-rc.1`.
    pub fn as_string(&self) -> String {
        self.0.to_string()
    }

    /// The next label for a change of `kind`, below 1.0.0 a breaking change bumps the minor.
    pub fn bump(&self, kind: Change) -> Label {
        let v = &self.0;
        let next = match kind {
            Change::Major if v.major == 0 => Version::new(0, v.minor + 1, 0),
            Change::Major => Version::new(v.major + 1, 0, 0),
            Change::Minor => Version::new(v.major, v.minor + 1, 0),
            Change::Patch if !v.pre.is_empty() => Version::new(v.major, v.minor, v.patch),
            Change::Patch => Version::new(v.major, v.minor, v.patch + 1),
        };
        Label(next)
    }
}

/// The size of a change, for suggesting the next label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    Patch,
    Minor,
    Major,
}

impl PartialEq for Label {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Label {}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Label {
    /// Semver precedence; build metadata does not count.
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.0, &other.0);
        (a.major, a.minor, a.patch)
            .cmp(&(b.major, b.minor, b.patch))
            .then_with(|| a.pre.cmp(&b.pre))
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What an address asks for after `@`.
#[derive(Debug, Clone, PartialEq)]
pub enum VersionSpec {
    Exact(Label),
    Req(VersionReq),
    Latest,
    Stable,
    Channel(String),
}

/// Why a channel name is not allowed.
pub fn check_channel_name(name: &str) -> Result<(), String> {
    crate::slug::check(name).map_err(|e| format!("channel name {e}"))?;
    if matches!(name, "latest" | "stable") {
        return Err(format!("'{name}' is reserved and cannot name a channel"));
    }
    if looks_like_version(name) {
        return Err(format!(
            "'{name}' looks like a version or range and cannot name a channel"
        ));
    }
    Ok(())
}

/// True for text an author would read as a version or range: it starts with a digit, `v`
/// and a digit, or a range operator.
fn looks_like_version(s: &str) -> bool {
    let b = s.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_digit() => true,
        Some(b'v') => b.get(1).is_some_and(u8::is_ascii_digit),
        Some(b'^' | b'~' | b'<' | b'>' | b'=' | b'*') => true,
        _ => false,
    }
}

impl VersionSpec {
    /// Parses a spec: `latest`, `stable`, a full version (exact), a requirement (`^1.2`,
    /// `~1.2.3`, `>=1.0, <2.0`, `1.*`, and a partial `1.2` meaning `^1.2` as in Cargo), or a
    /// channel name.
    pub fn parse(s: &str) -> Result<VersionSpec, String> {
        let t = s.trim();
        match t {
            "" => return Err("the version spec is empty".to_string()),
            "latest" => return Ok(VersionSpec::Latest),
            "stable" => return Ok(VersionSpec::Stable),
            _ => {}
        }
        if let Ok(label) = Label::parse(t) {
            return Ok(VersionSpec::Exact(label));
        }
        if looks_like_version(t) || t.contains([',', ' ']) {
            let req_text = t.strip_prefix('v').unwrap_or(t);
            return VersionReq::parse(req_text)
                .map(VersionSpec::Req)
                .map_err(|e| format!("'{t}' is not a valid version or range: {e}"));
        }
        check_channel_name(t)?;
        Ok(VersionSpec::Channel(t.to_string()))
    }
}

impl fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionSpec::Exact(l) => l.fmt(f),
            VersionSpec::Req(r) => r.fmt(f),
            VersionSpec::Latest => f.write_str("latest"),
            VersionSpec::Stable => f.write_str("stable"),
            VersionSpec::Channel(c) => f.write_str(c),
        }
    }
}

/// A version that exists, as resolution sees it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub label: Label,
    pub yanked: bool,
}

/// What a spec resolved to.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    pub label: Label,
    pub yanked: bool,
    /// The channel the version was reached through, if any.
    pub channel: Option<String>,
}

/// A spec that matches nothing; the message lists what exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ResolveError {
    pub message: String,
}

fn listing(candidates: &[Candidate], channels: &[(String, Label)]) -> String {
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    sorted.sort_by(|a, b| a.label.cmp(&b.label));
    let live: Vec<String> = sorted
        .iter()
        .filter(|c| !c.yanked)
        .map(|c| c.label.to_string())
        .collect();
    let yanked: Vec<String> = sorted
        .iter()
        .filter(|c| c.yanked)
        .map(|c| c.label.to_string())
        .collect();
    let mut parts = vec![if live.is_empty() {
        "no versions".to_string()
    } else {
        format!("versions: {}", live.join(", "))
    }];
    if !yanked.is_empty() {
        parts.push(format!("yanked: {}", yanked.join(", ")));
    }
    if !channels.is_empty() {
        let mut names: Vec<&str> = channels.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        parts.push(format!("channels: {}", names.join(", ")));
    }
    parts.join("; ")
}

/// Picks the version `spec` names among `candidates`; `channels` maps channel names to the
/// labels they point at.
pub fn resolve(
    spec: &VersionSpec,
    candidates: &[Candidate],
    channels: &[(String, Label)],
) -> Result<Resolution, ResolveError> {
    let miss = || ResolveError {
        message: format!(
            "nothing matches '{spec}' ({})",
            listing(candidates, channels)
        ),
    };
    let best = |pred: &dyn Fn(&Candidate) -> bool| {
        candidates
            .iter()
            .filter(|c| !c.yanked && pred(c))
            .max_by(|a, b| a.label.cmp(&b.label))
            .map(|c| Resolution {
                label: c.label.clone(),
                yanked: false,
                channel: None,
            })
    };
    let found = match spec {
        VersionSpec::Exact(label) => {
            candidates
                .iter()
                .find(|c| &c.label == label)
                .map(|c| Resolution {
                    label: c.label.clone(),
                    yanked: c.yanked,
                    channel: None,
                })
        }
        VersionSpec::Req(req) => best(&|c| req.matches(c.label.version())),
        VersionSpec::Latest => best(&|_| true),
        VersionSpec::Stable => best(&|c| !c.label.is_prerelease()),
        VersionSpec::Channel(name) => channels
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, target)| candidates.iter().find(|c| &c.label == target))
            .map(|c| Resolution {
                label: c.label.clone(),
                yanked: c.yanked,
                channel: Some(name.clone()),
            }),
    };
    found.ok_or_else(miss)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(s: &str) -> Label {
        Label::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn cands(list: &[(&str, bool)]) -> Vec<Candidate> {
        list.iter()
            .map(|(l, y)| Candidate {
                label: label(l),
                yanked: *y,
            })
            .collect()
    }

    fn pick(spec: &str, c: &[Candidate], ch: &[(String, Label)]) -> Result<(String, bool), String> {
        let spec = VersionSpec::parse(spec)?;
        resolve(&spec, c, ch)
            .map(|r| (r.label.to_string(), r.yanked))
            .map_err(|e| e.message)
    }

    #[test]
    fn labels_normalise_and_order_by_precedence_ignoring_build() {
        assert_eq!(label("v1.2.0").to_string(), "1.2.0");
        assert_eq!(label("1.2.0+build.5"), label("1.2.0"));
        assert!(label("1.0.0-alpha") < label("1.0.0-alpha.1"));
        assert!(label("1.0.0-rc.1") < label("1.0.0"));
        assert!(label("1.10.0") > label("1.9.0"));
        for bad in ["1.2", "one", "", "1.2.3.4", "01.2.3"] {
            assert!(Label::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn specs_parse_into_their_kinds() {
        assert!(matches!(
            VersionSpec::parse("1.2.0"),
            Ok(VersionSpec::Exact(_))
        ));
        assert!(matches!(
            VersionSpec::parse("v1.2.0"),
            Ok(VersionSpec::Exact(_))
        ));
        for req in [
            "^1.2",
            "~1.2.3",
            ">=1.0, <2.0",
            "1.*",
            "1.2",
            "1",
            "*",
            "=1.2.3-rc.1",
        ] {
            assert!(
                matches!(VersionSpec::parse(req), Ok(VersionSpec::Req(_))),
                "{req}"
            );
        }
        assert_eq!(VersionSpec::parse("latest"), Ok(VersionSpec::Latest));
        assert_eq!(VersionSpec::parse("stable"), Ok(VersionSpec::Stable));
        assert_eq!(
            VersionSpec::parse("production"),
            Ok(VersionSpec::Channel("production".into()))
        );
        for bad in ["", "^", ">=x", "1.2.x.y", "Prod", "tenant 42", "v1.2.x.y"] {
            assert!(VersionSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn channel_names_cannot_pass_for_versions() {
        assert!(check_channel_name("production").is_ok());
        assert!(check_channel_name("tenant-42").is_ok());
        for bad in ["latest", "stable", "1.2", "v2", "^1", "Prod", ""] {
            assert!(check_channel_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn requirements_pick_the_highest_unyanked_match() {
        let c = cands(&[
            ("1.0.0", false),
            ("1.2.0", false),
            ("1.2.5", false),
            ("1.3.0", true),
            ("2.0.0-rc.1", false),
            ("2.0.0", false),
            ("2.1.0", true),
        ]);
        assert_eq!(pick("^1.2", &c, &[]), Ok(("1.2.5".into(), false)));
        assert_eq!(
            pick("1.2", &c, &[]),
            Ok(("1.2.5".into(), false)),
            "partial = caret"
        );
        assert_eq!(pick("~1.2.0", &c, &[]), Ok(("1.2.5".into(), false)));
        assert_eq!(pick(">=1.0, <2.0", &c, &[]), Ok(("1.2.5".into(), false)));
        assert_eq!(pick("1.*", &c, &[]), Ok(("1.2.5".into(), false)));
        assert_eq!(
            pick("^2", &c, &[]),
            Ok(("2.0.0".into(), false)),
            "2.1.0 is yanked"
        );
        assert_eq!(pick("latest", &c, &[]), Ok(("2.0.0".into(), false)));
        assert_eq!(pick("stable", &c, &[]), Ok(("2.0.0".into(), false)));
    }

    #[test]
    fn prereleases_follow_semver_rules() {
        let c = cands(&[
            ("1.0.0", false),
            ("2.0.0-rc.1", false),
            ("2.0.0-rc.2", false),
        ]);
        assert_eq!(pick("latest", &c, &[]), Ok(("2.0.0-rc.2".into(), false)));
        assert_eq!(pick("stable", &c, &[]), Ok(("1.0.0".into(), false)));
        assert_eq!(pick("^1", &c, &[]), Ok(("1.0.0".into(), false)));
        assert!(
            pick("^2", &c, &[]).is_err(),
            "a plain range excludes pre-releases"
        );
        assert_eq!(
            pick("^2.0.0-rc.1", &c, &[]),
            Ok(("2.0.0-rc.2".into(), false))
        );
    }

    #[test]
    fn exact_versions_and_channels_reach_yanked_versions_flagged() {
        let c = cands(&[("1.0.0", false), ("1.1.0", true)]);
        let ch = vec![("production".to_string(), label("1.1.0"))];
        assert_eq!(pick("1.1.0", &c, &ch), Ok(("1.1.0".into(), true)));
        assert_eq!(pick("v1.1.0+meta", &c, &ch), Ok(("1.1.0".into(), true)));
        assert_eq!(pick("production", &c, &ch), Ok(("1.1.0".into(), true)));
        assert_eq!(pick("^1", &c, &ch), Ok(("1.0.0".into(), false)));
    }

    #[test]
    fn misses_list_what_exists() {
        let c = cands(&[("1.0.0", false), ("1.1.0", true)]);
        let ch = vec![("staging".to_string(), label("1.0.0"))];
        let err = pick("^2", &c, &ch).unwrap_err();
        assert_eq!(
            err,
            "nothing matches '^2' (versions: 1.0.0; yanked: 1.1.0; channels: staging)"
        );
        assert!(
            pick("production", &c, &ch)
                .unwrap_err()
                .contains("channels: staging")
        );
        assert!(pick("9.9.9", &[], &[]).unwrap_err().contains("no versions"));
        assert!(
            pick("stable", &cands(&[("1.0.0", true)]), &[]).is_err(),
            "all yanked"
        );
    }

    #[test]
    fn bumps_follow_semver_and_the_zero_major_rule() {
        assert_eq!(label("1.2.3").bump(Change::Major).to_string(), "2.0.0");
        assert_eq!(label("1.2.3").bump(Change::Minor).to_string(), "1.3.0");
        assert_eq!(label("1.2.3").bump(Change::Patch).to_string(), "1.2.4");
        assert_eq!(label("0.4.2").bump(Change::Major).to_string(), "0.5.0");
        assert_eq!(label("2.0.0-rc.1").bump(Change::Patch).to_string(), "2.0.0");
    }
}
