//! Server-rendered pages (askama templates compiled into the binary) and the responses
//! that carry them: no caching, a strict Content-Security-Policy, and the browser
//! cookie when one was just created.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use askama::Template;

use super::browser::Browser;
use super::i18n::{CitizenTexts, Locale, Texts};

/// Pages load nothing but our stylesheet; no framing, no plugins, no base rewriting.
pub const PAGE_CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";

/// The locale for a request: `?lang=` (the page's language link), the authorization
/// request's `ui_locales`, then `Accept-Language`.
pub fn locale(req: &HttpRequest, ui_locales: Option<&str>) -> Locale {
    let query_lang = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.into_owned());
    let preferred = query_lang.as_deref().or(ui_locales);
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    Locale::negotiate(preferred, accept)
}

/// The sign-in form.
#[derive(Template)]
#[template(path = "login.html", config = "src/http/templates/askama.toml")]
pub struct LoginPage<'a> {
    /// `lang` attribute.
    pub lang: &'a str,
    /// Texts.
    pub t: &'a Texts,
    /// The application's name.
    pub client_name: &'a str,
    /// Pending request id.
    pub rid: &'a str,
    /// CSRF token.
    pub csrf: &'a str,
    /// Pre-filled user name.
    pub username: &'a str,
    /// Error to show.
    pub error: Option<&'a str>,
    /// The other language's tag.
    pub other_lang: &'a str,
    /// Citizen-page texts.
    pub c: &'a CitizenTexts,
    /// (id, name) of upstream identity providers.
    pub providers: Vec<(String, String)>,
    /// (token, QR image data URI, link) of a cross-device sign-in.
    pub qr: Option<(String, String, String)>,
    /// CSRF token of the passkey sign-in, when passkeys are available.
    pub passkey_csrf: Option<String>,
}

/// The phone's side of a QR sign-in.
#[derive(Template)]
#[template(path = "qr.html", config = "src/http/templates/askama.toml")]
pub struct QrPage<'a> {
    /// `lang` attribute.
    pub lang: &'a str,
    /// Texts.
    pub t: &'a Texts,
    /// Citizen-page texts.
    pub c: &'a CitizenTexts,
    /// Transaction token.
    pub token: &'a str,
    /// CSRF token.
    pub csrf: &'a str,
    /// (application, device, address, time) when there is something to decide.
    pub request: Option<(String, String, String, String)>,
    /// Otherwise, why not.
    pub message: &'a str,
}

/// Asks for a phone number (or, for step-up, confirms sending to the account's).
#[derive(Template)]
#[template(path = "sms.html", config = "src/http/templates/askama.toml")]
pub struct SmsPage<'a> {
    /// `lang` attribute.
    pub lang: &'a str,
    /// Texts.
    pub t: &'a Texts,
    /// Citizen-page texts.
    pub c: &'a CitizenTexts,
    /// Heading.
    pub title: &'a str,
    /// `login`, `register`, `change_phone` or `step_up`.
    pub purpose: &'a str,
    /// Pending authorization request, if any.
    pub rid: &'a str,
    /// CSRF token.
    pub csrf: &'a str,
    /// The number as typed.
    pub phone: &'a str,
    /// Step-up: the account's number, masked.
    pub masked: Option<String>,
    /// Error to show.
    pub error: Option<String>,
}

/// Asks for the code.
#[derive(Template)]
#[template(path = "code.html", config = "src/http/templates/askama.toml")]
pub struct CodePage<'a> {
    /// `lang` attribute.
    pub lang: &'a str,
    /// Texts.
    pub t: &'a Texts,
    /// Citizen-page texts.
    pub c: &'a CitizenTexts,
    /// Transaction id.
    pub tx: &'a str,
    /// CSRF token.
    pub csrf: &'a str,
    /// The number, masked.
    pub masked: String,
    /// Error to show.
    pub error: Option<String>,
    /// How to recover from a lock.
    pub recovery: Option<&'a str>,
}

/// The device verification page (RFC 8628): type the user code.
#[derive(Template)]
#[template(path = "device.html", config = "src/http/templates/askama.toml")]
pub struct DevicePage<'a> {
    /// `lang` attribute.
    pub lang: &'a str,
    /// Texts.
    pub t: &'a Texts,
    /// Citizen-page texts.
    pub c: &'a CitizenTexts,
    /// CSRF token.
    pub csrf: &'a str,
    /// The code as typed (or from `verification_uri_complete`).
    pub user_code: &'a str,
    /// Error to show.
    pub error: Option<&'a str>,
}

