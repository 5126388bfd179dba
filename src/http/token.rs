//! `POST /token`, `POST /introspect` (RFC 7662) and `POST /revoke` (RFC 7009).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};

use super::ProtocolError;
use crate::app::Services;
use crate::oidc::introspect;
use crate::oidc::token::{self, TokenRequest};

/// The parts of a back-channel request the protocol layer needs.
fn request<'a>(req: &'a HttpRequest, body: &'a [u8]) -> TokenRequest<'a> {
    let headers = req.headers();
    let text = |name| headers.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok());
    TokenRequest {
        content_type: text(header::CONTENT_TYPE),
        authorization: text(header::AUTHORIZATION),
        body,
        ip: req.peer_addr().map(|a| a.ip()),
    }
}

/// 200 with `Cache-Control: no-store` (RFC 6749 §5.1).
fn no_store() -> HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, "no-store")).insert_header((header::PRAGMA, "no-cache"));
    response
}

/// Exchanges a grant for tokens.
#[tracing::instrument(name = "token", skip_all)]
pub async fn token(
    req: HttpRequest,
    body: web::Bytes,
    svc: web::Data<Services>,
) -> Result<HttpResponse, ProtocolError> {
    let response = token::exchange(&svc, request(&req, &body)).await?;
    Ok(no_store().json(response))
}

/// Describes a token to an authenticated client.
#[tracing::instrument(name = "introspect", skip_all)]
pub async fn introspect(
    req: HttpRequest,
    body: web::Bytes,
    svc: web::Data<Services>,
) -> Result<HttpResponse, ProtocolError> {
    let answer = introspect::introspect(&svc, request(&req, &body)).await?;
    Ok(no_store().json(answer))
}

/// Revokes a token; 200 with an empty body whether or not it was known.
#[tracing::instrument(name = "revoke", skip_all)]
pub async fn revoke(
    req: HttpRequest,
    body: web::Bytes,
    svc: web::Data<Services>,
) -> Result<HttpResponse, ProtocolError> {
    introspect::revoke(&svc, request(&req, &body)).await?;
    Ok(no_store().finish())
}

/// `POST /device_authorization` (RFC 8628 §3.1).
pub async fn device_authorization(
    req: HttpRequest,
    body: web::Bytes,
    svc: web::Data<Services>,
) -> Result<HttpResponse, ProtocolError> {
    let response = crate::oidc::device::authorize(&svc, request(&req, &body)).await?;
    Ok(no_store().json(response))
}
