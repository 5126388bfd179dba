//! Citizen pages of the assisted channels: `/activate` (set a password with an
//! activation code), `/temporary` (sign in with a temporary access code), `/support`
//! (report a sign-in problem), confirmation by post from the profile (print view,
//! PDF, entering the code), and acting for a principal under a power of attorney.

use std::collections::HashMap;
use std::net::IpAddr;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::SecretString;

use super::authorize::current_session;
use super::browser::{Browser, session_cookie};
use super::i18n::Locale;
use super::pages::{self, AssistedView, citizen_name, when};
use super::staff::view::{Block, Field, Form, StaffTemplate, View};
use crate::accounts;
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::db::models::user::{self as user_db, UserRow};
use crate::domain::AccountLevel;
use crate::login::Session;
use crate::login::session::Acting;
use crate::staff::codes::{self, CodeError};
use crate::staff::{StaffError, attorney, support};

fn ip(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|a| a.ip())
}

fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map_or("", String::as_str)
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_owned())).finish()
}

fn expired(req: &HttpRequest) -> HttpResponse {
    pages::error_page(req, StatusCode::BAD_REQUEST, |t| t.form_expired.to_owned())
}

/// The browser id of a form post whose CSRF token for `purpose` matches.
fn posted_browser(req: &HttpRequest, svc: &Services, purpose: &str, form: &HashMap<String, String>) -> Option<String> {
    Browser::existing(req, svc).filter(|b| svc.secrets.csrf_valid(b, purpose, field(form, "csrf")))
}

fn unavailable(req: &HttpRequest, e: impl std::fmt::Display) -> HttpResponse {
    tracing::error!(error = %e, "assisted page unavailable");
    pages::error_page(req, StatusCode::SERVICE_UNAVAILABLE, |t| t.unavailable.to_owned())
}

fn citizen_view(locale: Locale, title: &str) -> View {
    View {
        title: title.to_owned(),
        other_lang: locale.other().tag(),
        other_lang_label: locale.pick("English", "Русский"),
        ..View::default()
    }
}

fn form_view(locale: Locale, title: &str, action: &str, csrf: String, fields: Vec<Field>, submit: &str) -> View {
    let mut view = citizen_view(locale, title);
    view.blocks.push(Block {
        form: Some(Form {
            action: action.to_owned(),
            id: action.trim_start_matches('/').replace('/', "-"),
            csrf,
            fields,
            submit: submit.to_owned(),
            ..Form::default()
        }),
        ..Block::default()
    });
    view
}

fn show(status: StatusCode, locale: Locale, view: &View, browser: Option<&Browser>) -> HttpResponse {
    pages::render(status, &StaffTemplate { lang: locale.tag(), t: locale.texts(), page: view }, browser)
}

fn code_error(locale: Locale, e: &CodeError) -> (StatusCode, String) {
    match e {
        CodeError::Invalid => (
            StatusCode::BAD_REQUEST,
            locale.pick("Код неверен или больше не действует.", "The code is wrong or no longer valid.").into(),
        ),
        CodeError::Locked => (
            StatusCode::TOO_MANY_REQUESTS,
            locale
                .pick(
                    "Слишком много неверных кодов с этого адреса. Попробуйте через час.",
                    "Too many wrong codes from this address. Try again in an hour.",
                )
                .into(),
        ),
        CodeError::NotPresented => (
            StatusCode::CONFLICT,
            locale
                .pick(
                    "Код ещё не отмечен на почте: предъявите бланк и паспорт в отделении.",
                    "The code has not been presented at a post office yet: bring the form and your passport.",
                )
                .into(),
        ),
        CodeError::Staff(StaffError::Invalid(list)) => (
            StatusCode::BAD_REQUEST,
            list.iter().map(|m| super::i18n::mismatch(locale, &m.field, &m.reason)).collect::<Vec<_>>().join("; "),
        ),
        CodeError::Staff(StaffError::Refused(why)) => (StatusCode::CONFLICT, super::i18n::reason(locale, why)),
        CodeError::Staff(e) => (StatusCode::BAD_REQUEST, super::i18n::reason(locale, &e.to_string())),
    }
}