/// A short outcome page.
#[derive(Template)]
#[template(path = "notice.html", config = "src/http/templates/askama.toml")]
pub struct NoticePage<'a> {
    /// `lang` attribute.
    pub lang: &'a str,
    /// Texts.
    pub t: &'a Texts,
    /// Heading.
    pub title: &'a str,
    /// What happened.
    pub message: &'a str,
}

/// Completes a registration: an optional password.
#[derive(Template)]
#[template(path = "signup.html", config = "src/http/templates/askama.toml")]
pub struct SignupPage<'a> {
    /// `lang` attribute.
    pub lang: &'a str,
    /// Texts.
    pub t: &'a Texts,
    /// Citizen-page texts.
    pub c: &'a CitizenTexts,
    /// Transaction id.
    pub tx: &'a str,
    /// CSRF token.
    pub csrf: &'a str,
    /// Error to show.
    pub error: Option<String>,
}

/// The consent form.
#[derive(Template)]
#[template(path = "consent.html", config = "src/http/templates/askama.toml")]
pub struct ConsentPage<'a> {
    /// `lang` attribute.
    pub lang: &'a str,
    /// Texts.
    pub t: &'a Texts,
    /// The application's name.
    pub client_name: &'a str,
    /// Scopes in plain words.
    pub scopes: Vec<String>,
    /// Pending request id.
    pub rid: &'a str,
    /// CSRF token.
    pub csrf: &'a str,
    /// ("On behalf of:", principal) when a representative acts under a power of attorney.
    pub on_behalf_of: Option<(&'static str, String)>,
}

/// An error the browser must see (never redirected).
#[derive(Template)]
#[template(path = "error.html", config = "src/http/templates/askama.toml")]
pub struct ErrorPage<'a> {
    /// `lang` attribute.
    pub lang: &'a str,
    /// Texts.
    pub t: &'a Texts,
    /// What went wrong.
    pub message: &'a str,
    /// (label, reason) details, e.g. fields that differ.
    pub details: Vec<(&'static str, String)>,
    /// A way back (URL), when there is one better than the application.
    pub back: Option<&'a str>,
    /// Its label.
    pub back_label: &'a str,
}

/// OAuth 2.0 Form Post Response Mode.
#[derive(Template)]
#[template(path = "form_post.html", config = "src/http/templates/askama.toml")]
pub struct FormPostPage<'a> {
    /// `lang` attribute.
    pub lang: &'a str,
    /// Texts.
    pub t: &'a Texts,
    /// The redirect URI.
    pub action: &'a str,
    /// Response parameters.
    pub fields: Vec<(&'a str, String)>,
    /// Script nonce for the CSP.
    pub nonce: &'a str,
}

/// Logout confirmation, or the signed-out notice.
#[derive(Template)]
#[template(path = "logout.html", config = "src/http/templates/askama.toml")]
pub struct LogoutPage<'a> {
    /// `lang` attribute.
    pub lang: &'a str,
    /// Texts.
    pub t: &'a Texts,
    /// Ask before signing out.
    pub confirm: bool,
    /// The client asking, if known.
    pub client_name: Option<&'a str>,
    /// CSRF token.
    pub csrf: &'a str,
    /// Request parameters carried through the confirmation.
    pub fields: Vec<(&'a str, String)>,
}

/// The account page.
#[derive(Template)]
#[template(path = "account.html", config = "src/http/templates/askama.toml")]
pub struct AccountPage<'a> {
    /// `lang` attribute.
    pub lang: &'a str,
    /// Texts.
    pub t: &'a Texts,
    /// Citizen-page texts.
    pub c: &'a CitizenTexts,
    /// The signed-in citizen's profile.
    pub profile: Option<Profile>,
    /// CSRF token.
    pub csrf: &'a str,
    /// Message when signed out.
    pub message: &'a str,
    /// Label of the gender field.
    pub gender_label: &'a str,
}

