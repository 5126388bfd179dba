//! Signing in through upstream providers end to end: Yandex ID, VK ID, a bank preset,
//! and another Vhod through the generic `oidc` kind; linking and confirmation; every
//! failure ends on a page with a way back and leaves no account behind.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use openidconnect::TokenResponse;
use secrecy::SecretString;
use serde_json::{Value, json};
use vhod::config::{ProviderSettings, Settings};
use vhod::jose::Kek;

use crate::flow::{Reached, browser, follow, hidden, location, start, web_client};
use crate::helpers::{TestApp, TestDb, spawn_app_on, wait_until};
use crate::upstream::{CLIENT_ID, CLIENT_SECRET, Fake};

fn provider(id: &str, kind: &str, base: &str) -> ProviderSettings {
    let mut p = ProviderSettings {
        id: id.into(),
        kind: kind.into(),
        name: format!("Provider {id}"),
        client_id: CLIENT_ID.into(),
        client_secret: Some(SecretString::from(CLIENT_SECRET)),
        allow_private_addresses: true,
        timeout_ms: 2000,
        ..Default::default()
    };
    match kind {
        "vk" => {
            p.authorization_endpoint = format!("{base}/authorize");
            p.token_endpoint = format!("{base}/oauth2/auth");
            p.userinfo_endpoint = format!("{base}/oauth2/user_info");
        }
        "yandex" => {
            p.authorization_endpoint = format!("{base}/authorize");
            p.token_endpoint = format!("{base}/token");
            p.userinfo_endpoint = format!("{base}/info");
        }
        _ => {
            p.preset = Some("sber".into());
            p.issuer = base.into();
            p.authorization_endpoint = format!("{base}/authorize");
            p.token_endpoint = format!("{base}/token");
            p.userinfo_endpoint = format!("{base}/userinfo");
            p.jwks_uri = format!("{base}/jwks");
        }
    }
    p
}

async fn app_with(providers: Vec<ProviderSettings>, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(Arc::new(TestDb::new()), Kek::generate(), move |s| {
        s.federation.providers = providers;
        adjust(s);
    })
    .await
}

/// Follows redirects through Vhod and the fake upstream until a page or the client.
async fn through(_app: &TestApp, b: &reqwest::Client, mut url: String, stop_at: &str) -> (u16, String, String) {
    for _ in 0..12 {
        if url.starts_with(stop_at) {
            return (303, url, String::new());
        }
        let response = b.get(&url).send().await.unwrap();
        if response.status().is_redirection() {
            let next = response.headers()["location"].to_str().unwrap().to_owned();
            url = url::Url::parse(&url).unwrap().join(&next).unwrap().to_string();
            continue;
        }
        let status = response.status().as_u16();
        return (status, url, response.text().await.unwrap());
    }
    panic!("redirect loop");
}

fn yandex_user() -> Value {
    json!({ "id": "1130000012345678", "login": "ivan.petrov", "client_id": CLIENT_ID, "first_name": "Иван",
        "last_name": "Петров", "birthday": "1985-07-15", "sex": "male", "default_email": "ivan@yandex.ru",
        "default_phone": { "id": 1, "number": "+79161112233" } })
}

fn bank_user(sub: &str, given: &str) -> Value {
    json!({ "sub": sub, "family_name": "Фёдоров", "given_name": given, "middle_name": "Петрович",
        "birthdate": "1980-02-29", "gender": 1, "phone_number": "+79163334455", "snils": "112-233-445 95",
        "identification": { "series": "4508", "number": "123456", "issued_by": "ОВД", "issued_date": "2010-05-01" } })
}

async fn users(app: &TestApp) -> i64 {
    use diesel::{QueryDsl, RunQueryDsl};
    app.services.db.run(|conn| Ok(vhod::db::schema::users::table.count().get_result::<i64>(conn)?)).await.unwrap()
}

