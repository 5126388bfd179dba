//! Staff pages for cases: partner applications (with scans), support requests and
//! their tiers, and the staff audit trail.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

use super::citizens::{code_block, form_block, identity_fields, identity_form};
use super::view::{Block, Field, Search, Table, heads, paging, search_box};
use super::{Ctx, Fields, ListQuery, failure, field, page, render, staff_of, staff_posting};
use crate::app::Services;
use crate::http::i18n::Locale;
use crate::http::pages::when;
use crate::staff::applications::{self as app_service, ApplicationForm, MAX_FILE_BYTES, Upload};
use crate::staff::support as support_service;
use crate::staff::{Action, StaffError};

fn status_label(l: Locale, status: &str) -> String {
    match status {
        "submitted" => l.pick("на рассмотрении", "submitted"),
        "approved" => l.pick("одобрена", "approved"),
        "rejected" => l.pick("отклонена", "rejected"),
        "open" => l.pick("открыто", "open"),
        "resolved" => l.pick("решено", "resolved"),
        other => return other.to_owned(),
    }
    .to_owned()
}

fn tier_label(l: Locale, tier: i64) -> String {
    match tier {
        1 => l.pick("1 — первая линия", "1 — first line"),
        2 => l.pick("2 — техническая", "2 — technical"),
        _ => l.pick("3 — эскалация", "3 — escalation"),
    }
    .to_owned()
}

/// `GET /staff/applications?q=&status=`.
pub async fn applications(req: HttpRequest, query: web::Query<ListQuery>, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    let l = ctx.locale;
    let found = or_respond!(
        app_service::page(&svc, &ctx.staff, &query.status, &query.q, query.page())
            .await
            .map_err(|e| failure(&req, &ctx, e, None))
    );
    let mut table = Table {
        search: Some(Search {
            action: "/staff/applications".into(),
            label: l.pick("ФИО, СНИЛС или телефон", "Name, SNILS or phone").into(),
            q: query.q.clone(),
            statuses: ["", "submitted", "approved", "rejected"]
                .iter()
                .map(|s| {
                    ((*s).to_owned(), if s.is_empty() { l.pick("все", "all").to_owned() } else { status_label(l, s) })
                })
                .collect(),
            status: query.status.clone(),
            status_label: l.pick("Состояние", "State").into(),
            button: l.pick("Найти", "Search").into(),
        }),
        headers: heads(
            l,
            &[
                ("Заявка", "Application"),
                ("Организация", "Organisation"),
                ("Подана", "Submitted"),
                ("Состояние", "State"),
            ],
        ),
        rows: found
            .items
            .iter()
            .map(|a| {
                let form: ApplicationForm = serde_json::from_str(&a.form).unwrap_or_default();
                let name = format!("{} {}", form.identity.family_name, form.identity.given_name);
                vec![
                    (name, Some(format!("/staff/applications/{}", a.id))),
                    (a.organisation.clone(), None),
                    (when(a.created_at), None),
                    (status_label(l, &a.status), None),
                ]
            })
            .collect(),
        empty: l.pick("Заявок нет.", "No applications.").into(),
        ..Table::default()
    };
    paging(&mut table, l, "/staff/applications", &query.without_page(), found.number, found.more);
    let mut view = page(&ctx, l.pick("Заявки партнёров", "Partner applications"));
    let links = if ctx.staff.may(Action::SubmitApplication) {
        vec![("/staff/applications/new".into(), l.pick("Новая заявка", "New application").into())]
    } else {
        Vec::new()
    };
    view.blocks.push(Block { id: "applications".into(), table: Some(table), links, ..Block::default() });
    render(StatusCode::OK, l, &view)
}

fn application_form_view(ctx: &Ctx, values: &HashMap<String, String>) -> super::view::View {
    let l = ctx.locale;
    let mut fields = identity_fields(l, values);
    fields.push(Field {
        autocomplete: "tel",
        ..Field::new("tel", "phone", l.pick("Телефон", "Phone"), field(values, "phone"))
    });
    fields.push(Field::new(
        "file",
        "files",
        l.pick("Сканы документов (PDF, JPEG, PNG, до 5 МБ каждый)", "Document scans (PDF, JPEG, PNG, up to 5 MB each)"),
        "",
    ));
    let mut view = page(ctx, l.pick("Новая заявка на регистрацию", "New registration application"));
    let mut block =
        form_block(ctx, "application", "", "/staff/applications".into(), fields, l.pick("Подать заявку", "Submit"));
    if let Some(form) = block.form.as_mut() {
        form.multipart = true;
    }
    view.blocks.push(block);
    view
}