/// What the profile shows.
#[derive(Default)]
pub struct Profile {
    /// Sign-in name.
    pub username: String,
    /// Account level in words.
    pub level: &'static str,
    /// A notice after an action.
    pub notice: Option<&'static str>,
    /// Registry-check state in words.
    pub status: Option<&'static str>,
    /// (label, reason) of fields the registry disagreed with.
    pub mismatches: Vec<(&'static str, String)>,
    /// (label, reason) of fields the last form had wrong.
    pub errors: Vec<(&'static str, String)>,
    /// (name, label, value, autocomplete) of the identity form's text fields.
    pub fields: Vec<(&'static str, &'static str, String, &'static str)>,
    /// `female`, `male` or empty.
    pub gender: String,
    /// Sign-in phone.
    pub phone: Option<String>,
    /// Whether it is verified.
    pub phone_verified: bool,
    /// Whether a password is set.
    pub has_password: bool,
    /// (sid, when, methods, is this browser) of live sessions.
    pub sessions: Vec<(String, String, String, bool)>,
    /// (client id, client name, scope) of each consent.
    pub apps: Vec<(String, String, String)>,
    /// (when, level, method, verifier) of the level history.
    pub history: Vec<(String, &'static str, &'static str, String)>,
    /// (provider id, name, linked) of upstream identity providers.
    pub links: Vec<(String, String, bool)>,
    /// Whether passkeys are available here.
    pub passkeys_on: bool,
    /// Powers of attorney, acting, confirmation by post.
    pub assisted: AssistedView,
    /// (id, name, created, last used) of the account's passkeys.
    pub passkeys: Vec<(String, String, String, String)>,
}

/// The sign-in page's policy: our stylesheet and our one script (the QR poller).
pub const LOGIN_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Renders a page with `status`, setting the browser cookie when it is new.
pub fn render(status: StatusCode, page: &impl Template, browser: Option<&Browser>) -> HttpResponse {
    render_with_csp(status, page, browser, PAGE_CSP)
}

/// Renders with a specific CSP.
pub fn render_with_csp(status: StatusCode, page: &impl Template, browser: Option<&Browser>, csp: &str) -> HttpResponse {
    let body = match page.render() {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            return HttpResponse::InternalServerError().body("internal error");
        }
    };
    let mut response = HttpResponseBuilder::new(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_SECURITY_POLICY, csp.to_owned()));
    if let Some(cookie) = browser.and_then(|b| b.new_cookie.clone()) {
        response.cookie(cookie);
    }
    response.body(body)
}

/// An error page in the request's language.
pub fn error_page(req: &HttpRequest, status: StatusCode, message: impl Fn(&Texts) -> String) -> HttpResponse {
    let locale = locale(req, None);
    let text = message(locale.texts());
    let page = ErrorPage {
        lang: locale.tag(),
        t: locale.texts(),
        message: &text,
        details: Vec::new(),
        back: None,
        back_label: "",
    };
    render(status, &page, None)
}

/// A moment as pages show it: `2026-12-05 10:00:00 UTC`.
pub fn when(secs: i64) -> String {
    crate::domain::rfc3339(secs).replace('T', " ").replace('Z', " UTC")
}

/// A citizen's full name as entered, or the sign-in name when none is known.
pub fn citizen_name(user: &crate::db::models::user::UserRow) -> String {
    let parts = [user.family_name.as_deref(), user.given_name.as_deref(), user.middle_name.as_deref()];
    let name = parts.into_iter().flatten().collect::<Vec<_>>().join(" ");
    if name.is_empty() { user.username.clone() } else { name }
}

/// An error page for a refusal the services gave in English, in the request's language.
pub fn refused_page(req: &HttpRequest, status: StatusCode, english: &str) -> HttpResponse {
    let text = super::i18n::reason(locale(req, None), english);
    let mut chars = text.chars();
    let text: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
    error_page(req, status, move |_| text.clone())
}

/// The QR poller, compiled in.
pub async fn qr_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("static/qr.js"))
}

/// The passkey script, compiled in.
pub async fn passkey_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("static/passkey.js"))
}

/// The stylesheet, compiled in.
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(include_str!("static/vhod.css"))
}

/// The profile's assisted-channel parts, with their texts.
#[derive(Default)]
pub struct AssistedView {
    /// The principal's name while acting for them.
    pub acting: Option<String>,
    /// "You are acting for".
    pub acting_note: &'static str,
    /// "Stop acting".
    pub stop_label: &'static str,
    /// Heading of the powers list.
    pub powers_heading: &'static str,
    /// (power id, principal, what it covers, in force) where the citizen represents.
    pub powers: Vec<(String, String, String, bool)>,
    /// "Act for them".
    pub act_label: &'static str,
    /// Whether confirmation by post can be requested (standard accounts).
    pub post_available: bool,
    /// Reference of the live post code.
    pub post_reference: Option<String>,
    /// Its state in words.
    pub post_state: String,
    /// Heading.
    pub post_heading: &'static str,
    /// Explanation.
    pub post_note: &'static str,
    /// "Get a code".
    pub request_label: &'static str,
    /// "Print view".
    pub print_label: &'static str,
    /// "PDF".
    pub pdf_label: &'static str,
    /// "Code from the form".
    pub code_label: &'static str,
    /// "Confirm".
    pub confirm_label: &'static str,
}
