//! `/o/{org}/audit`: the organisation's audit log (admins and owners), newest first, filtered
//! by action, resource (a type such as `prompt_set`, or an id) and actor, fifty at a time.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::Visitor;
use super::account::minute;
use super::pages::{Layout, member_page, refused};
use crate::domain::audit_log::{self, Filter};
use crate::domain::page::Page;
use crate::http::AppState;

struct Row {
    when: String,
    actor: String,
    action: String,
    resource: String,
    changes: String,
    ip: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    org_slug: String,
    rows: Vec<Row>,
    action: String,
    resource: String,
    actor: String,
    /// The query string of the next (older) page, when there is one.
    older: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    resource: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    after: String,
}

fn given(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

pub async fn page(
    State(state): State<AppState>,
    Visitor(who): Visitor,
    headers: HeaderMap,
    Path(org): Path<String>,
    Query(q): Query<AuditQuery>,
) -> Response {
    let (ctx, mut layout) = match member_page(&state, &who, &headers, &org).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let filter = Filter {
        actor: given(&q.actor),
        resource: given(&q.resource),
        action: given(&q.action),
        since: None,
    };
    let mut page = Page::first(50);
    page.after = given(&q.after);
    let found = match audit_log::list(&state.db, &ctx, &filter, &page).await {
        Ok(f) => f,
        Err(e) => return refused(&state, &who, e, &format!("/o/{org}")),
    };
    let older = found.next_after(|e| &e.id).map(|after| {
        url_query(&[
            ("action", &q.action),
            ("resource", &q.resource),
            ("actor", &q.actor),
            ("after", &after),
        ])
    });
    layout.title = format!("Audit log of {}", ctx.organisation.name);
    layout.crumbs.push((
        "Audit log".into(),
        format!("/o/{}/audit", ctx.organisation.slug),
    ));
    AuditPage {
        layout,
        org_slug: ctx.organisation.slug.clone(),
        rows: found
            .items
            .into_iter()
            .map(|a| Row {
                when: minute(a.created_at),
                actor: match &a.actor_id {
                    Some(id) => format!("{} {id}", a.actor_type),
                    None => a.actor_type.clone(),
                },
                action: a.action,
                resource: match &a.resource_id {
                    Some(id) => format!("{} {id}", a.resource_type),
                    None => a.resource_type,
                },
                changes: a.changes.to_string(),
                ip: a.ip.unwrap_or_default(),
            })
            .collect(),
        action: q.action,
        resource: q.resource,
        actor: q.actor,
        older,
    }
    .into_response()
}

/// `a=1&b=2`, each value form-encoded, empty values left out.
fn url_query(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.append_pair(k, v);
    }
    out.finish()
}
