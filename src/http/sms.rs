//! SMS one-time codes in the browser: `GET|POST /sms` (ask for a number, or confirm a
//! step-up), `GET|POST /sms/code` (enter the code), `POST /sms/resend`, and what a
//! verified code completes: a sign-in, a step-up, a registration or a phone change.

use std::net::IpAddr;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::authorize::{current_session, internal};
use super::browser::{Browser, binding_of, new_session_cookie, session_cookie};
use super::pages::{self, CodePage, SmsPage};
use crate::accounts::{self, AccountError};
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::db::models::user as user_db;
use crate::domain::Phone;
use crate::login::Session;
use crate::login::otp::{self, Delivery, OtpError, Purpose, Transaction};
use crate::oidc::flow;

const REGISTERED_NOTICE: &str = "Вход: на этот номер уже есть учётная запись. Войдите в неё или восстановите доступ. \
     Если это были не вы, ничего не делайте.";
const TAKEN_NOTICE: &str = "Вход: этот номер уже используется для входа в учётную запись. \
     Если это были не вы, ничего не делайте.";

/// `?purpose=…&rid=…`.
#[derive(Deserialize)]
pub struct SmsQuery {
    purpose: String,
    #[serde(default)]
    rid: String,
}

/// The number form.
#[derive(Deserialize)]
pub struct SmsForm {
    csrf: String,
    purpose: String,
    #[serde(default)]
    rid: String,
    #[serde(default)]
    phone: String,
}

/// `?tx=…`.
#[derive(Deserialize)]
pub struct CodeQuery {
    tx: String,
}

/// The code form (and the resend form, without `code`).
#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    tx: String,
    #[serde(default)]
    code: String,
}

fn ip(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|a| a.ip())
}

/// A pending-request id is echoed into URLs: only token characters pass.
pub fn clean_rid(rid: &str) -> Option<String> {
    let ok =
        !rid.is_empty() && rid.len() <= 64 && rid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| rid.to_owned())
}

fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

fn form_expired(req: &HttpRequest) -> HttpResponse {
    pages::error_page(req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned())
}

/// A backing store failed: log it, show a retry page.
pub fn unavailable(req: &HttpRequest, e: impl std::fmt::Display) -> HttpResponse {
    tracing::error!(error = %e, "SMS step unavailable");
    pages::error_page(req, StatusCode::SERVICE_UNAVAILABLE, |t| t.unavailable.to_owned())
}

/// The message for a failed step, and whether to show the recovery hint.
fn explain(req: &HttpRequest, e: &OtpError) -> (StatusCode, String, bool) {
    let c = pages::locale(req, None).citizen();
    match e {
        OtpError::Cooldown(secs) => (StatusCode::TOO_MANY_REQUESTS, format!("{} {secs}", c.cooldown), false),
        OtpError::TooManySends => (StatusCode::TOO_MANY_REQUESTS, c.too_many_codes.to_owned(), false),
        OtpError::Locked(until) => {
            let when = crate::domain::rfc3339(*until).replace('T', " ").trim_end_matches('Z').to_owned();
            (StatusCode::TOO_MANY_REQUESTS, format!("{} {when}", c.otp_locked), true)
        }
        OtpError::Invalid => (StatusCode::UNAUTHORIZED, c.wrong_code.to_owned(), false),
        OtpError::Expired => (StatusCode::BAD_REQUEST, c.code_expired.to_owned(), false),
        OtpError::Delivery => (StatusCode::BAD_GATEWAY, c.sms_failed.to_owned(), false),
        OtpError::Unavailable(_) => {
            (StatusCode::SERVICE_UNAVAILABLE, pages::locale(req, None).texts().unavailable.to_owned(), false)
        }
    }
}

struct SmsView<'a> {
    purpose: Purpose,
    rid: &'a str,
    phone: &'a str,
    masked: Option<String>,
    error: Option<String>,
}

fn sms_page(
    req: &HttpRequest,
    svc: &Services,
    browser: &Browser,
    view: SmsView<'_>,
    status: StatusCode,
) -> HttpResponse {
    let locale = pages::locale(req, None);
    let c = locale.citizen();
    let title = match view.purpose {
        Purpose::Login | Purpose::Staff => c.sms_title,
        Purpose::Register => c.signup_title,
        Purpose::ChangePhone => c.change_phone_title,
        Purpose::StepUp => c.step_up_title,
    };
    let csrf = svc.secrets.csrf_token(&browser.id, "sms");
    let page = SmsPage {
        lang: locale.tag(),
        t: locale.texts(),
        c,
        title,
        purpose: view.purpose.as_str(),
        rid: view.rid,
        csrf: &csrf,
        phone: view.phone,
        masked: view.masked,
        error: view.error,
    };
    pages::render(status, &page, Some(browser))
}

