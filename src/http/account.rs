//! The citizen's profile at `/account`: personal data with its verification state,
//! sign-in methods (phone, password), live sessions, connected applications and the
//! account-level history; and signing out of this browser.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use super::authorize::{full_session, internal};
use super::browser::{Browser, removal_session_cookie, session_cookie};
use super::i18n::{self, Locale};
use super::pages::{self, AccountPage, Profile, when};
use super::sms::unavailable;
use crate::accounts::registry::FieldMismatch;
use crate::accounts::{self, AccountError, IdentityForm};
use crate::app::Services;
use crate::db::models::user as user_db;
use crate::domain::ClientId;
use crate::login::Session;
use crate::oidc::flow;

/// `?done=…` after an action.
#[derive(Deserialize)]
pub struct AccountQuery {
    #[serde(default)]
    done: String,
}

fn labelled(locale: Locale, list: Vec<FieldMismatch>) -> Vec<(&'static str, String)> {
    list.into_iter().map(|m| (i18n::field_label(locale, &m.field), i18n::reason(locale, &m.reason))).collect()
}

/// Everything the profile shows for `session`; `typed` replaces the stored identity
/// data with what the citizen just submitted (with its errors).
async fn profile(
    svc: &Services,
    session: &Session,
    locale: Locale,
    typed: Option<(IdentityForm, Vec<FieldMismatch>)>,
    notice: Option<&'static str>,
) -> Result<Option<Profile>, String> {
    let id = session.user_id.clone();
    let Some(user) = svc.db.run(move |conn| user_db::find_by_id(conn, &id)).await.map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let (form, errors) = match typed {
        Some((form, errors)) => (form, errors),
        None => (IdentityForm::of(&user), Vec::new()),
    };
    let mismatches: Vec<FieldMismatch> =
        user.registry_detail.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
    let label = |name| i18n::field_label(locale, name);
    let fields = vec![
        ("family_name", label("family_name"), form.family_name.clone(), "family-name"),
        ("given_name", label("given_name"), form.given_name.clone(), "given-name"),
        ("middle_name", label("middle_name"), form.middle_name.clone(), "additional-name"),
        ("birthdate", label("birthdate"), form.birthdate.clone(), "bday"),
        ("snils", label("snils"), form.snils.clone(), ""),
        ("inn", label("inn"), form.inn.clone(), ""),
        ("passport", label("id_document"), form.passport.clone(), ""),
        ("passport_issue_date", label("passport_issue_date"), form.passport_issue_date.clone(), ""),
        ("passport_issuer", label("passport_issuer"), form.passport_issuer.clone(), ""),
    ];
    let sessions = Session::list(&svc.state, &user.id).await.map_err(|e| e.to_string())?;
    let mut apps = Vec::new();
    for consent in flow::consents(svc, &user.id).await.map_err(|e| e.to_string())? {
        let name = match ClientId::parse(&consent.client_id) {
            Ok(id) => svc.clients.get(&id).await.ok().flatten().map(|c| c.name.clone()),
            Err(_) => None,
        };
        apps.push((consent.client_id.clone(), name.unwrap_or(consent.client_id), consent.scopes));
    }
    let history = accounts::history(svc, &user.id).await.map_err(|e| e.to_string())?;
    let linked = accounts::federated::links(svc, &user.id).await.map_err(|e| e.to_string())?;
    let passkeys = match svc.webauthn {
        Some(_) => crate::login::passkey::list(svc, &user.id)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|p| (p.id, p.name, when(p.created_at), p.last_used_at.map(when).unwrap_or_default()))
            .collect(),
        None => Vec::new(),
    };
    let links = svc
        .federation
        .list()
        .map(|p| (p.id.clone(), p.name.clone(), linked.iter().any(|l| l.provider == p.id)))
        .collect();
    Ok(Some(Profile {
        username: user.username.clone(),
        level: i18n::level_name(locale, &user.account_level),
        notice,
        status: user.registry_status.as_deref().map(|s| i18n::registry_status(locale, s)),
        mismatches: labelled(locale, mismatches),
        errors: labelled(locale, errors),
        fields,
        gender: form.gender.clone(),
        phone: user.phone_number.clone(),
        phone_verified: user.phone_number_verified,
        has_password: user.password_hash.is_some(),
        sessions: sessions
            .into_iter()
            .map(|s| {
                let current = s.sid == session.sid;
                (s.sid, when(s.auth_time), s.amr.join(", "), current)
            })
            .collect(),
        apps,
        history: history
            .into_iter()
            .map(|h| {
                (
                    when(h.created_at),
                    i18n::level_name(locale, &h.level),
                    i18n::method_name(locale, &h.method),
                    h.verifier,
                )
            })
            .collect(),
        links,
        passkeys_on: svc.webauthn.is_some(),
        passkeys,
        assisted: super::assisted::profile_part(svc, session, &user, locale).await?,
    }))
}

