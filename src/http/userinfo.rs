//! `GET|POST /userinfo` (OIDC Core §5.3) with RFC 6750 bearer errors.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::ProtocolError;
use crate::app::Services;
use crate::oidc::userinfo::{self, BearerError};

/// `GET /userinfo`: token in the `Authorization` header only.
pub async fn userinfo_get(req: HttpRequest, svc: web::Data<Services>) -> HttpResponse {
    if url::form_urlencoded::parse(req.query_string().as_bytes()).any(|(k, _)| k == "access_token") {
        return bearer_error(BearerError::InvalidRequest("send the token in the Authorization header"));
    }
    answer(&svc, userinfo::bearer_token(header_value(&req), None)).await
}

/// `POST /userinfo`: header or `access_token` form field (RFC 6750 §2.2).
pub async fn userinfo_post(req: HttpRequest, body: web::Bytes, svc: web::Data<Services>) -> HttpResponse {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let form_token = if is_form {
        url::form_urlencoded::parse(&body).find(|(k, _)| k == "access_token").map(|(_, v)| v.into_owned())
    } else {
        None
    };
    answer(&svc, userinfo::bearer_token(header_value(&req), form_token.as_deref())).await
}

fn header_value(req: &HttpRequest) -> Option<&str> {
    req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

async fn answer(svc: &Services, token: Result<&str, BearerError>) -> HttpResponse {
    let result = match token {
        Ok(token) => userinfo::userinfo(svc, token).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(claims) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .json(claims),
        Err(e) => bearer_error(e),
    }
}

/// RFC 6750 §3: the challenge says what went wrong.
fn bearer_error(error: BearerError) -> HttpResponse {
    let (mut response, code, description) = match error {
        BearerError::Missing => {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"vhod\"")))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(json!({ "error": "invalid_token", "error_description": "no access token was sent" }));
        }
        BearerError::InvalidRequest(d) => (HttpResponse::BadRequest(), "invalid_request", d),
        BearerError::InvalidToken(d) => (HttpResponse::Unauthorized(), "invalid_token", d),
        BearerError::InsufficientScope => {
            (HttpResponse::Forbidden(), "insufficient_scope", "the token was not granted the openid scope")
        }
        BearerError::Unavailable(e) => return actix_web::ResponseError::error_response(&ProtocolError(e)),
    };
    let challenge = format!("Bearer realm=\"vhod\", error=\"{code}\", error_description=\"{description}\"");
    response
        .insert_header((header::WWW_AUTHENTICATE, challenge))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "error": code, "error_description": description }))
}
