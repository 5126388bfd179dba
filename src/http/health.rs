//! `GET /health` (readiness: database and state store answer) and `GET /health/live`.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::app::Services;
use crate::state::EphemeralStore;

/// 200 when both stores answer, else 503; the body says which one failed.
pub async fn ready(svc: web::Data<Services>) -> HttpResponse {
    let (db, state) = tokio::join!(svc.db.ping(), svc.state.ping());
    let status = |ok: bool| if ok { "ok" } else { "unavailable" };
    let healthy = db.is_ok() && state.is_ok();
    if let Err(e) = &db {
        tracing::warn!(error = %e, "health: database check failed");
    }
    if let Err(e) = &state {
        tracing::warn!(error = %e, "health: state store check failed");
    }
    let body = json!({
        "status": status(healthy),
        "database": { "status": status(db.is_ok()), "backend": svc.db.backend() },
        "state": { "status": status(state.is_ok()), "backend": svc.state.kind() },
    });
    let mut response = if healthy { HttpResponse::Ok() } else { HttpResponse::ServiceUnavailable() };
    response.insert_header((header::CACHE_CONTROL, "no-store")).json(body)
}

/// 200 while the process serves HTTP.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(json!({ "status": "ok" }))
}
