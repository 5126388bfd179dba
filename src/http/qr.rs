//! Cross-device sign-in by QR code: the phone's page (`GET|POST /qr/{token}`) and the
//! waiting browser's status and completion (`GET /qr/{token}/status`,
//! `GET /qr/{token}/complete`).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::authorize::{full_session, internal};
use super::browser::{Browser, binding_of};
use super::pages::{self, QrPage};
use super::sms::{signed_in, unavailable};
use crate::app::Services;
use crate::login::qr::{self, Completion, QrStatus};

/// The phone's decision.
#[derive(Deserialize)]
pub struct DecisionForm {
    csrf: String,
    decision: String,
}

fn phone_page(
    req: &HttpRequest,
    svc: &Services,
    browser: &Browser,
    token: &str,
    request: Option<qr::QrLogin>,
    message: &str,
) -> HttpResponse {
    let locale = pages::locale(req, None);
    let csrf = svc.secrets.csrf_token(&browser.id, &format!("qr:{token}"));
    let request = request.map(|q| {
        let when = crate::domain::rfc3339(q.created_at).replace('T', " ").replace('Z', "");
        (q.client_name.unwrap_or_default(), q.user_agent, q.ip.unwrap_or_default(), when)
    });
    let status = if request.is_some() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page =
        QrPage { lang: locale.tag(), t: locale.texts(), c: locale.citizen(), token, csrf: &csrf, request, message };
    pages::render(status, &page, Some(browser))
}

/// `GET /qr/{token}`: the phone sees who is asking.
pub async fn show(req: HttpRequest, path: web::Path<String>, svc: web::Data<Services>) -> HttpResponse {
    let browser = Browser::of(&req, &svc);
    let c = pages::locale(&req, None).citizen();
    let found = match qr::load(&svc, &path).await {
        Ok(found) => found.filter(|q| q.status == QrStatus::Pending),
        Err(e) => return unavailable(&req, e),
    };
    let Some(found) = found else { return phone_page(&req, &svc, &browser, &path, None, c.qr_expired) };
    match full_session(&req, &svc).await {
        Ok(Some(_)) => phone_page(&req, &svc, &browser, &path, Some(found), ""),
        Ok(None) => phone_page(&req, &svc, &browser, &path, None, c.qr_sign_in_first),
        Err(e) => internal(&req, &e),
    }
}

/// `POST /qr/{token}`: approve or reject.
pub async fn decide(
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<DecisionForm>,
    svc: web::Data<Services>,
) -> HttpResponse {
    let Some(browser_id) = Browser::existing(&req, &svc) else {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    };
    if !svc.secrets.csrf_valid(&browser_id, &format!("qr:{path}"), &form.csrf) {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    }
    let approve = match form.decision.as_str() {
        "allow" => true,
        "deny" => false,
        _ => return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned()),
    };
    let session = match full_session(&req, &svc).await {
        Ok(Some(session)) => session,
        Ok(None) => return pages::error_page(&req, StatusCode::UNAUTHORIZED, |t| t.not_signed_in.to_owned()),
        Err(e) => return internal(&req, &e),
    };
    let c = pages::locale(&req, None).citizen();
    match qr::decide(&svc, &path, &session, approve, req.peer_addr().map(|a| a.ip())).await {
        Ok(true) => {
            let locale = pages::locale(&req, None);
            let message = if approve { c.qr_done_phone } else { c.qr_rejected };
            let page = pages::NoticePage { lang: locale.tag(), t: locale.texts(), title: c.qr_title, message };
            pages::render(StatusCode::OK, &page, None)
        }
        Ok(false) => pages::error_page(&req, StatusCode::BAD_REQUEST, |_| c.qr_expired.to_owned()),
        Err(e) => unavailable(&req, e),
    }
}

/// `GET /qr/{token}/status`: the waiting browser polls (its own transactions only).
pub async fn status(req: HttpRequest, path: web::Path<String>, svc: web::Data<Services>) -> HttpResponse {
    let binding = Browser::existing(&req, &svc).map(|id| binding_of(&id)).unwrap_or_default();
    let state = match qr::load(&svc, &path).await {
        Ok(Some(q)) if q.browser == binding => match q.status {
            QrStatus::Pending => "pending",
            QrStatus::Approved { .. } => "approved",
            QrStatus::Rejected => "rejected",
        },
        Ok(_) => "expired",
        Err(_) => return HttpResponse::ServiceUnavailable().json(json!({ "status": "unavailable" })),
    };
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(json!({ "status": state }))
}

