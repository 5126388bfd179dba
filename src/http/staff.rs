//! The staff area under `/staff`: sign-in (password, then a one-time code to the
//! member's phone), and the pages each role works with. Pages are server-rendered in
//! Russian and English through one page model ([`view`]); every form carries a CSRF
//! token bound to the staff session; every list is searchable and paginated.

mod cases;
mod citizens;
pub mod view;

use std::collections::HashMap;
use std::net::IpAddr;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;
use serde::Deserialize;

use super::browser::{Browser, new_staff_cookie, removal_staff_cookie, staff_cookie};
use super::i18n::Locale;
use super::pages;
use crate::app::Services;
use crate::login::otp::{self, Delivery, OtpError, Purpose, Transaction};
use crate::staff::members::{self, SignInError};
use crate::staff::{Action, Staff, StaffError};
use view::{Block, Field, Form, StaffTemplate, View};

pub use cases::{
    application, application_file, applications, audit_log, decide_application, escalate_request, new_application,
    open_request, report, request, requests, resolve_request, submit_application,
};
pub use citizens::{
    activation, attorneys, card, citizens, codes, confirm, new_citizen, post_form, present_post, record_attorney,
    register, revoke_attorney, temporary,
};

/// Routes of the staff area (called from the route table).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff", web::get().to(home))
        .route("/staff/login", web::get().to(login_form))
        .route("/staff/login", web::post().to(login_submit))
        .route("/staff/login/code", web::get().to(code_form))
        .route("/staff/login/code", web::post().to(code_submit))
        .route("/staff/login/resend", web::post().to(resend_code))
        .route("/staff/logout", web::post().to(logout))
        .route("/staff/citizens", web::get().to(citizens))
        .route("/staff/citizens", web::post().to(register))
        .route("/staff/citizens/new", web::get().to(new_citizen))
        .route("/staff/citizens/{id}", web::get().to(card))
        .route("/staff/citizens/{id}/confirm", web::post().to(confirm))
        .route("/staff/citizens/{id}/activation", web::post().to(activation))
        .route("/staff/citizens/{id}/temporary", web::post().to(temporary))
        .route("/staff/codes", web::get().to(codes))
        .route("/staff/post", web::get().to(post_form))
        .route("/staff/post", web::post().to(present_post))
        .route("/staff/attorneys", web::get().to(attorneys))
        .route("/staff/attorneys", web::post().to(record_attorney))
        .route("/staff/attorneys/revoke", web::post().to(revoke_attorney))
        .route("/staff/applications", web::get().to(applications))
        .route("/staff/applications", web::post().to(submit_application))
        .route("/staff/applications/new", web::get().to(new_application))
        .route("/staff/applications/{id}", web::get().to(application))
        .route("/staff/applications/{id}/files/{file}", web::get().to(application_file))
        .route("/staff/applications/{id}/decide", web::post().to(decide_application))
        .route("/staff/support", web::get().to(requests))
        .route("/staff/support", web::post().to(open_request))
        .route("/staff/support/report", web::get().to(report))
        .route("/staff/support/{id}", web::get().to(request))
        .route("/staff/support/{id}/escalate", web::post().to(escalate_request))
        .route("/staff/support/{id}/resolve", web::post().to(resolve_request))
        .route("/staff/audit", web::get().to(audit_log));
}

/// A form as posted: every staff form is read as name → value.
pub type Fields = web::Form<HashMap<String, String>>;

/// A field of a posted form ("" when absent).
pub fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map_or("", String::as_str)
}

/// `?q=&status=&page=` of the lists.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: Option<i64>,
}

impl ListQuery {
    /// 1-based page.
    pub fn page(&self) -> i64 {
        self.page.unwrap_or(1).clamp(1, 10_000)
    }

    /// The query without `page`, for paging links.
    pub fn without_page(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", &self.q)
            .append_pair("status", &self.status)
            .finish()
    }
}

/// The signed-in member and what a page needs about the request.
pub struct Ctx {
    /// The member.
    pub staff: Staff,
    /// Page language.
    pub locale: Locale,
    /// CSRF token for the member's forms.
    pub csrf: String,
}

