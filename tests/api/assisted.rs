//! Assisted channels end to end over HTTP: staff sign-in and the role matrix, service-
//! centre and call-centre registration, activation codes, post-office confirmation,
//! partner applications with scans, powers of attorney (acting, `act`, token
//! exchange), temporary access and support tiers, each with its audit trail.

use std::sync::Arc;

use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use vhod::jose::Kek;

use crate::fakes::{SMS_TOKEN, SmsFake};
use crate::flow::{browser, hidden, location};
use crate::helpers::{TestApp, TestDb, spawn_app_on};

pub const OFFICE: &str = "МФЦ Тверской";
pub const PASSWORD: &str = "correct horse battery";

/// An app whose SMS gateway is the fake.
pub async fn assisted_app(sms: &SmsFake) -> TestApp {
    let url = sms.url.clone();
    spawn_app_on(Arc::new(TestDb::new()), Kek::generate(), move |s| {
        s.sms.gateway = "http".into();
        s.sms.url = url;
        s.sms.authorization = Some(SecretString::from(SMS_TOKEN));
        s.sms.retries = 0;
        s.otp.resend_cooldown_secs = 1;
    })
    .await
}

/// A valid SNILS built from nine digits (check digits computed).
pub fn snils(seed: u32) -> String {
    let digits = format!("{:09}", 100_000_000 + seed % 800_000_000);
    let sum: u32 = digits.bytes().enumerate().map(|(i, b)| u32::from(b - b'0') * (9 - i as u32)).sum();
    let check = match sum {
        s if s < 100 => s,
        100 | 101 => 0,
        s => (s % 101) % 100,
    };
    format!("{digits}{check:02}")
}

