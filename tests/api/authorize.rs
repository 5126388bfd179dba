//! The authorization code flow end to end: a cookie-keeping browser and the
//! `openidconnect` crate as the relying party.

use openidconnect::core::{CoreIdTokenClaims, CoreUserInfoClaims};
use openidconnect::{
    AccessToken, AuthorizationCode, OAuth2TokenResponse, PkceCodeVerifier, RefreshToken, TokenResponse as _,
};
use serde_json::Value;

use crate::flow::{
    Reached, WebClient, authorize, browser, citizen, decide, exchange, follow, hidden, location, query, sign_in, start,
    web_client,
};
use crate::helpers::{TestApp, error_code, spawn_app, spawn_app_with};

const PASSWORD: &str = "correct horse battery staple";

#[actix_web::test]
async fn the_code_flow_with_pkce_yields_a_valid_id_token_userinfo_and_refresh_token() {
    let app = spawn_app().await;
    let user_id = citizen(&app, "ivanov", PASSWORD).await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let started = start(&client.rp, &["profile", "email", "offline_access"], &[]);
    let b = browser();

    let params = authorize(&app, &b, &started.url, &client, ("ivanov", PASSWORD)).await;
    assert_eq!(params.get("state").map(String::as_str), Some(started.state.secret().as_str()));
    assert_eq!(params["iss"], app.settings.server.issuer, "RFC 9207 iss");
    let tokens = exchange(&app, &client, &params["code"], started.verifier).await;

    let id_token = tokens.id_token().expect("an ID token");
    let claims: &CoreIdTokenClaims =
        id_token.claims(&client.rp.id_token_verifier(), &started.nonce).expect("ID token validates");
    assert_eq!(claims.subject().as_str(), user_id);
    assert!(claims.auth_time().is_some());
    assert_eq!(claims.auth_context_ref().map(|a| a.as_str()), Some("urn:vhod:acr:simplified"));
    assert_eq!(claims.auth_method_refs().unwrap()[0].as_str(), "pwd");
    let raw: Value = jwt_payload(&id_token.to_string());
    assert_eq!(raw["azp"], "portal");
    assert!(raw["sid"].as_str().is_some());
    assert!(raw["at_hash"].as_str().is_some());
    let at_hash_ok = id_token
        .signing_alg()
        .ok()
        .map(|alg| {
            openidconnect::AccessTokenHash::from_token(
                tokens.access_token(),
                alg,
                id_token.signing_key(&client.rp.id_token_verifier()).unwrap(),
            )
            .unwrap()
        })
        .is_some_and(|h| Some(&h) == claims.access_token_hash());
    assert!(at_hash_ok, "at_hash matches the access token");

    let info: CoreUserInfoClaims = client
        .rp
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&app.http)
        .await
        .expect("userinfo");
    assert_eq!(info.subject().as_str(), user_id);
    assert_eq!(info.email().map(|e| e.as_str()), Some("ivanov@example.ru"));
    assert_eq!(info.email_verified(), Some(false));
    assert!(info.given_name().is_some());

    let refresh = tokens.refresh_token().expect("offline_access gives a refresh token").clone();
    let refreshed =
        client.rp.exchange_refresh_token(&refresh).unwrap().request_async(&app.http).await.expect("refresh");
    let rotated = refreshed.refresh_token().expect("rotated").clone();
    assert_ne!(rotated.secret(), refresh.secret());
    assert!(refreshed.id_token().is_some());
}

