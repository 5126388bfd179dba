//! `POST /token` with client_credentials, driven by the `oauth2` crate as a real client,
//! and every RFC 6749 §5.2 error case.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};
use serde_json::Value;
use vhod::admin::clients::ClientSpec;

use crate::helpers::{TestApp, error_code, spawn_app, spawn_app_with};

async fn jwks(app: &TestApp) -> Value {
    app.http.get(app.url("/jwks")).send().await.unwrap().json().await.unwrap()
}

/// Verifies an access token against the published JWKS and returns its claims.
async fn verify(app: &TestApp, token: &str, audience: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).expect("JWS header");
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some("at+jwt"), "RFC 9068 §2.1 typ");
    let kid = header.kid.expect("kid");
    let keys = jwks(app).await;
    let jwk = keys["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid.as_str()).expect("kid in JWKS");
    let key = DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[app.settings.server.issuer.as_str()]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "sub", "aud"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation).expect("token verifies with JWKS").claims
}

fn oauth_client(
    app: &TestApp,
    id: &str,
    secret: &str,
) -> BasicClient<
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
> {
    BasicClient::new(ClientId::new(id.into()))
        .set_client_secret(ClientSecret::new(secret.into()))
        .set_token_uri(TokenUrl::new(app.url("/token")).unwrap())
}

#[actix_web::test]
async fn client_credentials_with_basic_auth_returns_a_verifiable_rfc_9068_token() {
    let app = spawn_app().await;
    let (id, secret) = app.service_client("reports").await;

    let token = oauth_client(&app, &id, &secret)
        .exchange_client_credentials()
        .add_scope(Scope::new("read".into()))
        .request_async(&app.http)
        .await
        .expect("token issued");

    assert_eq!(token.token_type(), &oauth2::basic::BasicTokenType::Bearer);
    assert_eq!(token.expires_in().map(|d| d.as_secs()), Some(900));
    assert_eq!(token.scopes().map(|s| s.iter().map(|s| s.to_string()).collect::<Vec<_>>()), Some(vec!["read".into()]));
    let claims = verify(&app, token.access_token().secret(), "https://api.example.ru/").await;
    assert_eq!(claims["sub"], "reports");
    assert_eq!(claims["client_id"], "reports");
    assert_eq!(claims["scope"], "read");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 900);
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));

    let event = app.wait_for_audit("token.issued", "reports").await;
    assert_eq!(event.outcome, "success");
    assert!(event.detail.contains(claims["jti"].as_str().unwrap()));
}

#[actix_web::test]
async fn client_secret_post_clients_authenticate_in_the_body() {
    let app = spawn_app().await;
    let created = app
        .create_client(ClientSpec {
            id: "poster".into(),
            scopes: vec!["read".into()],
            auth_method: Some("client_secret_post".into()),
            ..Default::default()
        })
        .await;
    let secret = secrecy::ExposeSecret::expose_secret(created.secret.as_ref().unwrap()).to_owned();
    let token = oauth_client(&app, "poster", &secret)
        .set_auth_type(AuthType::RequestBody)
        .exchange_client_credentials()
        .request_async(&app.http)
        .await
        .expect("token issued");
    let claims = verify(&app, token.access_token().secret(), "poster").await;
    assert_eq!(claims["aud"], "poster", "without audiences the token is for the client itself");
    assert_eq!(claims["scope"], "read", "no scope asked: the client's scopes");

    // The same client over Basic is refused: it registered client_secret_post.
    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth("poster", Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[actix_web::test]
async fn resource_parameters_choose_among_the_clients_audiences() {
    let app = spawn_app().await;
    app.create_client(ClientSpec {
        id: "multi".into(),
        secret: Some("a-chosen-secret-of-at-least-32-characters".to_owned().into()),
        audiences: vec!["https://a.example.ru/".into(), "https://b.example.ru/".into()],
        ..Default::default()
    })
    .await;
    let ask = |resources: &'static [&'static str]| {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend(resources.iter().map(|r| ("resource", *r)));
        app.http
            .post(app.url("/token"))
            .basic_auth("multi", Some("a-chosen-secret-of-at-least-32-characters"))
            .form(&form)
            .send()
    };
    let body: Value = ask(&["https://b.example.ru/"]).await.unwrap().json().await.unwrap();
    let claims = verify(&app, body["access_token"].as_str().unwrap(), "https://b.example.ru/").await;
    assert_eq!(claims["aud"], "https://b.example.ru/");

    let body: Value = ask(&[]).await.unwrap().json().await.unwrap();
    let claims = verify(&app, body["access_token"].as_str().unwrap(), "https://a.example.ru/").await;
    assert_eq!(claims["aud"], serde_json::json!(["https://a.example.ru/", "https://b.example.ru/"]));
    assert!(claims.get("scope").is_none(), "no scopes registered, none granted");

    let response = ask(&["https://c.example.ru/"]).await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "invalid_target");
    let response = ask(&["not-a-uri"]).await.unwrap();
    assert_eq!(error_code(response).await, "invalid_target");
}

