//! The admin REST API under `/admin/api` (documented by `openapi.json`, served at
//! `/admin/api/openapi.json`). Every call needs a bearer token with `vhod:admin` from a
//! client marked admin; the handlers call the same `admin` service as the CLI.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Deserialize;
use serde_json::json;

use crate::admin::clients::ClientSpec;
use crate::admin::{self, AdminError, AdminIdentity};
use crate::app::Services;
use crate::oidc::userinfo::BearerError;

/// The OpenAPI 3 document, compiled in.
pub const OPENAPI: &str = include_str!("admin/openapi.json");

/// Every admin route as (method, path relative to `/admin/api`), in the order the route
/// table registers them; a test checks this list against `openapi.json`.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/clients"),
    ("post", "/clients"),
    ("get", "/clients/{client_id}"),
    ("put", "/clients/{client_id}"),
    ("delete", "/clients/{client_id}"),
    ("post", "/clients/{client_id}/secret"),
    ("get", "/keys"),
    ("post", "/keys/rotate"),
    ("post", "/citizens/unlock"),
    ("get", "/citizens/{who}"),
    ("get", "/providers"),
    ("get", "/staff"),
    ("post", "/staff"),
    ("get", "/staff/{username}"),
    ("put", "/staff/{username}"),
    ("post", "/staff/{username}/password"),
];

/// Registers the admin routes (called from the route table).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin/api")
            .route("/openapi.json", web::get().to(openapi))
            .route("/clients", web::get().to(list_clients))
            .route("/clients", web::post().to(create_client))
            .route("/clients/{client_id}", web::get().to(get_client))
            .route("/clients/{client_id}", web::put().to(update_client))
            .route("/clients/{client_id}", web::delete().to(delete_client))
            .route("/clients/{client_id}/secret", web::post().to(rotate_secret))
            .route("/keys", web::get().to(list_keys))
            .route("/keys/rotate", web::post().to(rotate_key))
            .route("/citizens/unlock", web::post().to(unlock_citizen))
            .route("/citizens/{who}", web::get().to(show_citizen))
            .route("/providers", web::get().to(list_providers))
            .route("/staff", web::get().to(list_staff))
            .route("/staff", web::post().to(create_staff))
            .route("/staff/{username}", web::get().to(show_staff))
            .route("/staff/{username}", web::put().to(update_staff))
            .route("/staff/{username}/password", web::post().to(reset_staff_password)),
    );
}

/// Errors of the admin API, as JSON with the status the kind implies.
#[derive(Debug)]
pub enum ApiError {
    /// No or a bad token.
    Unauthorized(&'static str),
    /// A valid token without admin rights.
    Forbidden(&'static str),
    /// From the service.
    Admin(AdminError),
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unauthorized(m) | Self::Forbidden(m) => f.write_str(m),
            Self::Admin(e) => e.fmt(f),
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        Self::Admin(e)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Admin(AdminError::Invalid(_)) => StatusCode::BAD_REQUEST,
            Self::Admin(AdminError::NotFound(_)) => StatusCode::NOT_FOUND,
            Self::Admin(AdminError::Conflict(_)) => StatusCode::CONFLICT,
            Self::Admin(AdminError::Db(crate::db::DbError::Unavailable(_))) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Admin(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (error, description) = match self {
            Self::Unauthorized(m) => ("invalid_token", (*m).to_owned()),
            Self::Forbidden(m) => ("insufficient_scope", (*m).to_owned()),
            Self::Admin(AdminError::Invalid(m)) => ("invalid_request", m.clone()),
            Self::Admin(AdminError::NotFound(m)) => ("not_found", format!("{m} not found")),
            Self::Admin(AdminError::Conflict(m)) => ("conflict", format!("{m} already exists")),
            Self::Admin(e) => {
                tracing::error!(error = %e, "admin API failure");
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    ("temporarily_unavailable", "the database is unavailable".to_owned())
                } else {
                    ("server_error", "internal error".to_owned())
                }
            }
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Self::Unauthorized(_) | Self::Forbidden(_) = self {
            let challenge = format!("Bearer realm=\"vhod-admin\", error=\"{error}\", scope=\"{}\"", admin::ADMIN_SCOPE);
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        response.json(json!({ "error": error, "error_description": description }))
    }
}

/// Authenticates the caller as an admin client.
async fn caller(req: &HttpRequest, svc: &Services) -> Result<AdminIdentity, ApiError> {
    let header = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let token = crate::oidc::userinfo::bearer_token(header, None)
        .map_err(|_| ApiError::Unauthorized("a bearer token is required"))?;
    admin::authorize(svc, token).await.map_err(|e| match e {
        BearerError::InsufficientScope => {
            ApiError::Forbidden("the token does not carry vhod:admin for an admin client")
        }
        BearerError::Unavailable(_) => ApiError::Admin(AdminError::Db(crate::db::DbError::Unavailable("state".into()))),
        _ => ApiError::Unauthorized("the token is invalid, expired or revoked"),
    })
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(OPENAPI)
}

/// A client as the API accepts it (the OpenAPI `ClientSpec`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientRequest {
    client_id: String,
    client_name: Option<String>,
    client_secret: Option<String>,
    #[serde(default)]
    grant_types: Vec<String>,
    scope: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    audiences: Vec<String>,
    token_endpoint_auth_method: Option<String>,
    subject_type: Option<String>,
    #[serde(default)]
    first_party: bool,
    #[serde(default)]
    admin: bool,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    backchannel_logout_uri: Option<String>,
    #[serde(default)]
    logout_revokes_refresh: bool,
    jwks: Option<serde_json::Value>,
    jwks_uri: Option<String>,
}

impl From<ClientRequest> for ClientSpec {
    fn from(r: ClientRequest) -> Self {
        ClientSpec {
            id: r.client_id,
            name: r.client_name,
            secret: r.client_secret.map(Into::into),
            grant_types: r.grant_types,
            scopes: r.scope.into_iter().collect(),
            redirect_uris: r.redirect_uris,
            audiences: r.audiences,
            auth_method: r.token_endpoint_auth_method,
            subject_type: r.subject_type,
            first_party: r.first_party,
            admin: r.admin,
            post_logout_redirect_uris: r.post_logout_redirect_uris,
            backchannel_logout_uri: r.backchannel_logout_uri,
            logout_revokes_refresh: r.logout_revokes_refresh,
            jwks: r.jwks.map(|v| v.to_string()),
            jwks_uri: r.jwks_uri,
        }
    }
}

fn json_body(body: &[u8]) -> Result<ClientRequest, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::Admin(AdminError::Invalid(format!("body: {e}"))))
}