fn jwt_payload(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn refresh_raw(app: &TestApp, client: &WebClient, token: &str) -> reqwest::Response {
    app.http
        .post(app.url("/token"))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_family() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let started = start(&client.rp, &["offline_access"], &[]);
    let params = authorize(&app, &browser(), &started.url, &client, ("ivanov", PASSWORD)).await;
    let tokens = exchange(&app, &client, &params["code"], started.verifier).await;
    let first = tokens.refresh_token().unwrap().secret().clone();

    let second: Value = refresh_raw(&app, &client, &first).await.json().await.unwrap();
    let second = second["refresh_token"].as_str().unwrap().to_owned();
    let reuse = refresh_raw(&app, &client, &first).await;
    assert_eq!(reuse.status(), 400);
    assert_eq!(error_code(reuse).await, "invalid_grant");
    let after = refresh_raw(&app, &client, &second).await;
    assert_eq!(error_code(after).await, "invalid_grant", "the newest token of the family is revoked too");
    app.wait_for_audit("refresh.reused", "portal").await;

    let other = web_client(&app, "other", "other.example.ru", |_| {}).await;
    let stolen = refresh_raw(&app, &other, &second).await;
    assert_eq!(error_code(stolen).await, "invalid_grant");
}

#[actix_web::test]
async fn a_code_works_once_and_its_replay_revokes_what_it_issued() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let started = start(&client.rp, &["offline_access"], &[]);
    let params = authorize(&app, &browser(), &started.url, &client, ("ivanov", PASSWORD)).await;
    let verifier = started.verifier.secret().clone();
    let tokens = exchange(&app, &client, &params["code"], started.verifier).await;

    let replay = client
        .rp
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .unwrap()
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&app.http)
        .await;
    assert!(replay.is_err(), "second use fails");
    let userinfo = app.http.get(app.url("/userinfo")).bearer_auth(tokens.access_token().secret()).send().await.unwrap();
    assert_eq!(userinfo.status(), 401, "the first access token is revoked");
    let refresh = refresh_raw(&app, &client, tokens.refresh_token().unwrap().secret()).await;
    assert_eq!(error_code(refresh).await, "invalid_grant", "the refresh token is revoked");
    app.wait_for_audit("code.reused", "portal").await;
}

#[actix_web::test]
async fn a_wrong_verifier_or_redirect_uri_is_invalid_grant() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let b = browser();
    for case in ["verifier", "redirect", "missing_verifier"] {
        let started = start(&client.rp, &[], &[]);
        let params = authorize(&app, &b, &started.url, &client, ("ivanov", PASSWORD)).await;
        let mut form = vec![("grant_type", "authorization_code".to_owned()), ("code", params["code"].clone())];
        match case {
            "verifier" => {
                form.push(("redirect_uri", client.redirect_uri.clone()));
                form.push(("code_verifier", "x".repeat(43)));
            }
            "redirect" => {
                form.push(("redirect_uri", "https://rp.example.ru/other".into()));
                form.push(("code_verifier", started.verifier.secret().clone()));
            }
            _ => form.push(("redirect_uri", client.redirect_uri.clone())),
        }
        let response = app
            .http
            .post(app.url("/token"))
            .basic_auth(&client.id, Some(&client.secret))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{case}");
        assert_eq!(error_code(response).await, "invalid_grant", "{case}");
    }
}

#[actix_web::test]
async fn single_sign_on_covers_a_second_client_and_consent_is_remembered() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    let first = web_client(&app, "first", "one.example.ru", |_| {}).await;
    let second = web_client(&app, "second", "two.example.ru", |_| {}).await;
    let b = browser();
    authorize(&app, &b, &start(&first.rp, &["email"], &[]).url, &first, ("ivanov", PASSWORD)).await;

    // The second client: no sign-in page, only consent.
    let reached = follow(&app, &b, start(&second.rp, &["email"], &[]).url, &second.redirect_uri).await;
    let Reached::Consent { html } = reached else { panic!("expected consent without a password") };
    assert!(html.contains("App second"));
    let response = decide(&app, &b, &html, "allow").await;
    let Reached::Client(params) = follow(&app, &b, location(&app, &response), &second.redirect_uri).await else {
        panic!("expected the client")
    };
    assert!(params.contains_key("code"));

    // Remembered: straight back with a code. A wider scope asks again.
    let Reached::Client(params) = follow(&app, &b, start(&second.rp, &["email"], &[]).url, &second.redirect_uri).await
    else {
        panic!("consent should be remembered")
    };
    assert!(params.contains_key("code"));
    let reached = follow(&app, &b, start(&second.rp, &["email", "phone"], &[]).url, &second.redirect_uri).await;
    assert!(matches!(reached, Reached::Consent { .. }), "new scopes need consent");
    // prompt=consent forces the page.
    let reached =
        follow(&app, &b, start(&second.rp, &["email"], &[("prompt", "consent")]).url, &second.redirect_uri).await;
    assert!(matches!(reached, Reached::Consent { .. }));
}

