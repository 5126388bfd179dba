//! `GET|POST /login` (the password form) and `POST /consent`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use super::authorize::{current_session, expired, internal, respond, show};
use super::browser::{Browser, binding_of, new_session_cookie, session_cookie};
use super::pages::{self, LoginPage};
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::domain::ClientId;
use crate::login::{LoginError, Session, password, qr};
use crate::oidc::authorize::AuthorizationRequest;
use crate::oidc::flow;

/// `?rid=`.
#[derive(Deserialize)]
pub struct LoginQuery {
    rid: String,
}

/// The sign-in form fields.
#[derive(Deserialize)]
pub struct LoginForm {
    rid: String,
    csrf: String,
    username: String,
    password: String,
}

/// The pending request `rid`, if this browser started it, with its client.
async fn pending_with_client(
    svc: &Services,
    rid: &str,
    browser_id: &str,
) -> Result<Option<(AuthorizationRequest, std::sync::Arc<crate::domain::Client>)>, crate::oidc::OAuthError> {
    let Some(request) = flow::load_pending(svc, rid).await? else { return Ok(None) };
    if !request.started_by(&binding_of(browser_id)) {
        return Ok(None);
    }
    let Ok(id) = ClientId::parse(&request.client_id) else { return Ok(None) };
    Ok(svc.clients.get(&id).await?.map(|client| (request, client)))
}

/// Why the form is shown again.
#[derive(Clone, Copy)]
enum Notice {
    WrongCredentials,
    Locked,
}

/// What the sign-in page shows.
struct Form<'a> {
    rid: &'a str,
    request: &'a AuthorizationRequest,
    client_name: &'a str,
    username: &'a str,
    /// (token, image, link) of a QR sign-in, on first display only.
    qr: Option<(String, String, String)>,
}

fn login_page(
    req: &HttpRequest,
    svc: &Services,
    browser: &Browser,
    form: Form<'_>,
    notice: Option<Notice>,
    status: StatusCode,
) -> HttpResponse {
    let Form { rid, request, client_name, username, qr } = form;
    let locale = pages::locale(req, request.ui_locales.as_deref());
    let t = locale.texts();
    let csrf = svc.secrets.csrf_token(&browser.id, &format!("login:{rid}"));
    let other = if locale.tag() == "ru" { "en" } else { "ru" };
    let page = LoginPage {
        lang: locale.tag(),
        t,
        client_name,
        rid,
        csrf: &csrf,
        username,
        error: notice.map(|n| match n {
            Notice::WrongCredentials => t.wrong_credentials,
            Notice::Locked => t.locked,
        }),
        other_lang: other,
        c: locale.citizen(),
        providers: svc.federation.list().map(|p| (p.id.clone(), p.name.clone())).collect(),
        qr,
        passkey_csrf: svc.webauthn.is_some().then(|| svc.secrets.csrf_token(&browser.id, "passkey")),
    };
    let csp = if page.qr.is_some() || page.passkey_csrf.is_some() { pages::LOGIN_CSP } else { pages::PAGE_CSP };
    pages::render_with_csp(status, &page, Some(browser), csp)
}

/// A QR sign-in for this browser and request, unless its address made too many.
async fn qr_offer(
    req: &HttpRequest,
    svc: &Services,
    browser: &Browser,
    rid: &str,
    client_name: &str,
) -> Option<(String, String, String)> {
    let agent = req.headers().get(actix_web::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let ip = req.peer_addr().map(|a| a.ip());
    let created =
        qr::create(svc, Some(rid.to_owned()), browser.binding(), Some(client_name.to_owned()), agent, ip).await;
    let token = match created {
        Ok(Some(token)) => token,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(error = %e, "no QR sign-in offered");
            return None;
        }
    };
    let link = svc.config.issuer.endpoint(&format!("/qr/{token}"));
    let svg = qr::svg(&link)?;
    use base64::Engine as _;
    let image = format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg));
    Some((token, image, link))
}

/// `GET /login?rid=…`.
pub async fn login_form(req: HttpRequest, query: web::Query<LoginQuery>, svc: web::Data<Services>) -> HttpResponse {
    let browser = Browser::of(&req, &svc);
    let (request, client) = match pending_with_client(&svc, &query.rid, &browser.id).await {
        Ok(Some(found)) => found,
        Ok(None) => return expired(&req),
        Err(e) => return internal(&req, &e),
    };
    let hint = request.login_hint.clone().unwrap_or_default();
    let qr = qr_offer(&req, &svc, &browser, &query.rid, &client.name).await;
    let form = Form { rid: &query.rid, request: &request, client_name: &client.name, username: &hint, qr };
    login_page(&req, &svc, &browser, form, None, StatusCode::OK)
}

