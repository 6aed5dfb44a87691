//! Domain services: plain async functions over the database that take the acting identity,
//! check what it may do, and write each mutation with its audit event in one transaction.
//! They speak Rust types; the HTTP layer maps them to the wire.

pub mod access;
pub mod access_tokens;
pub mod accounts;
pub mod admin;
pub mod api_keys;
pub mod archive;
pub mod audit;
pub mod audit_log;
pub mod bundles;
pub mod channels;
pub mod delivery;
pub mod dependencies;
// The SeaORM entities: private, so nothing outside the domain can name an `Entity`, a
// `Column` or an `ActiveModel`, and so cannot build a query that skips the tenancy checks in
// `access`. The compiler enforces it (E0603); `records` hands out the row types only.
mod entities;
pub mod event_stream;
pub mod events;
pub mod feed;
pub mod ids;
pub mod invitations;
pub mod jobs;
pub mod mail;
pub mod members;
pub mod naming;
pub mod organisations;
pub mod overview;
pub mod page;
pub mod precondition;
pub mod projects;
pub mod prompt_sets;
pub mod prompts;
pub mod rate_limit;
pub mod records;
pub mod search;
pub mod secrets;
pub mod tokens;
pub mod versions;
pub mod webhooks;
pub mod write;

pub use write::write;

/// A field-level validation failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    Conflict {
        message: String,
        field: Option<String>,
    },
    /// A stale `If-Match`: the resource changed; `etag` is its current tag.
    #[error("{message}")]
    PreconditionFailed { message: String, etag: String },
    #[error("too many attempts; retry in {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    /// Something broke that the caller cannot fix; the detail is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::Validation(vec![FieldError::new(field, message)])
    }

    /// A not-found about something else (a membership, a parent) retold as not-found of what
    /// the caller asked for; any other error, a failing database above all, stays a 500 and
    /// is never disguised as a 404.
    pub fn as_not_found(self, message: &str) -> Self {
        match self {
            Error::NotFound(_) => Error::NotFound(message.to_string()),
            other => other,
        }
    }

    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        Error::Conflict {
            message: message.into(),
            field: Some(field.to_string()),
        }
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(e: sea_orm::DbErr) -> Self {
        // The backstop for check-then-insert races: the unique index decides, and the loser
        // hears which field was taken rather than getting a 500.
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(detail)) = e.sql_err() {
            let field = unique_field(&detail);
            return Error::conflict(
                field,
                format!("another request took this {field} at the same moment; choose another"),
            );
        }
        Error::Internal(format!("database: {e}"))
    }
}

/// The field a unique-index violation is about, from the index name (PostgreSQL:
/// `uq_projects_organisation_id_slug`) or the column list (SQLite: `projects.slug`).
fn unique_field(detail: &str) -> &'static str {
    ["slug", "name", "label", "email", "key_hash"]
        .into_iter()
        .find(|f| detail.contains(f))
        .map_or("id", |f| if f == "key_hash" { "key" } else { f })
}

impl From<sea_orm::TransactionError<Error>> for Error {
    fn from(e: sea_orm::TransactionError<Error>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(inner) => inner,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Current time, UTC.
pub fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}