fn code_page(
    req: &HttpRequest,
    svc: &Services,
    browser: &Browser,
    tx: &str,
    record: &Transaction,
    failure: Option<&OtpError>,
) -> HttpResponse {
    let locale = pages::locale(req, None);
    let c = locale.citizen();
    let csrf = svc.secrets.csrf_token(&browser.id, &format!("sms:{tx}"));
    let (status, error, recovery) = match failure {
        Some(e) => {
            let (status, message, recovery) = explain(req, e);
            (status, Some(message), recovery.then_some(c.otp_locked_recovery))
        }
        None => (StatusCode::OK, None, None),
    };
    let page = CodePage {
        lang: locale.tag(),
        t: locale.texts(),
        c,
        tx,
        csrf: &csrf,
        masked: otp::masked(&record.phone),
        error,
        recovery,
    };
    pages::render(status, &page, Some(browser))
}

/// The signed-in account's verified phone (step-up).
async fn account_phone(svc: &Services, user_id: &str) -> Result<Option<String>, crate::db::DbError> {
    let id = user_id.to_owned();
    let user = svc.db.run(move |conn| user_db::find_by_id(conn, &id)).await?;
    Ok(user.filter(|u| u.phone_number_verified).and_then(|u| u.phone_number))
}

/// `GET /sms?purpose=…&rid=…`.
pub async fn start_form(req: HttpRequest, query: web::Query<SmsQuery>, svc: web::Data<Services>) -> HttpResponse {
    let browser = Browser::of(&req, &svc);
    let Some(purpose) = Purpose::parse(&query.purpose) else { return form_expired(&req) };
    let rid = clean_rid(&query.rid).unwrap_or_default();
    let mut masked = None;
    if matches!(purpose, Purpose::StepUp | Purpose::ChangePhone) {
        let session = match current_session(&req, &svc).await {
            Ok(Some(session)) => session,
            Ok(None) => return see_other("/account".into()),
            Err(e) => return internal(&req, &e),
        };
        if purpose == Purpose::StepUp {
            match account_phone(&svc, &session.user_id).await {
                Ok(Some(phone)) => masked = Some(otp::masked(&phone)),
                Ok(None) => return form_expired(&req),
                Err(e) => return unavailable(&req, e),
            }
        }
    }
    let view = SmsView { purpose, rid: &rid, phone: "", masked, error: None };
    sms_page(&req, &svc, &browser, view, StatusCode::OK)
}

/// `POST /sms`: sends the code and shows the code form.
pub async fn start(req: HttpRequest, form: web::Form<SmsForm>, svc: web::Data<Services>) -> HttpResponse {
    let form = form.into_inner();
    let Some(browser_id) = Browser::existing(&req, &svc) else { return form_expired(&req) };
    if !svc.secrets.csrf_valid(&browser_id, "sms", &form.csrf) {
        return form_expired(&req);
    }
    let browser = Browser { id: browser_id, new_cookie: None };
    let Some(purpose) = Purpose::parse(&form.purpose) else { return form_expired(&req) };
    let rid = clean_rid(&form.rid);
    let shown_rid = rid.clone().unwrap_or_default();
    let session = match current_session(&req, &svc).await {
        Ok(session) => session,
        Err(e) => return internal(&req, &e),
    };
    let again = |error: String, status| {
        let view = SmsView { purpose, rid: &shown_rid, phone: &form.phone, masked: None, error: Some(error) };
        sms_page(&req, &svc, &browser, view, status)
    };
    let user_id = session.as_ref().map(|s| s.user_id.clone());
    let phone = if purpose == Purpose::StepUp {
        let Some(user_id) = &user_id else { return see_other("/account".into()) };
        match account_phone(&svc, user_id).await {
            Ok(Some(phone)) => phone,
            Ok(None) => return form_expired(&req),
            Err(e) => return unavailable(&req, e),
        }
    } else {
        match Phone::parse(&form.phone) {
            Ok(phone) => phone.as_str().to_owned(),
            Err(_) => return again(pages::locale(&req, None).citizen().bad_phone.to_owned(), StatusCode::BAD_REQUEST),
        }
    };
    let temporary = session.as_ref().is_some_and(Session::is_temporary);
    if purpose == Purpose::ChangePhone && (user_id.is_none() || temporary) {
        return see_other("/account".into());
    }
    let lookup = phone.clone();
    let holder = match svc.db.run(move |conn| user_db::find_by_verified_phone(conn, &lookup)).await {
        Ok(holder) => holder.map(|u| u.id),
        Err(e) => return unavailable(&req, e),
    };
    let delivery = match (purpose, holder) {
        (Purpose::Login, Some(_)) | (Purpose::StepUp, _) => Delivery::Code,
        (Purpose::Login, None) => Delivery::Nothing,
        (Purpose::Register, Some(_)) => Delivery::Notice(REGISTERED_NOTICE.into()),
        (Purpose::ChangePhone, Some(holder)) if Some(&holder) != user_id.as_ref() => {
            Delivery::Notice(TAKEN_NOTICE.into())
        }
        (Purpose::Register | Purpose::ChangePhone, _) => Delivery::Code,
        (Purpose::Staff, _) => Delivery::Nothing,
    };
    let record = Transaction {
        purpose,
        phone,
        rid,
        user_id: if matches!(purpose, Purpose::StepUp | Purpose::ChangePhone) { user_id } else { None },
        browser: browser.binding(),
        delivery,
        verified: false,
    };
    match otp::start(&svc, record, ip(&req)).await {
        Ok(tx) => see_other(format!("/sms/code?tx={tx}")),
        Err(OtpError::Unavailable(e)) => unavailable(&req, e),
        Err(e) => {
            let (status, message, _) = explain(&req, &e);
            again(message, status)
        }
    }
}