// ---------------------------------------------------------------- /activate

fn activate_view(locale: Locale, csrf: String, login: &str, error: Option<String>) -> View {
    let l = locale;
    let mut view = form_view(
        l,
        l.pick("Активация учётной записи", "Activate your account"),
        "/activate",
        csrf,
        vec![
            Field {
                autocomplete: "username",
                ..Field::new("text", "username", l.pick("Телефон, СНИЛС или логин", "Phone, SNILS or user name"), login)
                    .required()
            },
            Field {
                autocomplete: "one-time-code",
                ..Field::new("text", "code", l.pick("Код активации", "Activation code"), "").required()
            },
            Field {
                autocomplete: "new-password",
                ..Field::new(
                    "password",
                    "password",
                    l.pick("Новый пароль (от 8 символов)", "New password (8 characters or more)"),
                    "",
                )
                .required()
            },
        ],
        l.pick("Задать пароль", "Set the password"),
    );
    view.errors = error.map(|e| vec![("code".to_owned(), e)]).unwrap_or_default();
    view
}

/// `GET /activate`.
pub async fn activate_form(req: HttpRequest, svc: web::Data<Services>) -> HttpResponse {
    let locale = pages::locale(&req, None);
    let browser = Browser::of(&req, &svc);
    let csrf = svc.secrets.csrf_token(&browser.id, "activate");
    show(StatusCode::OK, locale, &activate_view(locale, csrf, "", None), Some(&browser))
}

/// `POST /activate`.
pub async fn activate(
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
    svc: web::Data<Services>,
) -> HttpResponse {
    let locale = pages::locale(&req, None);
    let Some(browser) = posted_browser(&req, &svc, "activate", &form) else { return expired(&req) };
    let password = SecretString::from(field(&form, "password").to_owned());
    match codes::activate(&svc, field(&form, "username"), field(&form, "code"), password, ip(&req)).await {
        Ok(user) => {
            let mut view = citizen_view(locale, locale.pick("Учётная запись активирована", "Account activated"));
            view.notice = Some(format!(
                "{} {}",
                locale.pick("Пароль задан. Входите с логином", "The password is set. Sign in as"),
                user.username
            ));
            view.blocks.push(Block {
                links: vec![("/account".into(), locale.pick("Профиль", "Profile").into())],
                ..Block::default()
            });
            show(StatusCode::OK, locale, &view, None)
        }
        Err(CodeError::Staff(StaffError::Unavailable(e))) => unavailable(&req, e),
        Err(e) => {
            let (status, message) = code_error(locale, &e);
            let csrf = svc.secrets.csrf_token(&browser, "activate");
            show(status, locale, &activate_view(locale, csrf, field(&form, "username"), Some(message)), None)
        }
    }
}

// ---------------------------------------------------------------- /temporary

fn temporary_view(locale: Locale, csrf: String, rid: &str, login: &str, error: Option<String>) -> View {
    let l = locale;
    let mut view = form_view(
        l,
        l.pick("Вход по временному коду", "Sign in with a temporary code"),
        "/temporary",
        csrf,
        vec![
            Field::new("hidden", "rid", "", rid),
            Field {
                autocomplete: "username",
                ..Field::new("text", "username", l.pick("Телефон, СНИЛС или логин", "Phone, SNILS or user name"), login)
                    .required()
            },
            Field {
                autocomplete: "one-time-code",
                ..Field::new("text", "code", l.pick("Код от службы поддержки", "Code from support"), "").required()
            },
        ],
        l.pick("Войти", "Sign in"),
    );
    view.notice = Some(
        l.pick(
            "Временный доступ открывает только профиль и контакты; сервисы могут его не принимать.",
            "Temporary access releases only your profile and contacts; services may refuse it.",
        )
        .into(),
    );
    view.errors = error.map(|e| vec![("code".to_owned(), e)]).unwrap_or_default();
    view
}

/// `?rid=`.
#[derive(serde::Deserialize)]
pub struct RidQuery {
    #[serde(default)]
    rid: String,
}