fn ip(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|a| a.ip())
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_owned())).finish()
}

/// The signed-in member, or a redirect to the staff sign-in.
pub async fn staff_of(req: &HttpRequest, svc: &Services) -> Result<Ctx, HttpResponse> {
    let locale = pages::locale(req, None);
    let Some(cookie) = staff_cookie(req, svc) else { return Err(see_other("/staff/login")) };
    match members::from_session(svc, &cookie).await {
        Ok(Some(staff)) => Ok(Ctx { staff, locale, csrf: svc.secrets.csrf_token(&cookie, "staff") }),
        Ok(None) => Err(see_other("/staff/login")),
        Err(e) => Err(unavailable(req, e)),
    }
}

/// The signed-in member for a form post whose CSRF token must match.
pub async fn staff_posting(req: &HttpRequest, svc: &Services, csrf: &str) -> Result<Ctx, HttpResponse> {
    let ctx = staff_of(req, svc).await?;
    let valid = staff_cookie(req, svc).is_some_and(|cookie| svc.secrets.csrf_valid(&cookie, "staff", csrf));
    if !valid {
        return Err(pages::error_page(req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned()));
    }
    Ok(ctx)
}

fn unavailable(req: &HttpRequest, e: impl std::fmt::Display) -> HttpResponse {
    tracing::error!(error = %e, "staff page unavailable");
    pages::error_page(req, StatusCode::SERVICE_UNAVAILABLE, |t| t.unavailable.to_owned())
}

/// The member's sections, by role.
fn nav(ctx: &Ctx) -> Vec<(String, String)> {
    let l = ctx.locale;
    let s = &ctx.staff;
    let mut nav = vec![("/staff".to_owned(), l.pick("Главная", "Home").to_owned())];
    let mut add = |allowed: bool, href: &str, label: &str| {
        if allowed {
            nav.push((href.to_owned(), label.to_owned()));
        }
    };
    add(s.may(Action::FindCitizens), "/staff/citizens", l.pick("Граждане", "Citizens"));
    add(s.may(Action::PresentPostCode), "/staff/post", l.pick("Почтовые коды", "Post codes"));
    add(
        s.may(Action::SubmitApplication) || s.may(Action::ReviewApplications),
        "/staff/applications",
        l.pick("Заявки", "Applications"),
    );
    add(
        s.may(Action::RecordPowerOfAttorney) || s.may(Action::ReadPowersOfAttorney),
        "/staff/attorneys",
        l.pick("Доверенности", "Powers of attorney"),
    );
    add(s.may(Action::ReadCodes), "/staff/codes", l.pick("Коды", "Codes"));
    add(
        s.may(Action::WorkSupportRequests) || s.may(Action::ReadSupport),
        "/staff/support",
        l.pick("Обращения", "Support requests"),
    );
    add(s.may(Action::ReadAudit), "/staff/audit", l.pick("Журнал", "Audit trail"));
    nav
}

/// A page for the signed-in member.
pub fn page(ctx: &Ctx, title: &str) -> View {
    let l = ctx.locale;
    View {
        title: title.to_owned(),
        nav: nav(ctx),
        nav_label: l.pick("Разделы", "Sections").into(),
        signed_in: Some((
            format!("{} · {}", ctx.staff.display_name, ctx.staff.office),
            ctx.csrf.clone(),
            l.pick("Выйти", "Sign out").into(),
        )),
        other_lang: l.other().tag(),
        other_lang_label: l.pick("English", "Русский"),
        ..View::default()
    }
}

/// Renders a page.
pub fn render(status: StatusCode, locale: Locale, view: &View) -> HttpResponse {
    pages::render(status, &StaffTemplate { lang: locale.tag(), t: locale.texts(), page: view }, None)
}

