//! `GET /.well-known/openid-configuration` and `GET /jwks`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::app::Services;

/// Clients may cache JWKS this long; key pre-publication (`keys.prepublish_secs`) must
/// exceed it so a new key is known before anything it signs is seen.
const JWKS_MAX_AGE: &str = "public, max-age=300";

/// The discovery document, serialized once at startup.
pub async fn openid_configuration(svc: web::Data<Services>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(svc.discovery.to_vec())
}

/// The public signing keys, with a strong `ETag`.
pub async fn jwks(req: HttpRequest, svc: web::Data<Services>) -> HttpResponse {
    let set = svc.keys.current();
    let etag = set.etag();
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if matches { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header((header::CACHE_CONTROL, JWKS_MAX_AGE))
        .insert_header((header::ETAG, etag))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
    if matches {
        return response.finish();
    }
    response.content_type("application/json").body(set.jwks_json().to_vec())
}