/// `GET /staff/applications/new`.
pub async fn new_application(req: HttpRequest, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    if let Err(e) = ctx.staff.require(&svc, Action::SubmitApplication).await {
        return failure(&req, &ctx, e, None);
    }
    render(StatusCode::OK, ctx.locale, &application_form_view(&ctx, &HashMap::new()))
}

/// Text fields this form reads and the longest value accepted.
const TEXT_LIMIT: usize = 1000;

/// Reads a multipart form: text fields and files (each no larger than the limit + 1
/// byte, so an oversized file is recognised without reading it all).
async fn read_multipart(mut body: Multipart) -> Result<(HashMap<String, String>, Vec<Upload>), StaffError> {
    let mut fields = HashMap::new();
    let mut uploads = Vec::new();
    while let Some(item) = body.next().await {
        let mut part = item.map_err(|e| crate::staff::invalid("files", format!("the upload is malformed: {e}")))?;
        let name = part.name().unwrap_or_default().to_owned();
        let filename = part.content_disposition().and_then(|d| d.get_filename()).map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| crate::staff::invalid("files", format!("the upload is malformed: {e}")))?;
            let room = (MAX_FILE_BYTES + 1).saturating_sub(bytes.len());
            bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if bytes.len() > MAX_FILE_BYTES {
                let shown = filename.as_deref().unwrap_or(&name).to_owned();
                return Err(crate::staff::invalid(
                    "files",
                    format!("{shown}: larger than {} MB", MAX_FILE_BYTES / (1024 * 1024)),
                ));
            }
        }
        match filename {
            Some(filename) if name == "files" => {
                if !bytes.is_empty() || !filename.is_empty() {
                    if uploads.len() == app_service::MAX_FILES {
                        return Err(crate::staff::invalid(
                            "files",
                            format!("at most {} files", app_service::MAX_FILES),
                        ));
                    }
                    uploads.push(Upload { name: filename, bytes });
                }
            }
            _ => {
                if fields.len() > 50 || bytes.len() > TEXT_LIMIT {
                    return Err(crate::staff::invalid(&name, "too long"));
                }
                fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Ok((fields, uploads))
}

/// `POST /staff/applications` (multipart): a partner submits an application.
pub async fn submit_application(req: HttpRequest, body: Multipart, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    if let Err(e) = ctx.staff.require(&svc, Action::SubmitApplication).await {
        return failure(&req, &ctx, e, None);
    }
    let (form, uploads) = match read_multipart(body).await {
        Ok(read) => read,
        Err(e) => return failure(&req, &ctx, e, Some(application_form_view(&ctx, &HashMap::new()))),
    };
    let ctx = or_respond!(staff_posting(&req, &svc, field(&form, "csrf")).await);
    let data = ApplicationForm { identity: identity_form(&form), phone: field(&form, "phone").to_owned() };
    match app_service::submit(&svc, &ctx.staff, &data, uploads).await {
        Ok(row) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/staff/applications/{}", row.id)))
            .finish(),
        Err(e) => failure(&req, &ctx, e, Some(application_form_view(&ctx, &form))),
    }
}

/// `GET /staff/applications/{id}`.
pub async fn application(req: HttpRequest, path: web::Path<String>, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    match application_view(&svc, &ctx, &path).await {
        Ok(view) => render(StatusCode::OK, ctx.locale, &view),
        Err(e) => failure(&req, &ctx, e, None),
    }
}

async fn application_view(svc: &Services, ctx: &Ctx, id: &str) -> Result<super::view::View, StaffError> {
    let l = ctx.locale;
    let (row, form, files, history) = app_service::show(svc, &ctx.staff, id).await?;
    let d = &form.identity;
    let mut view = page(ctx, &format!("{} {}", l.pick("Заявка", "Application"), row.id));
    let mut facts = vec![
        (l.pick("Состояние", "State").into(), status_label(l, &row.status)),
        (l.pick("Организация", "Organisation").into(), row.organisation.clone()),
        (l.pick("Гражданин", "Citizen").into(), format!("{} {} {}", d.family_name, d.given_name, d.middle_name)),
        (l.pick("Дата рождения", "Birth date").into(), d.birthdate.clone()),
        (l.pick("СНИЛС", "SNILS").into(), d.snils.clone()),
        (l.pick("Паспорт", "Passport").into(), d.passport.clone()),
        (l.pick("Телефон", "Phone").into(), form.phone.clone()),
    ];
    if let Some(reason) = &row.reason {
        facts.push((l.pick("Причина отказа", "Reason for rejection").into(), reason.clone()));
    }
    view.blocks.push(Block { id: "application".into(), facts, ..Block::default() });
    view.blocks.push(Block {
        id: "files".into(),
        heading: l.pick("Сканы", "Scans").into(),
        table: Some(Table {
            headers: vec![l.pick("Файл", "File").into(), l.pick("Тип", "Type").into(), l.pick("Размер", "Size").into()],
            rows: files
                .iter()
                .map(|f| {
                    vec![
                        (f.name.clone(), Some(format!("/staff/applications/{}/files/{}", row.id, f.id))),
                        (f.content_type.clone(), None),
                        (format!("{} B", f.size), None),
                    ]
                })
                .collect(),
            empty: l.pick("Файлов нет.", "No files.").into(),
            ..Table::default()
        }),
        ..Block::default()
    });
    view.blocks.push(Block {
        id: "history".into(),
        heading: l.pick("История", "History").into(),
        table: Some(history_table(l, &history)),
        ..Block::default()
    });
    if row.status == "submitted" && ctx.staff.may(Action::DecideApplication) {
        view.blocks.push(form_block(
            ctx,
            "decide",
            l.pick("Решение", "Decision"),
            format!("/staff/applications/{}/decide", row.id),
            vec![
                Field::select(
                    "decision",
                    l.pick("Решение", "Decision"),
                    "approve",
                    &[("approve", l.pick("Одобрить", "Approve")), ("reject", l.pick("Отклонить", "Reject"))],
                ),
                Field::new(
                    "text",
                    "reason",
                    l.pick("Основание или причина отказа", "Reason (shown to the partner on rejection)"),
                    "",
                )
                .required(),
            ],
            l.pick("Принять решение", "Decide"),
        ));
    }
    Ok(view)
}

fn history_table(l: Locale, history: &[crate::db::models::support_request::CaseEventRow]) -> Table {
    Table {
        headers: heads(l, &[("Когда", "When"), ("Кто", "Who"), ("Что", "What"), ("Комментарий", "Note")]),
        rows: history
            .iter()
            .map(|e| {
                vec![(when(e.at), None), (e.actor.clone(), None), (e.action.clone(), None), (e.detail.clone(), None)]
            })
            .collect(),
        empty: "—".into(),
        ..Table::default()
    }
}

/// `GET /staff/applications/{id}/files/{file}`: the scan, as an attachment with the
/// sniffed type.
pub async fn application_file(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    svc: web::Data<Services>,
) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    let (id, file) = path.into_inner();
    match app_service::file(&svc, &ctx.staff, &id, &file).await {
        Ok(file) => HttpResponse::Ok()
            .content_type(file.content_type.clone())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"scan-{}\"", file.id)))
            .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox"))
            .body(file.content),
        Err(e) => failure(&req, &ctx, e, None),
    }
}