async fn render_account(
    req: &HttpRequest,
    svc: &Services,
    typed: Option<(IdentityForm, Vec<FieldMismatch>)>,
    notice: Option<&'static str>,
    status: StatusCode,
) -> HttpResponse {
    let browser = Browser::of(req, svc);
    let locale = pages::locale(req, None);
    let csrf = svc.secrets.csrf_token(&browser.id, "account");
    // Temporary access does not open the profile (identity documents, sign-in methods).
    let session = match full_session(req, svc).await {
        Ok(session) => session,
        Err(e) => return internal(req, &e),
    };
    let profile = match &session {
        Some(session) => match profile(svc, session, locale, typed, notice).await {
            Ok(profile) => profile,
            Err(e) => return unavailable(req, e),
        },
        None => None,
    };
    let page = AccountPage {
        lang: locale.tag(),
        t: locale.texts(),
        c: locale.citizen(),
        profile,
        csrf: &csrf,
        message: locale.texts().not_signed_in,
        gender_label: i18n::field_label(locale, "gender"),
    };
    let csp = if svc.webauthn.is_some() { pages::LOGIN_CSP } else { pages::PAGE_CSP };
    pages::render_with_csp(status, &page, Some(&browser), csp)
}

/// `GET /account`.
pub async fn account(req: HttpRequest, query: web::Query<AccountQuery>, svc: web::Data<Services>) -> HttpResponse {
    let c = pages::locale(&req, None).citizen();
    let notice = (!query.done.is_empty()).then_some(c.saved);
    render_account(&req, &svc, None, notice, StatusCode::OK).await
}

/// Form fields of simple account actions.
#[derive(Deserialize)]
pub struct AccountForm {
    csrf: String,
    client_id: Option<String>,
    sid: Option<String>,
}

/// The identity form.
#[derive(Deserialize)]
pub struct IdentitySubmit {
    csrf: String,
    #[serde(flatten)]
    form: IdentityForm,
}

/// The password form.
#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
}

fn checked(req: &HttpRequest, svc: &Services, csrf: &str) -> bool {
    Browser::existing(req, svc).is_some_and(|id| svc.secrets.csrf_valid(&id, "account", csrf))
}

