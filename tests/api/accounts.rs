//! Citizen accounts end to end: registration by phone, identity data and the registry
//! check, SMS sign-in and its limits, step-up through `acr_values`, the claims each
//! scope releases, and the profile page.

use std::sync::Arc;
use std::time::Duration;

use openidconnect::{OAuth2TokenResponse, TokenResponse};
use secrecy::SecretString;
use serde_json::{Value, json};
use vhod::config::Settings;
use vhod::jose::Kek;

use crate::fakes::{RegistryFake, SMS_TOKEN, SmsFake, code_in};
use crate::flow::{Reached, allow_to_client, browser, follow, hidden, location, sign_in, start, web_client};
use crate::helpers::{TestApp, TestDb, spawn_app_on, wait_until};

const PHONE: &str = "+79161234567";
const PASSWORD: &str = "correct horse battery";

async fn citizen_app(sms: &SmsFake, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    citizen_app_on(Arc::new(TestDb::new()), sms, adjust).await
}

async fn citizen_app_on(db: Arc<TestDb>, sms: &SmsFake, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let url = sms.url.clone();
    spawn_app_on(db, Kek::generate(), move |s| {
        s.sms.gateway = "http".into();
        s.sms.url = url;
        s.sms.authorization = Some(SecretString::from(SMS_TOKEN));
        s.sms.retries = 0;
        adjust(s);
    })
    .await
}

async fn text(response: reqwest::Response) -> String {
    response.text().await.unwrap()
}

/// Opens `/sms` for `purpose` and submits `phone`.
async fn ask_code(app: &TestApp, b: &reqwest::Client, purpose: &str, rid: &str, phone: &str) -> reqwest::Response {
    let html = text(b.get(app.url(&format!("/sms?purpose={purpose}&rid={rid}"))).send().await.unwrap()).await;
    let csrf = hidden(&html, "csrf");
    b.post(app.url("/sms"))
        .form(&[("csrf", csrf.as_str()), ("purpose", purpose), ("rid", rid), ("phone", phone)])
        .send()
        .await
        .unwrap()
}

/// The code page a successful send redirects to.
async fn code_page(app: &TestApp, b: &reqwest::Client, sent: reqwest::Response) -> String {
    assert_eq!(sent.status(), 303, "the code was sent");
    let url = location(app, &sent);
    assert!(url.contains("/sms/code?tx="), "{url}");
    text(b.get(url).send().await.unwrap()).await
}

async fn enter(app: &TestApp, b: &reqwest::Client, page: &str, code: &str) -> reqwest::Response {
    b.post(app.url("/sms/code"))
        .form(&[("csrf", hidden(page, "csrf").as_str()), ("tx", hidden(page, "tx").as_str()), ("code", code)])
        .send()
        .await
        .unwrap()
}

async fn resend(app: &TestApp, b: &reqwest::Client, page: &str) -> reqwest::Response {
    b.post(app.url("/sms/resend"))
        .form(&[("csrf", hidden(page, "csrf").as_str()), ("tx", hidden(page, "tx").as_str())])
        .send()
        .await
        .unwrap()
}

