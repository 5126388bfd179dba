//! Staff pages about citizens: search, the card, registration at a service centre or
//! by phone, confirmation after a document check, activation and temporary access
//! codes, post codes, and powers of attorney.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::view::{Block, Field, Form, Table, View, heads, paging, search_box};
use super::{Ctx, Fields, ListQuery, failure, field, page, render, staff_of, staff_posting};
use crate::accounts::{IdDocument, IdentityForm};
use crate::app::Services;
use crate::db::models::user::UserRow;
use crate::http::i18n::{self, Locale};
use crate::http::pages::{citizen_name, when};
use crate::staff::citizens::{self as service, DocumentCheck};
use crate::staff::codes::{self as code_service, Issued};
use crate::staff::{Action, attorney};

/// The identity form from posted fields (other fields ignored, missing ones empty).
pub fn identity_form(form: &HashMap<String, String>) -> IdentityForm {
    serde_json::to_value(form).and_then(serde_json::from_value).unwrap_or_default()
}

/// An identity form as field values.
fn identity_values(form: &IdentityForm) -> HashMap<String, String> {
    serde_json::to_value(form).and_then(serde_json::from_value).unwrap_or_default()
}

/// Identity fields, filled from `values`.
pub fn identity_fields(l: Locale, values: &HashMap<String, String>) -> Vec<Field> {
    let v = |n: &str| field(values, n).to_owned();
    let label = |n: &str| i18n::field_label(l, n).to_owned();
    vec![
        Field::new("text", "family_name", &label("family_name"), v("family_name")).required(),
        Field::new("text", "given_name", &label("given_name"), v("given_name")).required(),
        Field::new("text", "middle_name", &label("middle_name"), v("middle_name")),
        Field::new("date", "birthdate", &label("birthdate"), v("birthdate")).required(),
        Field::select(
            "gender",
            &label("gender"),
            &v("gender"),
            &[("", "—"), ("female", l.pick("женский", "female")), ("male", l.pick("мужской", "male"))],
        ),
        Field::new("text", "snils", &label("snils"), v("snils")).required(),
        Field::new("text", "inn", &label("inn"), v("inn")),
        Field::new("text", "passport", &label("id_document"), v("passport")).required(),
        Field::new("date", "passport_issue_date", &label("passport_issue_date"), v("passport_issue_date")),
        Field::new("text", "passport_issuer", &label("passport_issuer"), v("passport_issuer")),
    ]
}

fn document_fields(l: Locale, values: &HashMap<String, String>) -> Vec<Field> {
    vec![
        Field::select(
            "document_type",
            l.pick("Проверенный документ", "Document checked"),
            field(values, "document_type"),
            &[("passport_ru", l.pick("Паспорт гражданина РФ", "Russian passport"))],
        ),
        Field::new(
            "checkbox",
            "scan_provided",
            l.pick("Гражданин сам передал скан документа", "The citizen handed over a scan themselves"),
            field(values, "scan_provided"),
        ),
    ]
}

fn reason_field(l: Locale, values: &HashMap<String, String>) -> Field {
    Field::new(
        "text",
        "reason",
        l.pick("Основание (для журнала)", "Reason (for the audit trail)"),
        field(values, "reason"),
    )
    .required()
}

fn document_check(values: &HashMap<String, String>) -> DocumentCheck {
    DocumentCheck {
        document_type: field(values, "document_type").to_owned(),
        scan_provided: field(values, "scan_provided") == "true",
    }
}

/// A code to print or read out.
pub fn code_block(l: Locale, issued: &Issued, note: &str) -> Block {
    Block {
        id: "issued-code".into(),
        heading: l.pick("Код для гражданина", "Code for the citizen").into(),
        code: Some((
            issued.code.clone(),
            format!("{} {}", l.pick("Номер", "Reference"), issued.row.id),
            format!("{} {}", l.pick("Действует до", "Valid until"), when(issued.row.expires_at)),
            note.to_owned(),
        )),
        ..Block::default()
    }
}

