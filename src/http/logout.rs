//! `GET|POST /end_session` (RP-initiated logout) and `POST /end_session/confirm`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

use super::authorize::{current_session, internal};
use super::browser::{Browser, removal_session_cookie, session_cookie};
use super::pages::{self, LogoutPage};
use crate::app::Services;
use crate::oidc::logout::{self, LogoutRequest};

/// The parameters of a logout request.
#[derive(Debug, Default)]
struct Params {
    id_token_hint: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    ui_locales: Option<String>,
    csrf: Option<String>,
}

fn parse(raw: &[u8]) -> Params {
    let mut p = Params::default();
    for (k, v) in url::form_urlencoded::parse(raw) {
        let value = Some(v.into_owned()).filter(|v| !v.is_empty());
        match k.as_ref() {
            "id_token_hint" => p.id_token_hint = value,
            "client_id" => p.client_id = value,
            "post_logout_redirect_uri" => p.post_logout_redirect_uri = value,
            "state" => p.state = value,
            "ui_locales" => p.ui_locales = value,
            "csrf" => p.csrf = value,
            _ => {}
        }
    }
    p
}

/// `GET /end_session`.
pub async fn end_session_get(req: HttpRequest, svc: web::Data<Services>) -> HttpResponse {
    handle(&req, &svc, parse(req.query_string().as_bytes()), false).await
}

/// `POST /end_session` (form).
pub async fn end_session_post(req: HttpRequest, body: web::Bytes, svc: web::Data<Services>) -> HttpResponse {
    handle(&req, &svc, parse(&body), false).await
}

/// `POST /end_session/confirm`: the citizen pressed "Sign out".
pub async fn confirm(req: HttpRequest, body: web::Bytes, svc: web::Data<Services>) -> HttpResponse {
    let params = parse(&body);
    let valid = Browser::existing(&req, &svc)
        .zip(params.csrf.as_deref())
        .is_some_and(|(browser, csrf)| svc.secrets.csrf_valid(&browser, "logout", csrf));
    if !valid {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    }
    handle(&req, &svc, params, true).await
}

async fn handle(req: &HttpRequest, svc: &Services, params: Params, confirmed: bool) -> HttpResponse {
    let checked = logout::check(
        svc,
        params.id_token_hint.as_deref(),
        params.client_id.as_deref(),
        params.post_logout_redirect_uri.as_deref(),
        params.state.as_deref(),
    )
    .await;
    let request = match checked {
        Ok(request) => request,
        Err(e) => return pages::error_page(req, StatusCode::BAD_REQUEST, |_| e.0.to_owned()),
    };
    let session = match current_session(req, svc).await {
        Ok(session) => session,
        Err(e) => return internal(req, &e),
    };
    if let Some(session) = &session
        && !confirmed
        && !logout::hint_matches(svc, &request, session)
    {
        return confirmation(req, svc, &params, &request);
    }
    if let Some(cookie) = session_cookie(req, svc)
        && let Err(e) = logout::end_session(svc, &cookie, req.peer_addr().map(|a| a.ip())).await
    {
        return internal(req, &e);
    }
    let mut response = match &request.redirect {
        Some(target) => HttpResponse::SeeOther().insert_header((header::LOCATION, target.clone())).finish(),
        None => {
            let locale = pages::locale(req, params.ui_locales.as_deref());
            let page = LogoutPage {
                lang: locale.tag(),
                t: locale.texts(),
                confirm: false,
                client_name: None,
                csrf: "",
                fields: Vec::new(),
            };
            pages::render(StatusCode::OK, &page, None)
        }
    };
    let _ = response.add_cookie(&removal_session_cookie(svc));
    response
}

/// Asks before signing out when the request does not prove it comes from the session's
/// own relying party (no or a foreign `id_token_hint`).
fn confirmation(req: &HttpRequest, svc: &Services, params: &Params, request: &LogoutRequest) -> HttpResponse {
    let browser = Browser::of(req, svc);
    let locale = pages::locale(req, params.ui_locales.as_deref());
    let csrf = svc.secrets.csrf_token(&browser.id, "logout");
    let mut fields = Vec::new();
    for (name, value) in [
        ("id_token_hint", &params.id_token_hint),
        ("client_id", &params.client_id),
        ("post_logout_redirect_uri", &params.post_logout_redirect_uri),
        ("state", &params.state),
        ("ui_locales", &params.ui_locales),
    ] {
        if let Some(value) = value {
            fields.push((name, value.clone()));
        }
    }
    let page = LogoutPage {
        lang: locale.tag(),
        t: locale.texts(),
        confirm: true,
        client_name: request.client.as_ref().map(|c| c.name.as_str()),
        csrf: &csrf,
        fields,
    };
    pages::render(StatusCode::OK, &page, Some(&browser))
}