#[actix_web::test]
async fn bad_credentials_get_invalid_client_401_with_www_authenticate_and_are_audited() {
    let app = spawn_app().await;
    let (id, secret) = app.service_client("svc").await;
    let cases: Vec<(&str, Option<&str>)> =
        vec![(&id, Some("wrong-secret")), ("no-such-client", Some(&secret)), (&id, None)];
    for (user, password) in cases {
        let response = app
            .http
            .post(app.url("/token"))
            .basic_auth(user, password)
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{user}");
        assert_eq!(response.headers()["www-authenticate"], "Basic realm=\"vhod\"");
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(error_code(response).await, "invalid_client");
    }
    // No credentials at all.
    let response = app.http.post(app.url("/token")).form(&[("grant_type", "client_credentials")]).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(error_code(response).await, "invalid_client");

    let event = app.wait_for_audit("client.auth_failed", "svc").await;
    assert_eq!(event.outcome, "failure");
    assert!(!event.detail.contains("wrong-secret"), "secrets never reach the audit log");
}

#[actix_web::test]
async fn repeated_failures_lock_the_client_out_even_with_the_right_secret() {
    let app = spawn_app_with(|s| s.security.client_auth_max_failures = 3).await;
    let (id, secret) = app.service_client("target").await;
    let attempt = |password: String| {
        app.http
            .post(app.url("/token"))
            .basic_auth(&id, Some(password))
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    for i in 0..3 {
        assert_eq!(attempt(format!("guess-{i}")).await.unwrap().status(), 401);
    }
    let locked = attempt(secret.clone()).await.unwrap();
    assert_eq!(locked.status(), 429);
    assert!(locked.headers().contains_key("retry-after"));
    assert_eq!(error_code(locked).await, "invalid_client");
    app.wait_for_audit("client.auth_locked", "target").await;

    // Another client is unaffected.
    let (other, other_secret) = app.service_client("bystander").await;
    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth(&other, Some(other_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[actix_web::test]
async fn a_success_resets_the_failure_count() {
    let app = spawn_app_with(|s| s.security.client_auth_max_failures = 3).await;
    let (id, secret) = app.service_client("flaky").await;
    for round in 0..3 {
        for _ in 0..2 {
            let r = app
                .http
                .post(app.url("/token"))
                .basic_auth(&id, Some("bad"))
                .form(&[("grant_type", "client_credentials")]);
            assert_eq!(r.send().await.unwrap().status(), 401);
        }
        let r = app
            .http
            .post(app.url("/token"))
            .basic_auth(&id, Some(&secret))
            .form(&[("grant_type", "client_credentials")]);
        assert_eq!(r.send().await.unwrap().status(), 200, "round {round}");
    }
}

#[actix_web::test]
async fn protocol_errors_follow_rfc_6749_section_5_2() {
    let app = spawn_app().await;
    let (id, secret) = app.service_client("svc").await;
    let post = |body: &'static str| {
        app.http
            .post(app.url("/token"))
            .basic_auth(&id, Some(&secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let cases = [
        ("grant_type=password&username=a&password=b", "unsupported_grant_type"),
        ("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer", "unsupported_grant_type"),
        ("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code", "unauthorized_client"),
        ("scope=read", "invalid_request"),
        ("grant_type=client_credentials&grant_type=client_credentials", "invalid_request"),
        ("grant_type=client_credentials&scope=read&scope=write", "invalid_request"),
        ("grant_type=client_credentials&scope=admin", "invalid_scope"),
        ("grant_type=client_credentials&scope=openid", "invalid_scope"),
        ("grant_type=client_credentials&scope=read%09write", "invalid_scope"),
        ("grant_type=authorization_code&code=x", "unauthorized_client"),
    ];
    for (body, expected) in cases {
        let response = post(body).await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{body}");
        assert_eq!(response.headers()["content-type"], "application/json", "{body}");
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["error"], expected, "{body}: {json}");
        assert!(json["error_description"].as_str().is_some_and(|d| !d.is_empty()));
    }

    let wrong_type = app
        .http
        .post(app.url("/token"))
        .basic_auth(&id, Some(&secret))
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 400);
    assert_eq!(error_code(wrong_type).await, "invalid_request");

    let both_methods = app
        .http
        .post(app.url("/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", &secret)])
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(both_methods).await, "invalid_request");

    let get = app.http.get(app.url("/token")).send().await.unwrap();
    assert!(get.status().is_client_error());
}

#[actix_web::test]
async fn clients_not_registered_for_a_grant_get_unauthorized_client() {
    let app = spawn_app().await;
    let created = app
        .create_client(ClientSpec {
            id: "web".into(),
            grant_types: vec!["authorization_code".into()],
            redirect_uris: vec!["https://rp.example.ru/cb".into()],
            scopes: vec!["openid".into()],
            ..Default::default()
        })
        .await;
    let response = app
        .http
        .post(app.url("/token"))
        .basic_auth("web", Some(secrecy::ExposeSecret::expose_secret(created.secret.as_ref().unwrap())))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(error_code(response).await, "unauthorized_client");
}

#[actix_web::test]
async fn successful_token_responses_are_not_cacheable() {
    let app = spawn_app().await;
    let (id, secret) = app.service_client("svc").await;
    let response = app.client_credentials(&id, &secret).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "read write");
}

#[actix_web::test]
async fn a_database_outage_gives_503_json_not_a_hang() {
    let app = spawn_app().await;
    if !app.db.is_postgres() {
        // An outage needs a server to lose; SQLite is a local file. The PostgreSQL run
        // of the suite (VHOD_TEST_DATABASE_URL) covers this.
        return;
    }
    let (id, secret) = app.service_client("svc").await;
    app.db.drop_now();
    let started = std::time::Instant::now();
    let response = app.client_credentials(&id, &secret).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(error_code(response).await, "temporarily_unavailable");
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    let health = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 503);
}

#[actix_web::test]
async fn a_storage_failure_gives_500_json_not_a_panic() {
    let app = spawn_app().await;
    let (id, secret) = app.service_client("svc").await;
    let drop = if app.db.is_postgres() { "DROP TABLE clients CASCADE" } else { "DROP TABLE clients" };
    app.services
        .db
        .run(move |conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query(drop).execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let response = app.client_credentials(&id, &secret).await;
    assert_eq!(response.status(), 500);
    assert_eq!(error_code(response).await, "server_error");
}

#[actix_web::test]
async fn cached_clients_are_reread_after_the_cache_lifetime() {
    let app = spawn_app_with(|s| s.clients.cache_ttl_secs = 1).await;
    let (id, secret) = app.service_client("cached").await;
    let ask = || {
        app.http
            .post(app.url("/token"))
            .basic_auth(&id, Some(&secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    assert_eq!(ask().await.unwrap().status(), 200);
    let output = app.cli(&["clients", "delete", "cached"]);
    assert!(output.status.success());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(ask().await.unwrap().status(), 401, "a deleted client is refused once the cache entry expires");
}
