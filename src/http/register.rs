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

/// Runs `action` with the bearer token when registration is open, answering `status`
/// with its JSON (or 204 when it has none).
async fn guarded<F, Fut>(req: &HttpRequest, svc: &Services, status: StatusCode, action: F) -> HttpResponse
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<Option<serde_json::Value>, RegistrationError>>,
{
    if !svc.config.registration_enabled {
        return closed();
    }
    let result = match token(req) {
        Ok(token) => action(token.to_owned()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(Some(body)) => HttpResponse::build(status).insert_header((header::CACHE_CONTROL, "no-store")).json(body),
        Ok(None) => HttpResponse::NoContent().finish(),
        Err(e) => failure(e),
    }
}

/// `POST /register`.
pub async fn create(req: HttpRequest, body: web::Bytes, svc: web::Data<Services>) -> HttpResponse {
    let service = svc.clone();
    guarded(&req, &svc, StatusCode::CREATED, |token| async move {
        registration::register(&service, &token, &body).await.map(Some)
    })
    .await
}

/// `GET /register/{client_id}`.
pub async fn read(req: HttpRequest, path: web::Path<String>, svc: web::Data<Services>) -> HttpResponse {
    let service = svc.clone();
    guarded(
        &req,
        &svc,
        StatusCode::OK,
        |token| async move { registration::read(&service, &path, &token).await.map(Some) },
    )
    .await
}

/// `PUT /register/{client_id}`.
pub async fn update(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    svc: web::Data<Services>,
) -> HttpResponse {
    let service = svc.clone();
    guarded(&req, &svc, StatusCode::OK, |token| async move {
        registration::update(&service, &path, &token, &body).await.map(Some)
    })
    .await
}

/// `DELETE /register/{client_id}`.
pub async fn delete(req: HttpRequest, path: web::Path<String>, svc: web::Data<Services>) -> HttpResponse {
    let service = svc.clone();
    guarded(&req, &svc, StatusCode::NO_CONTENT, |token| async move {
        registration::delete(&service, &path, &token).await.map(|()| None)
    })
    .await
}