/// A relying party's whole code flow with sign-in at `provider`; returns the ID token claims' amr and acr.
async fn code_flow_via(
    app: &TestApp,
    b: &reqwest::Client,
    provider: &str,
    extra: &[(&str, &str)],
) -> (Vec<String>, String) {
    let client = web_client(app, &format!("rp-{provider}-{}", crate::helpers::random_suffix()), "rp.example.ru", |s| {
        s.first_party = true
    })
    .await;
    let started = start(&client.rp, &[], extra);
    let Reached::Login { html } = follow(app, b, started.url.clone(), &client.redirect_uri).await else { panic!() };
    assert!(html.contains(&format!("/federation/{provider}/start?rid=")), "the sign-in page offers {provider}");
    let rid = hidden(&html, "rid");
    let (_, url, body) =
        through(app, b, app.url(&format!("/federation/{provider}/start?rid={rid}")), &client.redirect_uri).await;
    if !url.starts_with(&client.redirect_uri) {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let failures: Vec<String> =
            app.audit_events().await.into_iter().filter(|e| e.kind == "federation.failed").map(|e| e.detail).collect();
        panic!("not back at the client: {url}\n{failures:?}\n{body}");
    }
    let params = crate::flow::query(&url);
    let tokens = crate::flow::exchange(app, &client, &params["code"], started.verifier).await;
    let claims = tokens.id_token().unwrap().claims(&client.rp.id_token_verifier(), &started.nonce).unwrap();
    let amr = crate::flow::amr(claims);
    (amr, claims.auth_context_ref().unwrap().to_string())
}

#[actix_web::test]
async fn yandex_sign_in_creates_a_simplified_account_once() {
    let yandex = Fake::start("yandex", yandex_user());
    let app = app_with(vec![provider("yandex", "yandex", &yandex.base)], |_| {}).await;
    let (amr, acr) = code_flow_via(&app, &browser(), "yandex", &[]).await;
    assert_eq!(amr, ["fed"]);
    assert_eq!(acr, "urn:vhod:acr:simplified");
    let token = crate::admin::admin_token(&app).await;
    let listed: Value =
        app.http.get(app.url("/admin/api/providers")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed[0]["id"], "yandex");
    assert_eq!(listed[0]["callback"], app.url("/federation/yandex/callback"));
    assert!(!listed.to_string().contains(CLIENT_SECRET), "no secrets in the listing");
    let user = vhod::admin::users::show(&app.services.db, "yandex:1130000012345678").await.unwrap();
    assert_eq!(user.account_level, "simplified");
    assert_eq!(user.history[0].method, "federation");
    assert_eq!(user.phone_number.as_deref(), Some("+79161112233"));
    // The second sign-in lands in the same account, which may drop the provider: it
    // keeps the verified phone Yandex gave.
    let b = browser();
    code_flow_via(&app, &b, "yandex", &[]).await;
    assert_eq!(users(&app).await, 1);
    let html = b.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    let dropped = b
        .post(app.url("/account/federation/unlink"))
        .form(&[("csrf", hidden(&html, "csrf").as_str()), ("provider", "yandex")])
        .send()
        .await
        .unwrap();
    assert_eq!(dropped.status(), 303);
}