async fn list_clients(req: HttpRequest, svc: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    caller(&req, &svc).await?;
    Ok(HttpResponse::Ok().json(admin::clients::list(&svc.db).await?))
}

async fn create_client(req: HttpRequest, body: web::Bytes, svc: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    let who = caller(&req, &svc).await?;
    let spec = json_body(&body)?.into();
    let created = admin::clients::create(&svc.db, &svc.audit, &who.actor(), spec).await?;
    let mut value = serde_json::to_value(&created.client).unwrap_or_default();
    if let Some(secret) = &created.secret {
        value["client_secret"] = secrecy::ExposeSecret::expose_secret(secret).into();
    }
    Ok(HttpResponse::Created().insert_header((header::CACHE_CONTROL, "no-store")).json(value))
}

async fn get_client(
    req: HttpRequest,
    path: web::Path<String>,
    svc: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    caller(&req, &svc).await?;
    Ok(HttpResponse::Ok().json(admin::clients::show(&svc.db, &path).await?))
}

async fn update_client(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    svc: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let who = caller(&req, &svc).await?;
    let request = json_body(&body)?;
    if request.client_id != *path {
        return Err(AdminError::Invalid("client_id in the body must match the path".into()).into());
    }
    let updated = admin::clients::update(&svc.db, &svc.audit, &who.actor(), request.into()).await?;
    svc.clients.invalidate_str(&path);
    Ok(HttpResponse::Ok().json(updated))
}

async fn delete_client(
    req: HttpRequest,
    path: web::Path<String>,
    svc: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let who = caller(&req, &svc).await?;
    admin::clients::delete(&svc.db, &svc.audit, &who.actor(), &path).await?;
    svc.clients.invalidate_str(&path);
    Ok(HttpResponse::NoContent().finish())
}

async fn rotate_secret(
    req: HttpRequest,
    path: web::Path<String>,
    svc: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let who = caller(&req, &svc).await?;
    let secret = admin::clients::rotate_secret(&svc.db, &svc.audit, &who.actor(), &path).await?;
    svc.clients.invalidate_str(&path);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "client_id": path.as_str(), "client_secret": secrecy::ExposeSecret::expose_secret(&secret) })))
}

async fn list_keys(req: HttpRequest, svc: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    caller(&req, &svc).await?;
    Ok(HttpResponse::Ok().json(svc.keys.list().await.map_err(AdminError::from)?))
}

/// `?now=true`.
#[derive(Deserialize)]
struct RotateQuery {
    #[serde(default)]
    now: bool,
}

async fn rotate_key(
    req: HttpRequest,
    query: web::Query<RotateQuery>,
    svc: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let who = caller(&req, &svc).await?;
    let key = admin::keys::rotate(&svc.keys, &svc.audit, &who.actor(), query.now).await?;
    Ok(HttpResponse::Ok().json(key))
}

/// `{"phone": "…"}`.
#[derive(Deserialize)]
struct UnlockRequest {
    phone: String,
}

