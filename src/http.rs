//! The HTTP edge (actix-web): the one route table, the mapping from each layer's errors
//! to status codes, and cross-cutting middleware. Handlers are thin: extract, call one
//! service function, map the result.
//!
//! Error mapping: `oidc::OAuthError` → RFC 6749 §5.2 JSON (`invalid_client` 401 with
//! `WWW-Authenticate`, lockout 429 with `Retry-After`, outages 503, bugs 500, the rest
//! 400). Only this module chooses status codes.

/// The `Ok` value, or return the `Err` response (a redirect to sign in, an error page)
/// from the handler.
macro_rules! or_respond {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(response) => return response,
        }
    };
}

mod account;
pub mod admin;
mod assisted;
mod authorize;
mod browser;
mod device;
mod discovery;
mod federation;
mod health;
pub mod i18n;
mod login;
mod logout;
mod pages;
mod passkey;
mod qr;
mod register;
mod signup;
mod sms;
mod staff;
mod token;
mod userinfo;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{HttpResponse, ResponseError, web};
use serde_json::json;

use crate::oidc::{ErrorCode, OAuthError};

/// Largest request body accepted anywhere.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The route table: every endpoint Vhod serves.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::FormConfig::default().limit(MAX_BODY_BYTES).error_handler(|e, req| {
        // Browser forms: a malformed or incomplete form gets a readable page.
        let page = pages::error_page(req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
        actix_web::error::InternalError::from_response(e, page).into()
    }))
    .app_data(web::QueryConfig::default().error_handler(|e, req| {
        let page = pages::error_page(req, StatusCode::BAD_REQUEST, |t| t.expired.to_owned());
        actix_web::error::InternalError::from_response(e, page).into()
    }));
    cfg.route("/.well-known/openid-configuration", web::get().to(discovery::openid_configuration))
        .route("/.well-known/oauth-authorization-server", web::get().to(discovery::openid_configuration))
        .route("/jwks", web::get().to(discovery::jwks))
        .route("/authorize", web::get().to(authorize::authorize_get))
        .route("/authorize", web::post().to(authorize::authorize_post))
        .route("/authorize/resume", web::get().to(authorize::resume))
        .route("/login", web::get().to(login::login_form))
        .route("/login", web::post().to(login::login_submit))
        .route("/consent", web::post().to(login::consent_submit))
        .route("/token", web::post().to(token::token))
        .route("/device_authorization", web::post().to(token::device_authorization))
        .route("/device", web::get().to(device::form))
        .route("/device", web::post().to(device::submit))
        .route("/introspect", web::post().to(token::introspect))
        .route("/revoke", web::post().to(token::revoke))
        .route("/userinfo", web::get().to(userinfo::userinfo_get))
        .route("/userinfo", web::post().to(userinfo::userinfo_post))
        .route("/account", web::get().to(account::account))
        .route("/account/consents", web::post().to(account::revoke_consent))
        .route("/account/identity", web::post().to(account::identity))
        .route("/account/password", web::post().to(account::password))
        .route("/account/phone/remove", web::post().to(account::remove_phone))
        .route("/account/sessions/end", web::post().to(account::end_session))
        .route("/account/federation/unlink", web::post().to(account::unlink))
        .route("/sms", web::get().to(sms::start_form))
        .route("/sms", web::post().to(sms::start))
        .route("/sms/code", web::get().to(sms::code_form))
        .route("/sms/code", web::post().to(sms::verify))
        .route("/sms/resend", web::post().to(sms::resend))
        .route("/federation/{provider}/start", web::get().to(federation::start))
        .route("/federation/{provider}/link", web::post().to(federation::link))
        .route("/federation/{provider}/callback", web::get().to(federation::callback))
        .route("/signup", web::get().to(signup::form))
        .route("/signup", web::post().to(signup::submit))
        .route("/logout", web::post().to(account::logout))
        .route("/register", web::post().to(register::create))
        .route("/register/{client_id}", web::get().to(register::read))
        .route("/register/{client_id}", web::put().to(register::update))
        .route("/register/{client_id}", web::delete().to(register::delete))
        .route("/end_session", web::get().to(logout::end_session_get))
        .route("/end_session", web::post().to(logout::end_session_post))
        .route("/end_session/confirm", web::post().to(logout::confirm))
        .route("/static/vhod.css", web::get().to(pages::stylesheet))
        .route("/static/qr.js", web::get().to(pages::qr_script))
        .route("/passkeys/register/start", web::post().to(passkey::register_start))
        .route("/passkeys/register/finish", web::post().to(passkey::register_finish))
        .route("/passkeys/login/start", web::post().to(passkey::login_start))
        .route("/passkeys/login/finish", web::post().to(passkey::login_finish))
        .route("/account/passkeys/remove", web::post().to(account::remove_passkey))
        .route("/static/passkey.js", web::get().to(pages::passkey_script))
        .route("/qr/{token}", web::get().to(qr::show))
        .route("/qr/{token}", web::post().to(qr::decide))
        .route("/qr/{token}/status", web::get().to(qr::status))
        .route("/qr/{token}/approve", web::post().to(qr::approve_by_app))
        .route("/qr/{token}/complete", web::get().to(qr::complete))
        .route("/activate", web::get().to(assisted::activate_form))
        .route("/activate", web::post().to(assisted::activate))
        .route("/temporary", web::get().to(assisted::temporary_form))
        .route("/temporary", web::post().to(assisted::temporary))
        .route("/support", web::get().to(assisted::support_form))
        .route("/support", web::post().to(assisted::support_submit))
        .route("/account/post", web::get().to(assisted::post_print))
        .route("/account/post", web::post().to(assisted::request_post))
        .route("/account/post.pdf", web::get().to(assisted::post_pdf))
        .route("/account/post/confirm", web::post().to(assisted::confirm_post))
        .route("/account/act", web::post().to(assisted::act))
        .route("/account/act/stop", web::post().to(assisted::stop_acting))
        .route("/health", web::get().to(health::ready))
        .route("/health/live", web::get().to(health::live))
        .configure(admin::routes)
        .configure(staff::routes)
        .default_service(web::to(not_found));
}

/// Headers on every response.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"))
}

/// One access-log line per request (target `access`), never with query strings, which
/// may carry codes or tokens.
pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let response = next.call(req).await?;
    tracing::info!(
        target: "access",
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        duration_us = start.elapsed().as_micros() as u64,
        "request"
    );
    Ok(response)
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(json!({ "error": "not_found", "error_description": "no such endpoint" }))
}

/// An `OAuthError` on a back-channel endpoint: JSON per RFC 6749 §5.2.
#[derive(Debug)]
pub struct ProtocolError(pub OAuthError);

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<OAuthError> for ProtocolError {
    fn from(e: OAuthError) -> Self {
        Self(e)
    }
}

impl ResponseError for ProtocolError {
    fn status_code(&self) -> StatusCode {
        match self.0.code {
            ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            ErrorCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
        match self.0.code {
            ErrorCode::InvalidClient => {
                response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"vhod\"")));
            }
            ErrorCode::TooManyAttempts => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("60")));
            }
            _ => {}
        }
        response.json(json!({ "error": self.0.code.as_str(), "error_description": self.0.description }))
    }
}