/// `GET /sms/code?tx=…`.
pub async fn code_form(req: HttpRequest, query: web::Query<CodeQuery>, svc: web::Data<Services>) -> HttpResponse {
    let browser = Browser::of(&req, &svc);
    match otp::load(&svc, &query.tx, &browser.binding()).await {
        Ok(Some(record)) => code_page(&req, &svc, &browser, &query.tx, &record, None),
        Ok(None) => pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.expired.to_owned()),
        Err(e) => unavailable(&req, e),
    }
}

/// `POST /sms/resend`.
pub async fn resend(req: HttpRequest, form: web::Form<CodeForm>, svc: web::Data<Services>) -> HttpResponse {
    let Some(browser_id) = Browser::existing(&req, &svc) else { return form_expired(&req) };
    if !svc.secrets.csrf_valid(&browser_id, &format!("sms:{}", form.tx), &form.csrf) {
        return form_expired(&req);
    }
    let browser = Browser { id: browser_id, new_cookie: None };
    let record = match otp::load(&svc, &form.tx, &browser.binding()).await {
        Ok(Some(record)) => record,
        Ok(None) => return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.expired.to_owned()),
        Err(e) => return unavailable(&req, e),
    };
    match otp::resend(&svc, &form.tx, &record, ip(&req)).await {
        Ok(()) => see_other(format!("/sms/code?tx={}", form.tx)),
        Err(OtpError::Unavailable(e)) => unavailable(&req, e),
        Err(e) => code_page(&req, &svc, &browser, &form.tx, &record, Some(&e)),
    }
}

/// `POST /sms/code`: checks the code and completes what it was for.
pub async fn verify(req: HttpRequest, form: web::Form<CodeForm>, svc: web::Data<Services>) -> HttpResponse {
    let Some(browser_id) = Browser::existing(&req, &svc) else { return form_expired(&req) };
    if !svc.secrets.csrf_valid(&browser_id, &format!("sms:{}", form.tx), &form.csrf) {
        return form_expired(&req);
    }
    let browser = Browser { id: browser_id, new_cookie: None };
    let binding = browser.binding();
    let record = match otp::verify(&svc, &form.tx, &binding, &form.code, ip(&req)).await {
        Ok(record) => record,
        Err(OtpError::Unavailable(e)) => return unavailable(&req, e),
        Err(e) => {
            return match otp::load(&svc, &form.tx, &binding).await {
                Ok(Some(record)) => code_page(&req, &svc, &browser, &form.tx, &record, Some(&e)),
                Ok(None) => pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.expired.to_owned()),
                Err(e) => unavailable(&req, e),
            };
        }
    };
    match record.purpose {
        Purpose::Register => see_other(format!("/signup?tx={}", form.tx)),
        Purpose::Login => complete_login(&req, &svc, &form.tx, &binding).await,
        Purpose::StepUp => complete_step_up(&req, &svc, &form.tx, &binding).await,
        Purpose::ChangePhone => complete_phone_change(&req, &svc, &form.tx, &binding).await,
        // Staff codes are only taken at /staff/login/code.
        Purpose::Staff => pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.expired.to_owned()),
    }
}