/// `POST /staff/applications/{id}/decide`.
pub async fn decide_application(
    req: HttpRequest,
    path: web::Path<String>,
    form: Fields,
    svc: web::Data<Services>,
) -> HttpResponse {
    let ctx = or_respond!(staff_posting(&req, &svc, field(&form, "csrf")).await);
    let l = ctx.locale;
    let approve = match field(&form, "decision") {
        "approve" => true,
        "reject" => false,
        _ => return failure(&req, &ctx, crate::staff::invalid("decision", "approve or reject"), None),
    };
    match app_service::decide(&svc, &ctx.staff, &path, approve, field(&form, "reason")).await {
        Ok((row, issued)) => {
            let mut view = match application_view(&svc, &ctx, &row.id).await {
                Ok(view) => view,
                Err(e) => return failure(&req, &ctx, e, None),
            };
            view.notice = Some(status_label(l, &row.status));
            if let Some(issued) = issued {
                let note = l.pick(
                    "Распечатайте код и передайте гражданину через партнёра: с ним он задаст пароль на странице /activate.",
                    "Print the code for the citizen (through the partner): with it they set a password at /activate.",
                );
                view.blocks.insert(0, code_block(l, &issued, note));
            }
            render(StatusCode::OK, l, &view)
        }
        Err(e) => failure(&req, &ctx, e, None),
    }
}