/// `GET /qr/{token}/complete`: the waiting browser signs in (once).
pub async fn complete(req: HttpRequest, path: web::Path<String>, svc: web::Data<Services>) -> HttpResponse {
    let binding = Browser::existing(&req, &svc).map(|id| binding_of(&id)).unwrap_or_default();
    let c = pages::locale(&req, None).citizen();
    match qr::complete(&svc, &path, &binding).await {
        Ok(Completion::SignedIn { session, rid }) => signed_in(&req, &svc, session, rid.as_deref(), "mca").await,
        Ok(Completion::Pending) => pages::error_page(&req, StatusCode::CONFLICT, |_| c.qr_pending.to_owned()),
        Ok(Completion::Rejected { .. }) => pages::error_page(&req, StatusCode::FORBIDDEN, |_| c.qr_rejected.to_owned()),
        Ok(Completion::Gone) => pages::error_page(&req, StatusCode::BAD_REQUEST, |_| c.qr_expired.to_owned()),
        Err(e) => unavailable(&req, e),
    }
}

/// The mobile app's decision.
#[derive(Deserialize)]
pub struct AppDecision {
    decision: String,
}

/// `POST /qr/{token}/approve`: a mobile app holding the citizen's Vhod access token
/// (with `openid`) approves or rejects, instead of a browser session.
pub async fn approve_by_app(
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<AppDecision>,
    svc: web::Data<Services>,
) -> HttpResponse {
    let header = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim) else {
        return HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"vhod\""))
            .json(json!({ "error": "invalid_token", "error_description": "a Bearer access token is required" }));
    };
    let approve = match form.decision.as_str() {
        "allow" => true,
        "deny" => false,
        _ => {
            return HttpResponse::BadRequest()
                .json(json!({ "error": "invalid_request", "error_description": "decision is allow or deny" }));
        }
    };
    let (user_id, claims) = match crate::oidc::userinfo::token_user(&svc, token).await {
        Ok(found) => found,
        Err(_) => {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""))
                .json(json!({ "error": "invalid_token", "error_description": "the access token is not valid" }));
        }
    };
    let id = user_id.clone();
    let level = match svc.db.run(move |conn| crate::db::models::user::find_by_id(conn, &id)).await {
        Ok(Some(user)) => crate::accounts::level_of(&user),
        _ => {
            return HttpResponse::Unauthorized()
                .json(json!({ "error": "invalid_token", "error_description": "no such account" }));
        }
    };
    let text = |name: &str| claims.get(name).and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
    let amr: Vec<String> = match claims.get("amr") {
        Some(serde_json::Value::Array(list)) => list.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    };
    let session = crate::login::Session {
        user_id,
        sid: text("sid"),
        auth_time: claims.get("auth_time").and_then(serde_json::Value::as_i64).unwrap_or_default(),
        amr,
        level: level.as_str().to_owned(),
        acting: None,
        temporary_until: None,
    };
    let temporary = claims.get("acr").and_then(serde_json::Value::as_str) == Some(crate::oidc::acr::TEMPORARY);
    if claims.contains_key("act") || temporary {
        // A representative's token names the principal; temporary access is too weak.
        return HttpResponse::Forbidden()
            .json(json!({ "error": "insufficient_scope", "error_description": "this token cannot approve sign-ins" }));
    }
    match qr::decide(&svc, &path, &session, approve, req.peer_addr().map(|a| a.ip())).await {
        Ok(true) => HttpResponse::Ok().json(json!({ "status": if approve { "approved" } else { "rejected" } })),
        Ok(false) => HttpResponse::BadRequest()
            .json(json!({ "error": "invalid_request", "error_description": "the sign-in code expired or was used" })),
        Err(_) => HttpResponse::ServiceUnavailable()
            .json(json!({ "error": "temporarily_unavailable", "error_description": "try again" })),
    }
}