/// The page for a service error: refusals name the reason, field errors list the
/// fields, and `retry` (when given) is the form again with what was typed.
pub fn failure(req: &HttpRequest, ctx: &Ctx, e: StaffError, retry: Option<View>) -> HttpResponse {
    let l = ctx.locale;
    let (status, mut view) = match e {
        StaffError::Forbidden => {
            let mut view = page(ctx, l.pick("Действие недоступно", "Not allowed"));
            view.errors = vec![(
                "role".into(),
                l.pick("Ваша роль не позволяет это действие.", "Your role does not allow this action.").into(),
            )];
            (StatusCode::FORBIDDEN, view)
        }
        StaffError::NotFound(what) => {
            let mut view = page(ctx, l.pick("Не найдено", "Not found"));
            view.errors = vec![("id".into(), format!("{what} {}", l.pick("не найдено", "not found")))];
            (StatusCode::NOT_FOUND, view)
        }
        StaffError::Invalid(list) => {
            let mut view = retry.unwrap_or_else(|| page(ctx, l.pick("Ошибка в данных", "Invalid input")));
            view.errors =
                list.into_iter().map(|m| (m.field.clone(), super::i18n::mismatch(l, &m.field, &m.reason))).collect();
            (StatusCode::BAD_REQUEST, view)
        }
        StaffError::Refused(reason) => {
            let mut view = retry.unwrap_or_else(|| page(ctx, l.pick("Отказано", "Refused")));
            view.errors = vec![("request".into(), super::i18n::reason(l, &reason))];
            (StatusCode::CONFLICT, view)
        }
        StaffError::Unavailable(e) => return unavailable(req, e),
    };
    if view.blocks.is_empty() {
        view.blocks
            .push(Block {
                links: vec![("/staff".into(), l.pick("На главную", "Home").into())], ..Block::default()
            });
    }
    render(status, l, &view)
}

/// `GET /staff`: the member's sections.
pub async fn home(req: HttpRequest, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    let l = ctx.locale;
    let mut view = page(&ctx, l.pick("Рабочее место сотрудника", "Staff workplace"));
    let roles: Vec<&str> = ctx.staff.roles.iter().map(|r| r.as_str()).collect();
    view.blocks.push(Block {
        id: "me".into(),
        facts: vec![
            (l.pick("Сотрудник", "Member").into(), ctx.staff.display_name.clone()),
            (l.pick("Офис", "Office").into(), ctx.staff.office.clone()),
            (l.pick("Роли", "Roles").into(), roles.join(", ")),
        ],
        links: view.nav.iter().skip(1).cloned().collect(),
        ..Block::default()
    });
    render(StatusCode::OK, l, &view)
}

fn login_view(locale: Locale, csrf: &str, username: &str, error: Option<&str>) -> View {
    let l = locale;
    View {
        title: l.pick("Вход для сотрудников", "Staff sign-in").into(),
        errors: error.map(|e| vec![("login".to_owned(), e.to_owned())]).unwrap_or_default(),
        blocks: vec![Block {
            form: Some(Form {
                action: "/staff/login".into(),
                id: "staff-login".into(),
                csrf: csrf.to_owned(),
                fields: vec![
                    Field {
                        autocomplete: "username",
                        ..Field::new("text", "username", l.pick("Логин", "User name"), username).required()
                    },
                    Field {
                        autocomplete: "current-password",
                        ..Field::new("password", "password", l.pick("Пароль", "Password"), "").required()
                    },
                ],
                submit: l.pick("Продолжить", "Continue").into(),
                ..Form::default()
            }),
            ..Block::default()
        }],
        other_lang: l.other().tag(),
        other_lang_label: l.pick("English", "Русский"),
        ..View::default()
    }
}

/// `GET /staff/login`.
pub async fn login_form(req: HttpRequest, svc: web::Data<Services>) -> HttpResponse {
    let locale = pages::locale(&req, None);
    let browser = Browser::of(&req, &svc);
    let csrf = svc.secrets.csrf_token(&browser.id, "staff-login");
    let view = login_view(locale, &csrf, "", None);
    pages::render(StatusCode::OK, &StaffTemplate { lang: locale.tag(), t: locale.texts(), page: &view }, Some(&browser))
}