/// `GET /staff/support?q=&status=`.
pub async fn requests(req: HttpRequest, query: web::Query<ListQuery>, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    let l = ctx.locale;
    let found = or_respond!(
        support_service::page(&svc, &ctx.staff, &query.status, &query.q, query.page())
            .await
            .map_err(|e| failure(&req, &ctx, e, None))
    );
    let mut table = Table {
        search: Some(Search {
            action: "/staff/support".into(),
            label: l.pick("Контакт или текст обращения", "Contact or text").into(),
            q: query.q.clone(),
            statuses: vec![
                (String::new(), l.pick("все", "all").into()),
                ("open".into(), status_label(l, "open")),
                ("resolved".into(), status_label(l, "resolved")),
            ],
            status: query.status.clone(),
            status_label: l.pick("Состояние", "State").into(),
            button: l.pick("Найти", "Search").into(),
        }),
        headers: heads(
            l,
            &[
                ("Обращение", "Request"),
                ("Контакт", "Contact"),
                ("Линия", "Tier"),
                ("Состояние", "State"),
                ("Открыто", "Opened"),
            ],
        ),
        rows: found
            .items
            .iter()
            .map(|r| {
                vec![
                    (r.id.clone(), Some(format!("/staff/support/{}", r.id))),
                    (r.contact.clone(), None),
                    (tier_label(l, r.tier), None),
                    (status_label(l, &r.status), None),
                    (when(r.created_at), None),
                ]
            })
            .collect(),
        empty: l.pick("Обращений нет.", "No requests.").into(),
        ..Table::default()
    };
    paging(&mut table, l, "/staff/support", &query.without_page(), found.number, found.more);
    let mut view = page(&ctx, l.pick("Обращения о проблемах со входом", "Sign-in problem requests"));
    view.blocks.push(Block {
        id: "requests".into(),
        table: Some(table),
        links: vec![("/staff/support/report".into(), l.pick("Отчёт по линиям", "Tier report").into())],
        ..Block::default()
    });
    render(StatusCode::OK, l, &view)
}

/// `POST /staff/support`: an operator opens a request for a citizen.
pub async fn open_request(req: HttpRequest, form: Fields, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_posting(&req, &svc, field(&form, "csrf")).await);
    let user = Some(field(&form, "user_id").trim().to_owned()).filter(|u| !u.is_empty());
    match support_service::open_by_staff(&svc, &ctx.staff, user, field(&form, "contact"), field(&form, "description"))
        .await
    {
        Ok(row) => {
            HttpResponse::SeeOther().insert_header((header::LOCATION, format!("/staff/support/{}", row.id))).finish()
        }
        Err(e) => failure(&req, &ctx, e, None),
    }
}

async fn request_view(svc: &Services, ctx: &Ctx, id: &str) -> Result<super::view::View, StaffError> {
    let l = ctx.locale;
    let (row, history) = support_service::show(svc, &ctx.staff, id).await?;
    let mut view = page(ctx, &format!("{} {}", l.pick("Обращение", "Request"), row.id));
    view.blocks.push(Block {
        id: "request".into(),
        facts: vec![
            (l.pick("Состояние", "State").into(), status_label(l, &row.status)),
            (l.pick("Линия", "Tier").into(), tier_label(l, row.tier)),
            (l.pick("Контакт", "Contact").into(), row.contact.clone()),
            (l.pick("Описание", "Description").into(), row.description.clone()),
            (l.pick("Открыл", "Opened by").into(), row.opened_by.clone()),
            (l.pick("Первая линия, с", "First line, s").into(), row.tier1_secs.to_string()),
            (l.pick("Техническая линия, с", "Technical, s").into(), row.tier2_secs.to_string()),
            (l.pick("Эскалация, с", "Escalation, s").into(), row.tier3_secs.to_string()),
            (l.pick("Решение", "Resolution").into(), row.resolution.clone().unwrap_or_default()),
        ],
        ..Block::default()
    });
    view.blocks.push(Block {
        id: "history".into(),
        heading: l.pick("История", "History").into(),
        table: Some(history_table(l, &history)),
        ..Block::default()
    });
    if row.status == "open" && ctx.staff.may(Action::WorkSupportRequests) {
        let note = || Field::new("text", "reason", l.pick("Комментарий", "Note"), "").required();
        if row.tier < 3 {
            view.blocks.push(form_block(
                ctx,
                "escalate",
                l.pick("Передать на следующую линию", "Pass to the next tier"),
                format!("/staff/support/{}/escalate", row.id),
                vec![note()],
                l.pick("Передать", "Escalate"),
            ));
        }
        view.blocks.push(form_block(
            ctx,
            "resolve",
            l.pick("Решить", "Resolve"),
            format!("/staff/support/{}/resolve", row.id),
            vec![note()],
            l.pick("Закрыть обращение", "Resolve"),
        ));
    }
    Ok(view)
}

