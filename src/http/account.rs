//! `GET /account` (who is signed in, which applications have access), revoking a
//! consent, and signing out of the browser session.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::authorize::{current_session, internal};
use super::browser::{Browser, removal_session_cookie, session_cookie};
use super::pages::{self, AccountPage};
use crate::app::Services;
use crate::db::models::user as user_db;
use crate::domain::ClientId;
use crate::oidc::flow;

/// `GET /account`.
pub async fn account(req: HttpRequest, svc: web::Data<Services>) -> HttpResponse {
    let browser = Browser::of(&req, &svc);
    let locale = pages::locale(&req, None);
    let t = locale.texts();
    let csrf = svc.secrets.csrf_token(&browser.id, "account");
    let session = match current_session(&req, &svc).await {
        Ok(session) => session,
        Err(e) => return internal(&req, &e),
    };
    let mut page =
        AccountPage { lang: locale.tag(), t, username: None, apps: Vec::new(), csrf: &csrf, message: t.not_signed_in };
    if let Some(session) = session {
        let id = session.user_id.clone();
        let user = match svc.db.run(move |conn| user_db::find_by_id(conn, &id)).await {
            Ok(user) => user,
            Err(e) => return internal(&req, &e.into()),
        };
        let consents = match flow::consents(&svc, &session.user_id).await {
            Ok(list) => list,
            Err(e) => return internal(&req, &e),
        };
        for consent in consents {
            let name = match ClientId::parse(&consent.client_id) {
                Ok(id) => svc.clients.get(&id).await.ok().flatten().map(|c| c.name.clone()),
                Err(_) => None,
            };
            page.apps.push((consent.client_id.clone(), name.unwrap_or(consent.client_id), consent.scopes));
        }
        page.username = user.map(|u| u.username);
    }
    pages::render(StatusCode::OK, &page, Some(&browser))
}

/// Form fields of account actions.
#[derive(Deserialize)]
pub struct AccountForm {
    csrf: String,
    client_id: Option<String>,
}

fn checked(req: &HttpRequest, svc: &Services, csrf: &str) -> bool {
    Browser::existing(req, svc).is_some_and(|id| svc.secrets.csrf_valid(&id, "account", csrf))
}

fn back_to_account() -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, "/account")).finish()
}

/// `POST /account/consents`: revoke one application's access.
pub async fn revoke_consent(req: HttpRequest, form: web::Form<AccountForm>, svc: web::Data<Services>) -> HttpResponse {
    if !checked(&req, &svc, &form.csrf) {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    }
    let session = match current_session(&req, &svc).await {
        Ok(Some(session)) => session,
        Ok(None) => return back_to_account(),
        Err(e) => return internal(&req, &e),
    };
    if let Some(client_id) = &form.client_id
        && let Err(e) = flow::revoke_consent(&svc, &session.user_id, client_id).await
    {
        return internal(&req, &e);
    }
    back_to_account()
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
    let mut response = back_to_account();
    let _ = response.add_cookie(&removal_session_cookie(&svc));
    response
}
