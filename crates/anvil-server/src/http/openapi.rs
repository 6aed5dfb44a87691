//! The OpenAPI 3.1 document, generated from the handlers' annotations, served at
//! `/api/v1/openapi.json`, and the interactive reference at `/api/docs` (Swagger UI, its
//! assets embedded in the binary at build time).

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Anvil",
        description = "A self-hosted prompt registry: prompts are Liquid templates with typed parameters, grouped in prompt sets with immutable semver versions and movable channels, fetched and rendered by address (project/set@^1.2/prompt).",
    ),
    paths(
        super::auth::register,
        super::auth::sign_in,
        super::auth::sign_out,
        super::auth::sign_out_everywhere,
        super::auth::sessions,
        super::auth::end_session,
        super::auth::me,
        super::auth::magic_link,
        super::auth::verify_magic_link,
        super::auth::password_reset,
        super::auth::confirm_password_reset,
        super::auth::confirm_email,
        super::auth::change_password,
        super::delivery::resolve,
        super::delivery::render,
        super::delivery::render_body,
        super::keys::create,
        super::keys::list,
        super::keys::revoke,
        super::ops::healthz,
        super::ops::readyz,
        super::ops::metrics,
        super::ops::dev_mailbox,
        super::orgs::list_organisations,
        super::orgs::create_organisation,
        super::orgs::get_organisation,
        super::orgs::get_current,
        super::orgs::patch_organisation,
        super::orgs::patch_current,
        super::orgs::delete_organisation,
        super::orgs::list_members,
        super::orgs::patch_member,
        super::orgs::delete_member,
        super::orgs::audit,
        super::orgs::invite,
        super::orgs::list_invitations,
        super::orgs::revoke_invitation,
        super::orgs::accept_invitation,
        super::projects::create,
        super::projects::list,
        super::projects::get,
        super::projects::by_slug,
        super::projects::update,
        super::projects::delete,
        super::archive::projects,
        super::archive::sets,
        super::archive::restore_project,
        super::archive::purge_project,
        super::archive::restore_set,
        super::archive::purge_set,
        super::prompt_sets::create,
        super::prompt_sets::list_in_project,
        super::prompt_sets::list,
        super::prompt_sets::get,
        super::prompt_sets::by_address,
        super::prompt_sets::update,
        super::prompt_sets::delete,
        super::prompt_sets::status,
        super::prompts::create,
        super::prompts::list,
        super::prompts::get,
        super::prompts::by_address,
        super::prompts::update,
        super::prompts::delete,
        super::prompts::render,
        super::search::search,
        super::templates::validate,
        super::tokens::create,
        super::tokens::list,
        super::tokens::revoke,
        super::versions::create,
        super::versions::list,
        super::versions::by_label,
        super::versions::get,
        super::versions::yank,
        super::versions::unyank,
        super::versions::diff,
        super::versions::restore,
        super::channels::list_channels,
        super::channels::get_channel,
        super::channels::put_channel,
        super::channels::delete_channel
    ),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
)]
pub struct ApiDoc;

/// Bearer credentials (API keys `ank_live_...`, project access tokens `anp_live_...`) and
/// the browser session cookie.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key (ank_live_...) or a project access token (anp_live_...)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                super::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

/// `/api/docs` and `/api/v1/openapi.json`.
pub fn routes() -> axum::Router<super::AppState> {
    axum::Router::new().merge(
        utoipa_swagger_ui::SwaggerUi::new("/api/docs")
            .url("/api/v1/openapi.json", document().clone()),
    )
}
