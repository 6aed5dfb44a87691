//! What the two credential pages share: an organisation's API keys ([`super::api_keys`]) and
//! a project's access tokens ([`super::project_tokens`]) are each listed a page at a time,
//! created from a short form, and shown once, in the response that creates them (which,
//! like every page, no cache keeps: see [`super::secure`]).

use axum::http::StatusCode;
use serde::Deserialize;

use super::pages::{LIST_PAGE, Problems, status_of};
use crate::domain;
use crate::domain::page::Page;

/// `?after=<id>`: a list page that continues after that id.
#[derive(Deserialize)]
pub struct AfterQuery {
    pub(super) after: Option<String>,
}

/// What a credential page shows besides its list.
pub(super) struct Shown {
    /// The secret just created: shown this once.
    pub(super) created: Option<String>,
    /// The name field's value.
    pub(super) name: String,
    /// Which page of the list.
    pub(super) after: Option<String>,
    pub(super) problems: Problems,
}

impl Shown {
    /// The page as a visitor opens it.
    pub(super) fn listing(after: Option<String>) -> Shown {
        Shown {
            created: None,
            name: String::new(),
            after,
            problems: Problems::default(),
        }
    }

    /// After the create form: the new secret (201), or the form again with its problems.
    /// A failure of ours is not the form's problem: it comes back as the error.
    pub(super) fn created(
        made: domain::Result<String>,
        name: String,
    ) -> Result<(Shown, StatusCode), domain::Error> {
        match made {
            Ok(secret) => Ok((
                Shown {
                    created: Some(secret),
                    ..Shown::listing(None)
                },
                StatusCode::CREATED,
            )),
            Err(e @ domain::Error::Internal(_)) => Err(e),
            Err(e) => {
                let status = status_of(&e);
                let shown = Shown {
                    name,
                    problems: Problems::of(e),
                    ..Shown::listing(None)
                };
                Ok((shown, status))
            }
        }
    }

    /// The slice of the list to read.
    pub(super) fn page(&self) -> Page {
        Page {
            after: self.after.clone(),
            limit: LIST_PAGE,
        }
    }
}