#[actix_web::test]
async fn denying_consent_returns_access_denied_and_first_party_clients_skip_consent() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    let client = web_client(&app, "third", "rp.example.ru", |_| {}).await;
    let b = browser();
    let started = start(&client.rp, &[], &[]);
    let Reached::Login { html } = follow(&app, &b, started.url.clone(), &client.redirect_uri).await else { panic!() };
    let response = sign_in(&app, &b, &html, "ivanov", PASSWORD).await;
    let Reached::Consent { html } = follow(&app, &b, location(&app, &response), &client.redirect_uri).await else {
        panic!("consent expected")
    };
    let response = decide(&app, &b, &html, "deny").await;
    let Reached::Client(params) = follow(&app, &b, location(&app, &response), &client.redirect_uri).await else {
        panic!()
    };
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], *started.state.secret());
    assert_eq!(params["iss"], app.settings.server.issuer);

    let own = web_client(&app, "own", "own.example.ru", |s| s.first_party = true).await;
    let Reached::Client(params) = follow(&app, &b, start(&own.rp, &["profile"], &[]).url, &own.redirect_uri).await
    else {
        panic!("first-party clients skip consent")
    };
    assert!(params.contains_key("code"));
}

#[actix_web::test]
async fn prompt_and_max_age_control_reauthentication() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    let client = web_client(&app, "portal", "rp.example.ru", |s| s.first_party = true).await;
    let b = browser();

    // prompt=none without a session: login_required, sent to the client.
    let Reached::Client(params) =
        follow(&app, &b, start(&client.rp, &[], &[("prompt", "none")]).url, &client.redirect_uri).await
    else {
        panic!()
    };
    assert_eq!(params["error"], "login_required");

    authorize(&app, &b, &start(&client.rp, &[], &[]).url, &client, ("ivanov", PASSWORD)).await;
    // prompt=none with a session: a code, silently.
    let Reached::Client(params) =
        follow(&app, &b, start(&client.rp, &[], &[("prompt", "none")]).url, &client.redirect_uri).await
    else {
        panic!()
    };
    assert!(params.contains_key("code"));
    for extra in [("prompt", "login"), ("max_age", "0")] {
        let reached = follow(&app, &b, start(&client.rp, &[], &[extra]).url, &client.redirect_uri).await;
        assert!(matches!(reached, Reached::Login { .. }), "{extra:?} forces the sign-in page");
    }
    // max_age that the session still meets: no sign-in.
    let reached = follow(&app, &b, start(&client.rp, &[], &[("max_age", "3600")]).url, &client.redirect_uri).await;
    assert!(matches!(reached, Reached::Client(_)));
    // prompt=login completes after signing in again, with a fresh auth_time.
    let started = start(&client.rp, &[], &[("prompt", "login")]);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let params = authorize(&app, &b, &started.url, &client, ("ivanov", PASSWORD)).await;
    let tokens = exchange(&app, &client, &params["code"], started.verifier).await;
    let claims = tokens.id_token().unwrap().claims(&client.rp.id_token_verifier(), &started.nonce).unwrap();
    let age = chrono_like_now() - claims.auth_time().unwrap().timestamp();
    assert!(age <= 2, "auth_time is fresh after prompt=login ({age}s)");
    // An acr the password cannot reach: prompt=none gets unmet_authentication_requirements.
    let Reached::Client(params) = follow(
        &app,
        &b,
        start(&client.rp, &[], &[("prompt", "none"), ("acr_values", "urn:vhod:acr:confirmed")]).url,
        &client.redirect_uri,
    )
    .await
    else {
        panic!()
    };
    assert_eq!(params["error"], "unmet_authentication_requirements");
}