/// The sign-in form.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /staff/login`: the password step; sends the code.
pub async fn login_submit(req: HttpRequest, form: web::Form<LoginForm>, svc: web::Data<Services>) -> HttpResponse {
    let locale = pages::locale(&req, None);
    let Some(browser) = Browser::existing(&req, &svc).filter(|b| svc.secrets.csrf_valid(b, "staff-login", &form.csrf))
    else {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    };
    let retry = |status: StatusCode, message: &str| {
        let csrf = svc.secrets.csrf_token(&browser, "staff-login");
        let view = login_view(locale, &csrf, &form.username, Some(message));
        render(status, locale, &view)
    };
    let password = SecretString::from(form.password.clone());
    let row = match members::check_password(&svc, &form.username, password, ip(&req)).await {
        Ok(row) => row,
        Err(SignInError::Invalid) => {
            return retry(
                StatusCode::UNAUTHORIZED,
                locale.pick("Неверный логин или пароль.", "Wrong user name or password."),
            );
        }
        Err(SignInError::Locked) => {
            return retry(
                StatusCode::TOO_MANY_REQUESTS,
                locale.pick(
                    "Слишком много попыток. Попробуйте через 15 минут.",
                    "Too many attempts. Try again in 15 minutes.",
                ),
            );
        }
        Err(SignInError::Unavailable(e)) => return unavailable(&req, e),
    };
    let record = Transaction {
        purpose: Purpose::Staff,
        phone: row.phone.clone(),
        rid: None,
        user_id: Some(row.id.clone()),
        browser: super::browser::binding_of(&browser),
        delivery: Delivery::Code,
        verified: false,
    };
    match otp::start(&svc, record, ip(&req)).await {
        Ok(tx) => see_other(&format!("/staff/login/code?tx={tx}")),
        Err(OtpError::Unavailable(e)) => unavailable(&req, e),
        Err(e) => retry(StatusCode::TOO_MANY_REQUESTS, &e.to_string()),
    }
}

/// `?tx=`.
#[derive(Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    tx: String,
}

fn code_view(locale: Locale, csrf: &str, tx: &str, error: Option<&str>) -> View {
    let l = locale;
    let resend = Block {
        id: "resend-section".into(),
        form: Some(Form {
            action: "/staff/login/resend".into(),
            id: "staff-resend".into(),
            csrf: csrf.to_owned(),
            fields: vec![Field::new("hidden", "tx", "", tx)],
            submit: l.pick("Отправить код ещё раз", "Send the code again").into(),
            ..Form::default()
        }),
        ..Block::default()
    };
    View {
        title: l.pick("Код из SMS", "Code from the SMS").into(),
        errors: error.map(|e| vec![("code".to_owned(), e.to_owned())]).unwrap_or_default(),
        blocks: vec![
            Block {
                form: Some(Form {
                    action: "/staff/login/code".into(),
                    id: "staff-code".into(),
                    csrf: csrf.to_owned(),
                    fields: vec![
                        Field::new("hidden", "tx", "", tx),
                        Field {
                            autocomplete: "one-time-code",
                            ..Field::new("text", "code", l.pick("Код", "Code"), "").required()
                        },
                    ],
                    submit: l.pick("Войти", "Sign in").into(),
                    ..Form::default()
                }),
                ..Block::default()
            },
            resend,
        ],
        other_lang: l.other().tag(),
        other_lang_label: l.pick("English", "Русский"),
        ..View::default()
    }
}

/// `GET /staff/login/code`.
pub async fn code_form(req: HttpRequest, query: web::Query<CodeQuery>, svc: web::Data<Services>) -> HttpResponse {
    let locale = pages::locale(&req, None);
    let Some(browser) = Browser::existing(&req, &svc) else {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.expired.to_owned());
    };
    let csrf = svc.secrets.csrf_token(&browser, &format!("staff-code:{}", query.tx));
    render(StatusCode::OK, locale, &code_view(locale, &csrf, &query.tx, None))
}

/// The code form.
#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tx: String,
    #[serde(default)]
    code: String,
}

