//! Cross-device sign-in by QR code: the phone's page (`GET|POST /qr/{token}`) and the
//! waiting browser's status and completion (`GET /qr/{token}/status`,
//! `GET /qr/{token}/complete`).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::authorize::{current_session, internal};
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
    match current_session(&req, &svc).await {
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
    let session = match current_session(&req, &svc).await {
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