#[actix_web::test]
async fn vk_returns_device_id_and_links_by_a_verified_phone_never_by_email() {
    let vk = Fake::start(
        "vk",
        json!({ "user_id": "1234", "first_name": "Анна", "last_name": "Смирнова",
        "phone": "79165556677", "email": "anna@vk.com", "birthday": "01.02.1990", "sex": 1 }),
    );
    let app = app_with(vec![provider("vk", "vk", &vk.base)], |_| {}).await;
    // An account that signs in with the same verified phone (created by an operator here).
    let id = crate::flow::citizen(&app, "anna", "long enough password").await;
    let phone_owner = id.clone();
    app.services
        .db
        .run(move |conn| {
            let mut user = vhod::db::models::user::find_by_id(conn, &phone_owner)?.unwrap();
            user.phone_number = Some("+79165556677".into());
            user.phone_number_verified = true;
            user.email = Some("anna@vk.com".into());
            vhod::db::models::user::update(conn, &user).map(drop)
        })
        .await
        .unwrap();
    let (amr, _) = code_flow_via(&app, &browser(), "vk", &[]).await;
    assert_eq!(amr, ["fed"]);
    assert_eq!(users(&app).await, 1, "linked to the account with that verified phone");
    let shown = vhod::admin::users::show(&app.services.db, &id).await.unwrap();
    assert_eq!(shown.id, id);
    // Another VK user with only the same e-mail gets a new account.
    vk.user(json!({ "user_id": "999", "first_name": "Анна", "last_name": "Смирнова", "email": "anna@vk.com" }));
    let b = browser();
    code_flow_via(&app, &b, "vk", &[]).await;
    assert_eq!(users(&app).await, 2, "an e-mail address never links");
    // That account has no other way in: VK cannot be unlinked.
    let html = b.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    let refused = b
        .post(app.url("/account/federation/unlink"))
        .form(&[("csrf", hidden(&html, "csrf").as_str()), ("provider", "vk")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
}

#[actix_web::test]
async fn a_bank_confirms_accounts_and_its_quirks_are_honoured() {
    let bank = Fake::start("bank", bank_user("bank-sub-1", "Алексей"));
    let db = Arc::new(TestDb::new());
    let registry = db.dir().join("registry.json");
    std::fs::write(
        &registry,
        json!([{ "snils": "11223344595", "family_name": "Фёдоров", "given_name": "Алексей",
        "middle_name": "Петрович", "birthdate": "1980-02-29", "passport": "4508123456" }])
        .to_string(),
    )
    .unwrap();
    let providers = vec![provider("sber", "oidc", &bank.base)];
    let source = format!("file:{}", registry.display());
    let app = spawn_app_on(db, Kek::generate(), move |s| {
        s.federation.providers = providers;
        s.registry.source = source;
    })
    .await;
    // First sign-in: verified passport and SNILS data confirm at once.
    let (amr, acr) = code_flow_via(&app, &browser(), "sber", &[("acr_values", "urn:vhod:acr:confirmed")]).await;
    assert_eq!(amr, ["fed", "pwd", "sms", "mfa"], "the bank's own methods are passed on");
    assert_eq!(acr, "urn:vhod:acr:confirmed");
    assert!(bank.state.missing_headers.lock().unwrap().is_empty(), "rquid and x-introspect-rquid were sent");
    let shown = vhod::admin::users::show(&app.services.db, "sber:bank-sub-1").await.unwrap();
    assert_eq!(shown.account_level, "confirmed");
    assert_eq!((shown.history[0].method.as_str(), shown.history[0].verifier.as_str()), ("bank", "sber"));
    assert!(shown.history[0].claims.contains(&"snils".to_owned()));
    assert_eq!(users(&app).await, 1);
    // The same person again (another bank subject): linked by SNILS, no second account.
    bank.user(bank_user("bank-sub-2", "Алексей"));
    code_flow_via(&app, &browser(), "sber", &[]).await;
    assert_eq!(users(&app).await, 1, "linked by verified SNILS");
    let mut without_snils = bank_user("bank-sub-3", "Алексей");
    without_snils.as_object_mut().unwrap().remove("snils");
    bank.user(without_snils);
    code_flow_via(&app, &browser(), "sber", &[]).await;
    assert_eq!(users(&app).await, 1, "linked by the verified passport");
    // Data that conflicts with the linked account ends on a page naming the field.
    bank.user(bank_user("bank-sub-2", "Александр"));
    let b = browser();
    let (status, _, html) = through(&app, &b, app.url("/federation/sber/start"), "https://never").await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("<strong>Имя</strong>") && html.contains("id=\"back\""), "{html}");
    app.wait_for_audit_kind("federation.failed").await;
}

#[actix_web::test]
async fn a_standard_account_is_confirmed_by_linking_a_bank_from_the_profile() {
    let bank = Fake::start("bank", bank_user("bank-sub-9", "Алексей"));
    let app = app_with(vec![provider("sber", "oidc", &bank.base)], |_| {}).await;
    // A standard account with the same data (made standard directly for this test).
    let id = crate::flow::citizen(&app, "fedorov", "long enough password").await;
    let uid = id.clone();
    app.services
        .db
        .run(move |conn| {
            let mut user = vhod::db::models::user::find_by_id(conn, &uid)?.unwrap();
            user.family_name = Some("ФЕДОРОВ".into());
            user.given_name = Some("Алексей".into());
            user.middle_name = Some("Петрович".into());
            user.birthdate = Some("1980-02-29".into());
            user.snils = Some("11223344595".into());
            user.id_document = Some(r#"{"type":"passport_ru","series":"4508","number":"123456"}"#.into());
            user.account_level = "standard".into();
            vhod::db::models::user::update(conn, &user).map(drop)
        })
        .await
        .unwrap();
    let b = browser();
    let client = web_client(&app, "portal", "rp.example.ru", |s| s.first_party = true).await;
    crate::flow::authorize(&app, &b, &start(&client.rp, &[], &[]).url, &client, ("fedorov", "long enough password"))
        .await;
    let html = b.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("/federation/sber/link"), "{html}");
    let linked = b
        .post(app.url("/federation/sber/link"))
        .form(&[("csrf", hidden(&html, "csrf").as_str())])
        .send()
        .await
        .unwrap();
    let (_, url, _) = through(&app, &b, location(&app, &linked), &app.url("/account?done=linked")).await;
    assert_eq!(url, app.url("/account?done=linked"));
    let shown = vhod::admin::users::show(&app.services.db, &id).await.unwrap();
    assert_eq!(shown.account_level, "confirmed", "confirmation through online banking");
    assert_eq!(shown.history[0].method, "bank");
    // The session learnt the level.
    let silent = start(&client.rp, &[], &[("prompt", "none"), ("acr_values", "urn:vhod:acr:confirmed")]);
    let Reached::Client(p) = follow(&app, &b, silent.url, &client.redirect_uri).await else { panic!() };
    assert!(p.contains_key("code"), "{p:?}");
    // The bank account now signs in to this account.
    code_flow_via(&app, &browser(), "sber", &[]).await;
    assert_eq!(users(&app).await, 1);
    // Unlinking: the account keeps its password, so the provider may go.
    let html = b.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("связана"), "{html}");
    let unlinked = b
        .post(app.url("/account/federation/unlink"))
        .form(&[("csrf", hidden(&html, "csrf").as_str()), ("provider", "sber")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&app, &unlinked), app.url("/account?done=unlinked"));
    assert!(vhod::accounts::federated::links(&app.services, &id).await.unwrap().is_empty());
}