/// `POST /staff/login/code`: the second step; starts the staff session.
pub async fn code_submit(req: HttpRequest, form: web::Form<CodeForm>, svc: web::Data<Services>) -> HttpResponse {
    let locale = pages::locale(&req, None);
    let purpose = format!("staff-code:{}", form.tx);
    let Some(browser) = Browser::existing(&req, &svc).filter(|b| svc.secrets.csrf_valid(b, &purpose, &form.csrf))
    else {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    };
    let binding = super::browser::binding_of(&browser);
    let record = match otp::load(&svc, &form.tx, &binding).await {
        Ok(Some(record)) if record.purpose == Purpose::Staff => record,
        Ok(_) => return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.expired.to_owned()),
        Err(e) => return unavailable(&req, e),
    };
    if let Err(e) = otp::verify(&svc, &form.tx, &binding, &form.code, ip(&req)).await {
        let (status, message) = match e {
            OtpError::Invalid => (StatusCode::UNAUTHORIZED, locale.pick("Неверный код.", "Wrong code.")),
            OtpError::Locked(_) => {
                (StatusCode::TOO_MANY_REQUESTS, locale.pick("Слишком много неверных кодов.", "Too many wrong codes."))
            }
            OtpError::Unavailable(e) => return unavailable(&req, e),
            _ => return see_other("/staff/login"),
        };
        let csrf = svc.secrets.csrf_token(&browser, &purpose);
        return render(status, locale, &code_view(locale, &csrf, &form.tx, Some(message)));
    }
    let _ = otp::finish(&svc, &form.tx, &binding).await;
    let id = record.user_id.unwrap_or_default();
    let row = match svc.db.run(move |conn| crate::db::models::staff::find(conn, &id)).await {
        Ok(Some(row)) if !row.disabled => row,
        Ok(_) => return see_other("/staff/login"),
        Err(e) => return unavailable(&req, e),
    };
    match members::start_session(&svc, &row, ip(&req)).await {
        Ok(cookie) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/staff"))
            .cookie(new_staff_cookie(&svc, cookie))
            .finish(),
        Err(e) => unavailable(&req, e),
    }
}

/// `POST /staff/login/resend`: a fresh code for a live staff transaction (under the
/// same cooldown and limits as citizens' codes).
pub async fn resend_code(req: HttpRequest, form: web::Form<CodeForm>, svc: web::Data<Services>) -> HttpResponse {
    let locale = pages::locale(&req, None);
    let purpose = format!("staff-code:{}", form.tx);
    let Some(browser) = Browser::existing(&req, &svc).filter(|b| svc.secrets.csrf_valid(b, &purpose, &form.csrf))
    else {
        return pages::error_page(&req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned());
    };
    let binding = super::browser::binding_of(&browser);
    let record = match otp::load(&svc, &form.tx, &binding).await {
        Ok(Some(record)) if record.purpose == Purpose::Staff => record,
        Ok(_) => return see_other("/staff/login"),
        Err(e) => return unavailable(&req, e),
    };
    match otp::resend(&svc, &form.tx, &record, ip(&req)).await {
        Ok(()) => see_other(&format!("/staff/login/code?tx={}", form.tx)),
        Err(OtpError::Unavailable(e)) => unavailable(&req, e),
        Err(e) => {
            let csrf = svc.secrets.csrf_token(&browser, &purpose);
            let message = super::i18n::reason(locale, &e.to_string());
            render(StatusCode::TOO_MANY_REQUESTS, locale, &code_view(locale, &csrf, &form.tx, Some(&message)))
        }
    }
}

/// `POST /staff/logout`.
pub async fn logout(req: HttpRequest, form: Fields, svc: web::Data<Services>) -> HttpResponse {
    if staff_posting(&req, &svc, field(&form, "csrf")).await.is_ok()
        && let Some(cookie) = staff_cookie(&req, &svc)
    {
        let _ = members::end_session(&svc, &cookie).await;
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/staff/login"))
        .cookie(removal_staff_cookie(&svc))
        .finish()
}
