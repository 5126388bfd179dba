//! RP-initiated logout and back-channel logout.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use openidconnect::{OAuth2TokenResponse, TokenResponse as _};
use serde_json::Value;

use crate::flow::{Reached, WebClient, browser, citizen, code_flow_tokens, follow, hidden, start, web_client};
use crate::helpers::{error_code, spawn_app};

const PASSWORD: &str = "correct horse battery staple";

/// A back-channel logout receiver on loopback that fails its first delivery.
struct Receiver {
    url: String,
    tokens: Arc<Mutex<Vec<String>>>,
    attempts: Arc<Mutex<u32>>,
}

fn receiver() -> Receiver {
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let attempts = Arc::new(Mutex::new(0u32));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/backchannel", listener.local_addr().unwrap().port());
    let (t, a) = (tokens.clone(), attempts.clone());
    let server = HttpServer::new(move || {
        let (t, a) = (t.clone(), a.clone());
        App::new().route(
            "/backchannel",
            web::post().to(move |form: web::Form<Vec<(String, String)>>| {
                let (t, a) = (t.clone(), a.clone());
                async move {
                    let mut attempts = a.lock().unwrap();
                    *attempts += 1;
                    if *attempts == 1 {
                        return HttpResponse::InternalServerError().finish();
                    }
                    if let Some((_, token)) = form.into_inner().into_iter().find(|(k, _)| k == "logout_token") {
                        t.lock().unwrap().push(token);
                    }
                    HttpResponse::Ok().finish()
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    Receiver { url, tokens, attempts }
}

fn claims(jwt: &str) -> (Value, Value) {
    use base64::Engine as _;
    let part = |i: usize| -> Value {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(jwt.split('.').nth(i).unwrap()).unwrap();
        serde_json::from_slice(&raw).unwrap()
    };
    (part(0), part(1))
}

#[actix_web::test]
async fn rp_initiated_logout_ends_the_session_and_notifies_clients_over_the_back_channel() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    let rx = receiver();
    let portal = web_client(&app, "portal", "rp.example.ru", |s| {
        s.first_party = true;
        s.post_logout_redirect_uris = vec!["https://rp.example.ru/bye".into()];
        s.backchannel_logout_uri = Some(rx.url.clone());
        s.logout_revokes_refresh = true;
    })
    .await;
    let keeper = web_client(&app, "keeper", "keeper.example.ru", |s| s.first_party = true).await;
    let b = browser();
    let tokens = code_flow_tokens(&app, &b, &portal, &["offline_access"], ("ivanov", PASSWORD)).await;
    let kept = code_flow_tokens(&app, &b, &keeper, &["offline_access"], ("ivanov", PASSWORD)).await;
    let id_token = tokens.id_token().unwrap().to_string();
    let (_, id_claims) = claims(&id_token);

    let url = format!(
        "/end_session?id_token_hint={id_token}&post_logout_redirect_uri={}&state=s1",
        url::form_urlencoded::byte_serialize(b"https://rp.example.ru/bye").collect::<String>()
    );
    let response = b.get(app.url(&url)).send().await.unwrap();
    assert_eq!(response.status(), 303, "a matching hint needs no confirmation");
    assert_eq!(response.headers()["location"], "https://rp.example.ru/bye?state=s1");

    // The session is gone.
    let reached = follow(&app, &b, start(&portal.rp, &[], &[]).url, &portal.redirect_uri).await;
    assert!(matches!(reached, Reached::Login { .. }));

    // The back channel: the first delivery fails, the retry succeeds.
    for _ in 0..50 {
        if !rx.tokens.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(*rx.attempts.lock().unwrap() >= 2, "retried after a failure");
    let token = rx.tokens.lock().unwrap().first().cloned().expect("a logout token arrived");
    let (header, logout) = claims(&token);
    assert_eq!(header["typ"], "logout+jwt");
    assert_eq!(logout["iss"], app.settings.server.issuer);
    assert_eq!(logout["aud"], "portal");
    assert_eq!(logout["sid"], id_claims["sid"]);
    assert_eq!(logout["sub"], id_claims["sub"]);
    assert!(logout["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(logout.get("nonce").is_none());
    assert!(app.services.keys.current().verify(&token).is_ok(), "signed with a published key");
    app.wait_for_audit("logout.backchannel", "portal").await;

    // The portal asked for its refresh tokens to end with the session; the keeper did not.
    let refresh = |client: &WebClient, token: String| {
        app.http
            .post(app.url("/token"))
            .basic_auth(client.id.clone(), Some(client.secret.clone()))
            .form(&[("grant_type", "refresh_token".to_owned()), ("refresh_token", token)])
            .send()
    };
    let revoked = refresh(&portal, tokens.refresh_token().unwrap().secret().clone()).await.unwrap();
    assert_eq!(error_code(revoked).await, "invalid_grant");
    let still = refresh(&keeper, kept.refresh_token().unwrap().secret().clone()).await.unwrap();
    assert_eq!(still.status(), 200);
}

#[actix_web::test]
async fn logout_without_a_hint_asks_first_and_unregistered_redirects_are_refused() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    let portal = web_client(&app, "portal", "rp.example.ru", |s| {
        s.first_party = true;
        s.post_logout_redirect_uris = vec!["https://rp.example.ru/bye".into()];
    })
    .await;
    let b = browser();
    code_flow_tokens(&app, &b, &portal, &["offline_access"], ("ivanov", PASSWORD)).await;

    let evil = b
        .get(app.url("/end_session?client_id=portal&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F"))
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 400);
    assert!(evil.headers().get("location").is_none());
    let orphan =
        b.get(app.url("/end_session?post_logout_redirect_uri=https%3A%2F%2Frp.example.ru%2Fbye")).send().await.unwrap();
    assert_eq!(orphan.status(), 400, "a redirect needs the client named");

    let page = b
        .get(
            app.url("/end_session?client_id=portal&post_logout_redirect_uri=https%3A%2F%2Frp.example.ru%2Fbye&state=x"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "no hint: confirmation page");
    let html = page.text().await.unwrap();
    assert!(html.contains("action=\"/end_session/confirm\""));
    // Still signed in until confirmed.
    let reached = follow(&app, &b, start(&portal.rp, &[], &[]).url, &portal.redirect_uri).await;
    assert!(matches!(reached, Reached::Client(_)));

    let forged = b.post(app.url("/end_session/confirm")).form(&[("csrf", "nope")]).send().await.unwrap();
    assert_eq!(forged.status(), 400);
    let confirmed = b
        .post(app.url("/end_session/confirm"))
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("client_id", "portal"),
            ("post_logout_redirect_uri", "https://rp.example.ru/bye"),
            ("state", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 303);
    assert_eq!(confirmed.headers()["location"], "https://rp.example.ru/bye?state=x");
    let reached = follow(&app, &b, start(&portal.rp, &[], &[]).url, &portal.redirect_uri).await;
    assert!(matches!(reached, Reached::Login { .. }));
    app.wait_for_audit_kind("session.ended").await;
}
