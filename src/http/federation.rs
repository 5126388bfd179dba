//! `GET /federation/{provider}/start` (sign in), `POST /federation/{provider}/link`
//! (link from the profile) and `GET /federation/{provider}/callback`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::authorize::{current_session, internal};
use super::browser::Browser;
use super::i18n::{self, Locale};
use super::pages::{self, ErrorPage};
use super::sms::{clean_rid, signed_in};
use crate::app::Services;
use crate::federation::{self, Callback, FederationError};
use crate::login::Session;

/// `?rid=…`.
#[derive(Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    rid: String,
}

/// The link form.
#[derive(Deserialize)]
pub struct LinkForm {
    csrf: String,
}

fn redirect(location: String, browser: &Browser) -> HttpResponse {
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, location)).insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(cookie) = browser.new_cookie.clone() {
        response.cookie(cookie);
    }
    response.finish()
}

/// The page for a failed federation, with a way back.
fn failure(req: &HttpRequest, e: &FederationError, rid: Option<&str>) -> HttpResponse {
    let locale: Locale = pages::locale(req, None);
    let c = locale.citizen();
    let (status, message, details) = match e {
        FederationError::UnknownProvider => (StatusCode::NOT_FOUND, c.fed_invalid.to_owned(), Vec::new()),
        FederationError::State => (StatusCode::BAD_REQUEST, c.fed_state.to_owned(), Vec::new()),
        FederationError::Upstream(_) => (StatusCode::FORBIDDEN, c.fed_upstream.to_owned(), Vec::new()),
        FederationError::Outbound(crate::federation::outbound::OutboundError::Timeout) => {
            (StatusCode::GATEWAY_TIMEOUT, c.fed_unreachable.to_owned(), Vec::new())
        }
        FederationError::Outbound(_) => (StatusCode::BAD_GATEWAY, c.fed_unreachable.to_owned(), Vec::new()),
        FederationError::Invalid(_) => (StatusCode::BAD_GATEWAY, c.fed_invalid.to_owned(), Vec::new()),
        FederationError::Conflict(fields) => (
            StatusCode::CONFLICT,
            c.fed_conflict.to_owned(),
            fields.iter().map(|f| (i18n::field_label(locale, &f.field), f.reason.clone())).collect(),
        ),
        FederationError::Refused(message) => (StatusCode::CONFLICT, (*message).to_owned(), Vec::new()),
        FederationError::Unavailable(_) => {
            (StatusCode::SERVICE_UNAVAILABLE, locale.texts().unavailable.to_owned(), Vec::new())
        }
    };
    let (back, back_label) = match rid {
        Some(rid) => (format!("/login?rid={rid}"), c.back_to_sign_in),
        None => ("/account".to_owned(), c.back_to_account),
    };
    let page =
        ErrorPage { lang: locale.tag(), t: locale.texts(), message: &message, details, back: Some(&back), back_label };
    pages::render(status, &page, None)
}

/// `GET /federation/{provider}/start?rid=…`.
pub async fn start(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<StartQuery>,
    svc: web::Data<Services>,
) -> HttpResponse {
    let rid = clean_rid(&query.rid);
    let Some(provider) = svc.federation.get(&path) else {
        return failure(&req, &FederationError::UnknownProvider, rid.as_deref());
    };
    let browser = Browser::of(&req, &svc);
    match federation::start(&svc, &provider, rid.clone(), browser.binding(), None).await {
        Ok(url) => redirect(url, &browser),
        Err(e) => failure(&req, &e, rid.as_deref()),
    }
}

/// `POST /federation/{provider}/link`: link the provider to the signed-in account.
pub async fn link(
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<LinkForm>,
    svc: web::Data<Services>,
) -> HttpResponse {
    let Some(browser_id) = Browser::existing(&req, &svc) else {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    };
    if !svc.secrets.csrf_valid(&browser_id, "account", &form.csrf) {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    }
    let session = match current_session(&req, &svc).await {
        Ok(Some(session)) => session,
        Ok(None) => return HttpResponse::SeeOther().insert_header((header::LOCATION, "/account")).finish(),
        Err(e) => return internal(&req, &e),
    };
    let Some(provider) = svc.federation.get(&path) else {
        return failure(&req, &FederationError::UnknownProvider, None);
    };
    let browser = Browser { id: browser_id, new_cookie: None };
    match federation::start(&svc, &provider, None, browser.binding(), Some(session.user_id)).await {
        Ok(url) => redirect(url, &browser),
        Err(e) => failure(&req, &e, None),
    }
}

/// `GET /federation/{provider}/callback`.
pub async fn callback(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<Callback>,
    svc: web::Data<Services>,
) -> HttpResponse {
    let Some(provider) = svc.federation.get(&path) else {
        return failure(&req, &FederationError::UnknownProvider, None);
    };
    let Some(browser_id) = Browser::existing(&req, &svc) else {
        return failure(&req, &FederationError::State, None);
    };
    let binding = super::browser::binding_of(&browser_id);
    let ip = req.peer_addr().map(|a| a.ip());
    let done = match federation::finish(&svc, &provider, &query, &binding, ip).await {
        Ok(done) => done,
        Err((e, rid)) => return failure(&req, &e, rid.as_deref()),
    };
    if done.linked.is_some() {
        return HttpResponse::SeeOther().insert_header((header::LOCATION, "/account?done=linked")).finish();
    }
    let session = Session::new(done.user.id.clone(), done.amr, crate::accounts::level_of(&done.user));
    signed_in(&req, &svc, session, done.rid.as_deref(), "fed").await
}
