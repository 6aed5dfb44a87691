//! Optimistic concurrency for edits: `If-Match` as RFC 9110 defines it. A resource's entity
//! tag is the instant it last changed, so it moves with every write of the row.

use super::{Error, Result};

/// What an `If-Match` header asks of the current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `*`: the resource exists.
    Any,
    /// Strong tags, any of which may match. Weak tags never match a strong comparison, so
    /// they are dropped when the header is read (an empty list matches nothing).
    OneOf(Vec<String>),
}

impl Precondition {
    /// Reads a header value: `*`, or a comma-separated list of entity tags.
    pub fn parse(header: &str) -> Precondition {
        let header = header.trim();
        if header == "*" {
            return Precondition::Any;
        }
        Precondition::OneOf(
            header
                .split(',')
                .map(str::trim)
                .filter(|t| t.len() >= 2 && t.starts_with('"') && t.ends_with('"'))
                .map(str::to_string)
                .collect(),
        )
    }

    /// Passes when `current` satisfies the precondition; otherwise a 412 that carries the
    /// current tag, so the client can reload and try again.
    pub fn check(&self, current: &str, what: &str) -> Result<()> {
        let matched = match self {
            Precondition::Any => true,
            Precondition::OneOf(tags) => tags.iter().any(|t| t == current),
        };
        if matched {
            Ok(())
        } else {
            Err(Error::PreconditionFailed {
                message: format!(
                    "the {what} changed since you loaded it (If-Match does not match its ETag {current}); reload it and apply your change again"
                ),
                etag: current.to_string(),
            })
        }
    }
}

/// The entity tag of a row that changed last at `updated_at`.
pub fn etag(updated_at: time::OffsetDateTime) -> String {
    format!("\"{}\"", updated_at.unix_timestamp_nanos())
}

/// Checks an optional precondition against the current tag.
pub fn check(precondition: Option<&Precondition>, current: &str, what: &str) -> Result<()> {
    precondition.map_or(Ok(()), |p| p.check(current, what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_match_if_any_strong_tag_does_and_weak_tags_never_do() {
        let current = "\"42\"";
        assert!(Precondition::parse("*").check(current, "x").is_ok());
        assert!(
            Precondition::parse("\"1\", \"42\"")
                .check(current, "x")
                .is_ok()
        );
        assert!(Precondition::parse("\"1\"").check(current, "x").is_err());
        assert!(Precondition::parse("W/\"42\"").check(current, "x").is_err());
        assert!(Precondition::parse("42").check(current, "x").is_err());
        match Precondition::parse("\"1\"").check(current, "prompt") {
            Err(Error::PreconditionFailed { etag, .. }) => assert_eq!(etag, current),
            other => panic!("{other:?}"),
        }
    }
}