/// `POST /login`: checks the password, starts the session, continues the request.
pub async fn login_submit(req: HttpRequest, form: web::Form<LoginForm>, svc: web::Data<Services>) -> HttpResponse {
    let mut form = form.into_inner();
    let Some(browser_id) = Browser::existing(&req, &svc) else {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    };
    if !svc.secrets.csrf_valid(&browser_id, &format!("login:{}", form.rid), &form.csrf) {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    }
    let (mut request, client) = match pending_with_client(&svc, &form.rid, &browser_id).await {
        Ok(Some(found)) => found,
        Ok(None) => return expired(&req),
        Err(e) => return internal(&req, &e),
    };
    let ip = req.peer_addr().map(|a| a.ip());
    let browser = Browser { id: browser_id, new_cookie: None };
    let password = SecretString::from(std::mem::take(&mut form.password));
    let again = |notice, status| {
        let page =
            Form { rid: &form.rid, request: &request, client_name: &client.name, username: &form.username, qr: None };
        login_page(&req, &svc, &browser, page, Some(notice), status)
    };
    let user = match password::authenticate(&svc, &form.username, password, ip).await {
        Ok(user) => user,
        Err(LoginError::Invalid) => return again(Notice::WrongCredentials, StatusCode::UNAUTHORIZED),
        Err(LoginError::Locked) => return again(Notice::Locked, StatusCode::TOO_MANY_REQUESTS),
        Err(LoginError::Unavailable(e)) => {
            tracing::error!(error = %e, "sign-in unavailable");
            return pages::error_page(&req, StatusCode::SERVICE_UNAVAILABLE, |t| t.unavailable.to_owned());
        }
    };
    let previous = current_session(&req, &svc).await.ok().flatten();
    if let Some(old) = session_cookie(&req, &svc) {
        let _ = Session::destroy(&svc.state, &old).await;
    }
    let session = Session::after(previous, user.id.clone(), crate::accounts::level_of(&user), "pwd");
    let cookie = match session.save(&svc.state, svc.config.session_ttl).await {
        Ok(cookie) => cookie,
        Err(e) => return internal(&req, &e.into()),
    };
    if let Err(e) = flow::mark_signed_in(&svc, &form.rid, &mut request, &session).await {
        return internal(&req, &e);
    }
    svc.audit
        .record(
            AuditEvent::success(AuditKind::LoginSucceeded)
                .subject(user.id)
                .client(client.id.as_str())
                .ip(ip)
                .detail(serde_json::json!({ "method": "pwd", "sid": session.sid })),
        )
        .await;
    actix_web::HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, format!("/authorize/resume?rid={}", form.rid)))
        .cookie(new_session_cookie(&svc, cookie))
        .finish()
}

/// The consent form fields.
#[derive(Deserialize)]
pub struct ConsentForm {
    rid: String,
    csrf: String,
    decision: String,
}

/// `POST /consent`: allow or deny, then answer the client.
pub async fn consent_submit(req: HttpRequest, form: web::Form<ConsentForm>, svc: web::Data<Services>) -> HttpResponse {
    let form = form.into_inner();
    let Some(browser_id) = Browser::existing(&req, &svc) else {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    };
    if !svc.secrets.csrf_valid(&browser_id, &format!("consent:{}", form.rid), &form.csrf) {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    }
    let allow = match form.decision.as_str() {
        "allow" => true,
        "deny" => false,
        _ => return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned()),
    };
    let (request, client) = match pending_with_client(&svc, &form.rid, &browser_id).await {
        Ok(Some(found)) => found,
        Ok(None) => return expired(&req),
        Err(e) => return internal(&req, &e),
    };
    let session = match current_session(&req, &svc).await {
        Ok(Some(session)) => session,
        Ok(None) => {
            // The session ended meanwhile: sign in again, then consent again.
            let browser = Browser { id: browser_id, new_cookie: None };
            return show(&req, &svc, flow::Step::Login { rid: form.rid, request: Box::new(request) }, &browser);
        }
        Err(e) => return internal(&req, &e),
    };
    match flow::decide_consent(&svc, &form.rid, &request, &client, &session, allow).await {
        Ok(response) => respond(&req, &svc, response),
        Err(e) => internal(&req, &e),
    }
}
