//! The rows the domain returns, as plain data: each module re-exports one entity's `Model`
//! and nothing else, so the HTTP layer can shape a row for the wire but cannot query.

macro_rules! rows {
    ($($name:ident),* $(,)?) => {
        $(
            pub mod $name {
                pub use crate::domain::entities::$name::Model;
            }
        )*
    };
}

rows!(
    access_token,
    api_key,
    audit_event,
    channel,
    invitation,
    membership,
    organisation,
    project,
    prompt,
    prompt_set,
    session,
    user,
    version,
    webhook,
    webhook_delivery,
);