fn back_to_account(done: &str) -> HttpResponse {
    let location = if done.is_empty() { "/account".to_owned() } else { format!("/account?done={done}") };
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// The signed-in session of a checked form post, or the response to give instead.
async fn signed_in(req: &HttpRequest, svc: &Services, csrf: &str) -> Result<Session, HttpResponse> {
    if !checked(req, svc, csrf) {
        return Err(pages::error_page(req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned()));
    }
    match full_session(req, svc).await {
        Ok(Some(session)) => Ok(session),
        Ok(None) => Err(back_to_account("")),
        Err(e) => Err(internal(req, &e)),
    }
}

/// Maps an account error to the profile with the form's fields marked.
async fn refused(req: &HttpRequest, svc: &Services, typed: IdentityForm, e: AccountError) -> HttpResponse {
    match e {
        AccountError::Invalid(fields) => {
            render_account(req, svc, Some((typed, fields)), None, StatusCode::BAD_REQUEST).await
        }
        AccountError::Refused(message) => {
            let fields = vec![FieldMismatch { field: "form".into(), reason: message.to_owned() }];
            render_account(req, svc, Some((typed, fields)), None, StatusCode::CONFLICT).await
        }
        AccountError::Unavailable(e) => unavailable(req, e),
    }
}

/// `POST /account/identity`: save identity data and start the registry check.
pub async fn identity(req: HttpRequest, form: web::Form<IdentitySubmit>, svc: web::Data<Services>) -> HttpResponse {
    let IdentitySubmit { csrf, form } = form.into_inner();
    let session = match signed_in(&req, &svc, &csrf).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    match accounts::submit_identity(&svc, &session.user_id, &form).await {
        Ok(()) => back_to_account("identity"),
        Err(e) => refused(&req, &svc, form, e).await,
    }
}

/// `POST /account/password`: set or change the password.
pub async fn password(req: HttpRequest, form: web::Form<PasswordForm>, svc: web::Data<Services>) -> HttpResponse {
    let form = form.into_inner();
    let session = match signed_in(&req, &svc, &form.csrf).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let current = (!form.current_password.is_empty()).then(|| SecretString::from(form.current_password));
    match accounts::change_password(&svc, &session.user_id, current, SecretString::from(form.password)).await {
        Ok(()) => back_to_account("password"),
        Err(e) => {
            let id = session.user_id.clone();
            let user = svc.db.run(move |conn| user_db::find_by_id(conn, &id)).await.ok().flatten();
            let typed = user.as_ref().map(IdentityForm::of).unwrap_or_default();
            refused(&req, &svc, typed, e).await
        }
    }
}

/// `POST /account/phone/remove`.
pub async fn remove_phone(req: HttpRequest, form: web::Form<AccountForm>, svc: web::Data<Services>) -> HttpResponse {
    let session = match signed_in(&req, &svc, &form.csrf).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    match accounts::remove_phone(&svc, &session.user_id).await {
        Ok(()) => back_to_account("phone"),
        Err(AccountError::Refused(message)) => pages::refused_page(&req, StatusCode::CONFLICT, message),
        Err(e) => unavailable(&req, e),
    }
}

/// `POST /account/sessions/end`: end one of the account's sessions.
pub async fn end_session(req: HttpRequest, form: web::Form<AccountForm>, svc: web::Data<Services>) -> HttpResponse {
    let session = match signed_in(&req, &svc, &form.csrf).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let Some(sid) = form.sid.as_deref() else { return back_to_account("") };
    let ip = req.peer_addr().map(|a| a.ip());
    match crate::oidc::logout::end_other_session(&svc, &session.user_id, sid, ip).await {
        Ok(_) => back_to_account("session"),
        Err(e) => internal(&req, &e),
    }
}

/// The unlink form.
#[derive(Deserialize)]
pub struct UnlinkForm {
    csrf: String,
    provider: String,
}

/// `POST /account/federation/unlink`: stop signing in with a provider.
pub async fn unlink(req: HttpRequest, form: web::Form<UnlinkForm>, svc: web::Data<Services>) -> HttpResponse {
    let session = match signed_in(&req, &svc, &form.csrf).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    match accounts::federated::unlink(&svc, &session.user_id, &form.provider).await {
        Ok(_) => back_to_account("unlinked"),
        Err(accounts::federated::FederatedError::Refused(message)) => {
            pages::refused_page(&req, StatusCode::CONFLICT, message)
        }
        Err(e) => unavailable(&req, e),
    }
}

/// The passkey removal form.
#[derive(Deserialize)]
pub struct PasskeyForm {
    csrf: String,
    id: String,
}

/// `POST /account/passkeys/remove`.
pub async fn remove_passkey(req: HttpRequest, form: web::Form<PasskeyForm>, svc: web::Data<Services>) -> HttpResponse {
    let session = match signed_in(&req, &svc, &form.csrf).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    match crate::login::passkey::remove(&svc, &session.user_id, &form.id).await {
        Ok(_) => back_to_account("passkey"),
        Err(e) => unavailable(&req, e),
    }
}

/// `POST /account/consents`: revoke one application's consent and tokens.
pub async fn revoke_consent(req: HttpRequest, form: web::Form<AccountForm>, svc: web::Data<Services>) -> HttpResponse {
    let session = match signed_in(&req, &svc, &form.csrf).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    if let Some(client_id) = &form.client_id
        && let Err(e) = flow::revoke_consent(&svc, &session.user_id, client_id).await
    {
        return internal(&req, &e);
    }
    back_to_account("consent")
}

/// `POST /logout`: end this browser's session.
pub async fn logout(req: HttpRequest, form: web::Form<AccountForm>, svc: web::Data<Services>) -> HttpResponse {
    if !checked(&req, &svc, &form.csrf) {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    }
    if let Some(cookie) = session_cookie(&req, &svc)
        && let Err(e) = crate::oidc::logout::end_session(&svc, &cookie, req.peer_addr().map(|a| a.ip())).await
    {
        return internal(&req, &e);
    }
    let mut response = back_to_account("");
    let _ = response.add_cookie(&removal_session_cookie(&svc));
    response
}
