//! Browser cookies: a browser id that binds CSRF tokens to this browser, and the
//! session cookie. Both are `HttpOnly`, `SameSite=Lax`, path `/`, and — when the issuer
//! is https — `Secure` with the `__Host-` prefix, so no sibling domain can set them.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};

use crate::app::Services;

const BROWSER: &str = "vhod_browser";
const SESSION: &str = "vhod_session";
const STAFF: &str = "vhod_staff";

fn name(svc: &Services, base: &str) -> String {
    if svc.config.issuer.is_https() { format!("__Host-{base}") } else { base.to_owned() }
}

fn build(svc: &Services, base: &str, value: String) -> Cookie<'static> {
    Cookie::build(name(svc, base), value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(svc.config.issuer.is_https())
        .finish()
}

/// This browser's id, and the cookie to set when it had none.
pub struct Browser {
    /// The id (random, 256 bits).
    pub id: String,
    /// Set this cookie on the response.
    pub new_cookie: Option<Cookie<'static>>,
}

impl Browser {
    /// The browser id from the request, or a fresh one.
    pub fn of(req: &HttpRequest, svc: &Services) -> Self {
        match req.cookie(&name(svc, BROWSER)).map(|c| c.value().to_owned()).filter(|v| v.len() == 43) {
            Some(id) => Self { id, new_cookie: None },
            None => {
                let id = crate::jose::random_token(32);
                Self { new_cookie: Some(build(svc, BROWSER, id.clone())), id }
            }
        }
    }

    /// What a pending authorization request stores to recognise this browser.
    pub fn binding(&self) -> String {
        binding_of(&self.id)
    }

    /// The browser id only if the request carried one (form posts must).
    pub fn existing(req: &HttpRequest, svc: &Services) -> Option<String> {
        req.cookie(&name(svc, BROWSER)).map(|c| c.value().to_owned()).filter(|v| v.len() == 43)
    }
}

/// The binding of a browser id (its SHA-256, so the state store never holds the id).
pub fn binding_of(id: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, id.as_bytes());
    crate::jose::b64url(digest.as_ref())
}

/// The session cookie's value, if any.
pub fn session_cookie(req: &HttpRequest, svc: &Services) -> Option<String> {
    req.cookie(&name(svc, SESSION)).map(|c| c.value().to_owned())
}

/// A session cookie for `value` (a browser-session cookie: no `Max-Age`; the server
/// record expires after `session.ttl_secs`).
pub fn new_session_cookie(svc: &Services, value: String) -> Cookie<'static> {
    build(svc, SESSION, value)
}

/// A cookie that removes the session cookie.
pub fn removal_session_cookie(svc: &Services) -> Cookie<'static> {
    let mut cookie = build(svc, SESSION, String::new());
    cookie.make_removal();
    cookie
}

/// The staff session cookie's value, if any.
pub fn staff_cookie(req: &HttpRequest, svc: &Services) -> Option<String> {
    req.cookie(&name(svc, STAFF)).map(|c| c.value().to_owned())
}

/// A staff session cookie: `SameSite=Strict` (no staff page is ever reached from
/// another site with the session), expiring with the server record.
pub fn new_staff_cookie(svc: &Services, value: String) -> Cookie<'static> {
    let mut cookie = build(svc, STAFF, value);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_max_age(actix_web::cookie::time::Duration::seconds(crate::staff::members::SESSION_TTL.as_secs() as i64));
    cookie
}

/// A cookie that removes the staff session cookie.
pub fn removal_staff_cookie(svc: &Services) -> Cookie<'static> {
    let mut cookie = build(svc, STAFF, String::new());
    cookie.set_same_site(SameSite::Strict);
    cookie.make_removal();
    cookie
}