/// Registers `phone` (optionally continuing pending request `rid`); returns where the
/// browser is sent afterwards.
async fn register(app: &TestApp, b: &reqwest::Client, sms: &SmsFake, phone: &str, rid: &str, password: &str) -> String {
    let page = code_page(app, b, ask_code(app, b, "register", rid, phone).await).await;
    let e164 = vhod::domain::Phone::parse(phone).unwrap();
    let verified = enter(app, b, &page, &sms.code_for(e164.as_str())).await;
    assert_eq!(verified.status(), 303);
    let signup = text(b.get(location(app, &verified)).send().await.unwrap()).await;
    assert!(signup.contains("autocomplete=\"new-password\""), "{signup}");
    let created = b
        .post(app.url("/signup"))
        .form(&[
            ("csrf", hidden(&signup, "csrf").as_str()),
            ("tx", hidden(&signup, "tx").as_str()),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 303, "account created");
    location(app, &created)
}

async fn account_page(app: &TestApp, b: &reqwest::Client) -> String {
    text(b.get(app.url("/account")).send().await.unwrap()).await
}

async fn user_by_phone(app: &TestApp, phone: &str) -> vhod::db::models::user::UserRow {
    let phone = phone.to_owned();
    app.services
        .db
        .run(move |conn| vhod::db::models::user::find_by_verified_phone(conn, &phone))
        .await
        .unwrap()
        .expect("account exists")
}

/// Submits the identity form of the profile.
async fn submit_identity(app: &TestApp, b: &reqwest::Client, fields: &[(&str, &str)]) -> reqwest::Response {
    let html = account_page(app, b).await;
    let csrf = hidden(&html, "csrf");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    b.post(app.url("/account/identity")).form(&form).send().await.unwrap()
}

const GOOD_IDENTITY: [(&str, &str); 8] = [
    ("family_name", "Фёдоров"),
    ("given_name", "Алексей"),
    ("middle_name", "Петрович"),
    ("birthdate", "29.02.1980"),
    ("gender", "male"),
    ("snils", "112-233-445 95"),
    ("inn", "500100732259"),
    ("passport", "4508 123456"),
];

fn registry_file(db: &TestDb) -> String {
    let path = db.dir().join("registry.json");
    let records = json!([{
        "snils": "11223344595",
        "family_name": "ФЕДОРОВ",
        "given_name": "Алексей",
        "middle_name": "Петрович",
        "birthdate": "1980-02-29",
        "passport": "45 08 123456"
    }]);
    std::fs::write(&path, records.to_string()).unwrap();
    format!("file:{}", path.display())
}

#[actix_web::test]
async fn registration_by_phone_creates_a_simplified_account_and_completes_the_flow() {
    let sms = SmsFake::start();
    let app = citizen_app(&sms, |_| {}).await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let b = browser();
    let started = start(&client.rp, &["phone"], &[]);
    let Reached::Login { html } = follow(&app, &b, started.url.clone(), &client.redirect_uri).await else { panic!() };
    assert!(html.contains("/sms?purpose=register"), "the sign-in page offers registration");
    let rid = hidden(&html, "rid");
    let next = register(&app, &b, &sms, "8 (916) 123-45-67", &rid, PASSWORD).await;
    assert!(next.contains("/authorize/resume"), "{next}");
    let (html, params) = allow_to_client(&app, &b, next, &client).await;
    assert!(html.contains("<li>Номер телефона</li>"), "consent names each data item:\n{html}");
    let tokens = crate::flow::exchange(&app, &client, &params["code"], started.verifier).await;
    let claims = tokens.id_token().unwrap().claims(&client.rp.id_token_verifier(), &started.nonce).unwrap();
    assert_eq!(claims.auth_context_ref().map(|a| a.as_str()), Some("urn:vhod:acr:simplified"));
    let amr = crate::flow::amr(claims);
    assert_eq!(amr, ["sms"]);
    let info = app.userinfo(tokens.access_token().secret()).await;
    assert_eq!(info["phone_number"], PHONE, "normalised to E.164");
    assert_eq!(info["phone_number_verified"], true);
    assert_eq!(info["account_level"], "simplified");
    let user = user_by_phone(&app, PHONE).await;
    assert_eq!(user.account_level, "simplified");
    assert!(account_page(&app, &b).await.contains("упрощённая"));
    // The password works with the phone number in another spelling.
    let b2 = browser();
    let Reached::Login { html } = follow(&app, &b2, start(&client.rp, &[], &[]).url, &client.redirect_uri).await else {
        panic!()
    };
    assert_eq!(sign_in(&app, &b2, &html, "+7 916 123 45 67", PASSWORD).await.status(), 303);
    let event = app.wait_for_audit_kind("account.registered").await;
    assert_eq!(event.subject.as_deref(), Some(user.id.as_str()));
}

#[actix_web::test]
async fn identity_data_is_checked_field_by_field_and_reaches_standard_through_the_registry() {
    let sms = SmsFake::start();
    let db = Arc::new(TestDb::new());
    let source = registry_file(&db);
    let app = citizen_app_on(db, &sms, move |s| s.registry.source = source).await;
    let b = browser();
    register(&app, &b, &sms, PHONE, "", "").await;
    // Every broken field is named at once, and what was typed stays in the form.
    let mut broken = GOOD_IDENTITY.to_vec();
    broken[1] = ("given_name", "Алексей2");
    broken[3] = ("birthdate", "29.02.1981");
    broken[5] = ("snils", "112-233-445 96");
    broken[6] = ("inn", "7707083893");
    broken[7] = ("passport", "4508 12345");
    let response = submit_identity(&app, &b, &broken).await;
    assert_eq!(response.status(), 400);
    let html = text(response).await;
    for label in ["Имя", "Дата рождения", "СНИЛС", "ИНН", "Паспорт: серия и номер"]
    {
        assert!(html.contains(&format!("<strong>{label}</strong>")), "{label} is named:\n{html}");
    }
    assert!(html.contains("value=\"Фёдоров\"") && html.contains("value=\"112-233-445 96\""), "nothing typed is lost");
    // Valid data that the registry disagrees with: the field and the reason are shown.
    let mut other = GOOD_IDENTITY.to_vec();
    other[1] = ("given_name", "Александр");
    assert_eq!(submit_identity(&app, &b, &other).await.status(), 303);
    wait_until("the registry answered", || async {
        user_by_phone(&app, PHONE).await.registry_status.as_deref() == Some("mismatch")
    })
    .await;
    let html = account_page(&app, &b).await;
    assert!(
        html.contains("id=\"mismatches\"") && html.contains("<strong>Имя</strong>: не совпадает с записью в регистре"),
        "{html}"
    );
    assert!(!html.contains("Алексей</"), "the registry's value is not revealed");
    assert!(html.contains("value=\"Александр\""), "the stored data is what the citizen typed");
    // The operator sees the same: which field and why (CLI and admin API).
    let output = app.cli(&["users", "show", "8 916 123 45 67", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let shown: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(shown["registry_status"], "mismatch");
    assert_eq!(shown["mismatches"][0]["field"], "given_name");
    assert!(shown.get("snils").is_none(), "identity numbers stay out of the operator view");
    let token = crate::admin::admin_token(&app).await;
    let id = shown["id"].as_str().unwrap();
    let api: Value = app
        .http
        .get(app.url(&format!("/admin/api/citizens/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api, shown);
    let missing = app.http.get(app.url("/admin/api/citizens/nobody")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    // Fixing it (with ё/е and case differences the registry ignores) makes the account standard.
    assert_eq!(submit_identity(&app, &b, &GOOD_IDENTITY).await.status(), 303);
    wait_until("standard", || async { user_by_phone(&app, PHONE).await.account_level == "standard" }).await;
    let html = account_page(&app, &b).await;
    assert!(html.contains("стандартная") && html.contains("данные проверены в государственном регистре"), "{html}");
    let user = user_by_phone(&app, PHONE).await;
    assert_eq!(user.family_name.as_deref(), Some("Фёдоров"), "stored as entered");
    assert_eq!(user.birthdate.as_deref(), Some("1980-02-29"));
    // The claims each scope releases.
    let client = web_client(&app, "gov", "rp.example.ru", |spec| {
        spec.scopes = ["openid", "profile", "snils", "inn", "id_document", "verified_claims"].map(Into::into).to_vec();
    })
    .await;
    let token = |scopes: &'static [&'static str]| {
        let (app, b, client) = (&app, &b, &client);
        async move {
            let started = start(&client.rp, scopes, &[]);
            let params = crate::flow::authorize(app, b, &started.url, client, ("", "")).await;
            crate::flow::exchange(app, client, &params["code"], started.verifier).await.access_token().secret().clone()
        }
    };
    let minimal = app.userinfo(&token(&[]).await).await;
    // The session (consent given above) learnt the new level without signing in again.
    let silent = start(&client.rp, &[], &[("prompt", "none"), ("acr_values", "urn:vhod:acr:standard")]);
    let Reached::Client(p) = follow(&app, &b, silent.url, &client.redirect_uri).await else { panic!() };
    let tokens = crate::flow::exchange(&app, &client, &p["code"], silent.verifier).await;
    let claims = tokens.id_token().unwrap().claims(&client.rp.id_token_verifier(), &silent.nonce).unwrap();
    assert_eq!(claims.auth_context_ref().map(|a| a.as_str()), Some("urn:vhod:acr:standard"));

    let keys: Vec<&String> = minimal.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["account_level", "sub"], "openid alone releases no personal data");
    assert_eq!(minimal["account_level"], "standard");
    let full = app.userinfo(&token(&["profile", "snils", "inn", "id_document", "verified_claims"]).await).await;
    assert_eq!(full["family_name"], "Фёдоров");
    assert_eq!(full["gender"], "male");
    assert_eq!(full["snils"], "112-233-445 95");
    assert_eq!(full["inn"], "500100732259");
    assert_eq!(full["id_document"]["series"], "4508");
    assert_eq!(full["id_document"]["number"], "123456");
    let verified = &full["verified_claims"];
    assert_eq!(verified["verification"]["assurance_level"], "standard");
    assert_eq!(verified["verification"]["evidence"][0]["type"], "electronic_record");
    assert_eq!(verified["claims"]["snils"], "112-233-445 95");
    assert_eq!(verified["claims"]["birthdate"], "1980-02-29");
    let snils_only = app.userinfo(&token(&["snils", "verified_claims"]).await).await;
    assert!(snils_only.get("family_name").is_none() && snils_only.get("inn").is_none());
    assert_eq!(snils_only["verified_claims"]["claims"], json!({ "snils": "112-233-445 95" }));
    // Changing verified data drops the account back and starts a new check.
    let mut moved = GOOD_IDENTITY.to_vec();
    moved[7] = ("passport", "4510 654321");
    assert_eq!(submit_identity(&app, &b, &moved).await.status(), 303);
    wait_until("mismatch after the change", || async {
        user_by_phone(&app, PHONE).await.registry_status.as_deref() == Some("mismatch")
    })
    .await;
    let user = user_by_phone(&app, PHONE).await;
    assert_eq!(user.account_level, "simplified");
    let history = vhod::accounts::history(&app.services, &user.id).await.unwrap();
    let methods: Vec<&str> = history.iter().map(|h| h.method.as_str()).collect();
    assert_eq!(methods, ["data_changed", "registry", "phone_code"]);
}

#[actix_web::test]
async fn an_http_registry_shows_progress_and_not_found_keeps_the_data() {
    let sms = SmsFake::start();
    let registry = RegistryFake::start(json!({ "result": "not_found" }), 1500);
    let url = registry.url.clone();
    let app = citizen_app(&sms, move |s| s.registry.source = url).await;
    let b = browser();
    register(&app, &b, &sms, PHONE, "", "").await;
    assert_eq!(submit_identity(&app, &b, &GOOD_IDENTITY).await.status(), 303);
    let html = account_page(&app, &b).await;
    assert!(html.contains("Идёт проверка данных"), "verification in progress is visible:\n{html}");
    wait_until("not found", || async {
        user_by_phone(&app, PHONE).await.registry_status.as_deref() == Some("not_found")
    })
    .await;
    let html = account_page(&app, &b).await;
    assert!(html.contains("Запись в регистре не найдена") && html.contains("value=\"112-233-445 95\""), "{html}");
    let seen = registry.seen();
    assert_eq!(seen[0]["snils"], "11223344595");
    assert_eq!(seen[0]["passport_series"], "4508");
    // The registry now has the record but disagrees on the birth date.
    registry.answer(json!({ "result": "mismatch", "fields": [{ "field": "birthdate", "reason": "differs" }] }));
    assert_eq!(submit_identity(&app, &b, &GOOD_IDENTITY).await.status(), 303, "saving again retries the check");
    wait_until("mismatch", || async {
        user_by_phone(&app, PHONE).await.registry_status.as_deref() == Some("mismatch")
    })
    .await;
    assert!(account_page(&app, &b).await.contains("<strong>Дата рождения</strong>: differs"));
    registry.answer(json!({ "result": "match" }));
    assert_eq!(submit_identity(&app, &b, &GOOD_IDENTITY).await.status(), 303);
    wait_until("standard", || async { user_by_phone(&app, PHONE).await.account_level == "standard" }).await;
    app.wait_for_audit_kind("registry.checked").await;
    // A second account with the same person's data: the registry matches, the SNILS is taken.
    let second = browser();
    register(&app, &second, &sms, "+79165550000", "", "").await;
    assert_eq!(submit_identity(&app, &second, &GOOD_IDENTITY).await.status(), 303);
    wait_until("refused", || async {
        user_by_phone(&app, "+79165550000").await.registry_status.as_deref() == Some("mismatch")
    })
    .await;
    let html = account_page(&app, &second).await;
    assert!(html.contains("<strong>СНИЛС</strong>: уже указан в другой проверенной учётной записи"), "{html}");
    assert_eq!(user_by_phone(&app, "+79165550000").await.account_level, "simplified");
}

#[actix_web::test]
async fn the_development_outbox_writes_codes_to_a_file_and_sends_are_limited_per_address() {
    let db = Arc::new(TestDb::new());
    let outbox = db.dir().join("sms.jsonl");
    let file = outbox.clone();
    let app = spawn_app_on(db, Kek::generate(), move |s| {
        s.sms.outbox_file = file;
        s.otp.max_sends_per_address = 2;
    })
    .await;
    let b = browser();
    let page = code_page(&app, &b, ask_code(&app, &b, "register", "", PHONE).await).await;
    let line = std::fs::read_to_string(&outbox).unwrap();
    let message: Value = serde_json::from_str(line.lines().last().unwrap()).unwrap();
    assert_eq!(message["to"], PHONE);
    let code = code_in(message["text"].as_str().unwrap()).unwrap();
    assert_eq!(enter(&app, &b, &page, &code).await.status(), 303);
    assert_eq!(ask_code(&app, &browser(), "register", "", "+79165550001").await.status(), 303);
    let limited = ask_code(&app, &browser(), "register", "", "+79165550002").await;
    assert_eq!(limited.status(), 429, "the third code from one address in the window");
    assert!(text(limited).await.contains("Слишком много запросов кода"));
}

#[actix_web::test]
async fn sms_sign_in_completes_a_code_flow() {
    let sms = SmsFake::start();
    let app = citizen_app(&sms, |_| {}).await;
    register(&app, &browser(), &sms, PHONE, "", "").await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let b = browser();
    let started = start(&client.rp, &[], &[]);
    let Reached::Login { html } = follow(&app, &b, started.url.clone(), &client.redirect_uri).await else { panic!() };
    let rid = hidden(&html, "rid");
    let page = code_page(&app, &b, ask_code(&app, &b, "login", &rid, "+7 916 123-45-67").await).await;
    assert!(page.contains("+7 *** ***-45-67") && page.contains("autocomplete=\"one-time-code\""), "{page}");
    let signed_in = enter(&app, &b, &page, &sms.code_for(PHONE)).await;
    assert_eq!(signed_in.status(), 303);
    let (_, params) = allow_to_client(&app, &b, location(&app, &signed_in), &client).await;
    let tokens = crate::flow::exchange(&app, &client, &params["code"], started.verifier).await;
    let claims = tokens.id_token().unwrap().claims(&client.rp.id_token_verifier(), &started.nonce).unwrap();
    let amr = crate::flow::amr(claims);
    assert_eq!(amr, ["sms"]);
    // The same code cannot be used twice.
    assert_eq!(enter(&app, &b, &page, &sms.code_for(PHONE)).await.status(), 400);
}

#[actix_web::test]
async fn codes_expire_run_out_of_attempts_cool_down_and_lock_the_number() {
    let sms = SmsFake::start();
    let app = citizen_app(&sms, |s| {
        s.otp.code_ttl_secs = 2;
        s.otp.max_attempts = 3;
        s.otp.resend_cooldown_secs = 1;
        s.otp.max_failures_per_phone = 5;
    })
    .await;
    register(&app, &browser(), &sms, PHONE, "", "").await;
    let b = browser();
    let page = code_page(&app, &b, ask_code(&app, &b, "login", "", PHONE).await).await;
    let right = sms.code_for(PHONE);
    let wrong = if right == "000000" { "111111" } else { "000000" };
    assert_eq!(enter(&app, &b, &page, wrong).await.status(), 401);
    assert!(text(enter(&app, &b, &page, wrong).await).await.contains("Неверный код"));
    let exhausted = enter(&app, &b, &page, wrong).await;
    assert_eq!(exhausted.status(), 400, "the third wrong entry uses up the code");
    assert!(text(exhausted).await.contains("попытки исчерпаны"));
    assert_eq!(enter(&app, &b, &page, &right).await.status(), 400, "not even the right code works now");
    // Resending is held back by a cooldown that doubles.
    let early = resend(&app, &b, &page).await;
    assert_eq!(early.status(), 429);
    assert!(text(early).await.contains("Новый код можно запросить через"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(resend(&app, &b, &page).await.status(), 303);
    let again = resend(&app, &b, &page).await;
    assert_eq!(again.status(), 429);
    assert!(text(again).await.contains("через (секунд): 2"), "the cooldown doubled");
    // Codes expire.
    let fresh = sms.code_for(PHONE);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(enter(&app, &b, &page, &fresh).await.status(), 400, "expired");
    // Wrong codes across codes lock the number, with a way out.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(resend(&app, &b, &page).await.status(), 303);
    let wrong = if sms.code_for(PHONE) == "000000" { "111111" } else { "000000" };
    assert_eq!(enter(&app, &b, &page, wrong).await.status(), 401);
    let locked = enter(&app, &b, &page, wrong).await;
    assert_eq!(locked.status(), 429, "the fifth wrong code locks the number");
    let html = text(locked).await;
    assert!(html.contains("приостановлен до") && html.contains("Войдите по паролю"), "{html}");
    assert_eq!(ask_code(&app, &browser(), "login", "", PHONE).await.status(), 429, "no new codes while locked");
    app.wait_for_audit_kind("otp.locked").await;
    // Support lifts the lock through the admin API once the citizen proved who they are.
    let token = crate::admin::admin_token(&app).await;
    let unlock = |phone: &'static str| {
        let (app, token) = (&app, &token);
        async move {
            app.http
                .post(app.url("/admin/api/citizens/unlock"))
                .bearer_auth(token)
                .json(&json!({ "phone": phone }))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(unlock("not a number").await.status(), 400);
    let unlocked: Value = unlock("8 916 123 45 67").await.json().await.unwrap();
    assert_eq!(unlocked, json!({ "phone": PHONE, "was_locked": true }));
    let page = code_page(&app, &b, resend(&app, &b, &page).await).await;
    assert_eq!(enter(&app, &b, &page, &sms.code_for(PHONE)).await.status(), 303, "signed in after the unlock");
}

#[actix_web::test]
async fn responses_never_reveal_whether_a_number_has_an_account() {
    let sms = SmsFake::start();
    let app = citizen_app(&sms, |s| s.otp.resend_cooldown_secs = 0).await;
    register(&app, &browser(), &sms, PHONE, "", PASSWORD).await;
    let unknown = "+79169876543";
    let strip = |html: &str| -> String {
        let mut out = html.to_owned();
        for field in ["csrf", "tx"] {
            out = out.replace(&hidden(html, field), "");
        }
        out.replace("45-67", "").replace("65-43", "")
    };
    // Sign-in by SMS: the same answer for a known and an unknown number.
    let (b1, b2) = (browser(), browser());
    let known = ask_code(&app, &b1, "login", "", PHONE).await;
    let other = ask_code(&app, &b2, "login", "", unknown).await;
    assert_eq!((known.status(), other.status()), (other.status(), known.status()));
    let (known, other) = (code_page(&app, &b1, known).await, code_page(&app, &b2, other).await);
    assert_eq!(strip(&known), strip(&other));
    assert!(sms.texts_to(unknown).is_empty(), "nothing is sent to a number without an account");
    let (w1, w2) = (enter(&app, &b1, &known, "123456").await, enter(&app, &b2, &other, "123456").await);
    assert_eq!(w1.status(), w2.status());
    assert_eq!(strip(&text(w1).await).len(), strip(&text(w2).await).len());
    // Registration: a known number gets a notice instead of a code, the page is the same.
    let (b3, b4) = (browser(), browser());
    let known = code_page(&app, &b3, ask_code(&app, &b3, "register", "", PHONE).await).await;
    let fresh = code_page(&app, &b4, ask_code(&app, &b4, "register", "", "+79165554433").await).await;
    assert_eq!(strip(&known), strip(&fresh).replace("44-33", ""));
    let notice = sms.texts_to(PHONE).pop().unwrap();
    assert!(code_in(&notice).is_none() && notice.contains("уже есть учётная запись"), "{notice}");
    // Password sign-in: the same message for an unknown account and a wrong password.
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let mut bodies = Vec::new();
    for username in [PHONE, unknown] {
        let b = browser();
        let Reached::Login { html } = follow(&app, &b, start(&client.rp, &[], &[]).url, &client.redirect_uri).await
        else {
            panic!()
        };
        let response = sign_in(&app, &b, &html, username, "wrong password").await;
        assert_eq!(response.status(), 401);
        bodies.push(text(response).await.replace(&hidden(&html, "rid"), "").replace(&hidden(&html, "csrf"), ""));
    }
    assert_eq!(bodies[0].replace(PHONE, unknown), bodies[1]);
}

#[actix_web::test]
async fn acr_values_ask_for_an_sms_step_up_or_fail_when_the_level_is_too_low() {
    let sms = SmsFake::start();
    let app = citizen_app(&sms, |_| {}).await;
    register(&app, &browser(), &sms, PHONE, "", PASSWORD).await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let b = browser();
    let started = start(&client.rp, &[], &[("acr_values", "urn:vhod:acr:simplified:mfa")]);
    let Reached::Login { html } = follow(&app, &b, started.url.clone(), &client.redirect_uri).await else { panic!() };
    let signed_in = sign_in(&app, &b, &html, PHONE, PASSWORD).await;
    let resumed = b.get(location(&app, &signed_in)).send().await.unwrap();
    let step_up = location(&app, &resumed);
    assert!(step_up.contains("/sms?purpose=step_up"), "a password alone does not meet the request: {step_up}");
    let html = text(b.get(&step_up).send().await.unwrap()).await;
    assert!(html.contains("+7 *** ***-45-67"), "{html}");
    let sent = b
        .post(app.url("/sms"))
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("purpose", "step_up"),
            ("rid", hidden(&html, "rid").as_str()),
            ("phone", "+79990000000"),
        ])
        .send()
        .await
        .unwrap();
    let page = code_page(&app, &b, sent).await;
    assert!(sms.texts_to("+79990000000").is_empty(), "a step-up code goes to the account's number only");
    let done = enter(&app, &b, &page, &sms.code_for(PHONE)).await;
    let (_, params) = allow_to_client(&app, &b, location(&app, &done), &client).await;
    let tokens = crate::flow::exchange(&app, &client, &params["code"], started.verifier).await;
    let claims = tokens.id_token().unwrap().claims(&client.rp.id_token_verifier(), &started.nonce).unwrap();
    assert_eq!(claims.auth_context_ref().map(|a| a.as_str()), Some("urn:vhod:acr:simplified:mfa"));
    let amr = crate::flow::amr(claims);
    assert_eq!(amr, ["pwd", "sms", "mfa"]);
    // The stepped-up session now meets mfa silently.
    let silent = start(&client.rp, &[], &[("prompt", "none"), ("acr_values", "urn:vhod:acr:simplified:mfa")]);
    assert!(
        matches!(follow(&app, &b, silent.url, &client.redirect_uri).await, Reached::Client(p) if p.contains_key("code"))
    );
    // A standard account is needed: without a prompt that is an error at once; with
    // one the citizen may switch accounts, and signing in to this one again fails.
    let silent = start(&client.rp, &[], &[("prompt", "none"), ("acr_values", "urn:vhod:acr:standard")]);
    let Reached::Client(p) = follow(&app, &b, silent.url, &client.redirect_uri).await else { panic!() };
    assert_eq!(p["error"], "unmet_authentication_requirements");
    let asked = start(&client.rp, &[], &[("acr_values", "urn:vhod:acr:standard")]);
    let Reached::Login { html } = follow(&app, &b, asked.url, &client.redirect_uri).await else { panic!() };
    let again = sign_in(&app, &b, &html, PHONE, PASSWORD).await;
    let Reached::Client(p) = follow(&app, &b, location(&app, &again), &client.redirect_uri).await else { panic!() };
    assert_eq!(p["error"], "unmet_authentication_requirements");
    // A session that began with an SMS code steps up with the password.
    let by_sms = browser();
    let page = code_page(&app, &by_sms, ask_code(&app, &by_sms, "login", "", PHONE).await).await;
    assert_eq!(enter(&app, &by_sms, &page, &sms.code_for(PHONE)).await.status(), 303);
    let wanted = start(&client.rp, &[], &[("acr_values", "urn:vhod:acr:simplified:mfa")]);
    let Reached::Login { html } = follow(&app, &by_sms, wanted.url, &client.redirect_uri).await else {
        panic!("a second SMS code is not a second factor")
    };
    let with_password = sign_in(&app, &by_sms, &html, PHONE, PASSWORD).await;
    let Reached::Client(p) = follow(&app, &by_sms, location(&app, &with_password), &client.redirect_uri).await else {
        panic!()
    };
    let tokens = crate::flow::exchange(&app, &client, &p["code"], wanted.verifier).await;
    let claims = tokens.id_token().unwrap().claims(&client.rp.id_token_verifier(), &wanted.nonce).unwrap();
    let amr = crate::flow::amr(claims);
    assert_eq!(amr, ["sms", "pwd", "mfa"]);
    // prompt=none never steps up.
    let fresh = browser();
    let Reached::Login { html } = follow(&app, &fresh, start(&client.rp, &[], &[]).url, &client.redirect_uri).await
    else {
        panic!()
    };
    sign_in(&app, &fresh, &html, PHONE, PASSWORD).await;
    let silent = start(&client.rp, &[], &[("prompt", "none"), ("acr_values", "urn:vhod:acr:simplified:mfa")]);
    let Reached::Client(p) = follow(&app, &fresh, silent.url, &client.redirect_uri).await else { panic!() };
    assert_eq!(p["error"], "unmet_authentication_requirements");
}

#[actix_web::test]
async fn gateway_failures_give_a_retry_message_and_are_audited() {
    let sms = SmsFake::start();
    let app = citizen_app(&sms, |_| {}).await;
    let b = browser();
    sms.fail(true);
    let failed = ask_code(&app, &b, "register", "", PHONE).await;
    assert_eq!(failed.status(), 502);
    let html = text(failed).await;
    assert!(html.contains("Не удалось отправить SMS") && html.contains("value=\"+79161234567\""), "{html}");
    app.wait_for_audit_kind("sms.failed").await;
    sms.fail(false);
    let page = code_page(&app, &b, ask_code(&app, &b, "register", "", PHONE).await).await;
    assert!(page.contains("+7 *** ***-45-67"), "a failed send holds nothing back");
    // A malformed form gets a readable page, not a parser message.
    let malformed = b.post(app.url("/sms")).form(&[("phone", PHONE)]).send().await.unwrap();
    assert_eq!(malformed.status(), 400);
    assert!(malformed.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(text(malformed).await.contains("Форма устарела"));
}

#[actix_web::test]
async fn the_profile_manages_sessions_password_phone_and_applications() {
    let sms = SmsFake::start();
    let app = citizen_app(&sms, |_| {}).await;
    let (b1, b2) = (browser(), browser());
    register(&app, &b1, &sms, PHONE, "", "").await;
    // A passwordless account cannot drop its only sign-in method.
    let html = account_page(&app, &b1).await;
    let csrf = hidden(&html, "csrf");
    let removed = b1.post(app.url("/account/phone/remove")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(removed.status(), 409);
    // Setting a password needs no current one; changing it does.
    let set = b1.post(app.url("/account/password")).form(&[("csrf", csrf.as_str()), ("password", PASSWORD)]);
    assert_eq!(set.send().await.unwrap().status(), 303);
    let change = b1.post(app.url("/account/password")).form(&[
        ("csrf", csrf.as_str()),
        ("current_password", "not it at all"),
        ("password", "another long password"),
    ]);
    let refused = change.send().await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(text(refused).await.contains("текущий пароль введён неверно"));
    // Two sessions: the first ends the second.
    let page = code_page(&app, &b2, ask_code(&app, &b2, "login", "", PHONE).await).await;
    assert_eq!(enter(&app, &b2, &page, &sms.code_for(PHONE)).await.status(), 303);
    let html = account_page(&app, &b1).await;
    assert_eq!(html.matches("name=\"sid\"").count(), 2, "{html}");
    let theirs = html
        .split("<li>")
        .find(|item| item.contains("name=\"sid\"") && !item.contains("этот сеанс"))
        .map(|item| hidden(item, "sid"))
        .expect("the other session is listed");
    let ended = b1
        .post(app.url("/account/sessions/end"))
        .form(&[("csrf", csrf.as_str()), ("sid", theirs.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 303);
    assert!(account_page(&app, &b2).await.contains("Вы не вошли"), "the other browser is signed out");
    let html = account_page(&app, &b1).await;
    assert_eq!(html.matches("name=\"sid\"").count(), 1, "this browser is still signed in");
    // Changing the phone: a code to the new number; a number of another account gets a notice.
    register(&app, &browser(), &sms, "+79165550003", "", "").await;
    let taken = code_page(&app, &b1, ask_code(&app, &b1, "change_phone", "", "+79165550003").await).await;
    assert!(code_in(&sms.texts_to("+79165550003").pop().unwrap()).is_none(), "a notice, not a code");
    assert_eq!(enter(&app, &b1, &taken, "123456").await.status(), 401);
    let page = code_page(&app, &b1, ask_code(&app, &b1, "change_phone", "", "+79165550004").await).await;
    let changed = enter(&app, &b1, &page, &sms.code_for("+79165550004")).await;
    assert_eq!(location(&app, &changed), app.url("/account?done=phone"));
    assert!(account_page(&app, &b1).await.contains("+79165550004 — подтверждён"));
    // Revoking an application also revokes its refresh tokens.
    let browser_in = &b1;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let started = start(&client.rp, &["offline_access"], &[("prompt", "consent")]);
    let params = crate::flow::authorize(&app, browser_in, &started.url, &client, ("", "")).await;
    let tokens = crate::flow::exchange(&app, &client, &params["code"], started.verifier).await;
    let refresh = tokens.refresh_token().expect("refresh token").clone();
    let html = account_page(&app, browser_in).await;
    let revoked = browser_in
        .post(app.url("/account/consents"))
        .form(&[("csrf", hidden(&html, "csrf").as_str()), ("client_id", "portal")])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 303);
    let refreshed = client.rp.exchange_refresh_token(&refresh).unwrap().request_async(&app.http).await;
    assert!(refreshed.is_err(), "the refresh token died with the consent");
}