/// `GET /staff/citizens?q=`: search.
pub async fn citizens(req: HttpRequest, query: web::Query<ListQuery>, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    let l = ctx.locale;
    let found = or_respond!(
        service::search(&svc, &ctx.staff, &query.q, query.page()).await.map_err(|e| failure(&req, &ctx, e, None))
    );
    let mut table = Table {
        search: search_box(
            l,
            "/staff/citizens",
            l.pick("Телефон, СНИЛС, логин или фамилия", "Phone, SNILS, user name or family name"),
            &query.q,
        ),
        headers: heads(l, &[("Гражданин", "Citizen"), ("Логин", "User name"), ("Уровень", "Level")]),
        rows: found
            .items
            .iter()
            .map(|u| {
                vec![
                    (citizen_name(u), Some(format!("/staff/citizens/{}", u.id))),
                    (u.username.clone(), None),
                    (i18n::level_name(l, &u.account_level).to_owned(), None),
                ]
            })
            .collect(),
        empty: l.pick("Никого не найдено.", "Nobody found.").into(),
        ..Table::default()
    };
    paging(&mut table, l, "/staff/citizens", &query.without_page(), found.number, found.more);
    let mut view = page(&ctx, l.pick("Граждане", "Citizens"));
    let mut links = Vec::new();
    if ctx.staff.may(Action::RegisterInPerson) {
        links.push((
            "/staff/citizens/new?channel=in_person".into(),
            l.pick("Зарегистрировать лично (МФЦ)", "Register in person (service centre)").into(),
        ));
    }
    if ctx.staff.may(Action::RegisterByPhone) {
        links.push((
            "/staff/citizens/new?channel=phone".into(),
            l.pick("Зарегистрировать по телефону", "Register by phone").into(),
        ));
    }
    view.blocks.push(Block { id: "citizens".into(), table: Some(table), links, ..Block::default() });
    render(StatusCode::OK, l, &view)
}

/// `?channel=`.
#[derive(serde::Deserialize)]
pub struct ChannelQuery {
    #[serde(default)]
    channel: String,
}

fn registration_view(ctx: &Ctx, channel: &str, values: &HashMap<String, String>) -> View {
    let l = ctx.locale;
    let in_person = channel == "in_person";
    let mut fields = vec![Field::new("hidden", "channel", "", channel)];
    fields.extend(identity_fields(l, values));
    fields.push(Field {
        autocomplete: "tel",
        ..Field::new("tel", "phone", l.pick("Телефон", "Phone"), field(values, "phone"))
    });
    if in_person {
        fields.extend(document_fields(l, values));
    } else {
        fields.push(Field::select(
            "delivery",
            l.pick("Как передать код активации", "How to hand over the activation code"),
            field(values, "delivery"),
            &[
                ("sms", l.pick("SMS на этот телефон", "SMS to this phone")),
                ("read_out", l.pick("Продиктовать", "Read it out")),
            ],
        ));
    }
    fields.push(reason_field(l, values));
    let title = if in_person {
        l.pick("Регистрация в МФЦ", "Service-centre registration")
    } else {
        l.pick("Регистрация по телефону", "Registration by phone")
    };
    let mut view = page(ctx, title);
    view.blocks.push(Block {
        form: Some(Form {
            action: "/staff/citizens".into(),
            id: "register".into(),
            csrf: ctx.csrf.clone(),
            fields,
            submit: l.pick("Зарегистрировать", "Register").into(),
            ..Form::default()
        }),
        ..Block::default()
    });
    view
}

/// `GET /staff/citizens/new?channel=in_person|phone`.
pub async fn new_citizen(req: HttpRequest, query: web::Query<ChannelQuery>, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    let action = if query.channel == "in_person" { Action::RegisterInPerson } else { Action::RegisterByPhone };
    if let Err(e) = ctx.staff.require(&svc, action).await {
        return failure(&req, &ctx, e, None);
    }
    let channel = if query.channel == "in_person" { "in_person" } else { "phone" };
    render(StatusCode::OK, ctx.locale, &registration_view(&ctx, channel, &HashMap::new()))
}

