//! `POST /token`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::ProtocolError;
use crate::app::Services;
use crate::oidc::token::{self, TokenRequest};

/// Exchanges a grant for tokens; `Cache-Control: no-store` on every answer.
#[tracing::instrument(name = "token", skip_all)]
pub async fn token(
    req: HttpRequest,
    body: web::Bytes,
    svc: web::Data<Services>,
) -> Result<HttpResponse, ProtocolError> {
    let headers = req.headers();
    let text = |name| headers.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok());
    let request = TokenRequest {
        content_type: text(header::CONTENT_TYPE),
        authorization: text(header::AUTHORIZATION),
        body: &body,
        ip: req.peer_addr().map(|a| a.ip()),
    };
    let response = token::exchange(&svc, request).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(response))
}