/// `GET /temporary`.
pub async fn temporary_form(req: HttpRequest, query: web::Query<RidQuery>, svc: web::Data<Services>) -> HttpResponse {
    let locale = pages::locale(&req, None);
    let browser = Browser::of(&req, &svc);
    let csrf = svc.secrets.csrf_token(&browser.id, "temporary");
    let rid = super::sms::clean_rid(&query.rid).unwrap_or_default();
    show(StatusCode::OK, locale, &temporary_view(locale, csrf, &rid, "", None), Some(&browser))
}

/// `POST /temporary`: signs in with restricted scopes until the grant ends.
pub async fn temporary(
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
    svc: web::Data<Services>,
) -> HttpResponse {
    let locale = pages::locale(&req, None);
    let Some(browser) = posted_browser(&req, &svc, "temporary", &form) else { return expired(&req) };
    let rid = super::sms::clean_rid(field(&form, "rid"));
    match codes::redeem_temporary(&svc, field(&form, "username"), field(&form, "code"), ip(&req)).await {
        Ok((user, until)) => {
            let mut session = Session::new(user.id.clone(), vec!["otp".into()], accounts::level_of(&user));
            session.temporary_until = Some(until);
            super::sms::signed_in(&req, &svc, session, rid.as_deref(), "temporary").await
        }
        Err(CodeError::Staff(StaffError::Unavailable(e))) => unavailable(&req, e),
        Err(e) => {
            let (status, message) = code_error(locale, &e);
            let csrf = svc.secrets.csrf_token(&browser, "temporary");
            let view = temporary_view(
                locale,
                csrf,
                rid.as_deref().unwrap_or_default(),
                field(&form, "username"),
                Some(message),
            );
            show(status, locale, &view, None)
        }
    }
}

// ---------------------------------------------------------------- /support

fn support_view(locale: Locale, csrf: String, values: &HashMap<String, String>) -> View {
    let l = locale;
    form_view(
        l,
        l.pick("Не получается войти", "I cannot sign in"),
        "/support",
        csrf,
        vec![
            Field::new(
                "text",
                "contact",
                l.pick("Как с вами связаться (телефон или e-mail)", "How to reach you (phone or e-mail)"),
                field(values, "contact"),
            )
            .required(),
            Field::new(
                "textarea",
                "description",
                l.pick("Что происходит", "What happens"),
                field(values, "description"),
            )
            .required(),
        ],
        l.pick("Отправить обращение", "Send"),
    )
}

/// `GET /support`.
pub async fn support_form(req: HttpRequest, svc: web::Data<Services>) -> HttpResponse {
    let locale = pages::locale(&req, None);
    let browser = Browser::of(&req, &svc);
    let csrf = svc.secrets.csrf_token(&browser.id, "support");
    show(StatusCode::OK, locale, &support_view(locale, csrf, &HashMap::new()), Some(&browser))
}

/// `POST /support`: a citizen reports a sign-in problem.
pub async fn support_submit(
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
    svc: web::Data<Services>,
) -> HttpResponse {
    let locale = pages::locale(&req, None);
    let Some(browser) = posted_browser(&req, &svc, "support", &form) else { return expired(&req) };
    let user = current_session(&req, &svc).await.ok().flatten().map(|s| s.user_id);
    match support::open_by_citizen(&svc, user, field(&form, "contact"), field(&form, "description"), ip(&req)).await {
        Ok(row) => {
            let mut view = citizen_view(locale, locale.pick("Обращение принято", "Request received"));
            view.notice = Some(format!("{} {}", locale.pick("Номер обращения:", "Request number:"), row.id));
            show(StatusCode::CREATED, locale, &view, None)
        }
        Err(StaffError::Unavailable(e)) => unavailable(&req, e),
        Err(e) => {
            let csrf = svc.secrets.csrf_token(&browser, "support");
            let mut view = support_view(locale, csrf, &form);
            let status = if matches!(e, StaffError::Refused(_)) {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::BAD_REQUEST
            };
            view.errors = match e {
                StaffError::Invalid(list) => list
                    .into_iter()
                    .map(|m| (m.field.clone(), super::i18n::mismatch(locale, &m.field, &m.reason)))
                    .collect(),
                other => vec![("request".into(), super::i18n::reason(locale, &other.to_string()))],
            };
            show(status, locale, &view, None)
        }
    }
}