/// `POST /staff/citizens`: registers a citizen (in person or by phone).
pub async fn register(req: HttpRequest, form: Fields, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_posting(&req, &svc, field(&form, "csrf")).await);
    let l = ctx.locale;
    let channel = if field(&form, "channel") == "in_person" { "in_person" } else { "phone" };
    let identity = identity_form(&form);
    let result = if channel == "in_person" {
        service::register_in_person(
            &svc,
            &ctx.staff,
            &identity,
            &document_check(&form),
            field(&form, "phone"),
            field(&form, "reason"),
        )
        .await
        .map(|(user, issued)| (user, issued, false))
    } else {
        service::register_by_phone(
            &svc,
            &ctx.staff,
            &identity,
            field(&form, "phone"),
            field(&form, "delivery"),
            field(&form, "reason"),
        )
        .await
    };
    let (user, issued, sent) = match result {
        Ok(done) => done,
        Err(e) => return failure(&req, &ctx, e, Some(registration_view(&ctx, channel, &form))),
    };
    let note = if sent {
        l.pick("Код отправлен гражданину в SMS.", "The code went to the citizen by SMS.")
    } else if channel == "in_person" {
        l.pick(
            "Распечатайте и передайте гражданину: с этим кодом он задаст пароль на странице /activate.",
            "Print this and hand it to the citizen: with this code they set a password at /activate.",
        )
    } else {
        l.pick(
            "Продиктуйте код гражданину: он задаст пароль на странице /activate.",
            "Read the code out: the citizen sets a password at /activate.",
        )
    };
    let mut view = page(&ctx, l.pick("Гражданин зарегистрирован", "Citizen registered"));
    view.notice = Some(format!(
        "{}: {} · {}",
        l.pick("Уровень учётной записи", "Account level"),
        i18n::level_name(l, &user.account_level),
        user.username
    ));
    if sent {
        // The code went to the citizen's phone; the operator never sees it, so using it
        // proves the phone.
        view.blocks.push(Block {
            id: "issued-code".into(),
            facts: vec![(l.pick("Номер кода", "Code reference").into(), issued.row.id.clone())],
            links: Vec::new(),
            heading: note.into(),
            ..Block::default()
        });
    } else {
        view.blocks.push(code_block(l, &issued, note));
    }
    view.blocks.push(Block {
        links: vec![(format!("/staff/citizens/{}", user.id), l.pick("Карточка гражданина", "Citizen's card").into())],
        ..Block::default()
    });
    render(StatusCode::CREATED, l, &view)
}

async fn card_view(
    svc: &Services,
    ctx: &Ctx,
    user: &UserRow,
    values: &HashMap<String, String>,
) -> Result<View, crate::staff::StaffError> {
    let l = ctx.locale;
    let document = IdDocument::of(user);
    let mut view = page(ctx, &citizen_name(user));
    view.blocks.push(Block {
        id: "account".into(),
        facts: vec![
            (l.pick("Логин", "User name").into(), user.username.clone()),
            (l.pick("Уровень", "Level").into(), i18n::level_name(l, &user.account_level).into()),
            (i18n::field_label(l, "birthdate").into(), user.birthdate.clone().unwrap_or_default()),
            (i18n::field_label(l, "snils").into(), user.snils.clone().unwrap_or_default()),
            (
                i18n::field_label(l, "id_document").into(),
                document.map(|d| format!("{} {}", d.series, d.number)).unwrap_or_default(),
            ),
            (l.pick("Телефон", "Phone").into(), user.phone_number.clone().unwrap_or_default()),
            (
                l.pick("Проверка в реестре", "Registry check").into(),
                user.registry_status.as_deref().map(|s| i18n::registry_status(l, s)).unwrap_or_default().into(),
            ),
            (
                l.pick("Пароль задан", "Password set").into(),
                if user.password_hash.is_some() { l.pick("да", "yes") } else { l.pick("нет", "no") }.into(),
            ),
        ],
        ..Block::default()
    });
    let staff = &ctx.staff;
    if staff.may(Action::RecordPowerOfAttorney) || staff.may(Action::ReadPowersOfAttorney) {
        let powers = attorney::for_account(svc, &user.id).await?;
        view.blocks.push(Block {
            id: "powers".into(),
            heading: l.pick("Доверенности", "Powers of attorney").into(),
            table: Some(attorney_table(l, &powers, &user.id)),
            ..Block::default()
        });
    }
    let mut defaults = identity_values(&IdentityForm::of(user));
    defaults.extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
    if staff.may(Action::ConfirmInPerson) && user.account_level != "confirmed" {
        let mut fields = identity_fields(l, &defaults);
        fields.extend(document_fields(l, &defaults));
        fields.push(reason_field(l, values));
        view.blocks.push(form_block(
            ctx,
            "confirm",
            l.pick("Подтвердить личность по документу", "Confirm identity against the document"),
            format!("/staff/citizens/{}/confirm", user.id),
            fields,
            l.pick("Подтвердить", "Confirm"),
        ));
    }
    if staff.may(Action::IssueActivationCode) {
        view.blocks.push(form_block(
            ctx,
            "activation",
            l.pick("Код активации", "Activation code"),
            format!("/staff/citizens/{}/activation", user.id),
            vec![reason_field(l, values)],
            l.pick("Выдать код для печати", "Issue a code to print"),
        ));
    }
    if staff.may(Action::IssueTemporaryAccess) {
        view.blocks.push(form_block(
            ctx,
            "temporary",
            l.pick("Временный доступ", "Temporary access"),
            format!("/staff/citizens/{}/temporary", user.id),
            vec![
                Field::new("number", "hours", l.pick("Часов (1–72)", "Hours (1–72)"), field(values, "hours"))
                    .required(),
                reason_field(l, values),
            ],
            l.pick("Выдать временный доступ", "Grant temporary access"),
        ));
    }
    if staff.may(Action::RecordPowerOfAttorney) {
        view.blocks.push(form_block(
            ctx,
            "record-power",
            l.pick(
                "Записать доверенность (этот гражданин — доверитель)",
                "Record a power of attorney (this citizen is the principal)",
            ),
            "/staff/attorneys".into(),
            power_fields(l, &user.id, values),
            l.pick("Записать", "Record"),
        ));
    }
    if staff.may(Action::OpenSupportRequest) {
        view.blocks.push(form_block(
            ctx,
            "open-request",
            l.pick("Обращение о проблеме со входом", "Sign-in problem request"),
            "/staff/support".into(),
            vec![
                Field::new("hidden", "user_id", "", user.id.clone()),
                Field::new(
                    "text",
                    "contact",
                    l.pick("Как связаться", "Contact"),
                    user.phone_number.clone().unwrap_or_default(),
                )
                .required(),
                Field::new("textarea", "description", l.pick("Описание", "Description"), field(values, "description"))
                    .required(),
            ],
            l.pick("Открыть обращение", "Open a request"),
        ));
    }
    Ok(view)
}

