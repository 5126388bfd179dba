//! `POST /register` (RFC 7591) and `GET|PUT|DELETE /register/{client_id}` (RFC 7592).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::app::Services;
use crate::oidc::userinfo::bearer_token;
use crate::registration::{self, RegistrationError};

fn token(req: &HttpRequest) -> Result<&str, RegistrationError> {
    let header = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    bearer_token(header, None).map_err(|_| RegistrationError::InvalidToken)
}

fn closed() -> HttpResponse {
    HttpResponse::NotFound().json(json!({ "error": "not_found", "error_description": "registration is closed" }))
}

fn failure(e: RegistrationError) -> HttpResponse {
    let status = match &e {
        RegistrationError::InvalidToken => StatusCode::UNAUTHORIZED,
        RegistrationError::Db(crate::db::DbError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
        RegistrationError::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let description = match &e {
        RegistrationError::Db(inner) => {
            tracing::error!(error = %inner, "registration storage failure");
            "internal error".to_owned()
        }
        other => other.to_string(),
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == StatusCode::UNAUTHORIZED {
        response
            .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"vhod-registration\", error=\"invalid_token\""));
    }
    response.json(json!({ "error": e.code(), "error_description": description }))
}

fn ok(status: StatusCode, body: serde_json::Value) -> HttpResponse {
    HttpResponse::build(status).insert_header((header::CACHE_CONTROL, "no-store")).json(body)
}

/// `POST /register`.
pub async fn create(req: HttpRequest, body: web::Bytes, svc: web::Data<Services>) -> HttpResponse {
    if !svc.config.registration_enabled {
        return closed();
    }
    let result = match token(&req) {
        Ok(token) => registration::register(&svc, token, &body).await,
        Err(e) => Err(e),
    };
    result.map_or_else(failure, |body| ok(StatusCode::CREATED, body))
}

/// `GET /register/{client_id}`.
pub async fn read(req: HttpRequest, path: web::Path<String>, svc: web::Data<Services>) -> HttpResponse {
    if !svc.config.registration_enabled {
        return closed();
    }
    let result = match token(&req) {
        Ok(token) => registration::read(&svc, &path, token).await,
        Err(e) => Err(e),
    };
    result.map_or_else(failure, |body| ok(StatusCode::OK, body))
}

/// `PUT /register/{client_id}`.
pub async fn update(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    svc: web::Data<Services>,
) -> HttpResponse {
    if !svc.config.registration_enabled {
        return closed();
    }
    let result = match token(&req) {
        Ok(token) => registration::update(&svc, &path, token, &body).await,
        Err(e) => Err(e),
    };
    result.map_or_else(failure, |body| ok(StatusCode::OK, body))
}

/// `DELETE /register/{client_id}`.
pub async fn delete(req: HttpRequest, path: web::Path<String>, svc: web::Data<Services>) -> HttpResponse {
    if !svc.config.registration_enabled {
        return closed();
    }
    let result = match token(&req) {
        Ok(token) => registration::delete(&svc, &path, token).await,
        Err(e) => Err(e),
    };
    result.map_or_else(failure, |()| HttpResponse::NoContent().finish())
}
