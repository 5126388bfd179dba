//! Passkeys end to end with a software authenticator: registration from the profile,
//! discoverable sign-in completing a relying party's code flow, removal, replay.

use openidconnect::TokenResponse;
use serde_json::{Value, json};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};

use crate::flow::{browser, hidden, start, web_client};
use crate::helpers::{TestApp, spawn_app_with};

const PASSWORD: &str = "passkey owner password";

/// Follows redirects from `url`, resolving each against the current URL, until a page
/// or the client's redirect URI.
async fn walk(b: &reqwest::Client, mut url: String, stop_at: &str) -> (String, String) {
    for _ in 0..10 {
        if url.starts_with(stop_at) {
            return (url, String::new());
        }
        let response = b.get(&url).send().await.unwrap();
        if response.status().is_redirection() {
            let next = response.headers()["location"].to_str().unwrap().to_owned();
            url = Url::parse(&url).unwrap().join(&next).unwrap().to_string();
            continue;
        }
        return (url, response.text().await.unwrap());
    }
    panic!("redirect loop")
}

/// An app whose issuer is `http://localhost:PORT` (passkeys need a domain name).
async fn passkey_app() -> (TestApp, String) {
    let app = spawn_app_with(|s| {
        let port = s.server.issuer.rsplit(':').next().unwrap().to_owned();
        s.server.issuer = format!("http://localhost:{port}");
    })
    .await;
    let issuer = app.settings.server.issuer.clone();
    let mut app = app;
    app.address = issuer.clone();
    (app, issuer)
}

/// The passkey sign-in button's CSRF token on a sign-in page.
fn passkey_csrf(login: &str) -> String {
    let marker = "id=\"passkey-sign-in\" class=\"secondary\" data-csrf=\"";
    login.split(marker).nth(1).expect("a passkey button").split('"').next().unwrap().to_owned()
}

