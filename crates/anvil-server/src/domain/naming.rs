//! Names, slugs and descriptions of content (projects, prompt sets, prompts): the same rules
//! and the same conflict messages at every level.

use super::{Error, FieldError, Result};

/// Checked `name`, `slug` and `description` of a create (`creating`) or an update. A slug is
/// generated from the name when creating without one. Problems are pushed onto `errors`.
/// A name people read (of a project, key, token, organisation or user): trimmed, 1 to `max`
/// characters, no control characters (NUL, tab, newline and the C1 range alike).
pub fn display_name(field: &str, raw: &str, max: usize) -> std::result::Result<String, FieldError> {
    let n = raw.trim();
    // Controls are refused anywhere, before trimming: NEL (U+0085) is also whitespace.
    if raw.chars().any(char::is_control) {
        Err(FieldError::new(
            field,
            "must not contain control characters (such as NUL, tab or newline)",
        ))
    } else if n.is_empty() || n.chars().count() > max {
        Err(FieldError::new(
            field,
            format!("must be 1 to {max} characters"),
        ))
    } else {
        Ok(n.to_string())
    }
}

/// Free text (descriptions, reasons): at most `max` characters, no control characters but
/// newlines and tabs.
pub fn text(field: &str, raw: &str, max: usize) -> std::result::Result<(), FieldError> {
    if raw.chars().count() > max {
        Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ))
    } else if raw
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        Err(FieldError::new(
            field,
            "must not contain control characters other than newlines and tabs",
        ))
    } else {
        Ok(())
    }
}

pub fn check(
    name: Option<&str>,
    slug: Option<&str>,
    description: Option<&str>,
    creating: bool,
    errors: &mut Vec<FieldError>,
) -> (Option<String>, Option<String>) {
    let name = match name {
        None => {
            if creating {
                errors.push(FieldError::new("name", "is required"));
            }
            None
        }
        Some(n) => display_name("name", n, 100)
            .map_err(|e| errors.push(e))
            .ok(),
    };
    let slug = match (slug, &name) {
        (Some(s), _) => {
            if let Err(r) = anvil_core::slug::check(s) {
                errors.push(FieldError::new("slug", r));
            }
            Some(s.to_string())
        }
        (None, Some(n)) if creating => anvil_core::slug::from_name(n).or_else(|| {
            errors.push(FieldError::new(
                "slug",
                "cannot be made from the name; give one (letters, digits, '-', '_', '.')",
            ));
            None
        }),
        _ => None,
    };
    if let Some(Err(e)) = description.map(|d| text("description", d, 2000)) {
        errors.push(e);
    }
    (name, slug)
}

/// Slugs a project may not take: the organisation's own pages in the web UI
/// (`/o/{org}/audit` and so on) sit where a project's page would, and every link to such a
/// project (the command palette's, the dashboard's) would open the page instead.
pub const RESERVED_PROJECT_SLUGS: &[&str] = &["audit", "keys", "members", "settings", "webhooks"];

/// Refuses a slug in `reserved`.
pub fn not_reserved(slug: Option<&str>, reserved: &[&str], errors: &mut Vec<FieldError>) {
    if let Some(s) = slug
        && reserved.contains(&s)
    {
        errors.push(FieldError::new(
            "slug",
            format!(
                "'{s}' is reserved for a page of the web UI; choose another (reserved: {})",
                reserved.join(", ")
            ),
        ));
    }
}

/// [`check`] for inputs made only of a name, a slug and a description: the checked values,
/// or every problem at once.
pub fn check_all(
    name: Option<&str>,
    slug: Option<&str>,
    description: Option<&str>,
    creating: bool,
) -> Result<(Option<String>, Option<String>, Option<String>)> {
    let mut errors = Vec::new();
    let (name, slug) = check(name, slug, description, creating, &mut errors);
    if errors.is_empty() {
        Ok((name, slug, description.map(str::to_string)))
    } else {
        Err(Error::Validation(errors))
    }
}

/// A sibling as conflict checks see it.
pub struct Sibling<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub slug: &'a str,
    /// Archived siblings keep their slug reserved but free their name.
    pub live: bool,
}

/// 409 naming the field when a sibling (other than `except`) has the name or the slug. The
/// name is checked first: when the slug was generated from it, the name is what the author
/// chose. A generated slug that is taken gets the first free numeric suffix instead
/// (`welcome-2`), so generated slugs are unique at their level; returns the slug to use.
pub fn ensure_unique<'a>(
    siblings: impl IntoIterator<Item = Sibling<'a>>,
    except: Option<&str>,
    name: Option<&str>,
    slug: Option<&str>,
    generated: bool,
    what: &str,
    within: &str,
) -> Result<Option<String>> {
    let others: Vec<Sibling<'a>> = siblings
        .into_iter()
        .filter(|s| Some(s.id) != except)
        .collect();
    if let Some(s) = others.iter().find(|s| s.live && name == Some(s.name)) {
        return Err(Error::conflict(
            "name",
            format!("a {what} named '{}' exists in this {within}", s.name),
        ));
    }
    let taken = |candidate: &str| others.iter().any(|s| s.slug == candidate);
    match slug {
        Some(sl) if taken(sl) && generated => {
            let base: String = sl.chars().take(anvil_core::slug::MAX_LEN - 4).collect();
            (2..1000)
                .map(|n| format!("{base}-{n}"))
                .find(|c| !taken(c))
                .map(Some)
                .ok_or_else(|| {
                    Error::conflict("slug", format!("no free slug for '{sl}'; give one"))
                })
        }
        Some(sl) if taken(sl) => Err(Error::conflict(
            "slug",
            format!("a {what} with slug '{sl}' exists (or existed) in this {within}"),
        )),
        other => Ok(other.map(str::to_string)),
    }
}