/// `GET /staff/support/{id}`.
pub async fn request(req: HttpRequest, path: web::Path<String>, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    match request_view(&svc, &ctx, &path).await {
        Ok(view) => render(StatusCode::OK, ctx.locale, &view),
        Err(e) => failure(&req, &ctx, e, None),
    }
}

async fn move_request(req: HttpRequest, id: &str, form: Fields, svc: &Services, escalate: bool) -> HttpResponse {
    let ctx = or_respond!(staff_posting(&req, svc, field(&form, "csrf")).await);
    let result = if escalate {
        support_service::escalate(svc, &ctx.staff, id, field(&form, "reason")).await
    } else {
        support_service::resolve(svc, &ctx.staff, id, field(&form, "reason")).await
    };
    match result {
        Ok(row) => match request_view(svc, &ctx, &row.id).await {
            Ok(view) => render(StatusCode::OK, ctx.locale, &view),
            Err(e) => failure(&req, &ctx, e, None),
        },
        Err(e) => failure(&req, &ctx, e, None),
    }
}

/// `POST /staff/support/{id}/escalate`.
pub async fn escalate_request(
    req: HttpRequest,
    path: web::Path<String>,
    form: Fields,
    svc: web::Data<Services>,
) -> HttpResponse {
    move_request(req, &path, form, &svc, true).await
}

/// `POST /staff/support/{id}/resolve`.
pub async fn resolve_request(
    req: HttpRequest,
    path: web::Path<String>,
    form: Fields,
    svc: web::Data<Services>,
) -> HttpResponse {
    move_request(req, &path, form, &svc, false).await
}

/// `GET /staff/support/report`: time per tier.
pub async fn report(req: HttpRequest, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    let l = ctx.locale;
    let tiers = or_respond!(support_service::report(&svc, &ctx.staff).await.map_err(|e| failure(&req, &ctx, e, None)));
    let mut view = page(&ctx, l.pick("Отчёт по линиям поддержки", "Support tier report"));
    view.blocks.push(Block {
        id: "report".into(),
        table: Some(Table {
            headers: heads(
                l,
                &[
                    ("Линия", "Tier"),
                    ("Обращений прошло", "Requests"),
                    ("Среднее время, с", "Mean time, s"),
                    ("Максимум, с", "Longest, s"),
                    ("Решено на линии", "Resolved here"),
                ],
            ),
            rows: tiers
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    vec![
                        (tier_label(l, i as i64 + 1), None),
                        (t.requests.to_string(), None),
                        (t.mean_secs.to_string(), None),
                        (t.max_secs.to_string(), None),
                        (t.resolved_here.to_string(), None),
                    ]
                })
                .collect(),
            empty: "—".into(),
            ..Table::default()
        }),
        ..Block::default()
    });
    render(StatusCode::OK, l, &view)
}

/// `GET /staff/audit?q=`: staff actions.
pub async fn audit_log(req: HttpRequest, query: web::Query<ListQuery>, svc: web::Data<Services>) -> HttpResponse {
    let ctx = or_respond!(staff_of(&req, &svc).await);
    let l = ctx.locale;
    let found = or_respond!(
        crate::staff::audit_page(&svc, &ctx.staff, &query.q, query.page())
            .await
            .map_err(|e| failure(&req, &ctx, e, None))
    );
    let mut table = Table {
        search: search_box(
            l,
            "/staff/audit",
            l.pick("Сотрудник (staff:логин) или id гражданина", "Member (staff:name) or citizen id"),
            &query.q,
        ),
        headers: heads(
            l,
            &[
                ("Когда", "When"),
                ("Событие", "Event"),
                ("Итог", "Outcome"),
                ("Сотрудник", "Member"),
                ("Гражданин", "Citizen"),
                ("Подробности", "Details"),
            ],
        ),
        rows: found
            .items
            .iter()
            .map(|e| {
                vec![
                    (when(e.at_ms / 1000), None),
                    (e.kind.clone(), None),
                    (e.outcome.clone(), None),
                    (e.actor.clone().unwrap_or_default(), None),
                    (e.subject.clone().unwrap_or_default(), None),
                    (e.detail.clone(), None),
                ]
            })
            .collect(),
        empty: l.pick("Событий нет.", "No events.").into(),
        ..Table::default()
    };
    paging(&mut table, l, "/staff/audit", &query.without_page(), found.number, found.more);
    let mut view = page(&ctx, l.pick("Журнал действий сотрудников", "Staff audit trail"));
    view.blocks.push(Block { id: "audit".into(), table: Some(table), ..Block::default() });
    render(StatusCode::OK, l, &view)
}
