//! Self-registration: after `/sms` verified the phone (purpose `register`),
//! `GET|POST /signup` sets an optional password and creates a simplified account.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use super::browser::Browser;
use super::pages::{self, SignupPage};
use super::sms::{signed_in, unavailable};
use crate::accounts::{self, AccountError};
use crate::app::Services;
use crate::domain::Phone;
use crate::login::Session;
use crate::login::otp::{self, Purpose, Transaction};

/// `?tx=…`.
#[derive(Deserialize)]
pub struct SignupQuery {
    tx: String,
}

/// The form.
#[derive(Deserialize)]
pub struct SignupForm {
    csrf: String,
    tx: String,
    #[serde(default)]
    password: String,
}

fn expired(req: &HttpRequest) -> HttpResponse {
    pages::error_page(req, StatusCode::BAD_REQUEST, |t| t.expired.to_owned())
}

async fn verified(svc: &Services, tx: &str, binding: &str) -> Result<Option<Transaction>, otp::OtpError> {
    Ok(otp::load(svc, tx, binding).await?.filter(|r| r.purpose == Purpose::Register && r.verified))
}

fn page(req: &HttpRequest, svc: &Services, browser: &Browser, tx: &str, error: Option<String>) -> HttpResponse {
    let locale = pages::locale(req, None);
    let csrf = svc.secrets.csrf_token(&browser.id, &format!("signup:{tx}"));
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = SignupPage { lang: locale.tag(), t: locale.texts(), c: locale.citizen(), tx, csrf: &csrf, error };
    pages::render(status, &page, Some(browser))
}

/// `GET /signup?tx=…`.
pub async fn form(req: HttpRequest, query: web::Query<SignupQuery>, svc: web::Data<Services>) -> HttpResponse {
    let browser = Browser::of(&req, &svc);
    match verified(&svc, &query.tx, &browser.binding()).await {
        Ok(Some(_)) => page(&req, &svc, &browser, &query.tx, None),
        Ok(None) => expired(&req),
        Err(e) => unavailable(&req, e),
    }
}

/// `POST /signup`: creates the account and signs the citizen in.
pub async fn submit(req: HttpRequest, form: web::Form<SignupForm>, svc: web::Data<Services>) -> HttpResponse {
    let form = form.into_inner();
    let Some(browser_id) = Browser::existing(&req, &svc) else { return expired(&req) };
    if !svc.secrets.csrf_valid(&browser_id, &format!("signup:{}", form.tx), &form.csrf) {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    }
    let browser = Browser { id: browser_id, new_cookie: None };
    let binding = browser.binding();
    let password = (!form.password.is_empty()).then(|| SecretString::from(form.password));
    if let Some(p) = &password
        && let Err(AccountError::Invalid(fields)) = accounts::check_password(p)
    {
        let locale = pages::locale(&req, None);
        let message = fields.iter().map(|f| super::i18n::reason(locale, &f.reason)).collect::<Vec<_>>().join("; ");
        return page(&req, &svc, &browser, &form.tx, Some(message));
    }
    let record = match verified(&svc, &form.tx, &binding).await {
        Ok(Some(_)) => match otp::finish(&svc, &form.tx, &binding).await {
            Ok(Some(record)) => record,
            Ok(None) => return expired(&req),
            Err(e) => return unavailable(&req, e),
        },
        Ok(None) => return expired(&req),
        Err(e) => return unavailable(&req, e),
    };
    let Ok(phone) = Phone::parse(&record.phone) else { return expired(&req) };
    let ip = req.peer_addr().map(|a| a.ip());
    match accounts::register(&svc, &phone, password, ip).await {
        Ok(user) => {
            let session = Session::new(user.id, vec!["sms".into()], crate::domain::AccountLevel::Simplified);
            signed_in(&req, &svc, session, record.rid.as_deref(), "sms").await
        }
        Err(AccountError::Refused(message)) => pages::refused_page(&req, StatusCode::CONFLICT, message),
        Err(e) => unavailable(&req, e),
    }
}