/// A block holding one form.
pub fn form_block(ctx: &Ctx, id: &str, heading: &str, action: String, fields: Vec<Field>, submit: &str) -> Block {
    Block {
        id: format!("{id}-section"),
        heading: heading.to_owned(),
        form: Some(Form {
            action,
            id: id.to_owned(),
            csrf: ctx.csrf.clone(),
            fields,
            submit: submit.to_owned(),
            ..Form::default()
        }),
        ..Block::default()
    }
}

fn power_fields(l: Locale, principal: &str, values: &HashMap<String, String>) -> Vec<Field> {
    vec![
        Field::new("hidden", "principal", "", principal),
        Field::new(
            "text",
            "representative",
            l.pick("Представитель: логин, телефон или СНИЛС", "Representative: user name, phone or SNILS"),
            field(values, "representative"),
        )
        .required(),
        Field::new(
            "text",
            "clients",
            l.pick("Приложения (client_id через пробел)", "Applications (client ids, space-separated)"),
            field(values, "clients"),
        )
        .required(),
        Field::new(
            "text",
            "scopes",
            l.pick("Разрешения (scope через пробел)", "Scopes (space-separated)"),
            field(values, "scopes"),
        )
        .required(),
        Field::new("date", "valid_from", l.pick("Действует с", "Valid from"), field(values, "valid_from")).required(),
        Field::new("date", "valid_until", l.pick("Действует по", "Valid until"), field(values, "valid_until"))
            .required(),
        Field::new(
            "text",
            "document_ref",
            l.pick("Реестровый номер нотариальной доверенности", "Notarial register number"),
            field(values, "document_ref"),
        )
        .required(),
        reason_field(l, values),
    ]
}

