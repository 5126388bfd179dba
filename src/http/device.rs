//! `GET|POST /device`: the citizen types the code a kiosk, terminal or TV shows, then
//! signs in, sees which application is asking, and approves or denies (RFC 8628 §3.3).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::authorize::{current_session, internal, show};
use super::browser::Browser;
use super::pages::{self, DevicePage};
use crate::app::Services;
use crate::domain::ClientId;
use crate::oidc::device::{self, LookupError};
use crate::oidc::flow;

/// `?user_code=…` (from `verification_uri_complete`).
#[derive(Deserialize)]
pub struct DeviceQuery {
    #[serde(default)]
    user_code: String,
}

/// The form.
#[derive(Deserialize)]
pub struct DeviceForm {
    csrf: String,
    #[serde(default)]
    user_code: String,
}

fn page(
    req: &HttpRequest,
    svc: &Services,
    browser: &Browser,
    code: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let locale = pages::locale(req, None);
    let csrf = svc.secrets.csrf_token(&browser.id, "device");
    let shown: String = code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(16).collect();
    let page = DevicePage {
        lang: locale.tag(),
        t: locale.texts(),
        c: locale.citizen(),
        csrf: &csrf,
        user_code: &shown,
        error,
    };
    pages::render(status, &page, Some(browser))
}

/// `GET /device`.
pub async fn form(req: HttpRequest, query: web::Query<DeviceQuery>, svc: web::Data<Services>) -> HttpResponse {
    let browser = Browser::of(&req, &svc);
    page(&req, &svc, &browser, &query.user_code, None, StatusCode::OK)
}

/// `POST /device`: checks the code, then continues like an authorization request.
pub async fn submit(req: HttpRequest, form: web::Form<DeviceForm>, svc: web::Data<Services>) -> HttpResponse {
    let Some(browser_id) = Browser::existing(&req, &svc) else {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    };
    if !svc.secrets.csrf_valid(&browser_id, "device", &form.csrf) {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    }
    let browser = Browser { id: browser_id, new_cookie: None };
    let c = pages::locale(&req, None).citizen();
    let ip = req.peer_addr().map(|a| a.ip());
    let (key, grant) = match device::lookup(&svc, &form.user_code, ip).await {
        Ok(Ok(found)) => found,
        Ok(Err(LookupError::Unknown)) => {
            return page(&req, &svc, &browser, &form.user_code, Some(c.device_unknown), StatusCode::BAD_REQUEST);
        }
        Ok(Err(LookupError::TooManyGuesses)) => {
            return page(&req, &svc, &browser, &form.user_code, Some(c.device_guesses), StatusCode::TOO_MANY_REQUESTS);
        }
        Err(e) => return internal(&req, &e),
    };
    let client = match ClientId::parse(&grant.client_id) {
        Ok(id) => match svc.clients.get(&id).await {
            Ok(Some(client)) => client,
            Ok(None) => return page(&req, &svc, &browser, "", Some(c.device_unknown), StatusCode::BAD_REQUEST),
            Err(e) => return internal(&req, &e.into()),
        },
        Err(_) => return page(&req, &svc, &browser, "", Some(c.device_unknown), StatusCode::BAD_REQUEST),
    };
    let request = device::request_for(&grant, &key, browser.binding());
    let session = match current_session(&req, &svc).await {
        Ok(session) => session,
        Err(e) => return internal(&req, &e),
    };
    match flow::advance(&svc, None, request, client, session.as_ref()).await {
        Ok(step) => show(&req, &svc, step, &browser),
        Err(e) => internal(&req, &e),
    }
}
