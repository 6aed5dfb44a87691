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
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
)]
struct ApiDoc;

/// The document's frame (info, security schemes) that the router's routes fill in.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

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

/// The document, built once from the router's list of routes and finished: wildcard paths
/// named as OpenAPI names them, unique operation ids, each operation's error statuses, and
/// closed object schemas.
pub fn document() -> &'static serde_json::Value {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let (_, mut doc) = super::api_router().split_for_parts();
        finish(&mut doc);
        single_names(doc)
    })
}

/// utoipa names a generic schema after its parameter too (`ProjectList_Project`) beside the
/// name the type gives itself (`ProjectList`): keep the one name, and point every reference
/// at it.
fn single_names(doc: utoipa::openapi::OpenApi) -> serde_json::Value {
    let names: Vec<String> = doc
        .components
        .as_ref()
        .map(|c| c.schemas.keys().cloned().collect())
        .unwrap_or_default();
    let mut text = serde_json::to_string(&doc).unwrap_or_default();
    let mut doubles = Vec::new();
    for name in &names {
        if let Some((plain, _)) = name.split_once('_')
            && names.iter().any(|n| n == plain)
        {
            text = text.replace(
                &format!("\"#/components/schemas/{name}\""),
                &format!("\"#/components/schemas/{plain}\""),
            );
            doubles.push(name.clone());
        }
    }
    let mut out: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    if let Some(schemas) = out
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
    {
        for name in &doubles {
            schemas.remove(name);
        }
    }
    out
}

fn finish(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::HttpMethod;
    use utoipa::openapi::schema::{AdditionalProperties, Schema};
    use utoipa::openapi::{RefOr, ResponseBuilder, content::ContentBuilder};
    use utoipa::{PartialSchema, ToSchema};

    // `{*address}` is axum's catch-all; OpenAPI knows only `{address}`.
    let paths = std::mem::take(&mut doc.paths.paths);
    doc.paths.paths = paths
        .into_iter()
        .map(|(path, item)| (path.replace("{*", "{"), item))
        .collect();

    let components = doc.components.get_or_insert_with(Default::default);
    let mut schemas = vec![(
        super::error::ErrorResponse::name().into_owned(),
        super::error::ErrorResponse::schema(),
    )];
    super::error::ErrorResponse::schemas(&mut schemas);
    components.schemas.extend(schemas);
    // What the server refuses, the document refuses: every object the API sends or takes
    // lists all its fields.
    for schema in components.schemas.values_mut() {
        if let RefOr::T(Schema::Object(o)) = schema
            && !o.properties.is_empty()
            && o.additional_properties.is_none()
        {
            o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        }
    }

    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(utoipa::openapi::Ref::from_schema_name(
                        super::error::ErrorResponse::name(),
                    )))
                    .build(),
            )
            .build()
    };
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for item in doc.paths.paths.values() {
        for op in operations(item) {
            if let Some(id) = &op.operation_id {
                *seen.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        let api = path.starts_with("/api/v1/");
        let conditional = [
            "/api/v1/projects/{id}",
            "/api/v1/prompt_sets/{id}",
            "/api/v1/prompts/{id}",
        ]
        .contains(&path.as_str());
        for (method, op) in operations_mut(item) {
            // Handler names repeat across modules (`list`, `get`): prefix the tag.
            if let Some(id) = op.operation_id.clone()
                && seen.get(&id).copied().unwrap_or(0) > 1
            {
                let tag = op
                    .tags
                    .as_ref()
                    .and_then(|t| t.first())
                    .map(|t| t.replace(' ', "_"))
                    .unwrap_or_default();
                op.operation_id = Some(format!("{tag}_{id}"));
            }
            if !api {
                continue;
            }
            let writes = !matches!(method, HttpMethod::Get);
            let mut statuses = vec![
                (
                    "400",
                    "The request is malformed: a bad query, path or JSON body",
                ),
                (
                    "401",
                    "No valid credential, or the credential does not fit this route",
                ),
                ("403", "The credential's role or scopes do not allow this"),
                ("404", "No such resource in the caller's organisation"),
                ("422", "A field is invalid; `details` names each"),
                ("429", "Rate limited; Retry-After says when to try again"),
            ];
            if writes {
                statuses.push((
                    "409",
                    "Conflicts with the current state (a name taken, a set locked)",
                ));
                statuses.push(("413", "The body is larger than the limit"));
            }
            if conditional && matches!(method, HttpMethod::Patch | HttpMethod::Delete) {
                statuses.push(("412", "If-Match does not match the current entity tag"));
            }
            for (status, description) in statuses {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::T(error(description)));
            }
        }
    }
}

fn operations(
    item: &utoipa::openapi::PathItem,
) -> impl Iterator<Item = &utoipa::openapi::path::Operation> {
    [&item.get, &item.put, &item.post, &item.delete, &item.patch]
        .into_iter()
        .flatten()
}

fn operations_mut(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<
    Item = (
        utoipa::openapi::path::HttpMethod,
        &mut utoipa::openapi::path::Operation,
    ),
> {
    use utoipa::openapi::path::HttpMethod;
    [
        (HttpMethod::Get, &mut item.get),
        (HttpMethod::Put, &mut item.put),
        (HttpMethod::Post, &mut item.post),
        (HttpMethod::Delete, &mut item.delete),
        (HttpMethod::Patch, &mut item.patch),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_mut().map(|op| (m, op)))
}

/// `/api/docs` and `/api/v1/openapi.json`.
pub fn routes() -> axum::Router<super::AppState> {
    axum::Router::new().merge(
        utoipa_swagger_ui::SwaggerUi::new("/api/docs")
            .external_url_unchecked("/api/v1/openapi.json", document().clone()),
    )
}
