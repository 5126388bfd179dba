//! Passkeys over JSON for `/static/passkey.js`: registration from the profile
//! (`POST /passkeys/register/start|finish`), discoverable sign-in from the sign-in page
//! (`POST /passkeys/login/start|finish`), and removal (`POST /account/passkeys/remove`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use super::authorize::full_session;
use super::browser::{Browser, new_session_cookie};
use super::sms::establish;
use crate::app::Services;
use crate::db::models::user as user_db;
use crate::login::passkey::{self, PasskeyError};

fn error(status: StatusCode, code: &str, message: impl std::fmt::Display) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": code, "error_description": message.to_string() }))
}

fn failed(e: &PasskeyError) -> HttpResponse {
    match e {
        PasskeyError::Unavailable => error(StatusCode::NOT_FOUND, "unavailable", e),
        PasskeyError::Expired => error(StatusCode::BAD_REQUEST, "expired", e),
        PasskeyError::Rejected => error(StatusCode::UNAUTHORIZED, "rejected", e),
        PasskeyError::Locked => error(StatusCode::TOO_MANY_REQUESTS, "locked", e),
        PasskeyError::Store(_) => error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again later"),
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Box<HttpResponse>> {
    serde_json::from_slice(body).map_err(|e| Box::new(error(StatusCode::BAD_REQUEST, "invalid_request", e)))
}

/// The browser binding of a JSON call whose CSRF token matches `purpose`.
fn checked(req: &HttpRequest, svc: &Services, purpose: &str, csrf: &str) -> Result<String, Box<HttpResponse>> {
    Browser::existing(req, svc)
        .filter(|id| svc.secrets.csrf_valid(id, purpose, csrf))
        .map(|id| super::browser::binding_of(&id))
        .ok_or_else(|| Box::new(error(StatusCode::FORBIDDEN, "invalid_request", "reload the page and try again")))
}

#[derive(Deserialize)]
struct Start {
    csrf: String,
}

#[derive(Deserialize)]
struct RegisterFinish {
    csrf: String,
    ceremony: String,
    #[serde(default)]
    name: String,
    credential: RegisterPublicKeyCredential,
}

#[derive(Deserialize)]
struct LoginFinish {
    csrf: String,
    ceremony: String,
    #[serde(default)]
    rid: Option<String>,
    credential: PublicKeyCredential,
}

/// `POST /passkeys/register/start`.
pub async fn register_start(req: HttpRequest, body: web::Bytes, svc: web::Data<Services>) -> HttpResponse {
    let start: Start = match parse(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let browser = match checked(&req, &svc, "account", &start.csrf) {
        Ok(binding) => binding,
        Err(r) => return *r,
    };
    let session = match full_session(&req, &svc).await {
        Ok(Some(session)) => session,
        Ok(None) => return error(StatusCode::UNAUTHORIZED, "login_required", "sign in first"),
        Err(_) => return error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again later"),
    };
    let id = session.user_id.clone();
    let user = match svc.db.run(move |conn| user_db::find_by_id(conn, &id)).await {
        Ok(Some(user)) => user,
        _ => return error(StatusCode::UNAUTHORIZED, "login_required", "sign in first"),
    };
    match passkey::register_start(&svc, &user, &browser).await {
        Ok((ceremony, options)) => HttpResponse::Ok().json(json!({ "ceremony": ceremony, "options": options })),
        Err(e) => failed(&e),
    }
}

/// `POST /passkeys/register/finish`.
pub async fn register_finish(req: HttpRequest, body: web::Bytes, svc: web::Data<Services>) -> HttpResponse {
    let finish: RegisterFinish = match parse(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let browser = match checked(&req, &svc, "account", &finish.csrf) {
        Ok(binding) => binding,
        Err(r) => return *r,
    };
    let session = match full_session(&req, &svc).await {
        Ok(Some(session)) => session,
        _ => return error(StatusCode::UNAUTHORIZED, "login_required", "sign in first"),
    };
    match passkey::register_finish(&svc, &session.user_id, &browser, &finish.ceremony, &finish.credential, &finish.name)
        .await
    {
        Ok(id) => HttpResponse::Created().json(json!({ "id": id })),
        Err(e) => failed(&e),
    }
}

/// `POST /passkeys/login/start`.
pub async fn login_start(req: HttpRequest, body: web::Bytes, svc: web::Data<Services>) -> HttpResponse {
    let start: Start = match parse(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let browser = match checked(&req, &svc, "passkey", &start.csrf) {
        Ok(binding) => binding,
        Err(r) => return *r,
    };
    match passkey::login_start(&svc, &browser, req.peer_addr().map(|a| a.ip())).await {
        Ok((ceremony, options)) => HttpResponse::Ok().json(json!({ "ceremony": ceremony, "options": options })),
        Err(e) => failed(&e),
    }
}

/// `POST /passkeys/login/finish`: signs in and says where to go next.
pub async fn login_finish(req: HttpRequest, body: web::Bytes, svc: web::Data<Services>) -> HttpResponse {
    let finish: LoginFinish = match parse(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let browser = match checked(&req, &svc, "passkey", &finish.csrf) {
        Ok(binding) => binding,
        Err(r) => return *r,
    };
    let ip = req.peer_addr().map(|a| a.ip());
    let (user, amr) = match passkey::login_finish(&svc, &browser, &finish.ceremony, &finish.credential, ip).await {
        Ok(found) => found,
        Err(e) => return failed(&e),
    };
    let session = passkey::session(&user, amr);
    match establish(&req, &svc, session, finish.rid.as_deref(), "passkey").await {
        Ok((cookie, location)) => {
            HttpResponse::Ok().cookie(new_session_cookie(&svc, cookie)).json(json!({ "location": location }))
        }
        Err(response) => response,
    }
}