fn attorney_table(l: Locale, powers: &[crate::db::models::attorney::AttorneyRow], _for_user: &str) -> Table {
    let at = crate::db::now();
    Table {
        headers: heads(
            l,
            &[
                ("Номер", "Id"),
                ("Доверитель", "Principal"),
                ("Представитель", "Representative"),
                ("Приложения", "Applications"),
                ("Разрешения", "Scopes"),
                ("Срок", "Period"),
                ("Состояние", "State"),
            ],
        ),
        rows: powers
            .iter()
            .map(|p| {
                let state = if p.revoked_at.is_some() {
                    l.pick("отозвана", "revoked")
                } else if attorney::in_force(p, at) {
                    l.pick("действует", "in force")
                } else {
                    l.pick("не действует", "not in force")
                };
                vec![
                    (p.id.clone(), None),
                    (p.principal_id.clone(), Some(format!("/staff/citizens/{}", p.principal_id))),
                    (p.representative_id.clone(), Some(format!("/staff/citizens/{}", p.representative_id))),
                    (p.clients.clone(), None),
                    (p.scopes.clone(), None),
                    (format!("{} — {}", when(p.valid_from), when(p.valid_until)), None),
                    (state.into(), None),
                ]
            })
            .collect(),
        empty: l.pick("Доверенностей нет.", "No powers of attorney.").into(),
        ..Table::default()
    }
}

async fn load_card(
    req: &HttpRequest,
    svc: &Services,
    ctx: &Ctx,
    id: &str,
    values: &HashMap<String, String>,
) -> Result<View, HttpResponse> {
    let user = service::card(svc, &ctx.staff, id).await.map_err(|e| failure(req, ctx, e, None))?;
    card_view(svc, ctx, &user, values).await.map_err(|e| failure(req, ctx, e, None))
}

/// `GET /staff/citizens/{id}`: the citizen's card with the member's actions.
pub async fn card(req: HttpRequest, path: web::Path<String>, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    match load_card(&req, &svc, &ctx, &path, &HashMap::new()).await {
        Ok(view) => render(StatusCode::OK, ctx.locale, &view),
        Err(response) => response,
    }
}

/// `POST /staff/citizens/{id}/confirm`: the document check.
pub async fn confirm(
    req: HttpRequest,
    path: web::Path<String>,
    form: Fields,
    svc: web::Data<Services>,
) -> HttpResponse {
    let ctx = or_respond!(staff_posting(&req, &svc, field(&form, "csrf")).await);
    let result = service::confirm_in_person(
        &svc,
        &ctx.staff,
        &path,
        &identity_form(&form),
        &document_check(&form),
        field(&form, "reason"),
    )
    .await;
    match result {
        Ok((_, issued)) => match load_card(&req, &svc, &ctx, &path, &HashMap::new()).await {
            Ok(mut view) => {
                let l = ctx.locale;
                view.notice = Some(
                    l.pick(
                        "Учётная запись подтверждена. Прежние способы входа отключены: передайте гражданину код активации.",
                        "The account is confirmed. Earlier ways to sign in are removed: hand the citizen the activation code.",
                    )
                    .into(),
                );
                let note = l.pick(
                    "С этим кодом гражданин задаст новый пароль на странице /activate.",
                    "With this code the citizen sets a new password at /activate.",
                );
                view.blocks.insert(0, code_block(l, &issued, note));
                render(StatusCode::OK, l, &view)
            }
            Err(response) => response,
        },
        Err(e) => {
            let retry = load_card(&req, &svc, &ctx, &path, &form).await.ok();
            failure(&req, &ctx, e, retry)
        }
    }
}

/// `POST /staff/citizens/{id}/activation`: a printable activation code.
pub async fn activation(
    req: HttpRequest,
    path: web::Path<String>,
    form: Fields,
    svc: web::Data<Services>,
) -> HttpResponse {
    let ctx = or_respond!(staff_posting(&req, &svc, field(&form, "csrf")).await);
    let l = ctx.locale;
    if let Err(e) = service::card(&svc, &ctx.staff, &path).await {
        return failure(&req, &ctx, e, None);
    }
    match code_service::issue_activation(&svc, &ctx.staff, &path, field(&form, "reason")).await {
        Ok(issued) => {
            let mut view = page(&ctx, l.pick("Код активации", "Activation code"));
            let note = l.pick(
                "Распечатайте и передайте гражданину: с этим кодом он задаст пароль на странице /activate.",
                "Print this and hand it to the citizen: with this code they set a password at /activate.",
            );
            view.blocks.push(code_block(l, &issued, note));
            render(StatusCode::CREATED, l, &view)
        }
        Err(e) => failure(&req, &ctx, e, None),
    }
}

