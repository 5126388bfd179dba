//! `GET|POST /authorize` and `GET /authorize/resume`: start or continue an authorization
//! request and show what comes next (sign-in, consent, or the response to the client).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};

use super::browser::{Browser, session_cookie};
use super::i18n::describe_scope;
use super::pages::{self, ConsentPage, FormPostPage};
use crate::app::Services;
use crate::login::Session;
use crate::oidc::authorize::{self, AuthorizeError, ErrorRedirect, ResponseMode};
use crate::oidc::flow::{self, Response, Step};
use crate::oidc::{ErrorCode, OAuthError};

/// The browser's live session, if any.
pub async fn current_session(req: &HttpRequest, svc: &Services) -> Result<Option<Session>, OAuthError> {
    match session_cookie(req, svc) {
        Some(cookie) => Ok(Session::load(&svc.state, &cookie).await?),
        None => Ok(None),
    }
}

/// The browser's session when it may manage the account or vouch for another device
/// (a temporary-access session may do neither).
pub async fn full_session(req: &HttpRequest, svc: &Services) -> Result<Option<Session>, OAuthError> {
    Ok(current_session(req, svc).await?.filter(|s| !s.is_temporary()))
}

/// `GET /authorize`.
pub async fn authorize_get(req: HttpRequest, svc: web::Data<Services>) -> HttpResponse {
    start(&req, &svc, req.query_string().as_bytes()).await
}

/// `POST /authorize` (form-encoded, OIDC Core §3.1.2.1).
pub async fn authorize_post(req: HttpRequest, body: web::Bytes, svc: web::Data<Services>) -> HttpResponse {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |_| {
            "The authorization request must be form-encoded.".to_owned()
        });
    }
    start(&req, &svc, &body).await
}

async fn start(req: &HttpRequest, svc: &Services, raw: &[u8]) -> HttpResponse {
    let (mut request, client) = match authorize::parse(svc, raw).await {
        Ok(parsed) => parsed,
        Err(AuthorizeError::Untrusted(message)) => {
            return pages::error_page(req, StatusCode::BAD_REQUEST, |_| message.clone());
        }
        Err(AuthorizeError::Redirect(redirect)) => return respond(req, svc, Response::Error(*redirect)),
        Err(AuthorizeError::Internal(e)) => return internal(req, &e),
    };
    let session = match current_session(req, svc).await {
        Ok(session) => session,
        Err(e) => return respond(req, svc, Response::Error(ErrorRedirect::for_request(&request, e))),
    };
    let browser = Browser::of(req, svc);
    request.browser = Some(browser.binding());
    let fallback =
        ErrorRedirect::for_request(&request, OAuthError::new(ErrorCode::TemporarilyUnavailable, "try again"));
    match flow::advance(svc, None, request, client, session.as_ref()).await {
        Ok(step) => show(req, svc, step, &browser),
        Err(e) => respond(req, svc, Response::Error(ErrorRedirect { error: e, ..fallback })),
    }
}

/// Query of `/authorize/resume` and `/login`.
#[derive(serde::Deserialize)]
pub struct Resume {
    rid: String,
}

/// `GET /authorize/resume?rid=…`: continue after sign-in.
pub async fn resume(req: HttpRequest, query: web::Query<Resume>, svc: web::Data<Services>) -> HttpResponse {
    let browser = Browser::of(&req, &svc);
    let request = match flow::load_pending(&svc, &query.rid).await {
        Ok(Some(request)) if request.started_by(&browser.binding()) => request,
        Ok(_) => return expired(&req),
        Err(e) => return internal(&req, &e),
    };
    let client = match crate::domain::ClientId::parse(&request.client_id) {
        Ok(id) => match svc.clients.get(&id).await {
            Ok(Some(client)) => client,
            Ok(None) => return expired(&req),
            Err(e) => return internal(&req, &e.into()),
        },
        Err(_) => return expired(&req),
    };
    let session = match current_session(&req, &svc).await {
        Ok(session) => session,
        Err(e) => return internal(&req, &e),
    };
    match flow::advance(&svc, Some(query.into_inner().rid), request, client, session.as_ref()).await {
        Ok(step) => show(&req, &svc, step, &browser),
        Err(e) => internal(&req, &e),
    }
}