async fn post_json(b: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let response = b.post(url).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

#[actix_web::test]
async fn a_passkey_is_registered_and_signs_in_with_user_verification() {
    let (app, issuer) = passkey_app().await;
    let origin = Url::parse(&issuer).unwrap();
    let client = web_client(&app, "portal", "rp.example.ru", |s| s.first_party = true).await;
    let user_id = crate::flow::citizen(&app, "owner", PASSWORD).await;
    // Sign in with the password and register a passkey from the profile.
    let b = browser();
    let (_, login) = walk(&b, start(&client.rp, &[], &[]).url, &client.redirect_uri).await;
    assert!(
        login.contains("autocomplete=\"username webauthn\"") && login.contains("id=\"passkey-sign-in\""),
        "{login}"
    );
    let signed = b
        .post(format!("{issuer}/login"))
        .form(&[
            ("rid", hidden(&login, "rid")),
            ("csrf", hidden(&login, "csrf")),
            ("username", "owner".into()),
            ("password", PASSWORD.into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let profile = b.get(format!("{issuer}/account")).send().await.unwrap().text().await.unwrap();
    assert!(profile.contains("id=\"passkey-add\""), "{profile}");
    let csrf = hidden(&profile, "csrf");
    let (status, started) = post_json(&b, format!("{issuer}/passkeys/register/start"), json!({ "csrf": csrf })).await;
    assert_eq!(status, 200, "{started}");
    let options: CreationChallengeResponse = serde_json::from_value(started["options"].clone()).unwrap();
    assert_eq!(
        started["options"]["publicKey"]["authenticatorSelection"]["userVerification"], "required",
        "the device must verify the person (biometrics or PIN)"
    );
    let mut authenticator = WebauthnAuthenticator::new(SoftPasskey::new(true));
    let credential = authenticator.do_registration(origin.clone(), options).expect("software authenticator registers");
    let (status, created) = post_json(
        &b,
        format!("{issuer}/passkeys/register/finish"),
        json!({ "csrf": csrf, "ceremony": started["ceremony"], "name": "Мой телефон", "credential": credential }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let passkey_id = created["id"].as_str().unwrap().to_owned();
    assert!(b.get(format!("{issuer}/account")).send().await.unwrap().text().await.unwrap().contains("Мой телефон"));

    // A new browser signs in with the passkey alone (discoverable credential).
    let fresh = browser();
    let wanted = start(&client.rp, &[], &[("acr_values", "urn:vhod:acr:simplified:mfa")]);
    let (_, login) = walk(&fresh, wanted.url.clone(), &client.redirect_uri).await;
    let rid = hidden(&login, "rid");
    let sign_in_csrf = passkey_csrf(&login);
    let sign_in = |authenticator: &mut WebauthnAuthenticator<SoftPasskey>, challenge: Value| {
        // The authenticator finds its resident credential (the software one needs it
        // named) and returns the user handle, as a platform authenticator does.
        let mut options = challenge["options"].clone();
        options["publicKey"]["allowCredentials"] = json!([{ "type": "public-key", "id": passkey_id }]);
        let options: RequestChallengeResponse = serde_json::from_value(options).unwrap();
        let assertion = authenticator.do_authentication(origin.clone(), options).expect("software authenticator signs");
        let mut assertion = serde_json::to_value(assertion).unwrap();
        assertion["response"]["userHandle"] = json!(user_id);
        assertion
    };
    let (_, challenge) =
        post_json(&fresh, format!("{issuer}/passkeys/login/start"), json!({ "csrf": sign_in_csrf })).await;
    assert!(
        challenge["options"]["publicKey"]["allowCredentials"].as_array().is_none_or(Vec::is_empty),
        "discoverable: no user name, no list"
    );
    let assertion = sign_in(&mut authenticator, challenge.clone());
    let finish =
        json!({ "csrf": sign_in_csrf, "ceremony": challenge["ceremony"], "rid": rid, "credential": assertion });
    let (status, done) = post_json(&fresh, format!("{issuer}/passkeys/login/finish"), finish.clone()).await;
    assert_eq!(status, 200, "{done}");
    let next = format!("{issuer}{}", done["location"].as_str().unwrap());
    let (url, page) = walk(&fresh, next, &client.redirect_uri).await;
    assert!(url.starts_with(&client.redirect_uri), "{url}\n{page}");
    let params = crate::flow::query(&url);
    let tokens = crate::flow::exchange(&app, &client, &params["code"], wanted.verifier).await;
    let claims = tokens.id_token().unwrap().claims(&client.rp.id_token_verifier(), &wanted.nonce).unwrap();
    let amr = crate::flow::amr(claims);
    assert!(amr.contains(&"user".into()) && amr.contains(&"mfa".into()), "{amr:?}");
    assert!(amr.contains(&"hwk".into()) || amr.contains(&"swk".into()), "{amr:?}");
    assert_eq!(claims.auth_context_ref().unwrap().as_str(), "urn:vhod:acr:simplified:mfa", "a passkey is two factors");
    // The same assertion cannot be replayed.
    let (status, _) = post_json(&fresh, format!("{issuer}/passkeys/login/finish"), finish).await;
    assert_eq!(status, 400);
    // Removed from the profile, the passkey no longer signs in.
    let profile = b.get(format!("{issuer}/account")).send().await.unwrap().text().await.unwrap();
    let removed = b
        .post(format!("{issuer}/account/passkeys/remove"))
        .form(&[("csrf", hidden(&profile, "csrf")), ("id", passkey_id.clone())])
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 303);
    let other = browser();
    let (_, login) = walk(&other, start(&client.rp, &[], &[]).url, &client.redirect_uri).await;
    let other_csrf = passkey_csrf(&login);
    let (_, challenge) =
        post_json(&other, format!("{issuer}/passkeys/login/start"), json!({ "csrf": other_csrf })).await;
    let assertion = sign_in(&mut authenticator, challenge.clone());
    let (status, _) = post_json(
        &other,
        format!("{issuer}/passkeys/login/finish"),
        json!({ "csrf": other_csrf, "ceremony": challenge["ceremony"], "credential": assertion }),
    )
    .await;
    assert_eq!(status, 401);
    app.wait_for_audit_kind("login.failed").await;
}

#[actix_web::test]
async fn passkeys_are_off_without_a_domain_name_and_need_csrf() {
    let app = crate::helpers::spawn_app().await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let b = browser();
    let crate::flow::Reached::Login { html } =
        crate::flow::follow(&app, &b, start(&client.rp, &[], &[]).url, &client.redirect_uri).await
    else {
        panic!()
    };
    assert!(!html.contains("passkey-sign-in"), "no passkey button on an IP-address issuer");
    let (status, body) = post_json(&b, app.url("/passkeys/login/start"), json!({ "csrf": "forged" })).await;
    assert_eq!(status, 403, "{body}");
}

#[actix_web::test]
async fn failed_passkey_sign_ins_lock_the_address_out() {
    let (app, issuer) = passkey_app().await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let b = browser();
    let (_, login) = walk(&b, start(&client.rp, &[], &[]).url, &client.redirect_uri).await;
    let csrf = passkey_csrf(&login);
    // A well-formed assertion for a credential Vhod never registered.
    let forged = json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key", "extensions": {},
        "response": { "authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA", "userHandle": "AAAAAAAAAAAAAAAAAAAAAA" }
    });
    for attempt in 0..20 {
        let (status, challenge) =
            post_json(&b, format!("{issuer}/passkeys/login/start"), json!({ "csrf": csrf })).await;
        assert_eq!(status, 200, "attempt {attempt}");
        let (status, _) = post_json(
            &b,
            format!("{issuer}/passkeys/login/finish"),
            json!({ "csrf": csrf, "ceremony": challenge["ceremony"], "credential": forged }),
        )
        .await;
        assert_eq!(status, 401, "attempt {attempt}");
    }
    let (status, body) = post_json(&b, format!("{issuer}/passkeys/login/start"), json!({ "csrf": csrf })).await;
    assert_eq!(status, 429, "{body}");
}