/// `POST /staff/citizens/{id}/temporary`: temporary access.
pub async fn temporary(
    req: HttpRequest,
    path: web::Path<String>,
    form: Fields,
    svc: web::Data<Services>,
) -> HttpResponse {
    let ctx = or_respond!(staff_posting(&req, &svc, field(&form, "csrf")).await);
    let l = ctx.locale;
    if let Err(e) = service::card(&svc, &ctx.staff, &path).await {
        return failure(&req, &ctx, e, None);
    }
    let hours = field(&form, "hours").trim().parse::<i64>().unwrap_or(0);
    match code_service::issue_temporary(&svc, &ctx.staff, &path, hours, field(&form, "reason")).await {
        Ok(issued) => {
            let mut view = page(&ctx, l.pick("Временный доступ", "Temporary access"));
            let note = l.pick(
                "Продиктуйте код: гражданин входит на странице /temporary. Доступны только профиль и контакты.",
                "Read the code out: the citizen signs in at /temporary. Only profile and contacts are released.",
            );
            view.blocks.push(code_block(l, &issued, note));
            render(StatusCode::CREATED, l, &view)
        }
        Err(e) => failure(&req, &ctx, e, None),
    }
}

/// `GET /staff/codes?q=`: issued codes.
pub async fn codes(req: HttpRequest, query: web::Query<ListQuery>, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    let l = ctx.locale;
    let found = or_respond!(
        code_service::page(&svc, &ctx.staff, &query.q, query.page()).await.map_err(|e| failure(&req, &ctx, e, None))
    );
    let at = crate::db::now();
    let mut table = Table {
        search: search_box(
            l,
            "/staff/codes",
            l.pick("Номер кода или id учётной записи", "Code reference or account id"),
            &query.q,
        ),
        headers: heads(
            l,
            &[
                ("Номер", "Reference"),
                ("Вид", "Kind"),
                ("Гражданин", "Citizen"),
                ("Выдал", "Issued by"),
                ("Действует до", "Expires"),
                ("Состояние", "State"),
            ],
        ),
        rows: found
            .items
            .iter()
            .map(|c| {
                let state = if c.used_at.is_some() {
                    l.pick("использован", "used")
                } else if c.revoked_at.is_some() {
                    l.pick("отозван", "withdrawn")
                } else if c.expires_at <= at {
                    l.pick("истёк", "expired")
                } else if c.kind == "post" && c.presented_at.is_some() {
                    l.pick("предъявлен на почте", "presented at the post office")
                } else {
                    l.pick("действует", "live")
                };
                vec![
                    (c.id.clone(), None),
                    (c.kind.clone(), None),
                    (c.user_id.clone(), Some(format!("/staff/citizens/{}", c.user_id))),
                    (c.issued_by.clone(), None),
                    (when(c.expires_at), None),
                    (state.into(), None),
                ]
            })
            .collect(),
        empty: l.pick("Кодов нет.", "No codes.").into(),
        ..Table::default()
    };
    paging(&mut table, l, "/staff/codes", &query.without_page(), found.number, found.more);
    let mut view = page(&ctx, l.pick("Выданные коды", "Issued codes"));
    view.blocks.push(Block { id: "codes".into(), table: Some(table), ..Block::default() });
    render(StatusCode::OK, l, &view)
}

fn post_view(ctx: &Ctx, values: &HashMap<String, String>) -> View {
    let l = ctx.locale;
    let mut view = page(ctx, l.pick("Подтверждение кода на почте", "Post-office code confirmation"));
    view.blocks.push(form_block(
        ctx,
        "present",
        l.pick("Проверьте паспорт и введите номер бланка", "Check the passport and enter the form's reference"),
        "/staff/post".into(),
        vec![
            Field::new(
                "text",
                "reference",
                l.pick("Номер бланка", "Reference on the form"),
                field(values, "reference"),
            )
            .required(),
            Field::new(
                "text",
                "document",
                l.pick("Серия и номер паспорта", "Passport series and number"),
                field(values, "document"),
            )
            .required(),
            reason_field(l, values),
        ],
        l.pick("Отметить как предъявленный", "Mark as presented"),
    ));
    view
}

/// `GET /staff/post`.
pub async fn post_form(req: HttpRequest, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    if let Err(e) = ctx.staff.require(&svc, Action::PresentPostCode).await {
        return failure(&req, &ctx, e, None);
    }
    render(StatusCode::OK, ctx.locale, &post_view(&ctx, &HashMap::new()))
}

