//! Cross-device sign-in by QR code, with two independent clients as the two devices:
//! approve, reject, expiry, reuse and a foreign browser.

use openidconnect::TokenResponse;

use crate::flow::{Reached, browser, follow, location, start, web_client};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const PASSWORD: &str = "phone owner password";

/// The laptop's sign-in page: the QR token and link.
async fn laptop_page(
    app: &TestApp,
    laptop: &reqwest::Client,
    client: &crate::flow::WebClient,
) -> (crate::flow::Started, String, String) {
    let started = start(&client.rp, &[], &[]);
    let Reached::Login { html } = follow(app, laptop, started.url.clone(), &client.redirect_uri).await else {
        panic!()
    };
    assert!(html.contains("<img src=\"data:image/svg+xml;base64,"), "a server-rendered QR code:\n{html}");
    let token = html.split("data-token=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let link = html.split("id=\"qr-link\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    assert_eq!(link, app.url(&format!("/qr/{token}")), "the same link as text");
    (started, token, link)
}

/// A phone signed in with the password.
async fn phone(app: &TestApp, client: &crate::flow::WebClient) -> reqwest::Client {
    let phone = browser();
    crate::flow::authorize(app, &phone, &start(&client.rp, &[], &[]).url, client, ("owner", PASSWORD)).await;
    phone
}

async fn decide(phone: &reqwest::Client, link: &str, decision: &str) -> (u16, String) {
    let html = phone.get(link).send().await.unwrap().text().await.unwrap();
    let csrf = crate::flow::hidden(&html, "csrf");
    let response = phone.post(link).form(&[("csrf", csrf.as_str()), ("decision", decision)]).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn status(app: &TestApp, b: &reqwest::Client, token: &str) -> String {
    let body: serde_json::Value =
        b.get(app.url(&format!("/qr/{token}/status"))).send().await.unwrap().json().await.unwrap();
    body["status"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn a_phone_approves_and_the_laptop_signs_in_once() {
    let app = spawn_app().await;
    let client = web_client(&app, "portal", "rp.example.ru", |s| s.first_party = true).await;
    crate::flow::citizen(&app, "owner", PASSWORD).await;
    let phone = phone(&app, &client).await;
    let laptop = browser();
    let (started, token, link) = laptop_page(&app, &laptop, &client).await;
    // Too early: nothing to complete yet.
    let early = laptop.get(app.url(&format!("/qr/{token}/complete"))).send().await.unwrap();
    assert_eq!(early.status(), 409);
    // The phone sees who asks.
    let html = phone.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("App portal") && html.contains("127.0.0.1"), "{html}");
    // A browser that is not signed in is told to sign in first.
    let stranger = browser().get(&link).send().await.unwrap().text().await.unwrap();
    assert!(stranger.contains("Сначала войдите"), "{stranger}");
    assert_eq!(decide(&phone, &link, "allow").await.0, 200);
    assert_eq!(status(&app, &laptop, &token).await, "approved");
    // Another browser cannot take the laptop's sign-in.
    let thief = browser();
    thief.get(app.url("/account")).send().await.unwrap();
    assert_eq!(thief.get(app.url(&format!("/qr/{token}/complete"))).send().await.unwrap().status(), 400);
    assert_eq!(status(&app, &thief, &token).await, "expired", "nor learn its state");
    let done = laptop.get(app.url(&format!("/qr/{token}/complete"))).send().await.unwrap();
    assert_eq!(done.status(), 303);
    let Reached::Client(params) = follow(&app, &laptop, location(&app, &done), &client.redirect_uri).await else {
        panic!()
    };
    let tokens = crate::flow::exchange(&app, &client, &params["code"], started.verifier).await;
    let claims = tokens.id_token().unwrap().claims(&client.rp.id_token_verifier(), &started.nonce).unwrap();
    let amr = crate::flow::amr(claims);
    assert_eq!(amr, ["mca", "pwd"], "cross-device, with the phone's own method");
    // Used once.
    assert_eq!(laptop.get(app.url(&format!("/qr/{token}/complete"))).send().await.unwrap().status(), 400);
    assert_eq!(phone.get(&link).send().await.unwrap().status(), 400, "a used code cannot be approved again");
}

#[actix_web::test]
async fn a_rejected_or_expired_qr_sign_in_fails_cleanly() {
    let app = spawn_app_with(|s| s.session.qr_ttl_secs = 2).await;
    let client = web_client(&app, "portal", "rp.example.ru", |s| s.first_party = true).await;
    crate::flow::citizen(&app, "owner", PASSWORD).await;
    let phone = phone(&app, &client).await;
    let laptop = browser();
    let (_, token, link) = laptop_page(&app, &laptop, &client).await;
    let (status_code, page) = decide(&phone, &link, "deny").await;
    assert_eq!(status_code, 200);
    assert!(page.contains("отклонён"), "{page}");
    assert_eq!(status(&app, &laptop, &token).await, "rejected");
    let rejected = laptop.get(app.url(&format!("/qr/{token}/complete"))).send().await.unwrap();
    assert_eq!(rejected.status(), 403);
    assert!(rejected.text().await.unwrap().contains("отклонён"));
    // Expiry.
    let (_, token, link) = laptop_page(&app, &laptop, &client).await;
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    assert_eq!(status(&app, &laptop, &token).await, "expired");
    assert_eq!(decide_after_expiry(&phone, &link).await, 400);
    assert_eq!(laptop.get(app.url(&format!("/qr/{token}/complete"))).send().await.unwrap().status(), 400);
    app.wait_for_audit_kind("qr.decided").await;
}

async fn decide_after_expiry(phone: &reqwest::Client, link: &str) -> u16 {
    phone.get(link).send().await.unwrap().status().as_u16()
}

#[actix_web::test]
async fn a_mobile_app_holding_a_vhod_token_approves_too() {
    let app = spawn_app().await;
    let client = web_client(&app, "portal", "rp.example.ru", |s| s.first_party = true).await;
    crate::flow::citizen(&app, "owner", PASSWORD).await;
    let tokens = crate::flow::code_flow_tokens(&app, &browser(), &client, &[], ("owner", PASSWORD)).await;
    let access = openidconnect::OAuth2TokenResponse::access_token(&tokens).secret().clone();
    let laptop = browser();
    let (started, token, _) = laptop_page(&app, &laptop, &client).await;
    let approve = |bearer: String, decision: &'static str| {
        let (app, token) = (&app, &token);
        async move {
            app.http
                .post(app.url(&format!("/qr/{token}/approve")))
                .bearer_auth(bearer)
                .form(&[("decision", decision)])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(approve("not-a-token".into(), "allow").await, 401);
    assert_eq!(approve(access.clone(), "allow").await, 200);
    assert_eq!(approve(access, "deny").await, 400, "decided once");
    let done = laptop.get(app.url(&format!("/qr/{token}/complete"))).send().await.unwrap();
    let Reached::Client(params) = follow(&app, &laptop, location(&app, &done), &client.redirect_uri).await else {
        panic!()
    };
    let tokens = crate::flow::exchange(&app, &client, &params["code"], started.verifier).await;
    let claims = tokens.id_token().unwrap().claims(&client.rp.id_token_verifier(), &started.nonce).unwrap();
    let amr = crate::flow::amr(claims);
    assert_eq!(amr, ["mca", "pwd"]);
}

#[actix_web::test]
async fn qr_sign_ins_per_address_are_limited() {
    let app = spawn_app().await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let b = browser();
    let started = start(&client.rp, &[], &[]);
    let Reached::Login { .. } = follow(&app, &b, started.url.clone(), &client.redirect_uri).await else { panic!() };
    let first = b.get(&started.url).send().await.unwrap();
    let login_url = location(&app, &first);
    // The first page above made one; 59 more are allowed in the window, then none.
    for n in 0..59 {
        let html = b.get(&login_url).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("data-token=\""), "QR code {n}");
    }
    let html = b.get(&login_url).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("data-token=\""), "the address made too many");
    assert!(html.contains("name=\"password\""), "the page still works without the QR code");
}