// ---------------------------------------------------------------- the profile's parts

/// The assisted parts of the profile for the signed-in citizen.
pub async fn profile_part(
    svc: &Services,
    session: &Session,
    user: &UserRow,
    locale: Locale,
) -> Result<AssistedView, String> {
    let l = locale;
    let at = crate::db::now();
    let mut powers = Vec::new();
    for power in attorney::for_account(svc, &user.id).await.map_err(|e| e.to_string())? {
        if power.representative_id != user.id || power.revoked_at.is_some() || power.valid_until <= at {
            continue;
        }
        let id = power.principal_id.clone();
        let principal = svc.db.run(move |conn| user_db::find_by_id(conn, &id)).await.map_err(|e| e.to_string())?;
        let name = principal.as_ref().map(citizen_name).unwrap_or_default();
        let covers = format!("{} ({})", power.scopes, power.clients);
        powers.push((power.id.clone(), name, covers, attorney::in_force(&power, at)));
    }
    let post = codes::live_post(svc, &user.id).await.map_err(|e| e.to_string())?;
    let post_state = match &post {
        Some((row, _)) if row.presented_at.is_some() => l
            .pick(
                "Бланк предъявлен на почте — введите код с бланка.",
                "The form was presented at a post office — enter the code from it.",
            )
            .to_owned(),
        Some((row, _)) => format!(
            "{} {} · {} {}",
            l.pick("Бланк №", "Form no."),
            row.id,
            l.pick("действует до", "valid until"),
            when(row.expires_at)
        ),
        None => String::new(),
    };
    Ok(AssistedView {
        acting: session.acting.as_ref().map(|a| a.principal_name.clone()),
        acting_note: l.pick("Вы действуете по доверенности от имени", "You are acting under a power of attorney for"),
        stop_label: l.pick("Действовать от своего имени", "Act as yourself"),
        powers_heading: l.pick("Доверенности на вас", "Powers of attorney you hold"),
        powers,
        act_label: l.pick("Действовать от имени доверителя", "Act for the principal"),
        post_available: accounts::level_of(user) == AccountLevel::Standard,
        post_reference: post.map(|(row, _)| row.id),
        post_state,
        post_heading: l.pick("Подтверждение личности через почту", "Confirmation at a post office"),
        post_note: l.pick(
            "Распечатайте бланк с кодом, предъявите его с паспортом в отделении почты, затем введите код здесь.",
            "Print the form with the code, show it with your passport at a post office, then enter the code here.",
        ),
        request_label: l.pick("Получить бланк с кодом", "Get a form with a code"),
        print_label: l.pick("Бланк для печати", "Printable form"),
        pdf_label: l.pick("Бланк в PDF", "Form as PDF"),
        code_label: l.pick("Код с бланка", "Code from the form"),
        confirm_label: l.pick("Подтвердить", "Confirm"),
    })
}

/// The signed-in session and its cookie, for a profile form whose CSRF token matches.
async fn signed_in(req: &HttpRequest, svc: &Services, csrf: &str) -> Result<(Session, String), HttpResponse> {
    if !Browser::existing(req, svc).is_some_and(|id| svc.secrets.csrf_valid(&id, "account", csrf)) {
        return Err(expired(req));
    }
    let Some(cookie) = session_cookie(req, svc) else { return Err(see_other("/account")) };
    match Session::load(&svc.state, &cookie).await {
        Ok(Some(session)) if !session.is_temporary() => Ok((session, cookie)),
        Ok(Some(_)) => Err(pages::error_page(req, StatusCode::FORBIDDEN, |t| t.not_signed_in.to_owned())),
        Ok(None) => Err(see_other("/account")),
        Err(e) => Err(unavailable(req, e)),
    }
}

async fn account_of(req: &HttpRequest, svc: &Services, session: &Session) -> Result<UserRow, HttpResponse> {
    let id = session.user_id.clone();
    match svc.db.run(move |conn| user_db::find_by_id(conn, &id)).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(see_other("/account")),
        Err(e) => Err(unavailable(req, e)),
    }
}