/// Turns a flow step into a response.
pub fn show(req: &HttpRequest, svc: &Services, step: Step, browser: &Browser) -> HttpResponse {
    match step {
        Step::Login { rid, request } => {
            let mut location = format!("/login?rid={rid}");
            if let Some(locales) = &request.ui_locales {
                let lang = pages::locale(req, Some(locales));
                location.push_str(&format!("&lang={}", lang.tag()));
            }
            let mut response = HttpResponse::SeeOther();
            response.insert_header((header::LOCATION, location));
            if let Some(cookie) = browser.new_cookie.clone() {
                response.cookie(cookie);
            }
            response.finish()
        }
        Step::StepUp { rid, .. } => {
            let mut response = HttpResponse::SeeOther();
            response.insert_header((header::LOCATION, format!("/sms?purpose=step_up&rid={rid}")));
            if let Some(cookie) = browser.new_cookie.clone() {
                response.cookie(cookie);
            }
            response.finish()
        }
        Step::Consent { rid, request, client, on_behalf_of } => {
            let locale = pages::locale(req, request.ui_locales.as_deref());
            let csrf = svc.secrets.csrf_token(&browser.id, &format!("consent:{rid}"));
            let scopes = request.scopes().iter().map(|s| describe_scope(locale, s.as_str())).collect();
            let page = ConsentPage {
                lang: locale.tag(),
                t: locale.texts(),
                client_name: &client.name,
                scopes,
                rid: &rid,
                csrf: &csrf,
                on_behalf_of: on_behalf_of.map(|name| (locale.pick("От имени доверителя:", "On behalf of:"), name)),
            };
            pages::render(StatusCode::OK, &page, Some(browser))
        }
        Step::Respond(response) => respond(req, svc, response),
    }
}

/// Sends an authorization response (RFC 6749 §4.1.2, RFC 9207 `iss`) to the client.
pub fn respond(req: &HttpRequest, svc: &Services, response: Response) -> HttpResponse {
    let issuer = svc.config.issuer.as_str().to_owned();
    let (redirect_uri, mode, mut fields) = match response {
        Response::Device { approved } => return device_outcome(req, approved),
        // A device grant has no redirect URI: its errors are shown here.
        Response::Error(e) if e.redirect_uri.is_empty() => {
            let message = e.error.description.into_owned();
            return pages::error_page(req, StatusCode::BAD_REQUEST, |_| message.clone());
        }
        Response::Code { redirect_uri, response_mode, code, state } => {
            let mut fields = vec![("code", code)];
            fields.extend(state.map(|s| ("state", s)));
            (redirect_uri, response_mode, fields)
        }
        Response::Error(ErrorRedirect { redirect_uri, response_mode, error, state }) => {
            let mut fields =
                vec![("error", error.code.as_str().to_owned()), ("error_description", error.description.into_owned())];
            fields.extend(state.map(|s| ("state", s)));
            (redirect_uri, response_mode, fields)
        }
    };
    fields.push(("iss", issuer));
    match mode {
        ResponseMode::Query => {
            let mut url = redirect_uri;
            let encoded = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&encoded);
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, url))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish()
        }
        ResponseMode::FormPost => {
            let locale = pages::locale(req, None);
            let nonce = crate::jose::random_token(16);
            let page =
                FormPostPage { lang: locale.tag(), t: locale.texts(), action: &redirect_uri, fields, nonce: &nonce };
            let csp = format!(
                "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'"
            );
            pages::render_with_csp(StatusCode::OK, &page, None, &csp)
        }
    }
}

/// The pending request is gone (expired, used, or never existed).
pub fn expired(req: &HttpRequest) -> HttpResponse {
    pages::error_page(req, StatusCode::BAD_REQUEST, |t| t.expired.to_owned())
}

/// A backing service failed.
pub fn internal(req: &HttpRequest, e: &OAuthError) -> HttpResponse {
    let status = if e.code == ErrorCode::TemporarilyUnavailable {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    pages::error_page(req, status, |t| t.unavailable.to_owned())
}

/// The page after a device grant was decided.
fn device_outcome(req: &HttpRequest, approved: bool) -> HttpResponse {
    let locale = pages::locale(req, None);
    let c = locale.citizen();
    let message = if approved { c.device_approved } else { c.device_denied };
    let page = pages::NoticePage { lang: locale.tag(), t: locale.texts(), title: c.device_title, message };
    pages::render(StatusCode::OK, &page, None)
}