/// Starts a session for `user_id` with `amr` (keeping `sid` on a step-up), replaces the
/// browser's old session, and continues the pending request or opens the profile.
pub async fn signed_in(
    req: &HttpRequest,
    svc: &Services,
    session: Session,
    rid: Option<&str>,
    method: &str,
) -> HttpResponse {
    match establish(req, svc, session, rid, method).await {
        Ok((cookie, location)) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .cookie(new_session_cookie(svc, cookie))
            .finish(),
        Err(response) => response,
    }
}

/// Saves the session (replacing the browser's old one), marks the pending request as
/// signed in, audits; returns the cookie value and where the browser goes next.
pub async fn establish(
    req: &HttpRequest,
    svc: &Services,
    session: Session,
    rid: Option<&str>,
    method: &str,
) -> Result<(String, String), HttpResponse> {
    if let Some(old) = session_cookie(req, svc) {
        let _ = Session::destroy(&svc.state, &old).await;
    }
    let ttl = session.lifetime(svc.config.session_ttl);
    let cookie = session.save(&svc.state, ttl).await.map_err(|e| internal(req, &e.into()))?;
    let browser = Browser::existing(req, svc).unwrap_or_default();
    let mut location = "/account".to_owned();
    if let Some(rid) = rid
        && let Ok(Some(mut request)) = flow::load_pending(svc, rid).await
        && request.started_by(&binding_of(&browser))
    {
        flow::mark_signed_in(svc, rid, &mut request, &session).await.map_err(|e| internal(req, &e))?;
        location = format!("/authorize/resume?rid={rid}");
    }
    svc.audit
        .record(
            AuditEvent::success(AuditKind::LoginSucceeded)
                .subject(session.user_id.clone())
                .ip(ip(req))
                .detail(serde_json::json!({ "method": method, "sid": session.sid, "amr": session.amr })),
        )
        .await;
    Ok((cookie, location))
}

async fn complete_login(req: &HttpRequest, svc: &Services, tx: &str, binding: &str) -> HttpResponse {
    let record = match otp::finish(svc, tx, binding).await {
        Ok(Some(record)) => record,
        Ok(None) => return pages::error_page(req, StatusCode::BAD_REQUEST, |t| t.expired.to_owned()),
        Err(e) => return unavailable(req, e),
    };
    let phone = record.phone.clone();
    let user = match svc.db.run(move |conn| user_db::find_by_verified_phone(conn, &phone)).await {
        Ok(Some(user)) => user,
        Ok(None) => return pages::error_page(req, StatusCode::BAD_REQUEST, |t| t.expired.to_owned()),
        Err(e) => return unavailable(req, e),
    };
    let previous = current_session(req, svc).await.ok().flatten();
    let session = Session::after(previous, user.id.clone(), accounts::level_of(&user), "sms");
    signed_in(req, svc, session, record.rid.as_deref(), "sms").await
}

/// The signed-in session and the finished transaction it started (step-up, phone
/// change), or the page to show instead.
async fn own_transaction(
    req: &HttpRequest,
    svc: &Services,
    tx: &str,
    binding: &str,
) -> Result<(Session, Transaction), Box<HttpResponse>> {
    let current = match current_session(req, svc).await {
        Ok(Some(session)) => session,
        Ok(None) => return Err(Box::new(see_other("/account".into()))),
        Err(e) => return Err(Box::new(internal(req, &e))),
    };
    match otp::finish(svc, tx, binding).await {
        Ok(Some(record)) if record.user_id.as_deref() == Some(current.user_id.as_str()) => Ok((current, record)),
        Ok(_) => Err(Box::new(pages::error_page(req, StatusCode::BAD_REQUEST, |t| t.expired.to_owned()))),
        Err(e) => Err(Box::new(unavailable(req, e))),
    }
}

async fn complete_step_up(req: &HttpRequest, svc: &Services, tx: &str, binding: &str) -> HttpResponse {
    let (current, record) = match own_transaction(req, svc, tx, binding).await {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let (user_id, level) = (current.user_id.clone(), current.level());
    let session = Session::after(Some(current), user_id, level, "sms");
    signed_in(req, svc, session, record.rid.as_deref(), "sms_step_up").await
}

async fn complete_phone_change(req: &HttpRequest, svc: &Services, tx: &str, binding: &str) -> HttpResponse {
    let (current, record) = match own_transaction(req, svc, tx, binding).await {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let Ok(phone) = Phone::parse(&record.phone) else { return form_expired(req) };
    match accounts::set_phone(svc, &current.user_id, &phone).await {
        Ok(()) => see_other("/account?done=phone".into()),
        Err(AccountError::Refused(message)) => pages::refused_page(req, StatusCode::CONFLICT, message),
        Err(e) => unavailable(req, e),
    }
}