#[actix_web::test]
async fn another_vhod_is_a_generic_oidc_provider() {
    // The upstream Vhod lives on `localhost`, so the two apps' cookies stay apart.
    let upstream = spawn_app_on(Arc::new(TestDb::new()), Kek::generate(), |s| {
        let port = s.server.issuer.rsplit(':').next().unwrap().to_owned();
        s.server.issuer = format!("http://localhost:{port}");
    })
    .await;
    let issuer = upstream.settings.server.issuer.clone();
    crate::flow::citizen(&upstream, "ivanov", "upstream password!").await;
    const SECRET: &str = "a-client-secret-of-at-least-32-characters";
    let settings = ProviderSettings {
        id: "gov".into(),
        kind: "oidc".into(),
        name: "Госвход".into(),
        issuer: issuer.clone(),
        client_id: "federated".into(),
        client_secret: Some(SecretString::from(SECRET)),
        allow_private_addresses: true,
        scopes: vec!["openid".into(), "profile".into(), "phone".into()],
        ..Default::default()
    };
    let app = app_with(vec![settings], |_| {}).await;
    upstream
        .create_client(vhod::admin::clients::ClientSpec {
            id: "federated".into(),
            secret: Some(SecretString::from(SECRET)),
            grant_types: vec!["authorization_code".into()],
            redirect_uris: vec![app.url("/federation/gov/callback")],
            first_party: true,
            ..Default::default()
        })
        .await;
    let b = browser();
    let client = web_client(&app, "portal", "rp.example.ru", |s| s.first_party = true).await;
    let started = start(&client.rp, &[], &[]);
    let Reached::Login { html } = follow(&app, &b, started.url.clone(), &client.redirect_uri).await else { panic!() };
    let rid = hidden(&html, "rid");
    let (status, url, page) =
        through(&app, &b, app.url(&format!("/federation/gov/start?rid={rid}")), &client.redirect_uri).await;
    assert_eq!(status, 200, "{url}\n{page}");
    assert!(url.starts_with(&issuer), "at the upstream's sign-in page: {url}");
    let signed = b
        .post(format!("{issuer}/login"))
        .form(&[
            ("rid", hidden(&page, "rid").as_str()),
            ("csrf", hidden(&page, "csrf").as_str()),
            ("username", "ivanov"),
            ("password", "upstream password!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let next = format!("{issuer}{}", signed.headers()["location"].to_str().unwrap());
    let (_, url, page) = through(&app, &b, next, &client.redirect_uri).await;
    assert!(url.starts_with(&client.redirect_uri), "{url}\n{page}");
    let params = crate::flow::query(&url);
    let tokens = crate::flow::exchange(&app, &client, &params["code"], started.verifier).await;
    let claims = tokens.id_token().unwrap().claims(&client.rp.id_token_verifier(), &started.nonce).unwrap();
    let amr = crate::flow::amr(claims);
    assert_eq!(amr, ["fed", "pwd"]);
    assert_eq!(users(&app).await, 1);
}

#[actix_web::test]
async fn every_failure_ends_on_a_page_with_a_way_back_and_creates_nothing() {
    let bank = Fake::start("bank", bank_user("bank-sub-1", "Алексей"));
    let yandex = Fake::start("yandex", yandex_user());
    let mut private = provider("private", "yandex", &yandex.base);
    private.allow_private_addresses = false;
    private.authorization_endpoint = "https://idp.example.ru/authorize".into();
    private.token_endpoint = "https://localhost:9/token".into();
    private.userinfo_endpoint = "https://idp.example.ru/info".into();
    let mut slow = provider("slow", "yandex", &yandex.base);
    slow.timeout_ms = 500;
    let mut dead = provider("dead", "yandex", &yandex.base);
    dead.token_endpoint = "http://127.0.0.1:9/token".into();
    let app = app_with(
        vec![provider("sber", "oidc", &bank.base), provider("yandex", "yandex", &yandex.base), private, slow, dead],
        |_| {},
    )
    .await;
    let expect = |status: u16, (got, url, html): (u16, String, String), back: &str| {
        assert_eq!(got, status, "{url}\n{html}");
        assert!(html.contains(&format!("href=\"{back}\"")), "a way back to {back}:\n{html}");
    };
    // The citizen refuses at the provider.
    yandex.state.deny.store(true, Ordering::SeqCst);
    expect(403, through(&app, &browser(), app.url("/federation/yandex/start?rid=abc"), "x:").await, "/login?rid=abc");
    yandex.state.deny.store(false, Ordering::SeqCst);
    // Unreachable, slow, and private addresses without permission.
    expect(502, through(&app, &browser(), app.url("/federation/dead/start"), "x:").await, "/account");
    yandex.state.delay_ms.store(1500, Ordering::SeqCst);
    let b = browser();
    let (status, _, html) = through(&app, &b, app.url("/federation/slow/start"), "x:").await;
    assert_eq!(status, 504, "{html}");
    yandex.state.delay_ms.store(0, Ordering::SeqCst);
    // The browser returns from the provider; Vhod refuses to call a name that resolves to loopback.
    let b = browser();
    let started = b.get(app.url("/federation/private/start")).send().await.unwrap();
    let state = crate::flow::query(&location(&app, &started))["state"].clone();
    let refused = b.get(app.url(&format!("/federation/private/callback?code=c&state={state}"))).send().await.unwrap();
    assert_eq!(refused.status(), 502);
    // An ID token with the wrong nonce.
    bank.state.bad_nonce.store(true, Ordering::SeqCst);
    expect(502, through(&app, &browser(), app.url("/federation/sber/start"), "x:").await, "/account");
    bank.state.bad_nonce.store(false, Ordering::SeqCst);
    assert_eq!(users(&app).await, 0, "no account was created by any failure");
    // A callback with an unknown state, one from another browser, and a replayed one.
    let b = browser();
    let unknown = b.get(app.url("/federation/yandex/callback?code=x&state=forged")).send().await.unwrap();
    assert_eq!(unknown.status(), 400);
    let callback_of = |b: reqwest::Client| {
        let app = &app;
        async move {
            let start_page = b.get(app.url("/federation/yandex/start")).send().await.unwrap();
            let upstream = b.get(location(app, &start_page)).send().await.unwrap();
            location(app, &upstream)
        }
    };
    let stolen = callback_of(b.clone()).await;
    let other = browser();
    other.get(app.url("/account")).send().await.unwrap();
    assert_eq!(other.get(&stolen).send().await.unwrap().status(), 400, "another browser cannot finish it");
    assert_eq!(b.get(&stolen).send().await.unwrap().status(), 400, "and it is spent for everyone");
    let fresh = callback_of(b.clone()).await;
    assert_eq!(b.get(&fresh).send().await.unwrap().status(), 303);
    assert_eq!(b.get(&fresh).send().await.unwrap().status(), 400, "a replayed callback fails");

    wait_until("failures audited", || async {
        let reasons: Vec<String> = app
            .audit_events()
            .await
            .into_iter()
            .filter(|e| e.kind == "federation.failed")
            .filter_map(|e| serde_json::from_str::<Value>(&e.detail).ok())
            .filter_map(|d| d["reason"].as_str().map(str::to_owned))
            .collect();
        ["upstream_error", "state", "unreachable", "timeout", "invalid_response", "private_address"]
            .iter()
            .all(|r| reasons.iter().any(|x| x == r))
    })
    .await;
}

#[actix_web::test]
async fn a_bank_that_requires_a_client_certificate_gets_it_and_is_trusted_through_its_own_root() {
    let bank = Fake::start("bank", bank_user("bank-sub-7", "Алексей"));
    let front = crate::upstream::mtls_front(bank.base.trim_start_matches("http://"));
    let tls = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");
    let mut with_cert = provider("sber", "oidc", &bank.base);
    with_cert.token_endpoint = format!("{front}/token");
    with_cert.userinfo_endpoint = format!("{front}/userinfo");
    with_cert.jwks_uri = format!("{front}/jwks");
    with_cert.ca_file = Some(format!("{tls}/throwaway-test-ca.pem").into());
    let mut without = ProviderSettings { id: "nocert".into(), ..with_cert.clone() };
    with_cert.client_cert_file = Some(format!("{tls}/throwaway-test-client.pem").into());
    with_cert.client_key_file = Some(format!("{tls}/throwaway-test-client.key").into());
    without.jwks_uri = format!("{}/jwks", bank.base);
    let app = app_with(vec![with_cert, without], |_| {}).await;
    // Without the certificate the bank's TLS front refuses the token call.
    let (status, _, html) = through(&app, &browser(), app.url("/federation/nocert/start"), "x:").await;
    assert_eq!(status, 502, "{html}");
    assert_eq!(users(&app).await, 0);
    // With it (and the bank's own trust root) the sign-in completes, confirmed.
    let (amr, acr) = code_flow_via(&app, &browser(), "sber", &[("acr_values", "urn:vhod:acr:confirmed:mfa")]).await;
    assert_eq!(acr, "urn:vhod:acr:confirmed:mfa", "the bank's mfa counts: {amr:?}");
    assert!(bank.state.missing_headers.lock().unwrap().is_empty());
}
