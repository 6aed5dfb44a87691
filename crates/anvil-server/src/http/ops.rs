//! Operations endpoints: liveness, readiness, metrics. No auth, no tenant data.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use sea_orm::ConnectionTrait;

use super::AppState;
use crate::db;

pub async fn healthz() -> impl IntoResponse {
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({"status": "ok"})),
    )
}

/// Ready when the database answers and every migration is applied.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let reachable = state.db.execute_unprepared("SELECT 1").await.is_ok();
    let current = reachable && db::migrations_current(&state.db).await.unwrap_or(false);
    let status = if current {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(serde_json::json!({
            "status": if current { "ready" } else { "not_ready" },
            "database": if reachable { "reachable" } else { "unreachable" },
            "migrations": if current { "current" } else { "pending" },
            "backend": db::backend_name(&state.db),
        })),
    )
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let pool = db::pool_stats(&state.db);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(pool),
    )
}