/// Identity fields for a citizen.
pub fn identity(family: &str, snils: &str, passport: &str) -> Vec<(String, String)> {
    [
        ("family_name", family),
        ("given_name", "Анна"),
        ("middle_name", "Петровна"),
        ("birthdate", "1980-05-17"),
        ("gender", "female"),
        ("snils", snils),
        ("passport", passport),
        ("passport_issue_date", "2010-06-01"),
        ("passport_issuer", "ОВД Тверского района"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// Creates a staff member; returns the initial password.
pub async fn member(app: &TestApp, username: &str, roles: &[&str], phone: &str) -> String {
    let audit = vhod::audit::Audit::direct(app.services.db.clone());
    let spec = vhod::staff::members::StaffSpec {
        username: username.into(),
        display_name: format!("Оператор {username}"),
        phone: phone.into(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        office: OFFICE.into(),
        disabled: false,
    };
    let (_, password) =
        vhod::staff::members::create(&app.services.db, &audit, "test", &spec).await.expect("create staff");
    secrecy::ExposeSecret::expose_secret(&password).to_owned()
}

/// A signed-in staff browser.
pub struct Desk {
    pub b: reqwest::Client,
    pub csrf: String,
}

/// Signs a member in with password and SMS code.
pub async fn sign_in_staff(app: &TestApp, sms: &SmsFake, username: &str, password: &str, phone: &str) -> Desk {
    let b = browser();
    let page = b.get(app.url("/staff/login")).send().await.unwrap().text().await.unwrap();
    let sent = b
        .post(app.url("/staff/login"))
        .form(&[("csrf", hidden(&page, "csrf").as_str()), ("username", username), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 303, "password accepted");
    let code_page = b.get(location(app, &sent)).send().await.unwrap().text().await.unwrap();
    let done = b
        .post(app.url("/staff/login/code"))
        .form(&[
            ("csrf", hidden(&code_page, "csrf").as_str()),
            ("tx", hidden(&code_page, "tx").as_str()),
            ("code", sms.code_for(phone).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303, "code accepted");
    assert_eq!(done.headers()["location"], "/staff");
    let cookie = done.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let home = b.get(app.url("/staff")).send().await.unwrap().text().await.unwrap();
    Desk { csrf: hidden(&home, "csrf"), b }
}

/// Creates a member and signs them in.
pub async fn desk(app: &TestApp, sms: &SmsFake, username: &str, roles: &[&str], phone: &str) -> Desk {
    let password = member(app, username, roles, phone).await;
    sign_in_staff(app, sms, username, &password, phone).await
}

impl Desk {
    pub async fn get(&self, app: &TestApp, path: &str) -> (StatusCode, String) {
        let response = self.b.get(app.url(path)).send().await.unwrap();
        (response.status(), response.text().await.unwrap())
    }

    pub async fn post(&self, app: &TestApp, path: &str, fields: &[(String, String)]) -> (StatusCode, String, String) {
        let mut form = vec![("csrf".to_owned(), self.csrf.clone())];
        form.extend(fields.iter().cloned());
        let response = self.b.post(app.url(path)).form(&form).send().await.unwrap();
        let status = response.status();
        let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
        (status, response.text().await.unwrap(), location)
    }
}

/// Pairs from literals.
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// The printed code and its reference on a staff page.
pub fn printed_code(html: &str) -> (String, String) {
    let value = |marker: &str| {
        let start = html.find(marker).unwrap_or_else(|| panic!("no {marker} in:\n{html}")) + marker.len();
        html[start..start + html[start..].find('"').unwrap()].to_owned()
    };
    let reference = value("data-reference=\"");
    (value("data-code=\""), reference.rsplit(' ').next().unwrap().to_owned())
}

/// The account id linked from a page (`/staff/citizens/{id}`).
pub fn citizen_link(html: &str) -> String {
    let marker = "/staff/citizens/";
    let mut rest = html;
    while let Some(at) = rest.find(marker) {
        let tail = &rest[at + marker.len()..];
        let id: String = tail.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
        if id.len() > 10 {
            return id;
        }
        rest = tail;
    }
    panic!("no citizen link in:\n{html}")
}

/// The audit log once everything recorded so far is written: the log is written in
/// batches, in order, so a marker recorded now appears after every earlier event.
pub async fn flushed_audit(app: &TestApp) -> Vec<vhod::db::models::audit_event::AuditEventRow> {
    use vhod::audit::{AuditEvent, AuditKind};
    let marker = format!("test-marker-{}", crate::helpers::random_suffix());
    app.services.audit.record(AuditEvent::success(AuditKind::AccountChanged).actor(marker.clone())).await;
    for _ in 0..100 {
        let events = app.audit_events().await;
        if events.iter().any(|e| e.actor.as_deref() == Some(marker.as_str())) {
            return events;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the audit log was not written within 5 s");
}

/// Staff audit events (`staff.action`, successful) for an action.
pub async fn staff_events(app: &TestApp, action: &str) -> Vec<vhod::db::models::audit_event::AuditEventRow> {
    flushed_audit(app)
        .await
        .into_iter()
        .filter(|e| e.kind == "staff.action" && e.outcome == "success")
        .filter(|e| serde_json::from_str::<Value>(&e.detail).unwrap()["action"] == action)
        .collect()
}

/// Registers a citizen at a service centre; returns (account id, activation code).
pub async fn register_in_person(app: &TestApp, mfc: &Desk, family: &str, seed: u32, phone: &str) -> (String, String) {
    let mut form = identity(family, &snils(seed), &format!("45{:02} {:06}", seed % 100, seed));
    form.extend(pairs(&[
        ("channel", "in_person"),
        ("phone", phone),
        ("document_type", "passport_ru"),
        ("reason", "обратилась лично с паспортом"),
    ]));
    let (status, html, _) = mfc.post(app, "/staff/citizens", &form).await;
    assert_eq!(status, 201, "{html}");
    let (code, _) = printed_code(&html);
    (citizen_link(&html), code)
}

/// `/activate` with a login, a code and a new password.
pub async fn activate(app: &TestApp, login: &str, code: &str) -> (StatusCode, String) {
    let b = browser();
    let page = b.get(app.url("/activate")).send().await.unwrap().text().await.unwrap();
    let response = b
        .post(app.url("/activate"))
        .form(&[("csrf", hidden(&page, "csrf").as_str()), ("username", login), ("code", code), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn level_of(app: &TestApp, id: &str) -> String {
    let id = id.to_owned();
    let user = app.services.db.run(move |c| vhod::db::models::user::find_by_id(c, &id)).await.unwrap().unwrap();
    user.account_level
}

#[actix_web::test]
async fn staff_sign_in_takes_a_password_and_a_code_and_locks_out_guessing() {
    let sms = SmsFake::start();
    let app = assisted_app(&sms).await;
    let password = member(&app, "olga", &["mfc_operator"], "+79990000001").await;
    let b = browser();
    // Not signed in: the staff area sends to the sign-in page.
    let response = b.get(app.url("/staff/citizens")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/staff/login");
    let page = b.get(app.url("/staff/login")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    for _ in 0..5 {
        let wrong = b
            .post(app.url("/staff/login"))
            .form(&[("csrf", csrf.as_str()), ("username", "olga"), ("password", "wrong password")])
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
    }
    let unknown = b
        .post(app.url("/staff/login"))
        .form(&[("csrf", csrf.as_str()), ("username", "nobody"), ("password", "wrong password")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401, "unknown and wrong answer alike");
    let locked = b
        .post(app.url("/staff/login"))
        .form(&[("csrf", csrf.as_str()), ("username", "olga"), ("password", password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), 429, "locked after five failures, even with the right password");
    assert!(sms.texts_to("+79990000001").is_empty(), "no code was sent");
    // Another member: the password alone does not open the staff area.
    let password = member(&app, "ivan", &["support"], "+79990000002").await;
    let b = browser();
    let page = b.get(app.url("/staff/login")).send().await.unwrap().text().await.unwrap();
    let sent = b
        .post(app.url("/staff/login"))
        .form(&[("csrf", hidden(&page, "csrf").as_str()), ("username", "IVAN"), ("password", password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 303);
    assert_eq!(b.get(app.url("/staff")).send().await.unwrap().status(), 303, "no session before the code");
    let code_page = b.get(location(&app, &sent)).send().await.unwrap().text().await.unwrap();
    let wrong = b
        .post(app.url("/staff/login/code"))
        .form(&[
            ("csrf", hidden(&code_page, "csrf").as_str()),
            ("tx", hidden(&code_page, "tx").as_str()),
            ("code", "000000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // Asking for the code again: held back by the cooldown, then a fresh code.
    let resend = || {
        b.post(app.url("/staff/login/resend"))
            .form(&[("csrf", hidden(&code_page, "csrf")), ("tx", hidden(&code_page, "tx"))])
            .send()
    };
    assert_eq!(resend().await.unwrap().status(), 429);
    let first = sms.code_for("+79990000002");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(resend().await.unwrap().status(), 303);
    assert_ne!(sms.code_for("+79990000002"), first, "a new code was sent");
    let right = b
        .post(app.url("/staff/login/code"))
        .form(&[
            ("csrf", hidden(&code_page, "csrf").as_str()),
            ("tx", hidden(&code_page, "tx").as_str()),
            ("code", sms.code_for("+79990000002").as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 303);
    let home = b.get(app.url("/staff")).send().await.unwrap().text().await.unwrap();
    let desk = Desk { csrf: hidden(&home, "csrf"), b };
    let (status, home) = desk.get(&app, "/staff?lang=en").await;
    assert_eq!(status, 200);
    assert!(home.contains("Staff workplace") && home.contains("support"), "{home}");
    let (_, home) = desk.get(&app, "/staff").await;
    assert!(home.contains("Рабочее место сотрудника"), "Russian by default");
    let events = flushed_audit(&app).await;
    assert!(events.iter().any(|e| e.kind == "staff.signed_in" && e.actor.as_deref() == Some("staff:ivan")));
    assert!(events.iter().any(|e| e.kind == "staff.login_failed" && e.actor.as_deref() == Some("staff:olga")));
    // Signing out ends the session.
    let (status, _, _) = desk.post(&app, "/staff/logout", &[]).await;
    assert_eq!(status, 303);
    assert_eq!(desk.get(&app, "/staff/citizens").await.0, 303);
}

/// (member, method, path, form) of a request that must be refused.
type Case<'a> = (&'a Desk, &'a str, String, Vec<(String, String)>);

#[actix_web::test]
async fn each_role_is_refused_outside_its_rights_and_refusals_are_audited() {
    let sms = SmsFake::start();
    let app = assisted_app(&sms).await;
    let partner = desk(&app, &sms, "ngo", &["partner"], "+79990000011").await;
    let post = desk(&app, &sms, "clerk", &["post_operator"], "+79990000012").await;
    let auditor = desk(&app, &sms, "audit", &["auditor"], "+79990000013").await;
    let callcentre = desk(&app, &sms, "callc", &["callcenter_operator"], "+79990000014").await;
    let support = desk(&app, &sms, "help", &["support"], "+79990000015").await;
    let mfc = desk(&app, &sms, "mfc", &["mfc_operator"], "+79990000016").await;
    let (citizen, _) = register_in_person(&app, &mfc, "Смирнова", 11, "").await;
    let mut form = identity("Кузнецова", &snils(12), "4512 000012");
    form.extend(pairs(&[("channel", "in_person"), ("document_type", "passport_ru"), ("reason", "test")]));
    // (member, method, path, expected status)
    let cases: Vec<Case<'_>> = vec![
        (&partner, "get", "/staff/citizens?q=Смирнова".into(), vec![]),
        (&post, "get", format!("/staff/citizens/{citizen}"), vec![]),
        (&post, "post", "/staff/citizens".into(), form.clone()),
        (&callcentre, "post", "/staff/citizens".into(), form.clone()),
        (&auditor, "post", format!("/staff/citizens/{citizen}/activation"), pairs(&[("reason", "x")])),
        (&mfc, "post", format!("/staff/citizens/{citizen}/temporary"), pairs(&[("hours", "2"), ("reason", "x")])),
        (&support, "post", format!("/staff/citizens/{citizen}/confirm"), form.clone()),
        (
            &mfc,
            "post",
            "/staff/post".into(),
            pairs(&[("reference", "X"), ("document", "4512 000012"), ("reason", "x")]),
        ),
        (&partner, "get", "/staff/audit".into(), vec![]),
        (&mfc, "get", "/staff/support/report".into(), vec![]),
        (&auditor, "post", "/staff/attorneys".into(), pairs(&[("principal", &citizen), ("reason", "x")])),
        (&callcentre, "get", "/staff/codes".into(), vec![]),
        (&support, "get", "/staff/applications".into(), vec![]),
    ];
    for (who, method, path, fields) in cases {
        let status =
            if method == "get" { who.get(&app, &path).await.0 } else { who.post(&app, &path, &fields).await.0 };
        assert_eq!(status, 403, "{method} {path}");
    }
    let refusals =
        flushed_audit(&app).await.into_iter().filter(|e| e.kind == "staff.action" && e.outcome == "failure").count();
    assert!(refusals >= 13, "every refusal is audited ({refusals})");
    // What each may do works.
    assert_eq!(auditor.get(&app, "/staff/audit").await.0, 200);
    assert_eq!(auditor.get(&app, &format!("/staff/citizens/{citizen}")).await.0, 200);
    assert_eq!(support.get(&app, "/staff/support/report").await.0, 200);
    assert_eq!(callcentre.get(&app, "/staff/citizens?q=Смирнова").await.0, 200);
    assert_eq!(post.get(&app, "/staff/post").await.0, 200);
    assert_eq!(partner.get(&app, "/staff/applications/new").await.0, 200);
    // A form without the member's CSRF token is refused.
    let response = mfc
        .b
        .post(app.url(&format!("/staff/citizens/{citizen}/activation")))
        .form(&[("reason", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[actix_web::test]
async fn staff_are_managed_through_the_cli_and_the_admin_api() {
    let sms = SmsFake::start();
    let app = assisted_app(&sms).await;
    let out = app.cli(&[
        "--json",
        "staff",
        "create",
        "--username",
        "Petr",
        "--name",
        "Пётр Сидоров",
        "--phone",
        "8 (999) 000-00-21",
        "--role",
        "post_operator",
        "--office",
        "Почта 101000",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["username"], "petr");
    assert_eq!(created["phone"], "+79990000021");
    let password = created["initial_password"].as_str().unwrap().to_owned();
    let bad = app.cli(&[
        "staff",
        "create",
        "--username",
        "xname",
        "--name",
        "X",
        "--phone",
        "+79990000022",
        "--role",
        "boss",
        "--office",
        "O",
    ]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("unknown role `boss`"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let clerk = sign_in_staff(&app, &sms, "petr", &password, "+79990000021").await;
    assert_eq!(clerk.get(&app, "/staff/post").await.0, 200);
    // The admin API changes roles and disables; a disabled member's session ends.
    let token = crate::admin::admin_token(&app).await;
    let api = |path: &str| app.url(&format!("/admin/api{path}"));
    let list: Value = app.http.get(api("/staff")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(list[0]["username"], "petr");
    let updated = app
        .http
        .put(api("/staff/petr"))
        .bearer_auth(&token)
        .json(&json!({ "username": "petr", "display_name": "Пётр Сидоров", "phone": "+79990000021",
                       "roles": ["post_operator", "auditor"], "office": "Почта 101000", "disabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    assert_eq!(clerk.get(&app, "/staff/post").await.0, 303, "disabled: signed out at once");
    let created = app
        .http
        .post(api("/staff"))
        .bearer_auth(&token)
        .json(&json!({ "username": "anna", "display_name": "Анна", "phone": "+79990000023", "roles": ["support"], "office": "КЦ" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let body: Value = created.json().await.unwrap();
    assert!(body["initial_password"].as_str().unwrap().len() >= 20);
    let refused = app
        .http
        .post(api("/staff"))
        .bearer_auth(&token)
        .json(&json!({ "username": "anna2", "display_name": "Анна", "phone": "123", "roles": ["support"], "office": "КЦ" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let reset = app.http.post(api("/staff/anna/password")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(reset.status(), 200);
    let new_password = reset.json::<Value>().await.unwrap()["password"].as_str().unwrap().to_owned();
    let support = sign_in_staff(&app, &sms, "anna", &new_password, "+79990000023").await;
    assert_eq!(support.get(&app, "/staff/support").await.0, 200);
    let unauthenticated = app.http.get(api("/staff")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
    let events = flushed_audit(&app).await;
    for action in ["staff_created", "staff_updated", "staff_password_reset"] {
        assert!(events.iter().any(|e| e.kind == "staff.action" && e.detail.contains(action)), "{action} audited");
    }
}

#[actix_web::test]
async fn a_service_centre_registers_and_confirms_and_the_citizen_activates_with_the_printed_code() {
    let sms = SmsFake::start();
    let app = assisted_app(&sms).await;
    let mfc = desk(&app, &sms, "olga", &["mfc_operator"], "+79990000031").await;
    // Bad data keeps what was typed and names the fields.
    let mut form = identity("Смирнова", "112-233-445 96", "4510 123456");
    form.extend(pairs(&[("channel", "in_person"), ("document_type", "passport_ru"), ("reason", "лично")]));
    let (status, html, _) = mfc.post(&app, "/staff/citizens", &form).await;
    assert_eq!(status, 400);
    assert!(html.contains("data-field=\"snils\"") && html.contains("value=\"Смирнова\""), "{html}");
    let (_, html, _) = mfc
        .post(&app, "/staff/citizens", &form.iter().filter(|(k, _)| k != "reason").cloned().collect::<Vec<_>>())
        .await;
    assert!(html.contains("data-field=\"reason\""), "a reason is required");
    // A citizen without phone or e-mail: the account is confirmed and a code printed.
    let (id, code) = register_in_person(&app, &mfc, "Смирнова", 31, "").await;
    assert_eq!(level_of(&app, &id).await, "confirmed");
    let history = app.services.db.run({
        let id = id.clone();
        move |c| vhod::db::models::identity_verification::for_user(c, &id)
    });
    let history = history.await.unwrap();
    let confirmed = history.iter().find(|h| h.level == "confirmed").expect("confirmed in the history");
    assert_eq!(confirmed.method, "in_person");
    assert_eq!(confirmed.verifier, "staff:olga");
    assert!(
        confirmed.evidence.contains(OFFICE) && confirmed.evidence.contains("passport_ru"),
        "{}",
        confirmed.evidence
    );
    // Registering the same SNILS again is refused.
    let mut again = identity("Смирнова", &snils(31), "4531 000031");
    again.extend(pairs(&[("channel", "in_person"), ("document_type", "passport_ru"), ("reason", "лично")]));
    assert_eq!(mfc.post(&app, "/staff/citizens", &again).await.0, 409);
    // The citizen activates at home with the SNILS and the code.
    let login = snils(31);
    let (status, page) = activate(&app, &login, "WRONG-CODE-0000").await;
    assert_eq!(status, 400, "{page}");
    let (status, page) = activate(&app, &login, &code.to_lowercase()).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(activate(&app, &login, &code).await.0, 400, "single use");
    // The password works: a relying party sees a confirmed account.
    let client = crate::flow::web_client(&app, "portal", "portal.example", |_| {}).await;
    let citizen = browser();
    let tokens = crate::flow::code_flow_tokens(&app, &citizen, &client, &["openid"], (&login, PASSWORD)).await;
    let claims = openidconnect::TokenResponse::id_token(&tokens)
        .unwrap()
        .claims(&client.rp.id_token_verifier(), |_: Option<&openidconnect::Nonce>| Ok(()))
        .unwrap();
    assert_eq!(claims.auth_context_ref().unwrap().as_str(), "urn:vhod:acr:confirmed");
    // A recovery at the service centre: a new code replaces the password and signs the
    // account out everywhere.
    let signed_in = |html: &str| html.contains("id=\"account-level\"");
    assert!(signed_in(&citizen.get(app.url("/account")).send().await.unwrap().text().await.unwrap()));
    let (_, html, _) =
        mfc.post(&app, &format!("/staff/citizens/{id}/activation"), &pairs(&[("reason", "забыла пароль")])).await;
    let (recovery, _) = printed_code(&html);
    assert_eq!(activate(&app, &login, &recovery).await.0, 200);
    assert!(!signed_in(&citizen.get(app.url("/account")).send().await.unwrap().text().await.unwrap()));
    // Guessing kills a code: five wrong entries, then even the right one fails.
    let (second, _) = register_in_person(&app, &mfc, "Орлова", 32, "").await;
    let (_, html, _) =
        mfc.post(&app, &format!("/staff/citizens/{second}/activation"), &pairs(&[("reason", "потеряла бланк")])).await;
    let (fresh, _) = printed_code(&html);
    for _ in 0..5 {
        assert_eq!(activate(&app, &snils(32), "AAAA-BBBB-CCCC").await.0, 400);
    }
    assert_eq!(activate(&app, &snils(32), &fresh).await.0, 400, "the code died after five wrong entries");
    // Expired codes do not work.
    let (_, html, _) =
        mfc.post(&app, &format!("/staff/citizens/{second}/activation"), &pairs(&[("reason", "ещё раз")])).await;
    let (late, reference) = printed_code(&html);
    app.services
        .db
        .run(move |c| {
            use diesel::prelude::*;
            diesel::sql_query(format!("UPDATE assisted_codes SET expires_at = 1 WHERE id = '{reference}'"))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(activate(&app, &snils(32), &late).await.0, 400, "expired");
    // Confirming an existing account after a document check.
    let b = browser();
    let (third, _) = {
        let mut form = identity("Волкова", &snils(33), "4533 000033");
        form.extend(pairs(&[
            ("channel", "phone"),
            ("phone", "+79161230033"),
            ("delivery", "read_out"),
            ("reason", "звонок"),
        ]));
        let cc = desk(&app, &sms, "callc", &["callcenter_operator"], "+79990000032").await;
        let (status, html, _) = cc.post(&app, "/staff/citizens", &form).await;
        assert_eq!(status, 201, "{html}");
        (citizen_link(&html), b)
    };
    assert_ne!(level_of(&app, &third).await, "confirmed");
    let mut form = identity("Волкова", &snils(33), "4533 000033");
    form.extend(pairs(&[("document_type", "passport_ru"), ("reason", "пришла с паспортом")]));
    let (status, html, _) = mfc.post(&app, &format!("/staff/citizens/{third}/confirm"), &form).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(level_of(&app, &third).await, "confirmed");
    // Confirmation binds the account to the person at the desk: earlier ways in are gone
    // and a printed code sets the password.
    let id3 = third.clone();
    let user = app.services.db.run(move |c| vhod::db::models::user::find_by_id(c, &id3)).await.unwrap().unwrap();
    assert!(user.password_hash.is_none() && !user.phone_number_verified);
    let (code, _) = printed_code(&html);
    assert_eq!(activate(&app, "+79161230033", &code).await.0, 200);
    // The audit trail names the member, the office, the citizen and the reason.
    for (action, citizen) in
        [("register_in_person", &id), ("confirm_in_person", &third), ("issue_activation_code", &second)]
    {
        let events = staff_events(&app, action).await;
        let event = events
            .iter()
            .find(|e| e.subject.as_deref() == Some(citizen.as_str()))
            .unwrap_or_else(|| panic!("{action}"));
        assert_eq!(event.actor.as_deref(), Some("staff:olga"));
        let detail: Value = serde_json::from_str(&event.detail).unwrap();
        assert_eq!(detail["office"], OFFICE);
        assert!(!detail["reason"].as_str().unwrap().is_empty());
    }
    // Searching and paging the citizens list.
    let (status, html) = mfc.get(&app, "/staff/citizens?q=Волкова").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("/staff/citizens/{third}")));
    assert!(!html.contains(&format!("/staff/citizens/{id}\"")), "only matches");
    let (_, html) = mfc.get(&app, "/staff/citizens?q=%25").await;
    assert!(!html.contains(&format!("/staff/citizens/{id}")), "LIKE wildcards are literal");
    let (_, html) = mfc.get(&app, &format!("/staff/citizens?q={}", snils(31))).await;
    assert!(html.contains(&format!("/staff/citizens/{id}")), "by SNILS");
}

/// The activation code in an SMS text (`XXXX-XXXX-XXXX`).
pub fn activation_code_in(text: &str) -> String {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find(|w| w.len() == 14 && w.matches('-').count() == 2)
        .unwrap_or_else(|| panic!("no activation code in {text:?}"))
        .to_owned()
}

#[actix_web::test]
async fn a_call_centre_registers_by_phone_never_confirmed_and_the_sms_code_activates_and_verifies_the_phone() {
    let sms = SmsFake::start();
    let app = assisted_app(&sms).await;
    let cc = desk(&app, &sms, "callc", &["callcenter_operator"], "+79990000041").await;
    let mut form = identity("Зайцева", &snils(41), "4541 000041");
    form.extend(pairs(&[
        ("channel", "phone"),
        ("phone", "8 916 123-00-41"),
        ("delivery", "sms"),
        ("reason", "звонок на 122"),
    ]));
    let (status, html, _) = cc.post(&app, "/staff/citizens", &form).await;
    assert_eq!(status, 201, "{html}");
    let id = citizen_link(&html);
    assert!(!html.contains("data-code="), "a code sent by SMS is not shown to the operator");
    assert_ne!(level_of(&app, &id).await, "confirmed", "never confirmed by phone");
    let text = sms.texts_to("+79161230041").pop().expect("the activation code went by SMS");
    let code = activation_code_in(&text);
    let (status, page) = activate(&app, "+7 916 123-00-41", &code).await;
    assert_eq!(status, 200, "{page}");
    let user = app.services.db.run(move |c| vhod::db::models::user::find_by_id(c, &id)).await.unwrap().unwrap();
    assert!(user.phone_number_verified, "a code that went by SMS proves the phone");
    assert!(user.password_hash.is_some());
    // Without a phone the call centre cannot register anybody.
    let mut form = identity("Белова", &snils(42), "4542 000042");
    form.extend(pairs(&[("channel", "phone"), ("delivery", "read_out"), ("reason", "звонок")]));
    let (status, html, _) = cc.post(&app, "/staff/citizens", &form).await;
    assert_eq!(status, 400);
    assert!(html.contains("data-field=\"phone\""));
    let events = staff_events(&app, "register_by_phone").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.as_deref(), Some("staff:callc"));
}