/// `POST /account/post`: issues a post confirmation code and shows the print view.
pub async fn request_post(
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
    svc: web::Data<Services>,
) -> HttpResponse {
    let (session, _) = match signed_in(&req, &svc, field(&form, "csrf")).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match codes::request_post(&svc, &session.user_id).await {
        Ok(_) => see_other("/account/post"),
        Err(StaffError::Refused(reason)) => pages::refused_page(&req, StatusCode::CONFLICT, &reason),
        Err(e) => unavailable(&req, e),
    }
}

/// The letter's lines: (text, size, bold).
fn letter(
    locale: Locale,
    user: &UserRow,
    reference: &str,
    code: &str,
    expires: i64,
) -> (String, Vec<(String, f32, bool)>) {
    let l = locale;
    let document = accounts::IdDocument::of(user).map(|d| format!("{} {}", d.series, d.number)).unwrap_or_default();
    let title = l
        .pick("Бланк подтверждения личности в отделении почты", "Identity confirmation form for a post office")
        .to_owned();
    let lines = vec![
        (title.clone(), 16.0, true),
        (String::new(), 11.0, false),
        (format!("{} {}", l.pick("Номер бланка:", "Form reference:"), reference), 13.0, true),
        (format!("{} {}", l.pick("Гражданин:", "Citizen:"), citizen_name(user)), 12.0, false),
        (format!("{} {}", l.pick("Паспорт:", "Passport:"), document), 12.0, false),
        (format!("{} {}", l.pick("Действует до:", "Valid until:"), when(expires)), 12.0, false),
        (String::new(), 11.0, false),
        (format!("{} {}", l.pick("Код подтверждения:", "Confirmation code:"), code), 18.0, true),
        (String::new(), 11.0, false),
        (
            l.pick(
                "Для оператора почты: проверьте паспорт гражданина, введите номер бланка и серию и номер паспорта в рабочем месте «Вход» (раздел «Почтовые коды»).",
                "For the post clerk: check the citizen's passport, then enter the form reference and the passport series and number in the Vhod staff area (Post codes).",
            )
            .to_owned(),
            11.0,
            false,
        ),
        (
            l.pick(
                "Для гражданина: после отметки на почте войдите в профиль и введите код подтверждения. Никому не сообщайте код, кроме как предъявляя этот бланк.",
                "For the citizen: after the post office has marked the form, sign in to your profile and enter the confirmation code. Do not share the code.",
            )
            .to_owned(),
            11.0,
            false,
        ),
    ];
    (title, lines)
}

async fn live_letter(
    req: &HttpRequest,
    svc: &Services,
) -> Result<(Locale, UserRow, String, String, i64), HttpResponse> {
    let locale = pages::locale(req, None);
    let session = match current_session(req, svc).await {
        Ok(Some(session)) => session,
        Ok(None) => return Err(see_other("/account")),
        Err(e) => return Err(unavailable(req, e)),
    };
    let user = account_of(req, svc, &session).await?;
    match codes::live_post(svc, &user.id).await {
        Ok(Some((row, code))) => Ok((locale, user, row.id, code, row.expires_at)),
        Ok(None) => Err(see_other("/account")),
        Err(e) => Err(unavailable(req, e)),
    }
}

/// `GET /account/post`: the print view of the live post code.
pub async fn post_print(req: HttpRequest, svc: web::Data<Services>) -> HttpResponse {
    let (locale, user, reference, code, expires) = match live_letter(&req, &svc).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let (title, lines) = letter(locale, &user, &reference, &code, expires);
    let mut view = citizen_view(locale, &title);
    view.blocks.push(Block {
        id: "letter".into(),
        code: Some((
            code,
            format!("{} {reference}", locale.pick("Номер бланка", "Form reference")),
            when(expires),
            String::new(),
        )),
        facts: lines
            .iter()
            .skip(3)
            .take(3)
            .map(|(t, ..)| {
                t.split_once(':').map_or((t.clone(), String::new()), |(k, v)| (k.to_owned(), v.trim().to_owned()))
            })
            .collect(),
        links: vec![
            ("/account/post.pdf".into(), "PDF".into()),
            ("/account".into(), locale.pick("Профиль", "Profile").into()),
        ],
        ..Block::default()
    });
    view.notice = lines.get(9).map(|(t, ..)| t.clone());
    show(StatusCode::OK, locale, &view, None)
}