fn chrono_like_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[actix_web::test]
async fn bad_clients_and_redirect_uris_get_a_page_and_are_never_redirected() {
    let app = spawn_app().await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let cases = [
        "client_id=portal&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fevil.example%2Fcb".to_owned(),
        "client_id=nobody&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Frp.example.ru%2Fcallback"
            .to_owned(),
        "response_type=code&scope=openid&redirect_uri=https%3A%2F%2Frp.example.ru%2Fcallback".to_owned(),
        "client_id=portal&response_type=code&scope=openid".to_owned(),
        format!(
            "client_id=portal&client_id=portal&response_type=code&scope=openid&redirect_uri={}",
            enc(&client.redirect_uri)
        ),
    ];
    for query in cases {
        let response = app.http.get(app.url(&format!("/authorize?{query}"))).send().await.unwrap();
        assert_eq!(response.status(), 400, "{query}");
        assert!(response.headers().get("location").is_none(), "{query}: never redirected");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[actix_web::test]
async fn request_errors_after_the_redirect_uri_is_trusted_go_back_with_state_and_iss() {
    let app = spawn_app().await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let base = format!("client_id=portal&redirect_uri={}&state=xyz", enc(&client.redirect_uri));
    let cases = [
        ("response_type=token&scope=openid", "unsupported_response_type"),
        ("scope=openid", "invalid_request"),
        ("response_type=code&scope=openid+admin", "invalid_scope"),
        ("response_type=code&scope=openid&code_challenge=abc&code_challenge_method=plain", "invalid_request"),
        ("response_type=code&scope=openid&prompt=none+login", "invalid_request"),
        ("response_type=code&scope=openid&max_age=-1", "invalid_request"),
        ("response_type=code&scope=openid&request=eyJ", "request_not_supported"),
        ("response_type=code&scope=openid&request_uri=https%3A%2F%2Fx", "request_uri_not_supported"),
        ("response_type=code&scope=openid&id_token_hint=not.a.token", "invalid_request"),
        ("response_type=code&scope=openid&scope=email", "invalid_request"),
    ];
    for (extra, expected) in cases {
        let response = app.http.get(app.url(&format!("/authorize?{base}&{extra}"))).send().await.unwrap();
        assert_eq!(response.status(), 303, "{extra}");
        let params = query(&location(&app, &response));
        assert_eq!(params["error"], expected, "{extra}");
        assert_eq!(params["state"], "xyz");
        assert_eq!(params["iss"], app.settings.server.issuer);
    }
}

#[actix_web::test]
async fn public_clients_must_use_pkce_and_form_post_delivers_the_code_in_a_form() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    let client = web_client(&app, "spa", "spa.example.ru", |s| {
        s.auth_method = Some("none".into());
        s.first_party = true;
        s.grant_types = vec!["authorization_code".into()];
    })
    .await;
    assert!(client.secret.is_empty());
    let without_pkce =
        format!("/authorize?client_id=spa&response_type=code&scope=openid&redirect_uri={}", enc(&client.redirect_uri));
    let response = app.http.get(app.url(&without_pkce)).send().await.unwrap();
    assert_eq!(query(&location(&app, &response))["error"], "invalid_request");

    let b = browser();
    let started = start(&client.rp, &[], &[("response_mode", "form_post")]);
    let Reached::Login { html } = follow(&app, &b, started.url.clone(), &client.redirect_uri).await else { panic!() };
    let response = sign_in(&app, &b, &html, "ivanov", PASSWORD).await;
    let resumed = b.get(location(&app, &response)).send().await.unwrap();
    assert_eq!(resumed.status(), 200);
    let csp = resumed.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let page = resumed.text().await.unwrap();
    assert!(page.contains(&format!("action=\"{}\"", client.redirect_uri)));
    assert!(csp.contains("script-src 'nonce-"));
    let code = hidden(&page, "code");
    assert_eq!(hidden(&page, "state"), *started.state.secret());
    assert_eq!(hidden(&page, "iss"), app.settings.server.issuer);
    let tokens = exchange(&app, &client, &code, started.verifier).await;
    assert!(tokens.id_token().is_some());
}

#[actix_web::test]
async fn pairwise_clients_get_unlinkable_subjects() {
    let app = spawn_app().await;
    let user_id = citizen(&app, "ivanov", PASSWORD).await;
    let a = web_client(&app, "pa", "a.example.ru", |s| {
        s.subject_type = Some("pairwise".into());
        s.first_party = true;
    })
    .await;
    let b_client = web_client(&app, "pb", "b.example.ru", |s| {
        s.subject_type = Some("pairwise".into());
        s.first_party = true;
    })
    .await;
    let b = browser();
    let mut subjects = Vec::new();
    for client in [&a, &b_client] {
        let started = start(&client.rp, &["profile"], &[]);
        let params = authorize(&app, &b, &started.url, client, ("ivanov", PASSWORD)).await;
        let tokens = exchange(&app, client, &params["code"], started.verifier).await;
        let claims = tokens.id_token().unwrap().claims(&client.rp.id_token_verifier(), &started.nonce).unwrap();
        let sub = claims.subject().as_str().to_owned();
        let info: CoreUserInfoClaims =
            client.rp.user_info(tokens.access_token().clone(), None).unwrap().request_async(&app.http).await.unwrap();
        assert_eq!(info.subject().as_str(), sub, "userinfo agrees with the ID token");
        subjects.push(sub);
    }
    assert_ne!(subjects[0], subjects[1]);
    assert!(!subjects.contains(&user_id));
}

#[actix_web::test]
async fn repeated_wrong_passwords_lock_the_account_without_revealing_it_exists() {
    let app = spawn_app_with(|s| s.security.login_max_failures = 3).await;
    citizen(&app, "ivanov", PASSWORD).await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let b = browser();
    let Reached::Login { html } = follow(&app, &b, start(&client.rp, &[], &[]).url, &client.redirect_uri).await else {
        panic!()
    };
    let mut pages = Vec::new();
    for user in ["ivanov", "nobody"] {
        for _ in 0..3 {
            let response = sign_in(&app, &b, &html, user, "wrong password").await;
            assert_eq!(response.status(), 401);
            pages.push(response.text().await.unwrap());
        }
        let locked = sign_in(&app, &b, &html, user, PASSWORD).await;
        assert_eq!(locked.status(), 429, "{user}: locked even with the right password");
        pages.push(locked.text().await.unwrap());
    }
    let message = |p: &str| p.split("role=\"alert\"").nth(1).unwrap().split("</p>").next().unwrap().to_owned();
    assert_eq!(message(&pages[0]), message(&pages[4]), "same message for a real and an unknown account");
    assert_eq!(message(&pages[3]), message(&pages[7]), "same lockout message for both");
    app.wait_for_audit_kind("login.locked").await;
}

#[actix_web::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let b = browser();
    let Reached::Login { html } = follow(&app, &b, start(&client.rp, &[], &[]).url, &client.redirect_uri).await else {
        panic!()
    };
    let rid = hidden(&html, "rid");
    let forged = b
        .post(app.url("/login"))
        .form(&[("rid", rid.as_str()), ("csrf", "forged"), ("username", "ivanov"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    // A different browser (no cookie) replaying the real token is refused too.
    let other = browser()
        .post(app.url("/login"))
        .form(&[
            ("rid", rid.as_str()),
            ("csrf", hidden(&html, "csrf").as_str()),
            ("username", "ivanov"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 400);
    assert!(other.headers().get("set-cookie").is_none(), "no session for a forged form");
}

#[actix_web::test]
async fn the_login_page_is_accessible_localised_and_protected() {
    let app = spawn_app().await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let b = browser();
    let started = start(&client.rp, &[], &[("ui_locales", "en"), ("login_hint", "ivanov")]);
    let response = b.get(&started.url).send().await.unwrap();
    let set_cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ");
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let cookie = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap();
    let page = b.get(app.url(&cookie)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Sign in"));
    assert!(html.contains(r#"name="username" value="ivanov" autocomplete="username""#));
    assert!(html.contains(r#"<label for="password">"#) && html.contains(r#"autocomplete="current-password""#));
    assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(headers["cache-control"], "no-store");

    let plain = start(&client.rp, &[], &[]);
    let login = b.get(&plain.url).send().await.unwrap().headers()["location"].to_str().unwrap().to_owned();
    let ru =
        b.get(app.url(&login)).header("accept-language", "ru-RU,ru;q=0.9").send().await.unwrap().text().await.unwrap();
    assert!(ru.contains("<html lang=\"ru\">") && ru.contains("Войти"));
}

#[actix_web::test]
async fn userinfo_rejects_missing_bad_and_client_tokens_with_bearer_challenges() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/userinfo")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"vhod\"");
    let response = app.http.get(app.url("/userinfo")).bearer_auth("garbage").send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers()["www-authenticate"].to_str().unwrap().contains("error=\"invalid_token\""));

    let (id, secret) = app.service_client("svc").await;
    let token: Value = app
        .http
        .post(app.url("/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let response =
        app.http.get(app.url("/userinfo")).bearer_auth(token["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(response.status(), 403, "a client token has no user");
    let _ = AccessToken::new(String::new());
    let _ = RefreshToken::new(String::new());
}

#[actix_web::test]
async fn the_account_page_lists_and_revokes_consents_and_signs_out() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    let client = web_client(&app, "portal", "rp.example.ru", |_| {}).await;
    let b = browser();
    authorize(&app, &b, &start(&client.rp, &["email"], &[]).url, &client, ("ivanov", PASSWORD)).await;
    let html = b.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("App portal") && html.contains("ivanov"));
    let csrf = hidden(&html, "csrf");
    let response = b
        .post(app.url("/account/consents"))
        .form(&[("csrf", csrf.as_str()), ("client_id", "portal")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let reached = follow(&app, &b, start(&client.rp, &["email"], &[]).url, &client.redirect_uri).await;
    assert!(matches!(reached, Reached::Consent { .. }), "a revoked consent is asked again");
    let response = b.post(app.url("/logout")).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let reached = follow(&app, &b, start(&client.rp, &["email"], &[]).url, &client.redirect_uri).await;
    assert!(matches!(reached, Reached::Login { .. }), "signed out");
}

#[actix_web::test]
async fn id_token_hints_must_match_the_signed_in_citizen() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    citizen(&app, "petrov", PASSWORD).await;
    let client = web_client(&app, "portal", "rp.example.ru", |s| s.first_party = true).await;
    let b = browser();
    let started = start(&client.rp, &[], &[]);
    let params = authorize(&app, &b, &started.url, &client, ("ivanov", PASSWORD)).await;
    let tokens = exchange(&app, &client, &params["code"], started.verifier).await;
    let hint = tokens.id_token().unwrap().to_string();

    let same = start(&client.rp, &[], &[("prompt", "none"), ("id_token_hint", &hint)]);
    let Reached::Client(params) = follow(&app, &b, same.url, &client.redirect_uri).await else { panic!() };
    assert!(params.contains_key("code"), "the hinted citizen is signed in");

    // Another citizen's browser with the same hint: not silently signed in as someone else.
    let other = browser();
    authorize(&app, &other, &start(&client.rp, &[], &[]).url, &client, ("petrov", PASSWORD)).await;
    let mismatch = start(&client.rp, &[], &[("prompt", "none"), ("id_token_hint", &hint)]);
    let Reached::Client(params) = follow(&app, &other, mismatch.url, &client.redirect_uri).await else { panic!() };
    assert_eq!(params["error"], "login_required");
    let interactive = start(&client.rp, &[], &[("id_token_hint", &hint)]);
    let reached = follow(&app, &other, interactive.url, &client.redirect_uri).await;
    assert!(matches!(reached, Reached::Login { .. }), "asked to sign in as the hinted citizen");

    // A hint issued to another client is refused.
    let stranger = web_client(&app, "stranger", "s.example.ru", |s| s.first_party = true).await;
    let foreign = start(&stranger.rp, &[], &[("id_token_hint", &hint)]);
    let Reached::Client(params) = follow(&app, &b, foreign.url, &stranger.redirect_uri).await else { panic!() };
    assert_eq!(params["error"], "invalid_request");
}

#[actix_web::test]
async fn userinfo_accepts_a_form_body_token_and_refresh_can_only_narrow_scope() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    let client = web_client(&app, "portal", "rp.example.ru", |s| s.first_party = true).await;
    let started = start(&client.rp, &["email", "phone", "offline_access"], &[]);
    let params = authorize(&app, &browser(), &started.url, &client, ("ivanov", PASSWORD)).await;
    let tokens = exchange(&app, &client, &params["code"], started.verifier).await;

    let info: Value = app
        .http
        .post(app.url("/userinfo"))
        .form(&[("access_token", tokens.access_token().secret().as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["email"], "ivanov@example.ru");
    assert!(info.get("given_name").is_none(), "profile was not granted");
    let in_query = app
        .http
        .get(app.url(&format!("/userinfo?access_token={}", tokens.access_token().secret())))
        .send()
        .await
        .unwrap();
    assert_eq!(in_query.status(), 400, "tokens in URLs are refused (RFC 6750 §2.3 is not offered)");

    let refresh = tokens.refresh_token().unwrap().secret().clone();
    let narrowed: Value = app
        .http
        .post(app.url("/token"))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("scope", "openid email offline_access"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(narrowed["scope"], "openid email offline_access");
    let next = narrowed["refresh_token"].as_str().unwrap();
    let widened = app
        .http
        .post(app.url("/token"))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", next), ("scope", "openid profile")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(widened).await, "invalid_scope");
}

#[actix_web::test]
async fn cookies_are_secure_and_host_prefixed_when_the_issuer_is_https() {
    let app = spawn_app_with(|s| s.server.issuer = "https://id.example.ru".into()).await;
    let client = web_client_without_discovery(&app).await;
    let response = app
        .http
        .get(app.url(&format!(
            "/authorize?client_id={client}&response_type=code&scope=openid&redirect_uri={}&code_challenge={}&code_challenge_method=S256",
            enc("https://rp.example.ru/callback"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-vhod_browser="), "{cookie}");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
}

/// A web client registered without the RP library (for an issuer we cannot discover).
async fn web_client_without_discovery(app: &TestApp) -> &'static str {
    app.create_client(vhod::admin::clients::ClientSpec {
        id: "secure".into(),
        grant_types: vec!["authorization_code".into()],
        redirect_uris: vec!["https://rp.example.ru/callback".into()],
        ..Default::default()
    })
    .await;
    "secure"
}

#[actix_web::test]
async fn a_pending_sign_in_belongs_to_the_browser_that_started_it() {
    let app = spawn_app().await;
    citizen(&app, "ivanov", PASSWORD).await;
    let client = web_client(&app, "portal", "rp.example.ru", |s| s.first_party = true).await;
    let victim = browser();
    let Reached::Login { html } = follow(&app, &victim, start(&client.rp, &[], &[]).url, &client.redirect_uri).await
    else {
        panic!()
    };
    let rid = hidden(&html, "rid");
    let attacker = browser();
    authorize(&app, &attacker, &start(&client.rp, &[], &[]).url, &client, ("ivanov", PASSWORD)).await;
    for path in [format!("/login?rid={rid}"), format!("/authorize/resume?rid={rid}")] {
        let response = attacker.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 400, "{path}: another browser cannot continue it");
        assert!(response.headers().get("location").is_none());
    }
    // The browser that started it still can.
    let response = sign_in(&app, &victim, &html, "ivanov", PASSWORD).await;
    assert_eq!(response.status(), 303);
}