/// `POST /staff/post`: the clerk saw the document with the printed code.
pub async fn present_post(req: HttpRequest, form: Fields, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_posting(&req, &svc, field(&form, "csrf")).await);
    let l = ctx.locale;
    match code_service::present_post(
        &svc,
        &ctx.staff,
        field(&form, "reference"),
        field(&form, "document"),
        field(&form, "reason"),
    )
    .await
    {
        Ok(row) => {
            let mut view = post_view(&ctx, &HashMap::new());
            view.notice = Some(format!(
                "{} {}",
                l.pick(
                    "Код отмечен как предъявленный. Гражданин может ввести его на портале. Номер:",
                    "The code is marked as presented. The citizen may now enter it online. Reference:"
                ),
                row.id
            ));
            render(StatusCode::OK, l, &view)
        }
        Err(e) => failure(&req, &ctx, e, Some(post_view(&ctx, &form))),
    }
}

/// `GET /staff/attorneys?q=`.
pub async fn attorneys(req: HttpRequest, query: web::Query<ListQuery>, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    let l = ctx.locale;
    let found = or_respond!(
        attorney::page(&svc, &ctx.staff, &query.q, query.page()).await.map_err(|e| failure(&req, &ctx, e, None))
    );
    let mut table = attorney_table(l, &found.items, "");
    table.search = search_box(
        l,
        "/staff/attorneys",
        l.pick("Id учётной записи или номер доверенности", "Account id or notarial number"),
        &query.q,
    );
    paging(&mut table, l, "/staff/attorneys", &query.without_page(), found.number, found.more);
    let mut view = page(&ctx, l.pick("Доверенности", "Powers of attorney"));
    view.blocks.push(Block { id: "powers".into(), table: Some(table), ..Block::default() });
    if ctx.staff.may(Action::RecordPowerOfAttorney) {
        view.blocks.push(form_block(
            &ctx,
            "revoke-power",
            l.pick("Отозвать доверенность", "Revoke a power of attorney"),
            "/staff/attorneys/revoke".into(),
            vec![Field::new("text", "id", l.pick("Номер", "Id"), ""), reason_field(l, &HashMap::new())],
            l.pick("Отозвать", "Revoke"),
        ));
    }
    render(StatusCode::OK, l, &view)
}

/// `POST /staff/attorneys`: records a power of attorney.
pub async fn record_attorney(req: HttpRequest, form: Fields, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_posting(&req, &svc, field(&form, "csrf")).await);
    let l = ctx.locale;
    let spec = attorney::PowerSpec {
        principal: field(&form, "principal").into(),
        representative: field(&form, "representative").into(),
        clients: field(&form, "clients").into(),
        scopes: field(&form, "scopes").into(),
        valid_from: field(&form, "valid_from").into(),
        valid_until: field(&form, "valid_until").into(),
        document_ref: field(&form, "document_ref").into(),
        reason: field(&form, "reason").into(),
    };
    match attorney::record(&svc, &ctx.staff, &spec).await {
        Ok(row) => match load_card(&req, &svc, &ctx, &row.principal_id, &HashMap::new()).await {
            Ok(mut view) => {
                view.notice = Some(format!(
                    "{} {}",
                    l.pick("Доверенность записана, номер", "Power of attorney recorded, id"),
                    row.id
                ));
                render(StatusCode::CREATED, l, &view)
            }
            Err(response) => response,
        },
        Err(e) => {
            let retry = load_card(&req, &svc, &ctx, &spec.principal, &form).await.ok();
            failure(&req, &ctx, e, retry)
        }
    }
}

/// `POST /staff/attorneys/revoke` (`id`, `reason`).
pub async fn revoke_attorney(req: HttpRequest, form: Fields, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_posting(&req, &svc, field(&form, "csrf")).await);
    let l = ctx.locale;
    let id = field(&form, "id").trim().to_owned();
    match attorney::revoke(&svc, &ctx.staff, &id, field(&form, "reason")).await {
        Ok(()) => {
            let mut view = page(&ctx, l.pick("Доверенность отозвана", "Power of attorney revoked"));
            view.notice = Some(format!("{} {id}", l.pick("Доверенность отозвана:", "Revoked:")));
            view.blocks.push(Block {
                links: vec![("/staff/attorneys".into(), l.pick("Доверенности", "Powers of attorney").into())],
                ..Block::default()
            });
            render(StatusCode::OK, l, &view)
        }
        Err(e) => failure(&req, &ctx, e, None),
    }
}