async fn unlock_citizen(
    req: HttpRequest,
    body: web::Bytes,
    svc: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let who = caller(&req, &svc).await?;
    let body: UnlockRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::Admin(AdminError::Invalid(format!("expected {{\"phone\": \"…\"}}: {e}"))))?;
    let phone = crate::domain::Phone::parse(&body.phone)
        .map_err(|e| ApiError::Admin(AdminError::Invalid(format!("phone: {e}"))))?;
    let was_locked = crate::login::unlock_phone(&svc, &phone, &who.actor())
        .await
        .map_err(|e| ApiError::Admin(AdminError::Invalid(e.to_string())))?;
    Ok(HttpResponse::Ok().json(json!({ "phone": phone.as_str(), "was_locked": was_locked })))
}

async fn show_citizen(
    req: HttpRequest,
    who: web::Path<String>,
    svc: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    caller(&req, &svc).await?;
    Ok(HttpResponse::Ok().json(admin::users::show(&svc.db, &who).await?))
}

async fn list_providers(req: HttpRequest, svc: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    caller(&req, &svc).await?;
    let list: Vec<serde_json::Value> = svc
        .federation
        .list()
        .map(|p| {
            json!({
                "id": p.id,
                "kind": match p.kind {
                    crate::config::ProviderKind::Oidc => "oidc",
                    crate::config::ProviderKind::Yandex => "yandex",
                    crate::config::ProviderKind::Vk => "vk",
                },
                "name": p.name,
                "issuer": p.issuer,
                "discovery": p.endpoints.is_none(),
                "client_id": p.client_id,
                "scopes": p.scopes,
                "confirms": p.confirms,
                "link_by_phone": p.link_by_phone,
                "client_certificate": p.client_identity.is_some(),
                "allow_private_addresses": p.allow_private_addresses,
                "callback": svc.config.issuer.endpoint(&format!("/federation/{}/callback", p.id)),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

/// A staff member as the API accepts it (the OpenAPI `StaffSpec`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffRequest {
    username: String,
    display_name: String,
    phone: String,
    roles: Vec<String>,
    office: String,
    /// Absent: unchanged on update, enabled on create.
    #[serde(default)]
    disabled: Option<bool>,
}

impl From<StaffRequest> for crate::staff::members::StaffSpec {
    fn from(r: StaffRequest) -> Self {
        Self {
            username: r.username,
            display_name: r.display_name,
            phone: r.phone,
            roles: r.roles,
            office: r.office,
            disabled: r.disabled.unwrap_or(false),
        }
    }
}

fn staff_body(body: &[u8]) -> Result<StaffRequest, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::Admin(AdminError::Invalid(format!("body: {e}"))))
}

async fn list_staff(req: HttpRequest, svc: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    caller(&req, &svc).await?;
    let list = crate::staff::members::list(&svc.db).await.map_err(AdminError::from)?;
    Ok(HttpResponse::Ok().json(list))
}

async fn create_staff(req: HttpRequest, body: web::Bytes, svc: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    let who = caller(&req, &svc).await?;
    let spec = staff_body(&body)?.into();
    let (member, password) =
        crate::staff::members::create(&svc.db, &svc.audit, &who.actor(), &spec).await.map_err(AdminError::from)?;
    let mut value = serde_json::to_value(&member).unwrap_or_default();
    value["initial_password"] = secrecy::ExposeSecret::expose_secret(&password).into();
    Ok(HttpResponse::Created().insert_header((header::CACHE_CONTROL, "no-store")).json(value))
}

async fn show_staff(
    req: HttpRequest,
    path: web::Path<String>,
    svc: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    caller(&req, &svc).await?;
    Ok(HttpResponse::Ok().json(crate::staff::members::show(&svc.db, &path).await.map_err(AdminError::from)?))
}

async fn update_staff(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    svc: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let who = caller(&req, &svc).await?;
    let request = staff_body(&body)?;
    if request.username.trim().to_lowercase() != path.trim().to_lowercase() {
        return Err(AdminError::Invalid("username in the body must match the path".into()).into());
    }
    let keep = match request.disabled {
        Some(_) => None,
        None => Some(crate::staff::members::show(&svc.db, &path).await.map_err(AdminError::from)?.disabled),
    };
    let mut spec: crate::staff::members::StaffSpec = request.into();
    if let Some(disabled) = keep {
        spec.disabled = disabled;
    }
    let member =
        crate::staff::members::update(&svc.db, &svc.audit, &who.actor(), &spec).await.map_err(AdminError::from)?;
    Ok(HttpResponse::Ok().json(member))
}

async fn reset_staff_password(
    req: HttpRequest,
    path: web::Path<String>,
    svc: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let who = caller(&req, &svc).await?;
    let password = crate::staff::members::reset_password(&svc.db, &svc.audit, &who.actor(), &path)
        .await
        .map_err(AdminError::from)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "username": path.as_str(), "password": secrecy::ExposeSecret::expose_secret(&password) })))
}