/// `GET /account/post.pdf`: the same form as a PDF.
pub async fn post_pdf(req: HttpRequest, svc: web::Data<Services>) -> HttpResponse {
    let (locale, user, reference, code, expires) = match live_letter(&req, &svc).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let (title, lines) = letter(locale, &user, &reference, &code, expires);
    let printed: Vec<crate::pdf::Line<'_>> =
        lines.iter().map(|(text, size, bold)| crate::pdf::Line { text, size: *size, bold: *bold }).collect();
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"vhod-post-{reference}.pdf\"")))
        .body(crate::pdf::render(&title, &printed))
}

/// `POST /account/post/confirm`: the citizen types the code after the post office.
pub async fn confirm_post(
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
    svc: web::Data<Services>,
) -> HttpResponse {
    let locale = pages::locale(&req, None);
    let (session, _) = match signed_in(&req, &svc, field(&form, "csrf")).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let user = or_respond!(account_of(&req, &svc, &session).await);
    match codes::confirm_post(&svc, &user, field(&form, "code"), ip(&req)).await {
        Ok(_) => see_other("/account?done=post"),
        Err(CodeError::Staff(StaffError::Unavailable(e))) => unavailable(&req, e),
        Err(e) => {
            let (status, message) = code_error(locale, &e);
            pages::error_page(&req, status, move |_| message.clone())
        }
    }
}

/// `POST /account/act` (`power`): the representative acts for the principal.
pub async fn act(req: HttpRequest, form: web::Form<HashMap<String, String>>, svc: web::Data<Services>) -> HttpResponse {
    let (mut session, cookie) = match signed_in(&req, &svc, field(&form, "csrf")).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let power = match attorney::live(&svc, field(&form, "power")).await {
        Ok(Some(power)) if power.representative_id == session.user_id => power,
        Ok(_) => {
            return pages::error_page(&req, StatusCode::FORBIDDEN, |_| {
                "the power of attorney is not in force / доверенность не действует".to_owned()
            });
        }
        Err(e) => return unavailable(&req, e),
    };
    let id = power.principal_id.clone();
    let principal = match svc.db.run(move |conn| user_db::find_by_id(conn, &id)).await {
        Ok(Some(user)) => user,
        Ok(None) => return see_other("/account"),
        Err(e) => return unavailable(&req, e),
    };
    session.acting = Some(Acting {
        principal_id: principal.id.clone(),
        power_id: power.id.clone(),
        principal_name: citizen_name(&principal),
    });
    if let Err(e) = session.update(&svc.state, &cookie, svc.config.session_ttl).await {
        return unavailable(&req, e);
    }
    svc.audit
        .record(
            AuditEvent::success(AuditKind::ActingChanged)
                .subject(principal.id.clone())
                .actor(format!("user:{}", session.user_id))
                .ip(ip(&req))
                .detail(serde_json::json!({ "power": power.id, "acting": true })),
        )
        .await;
    see_other("/account")
}

/// `POST /account/act/stop`.
pub async fn stop_acting(
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
    svc: web::Data<Services>,
) -> HttpResponse {
    let (mut session, cookie) = match signed_in(&req, &svc, field(&form, "csrf")).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Some(acting) = session.acting.take() {
        if let Err(e) = session.update(&svc.state, &cookie, svc.config.session_ttl).await {
            return unavailable(&req, e);
        }
        svc.audit
            .record(
                AuditEvent::success(AuditKind::ActingChanged)
                    .subject(acting.principal_id)
                    .actor(format!("user:{}", session.user_id))
                    .ip(ip(&req))
                    .detail(serde_json::json!({ "power": acting.power_id, "acting": false })),
            )
            .await;
    }
    see_other("/account")
}
