//! Representatives under a power of attorney (acting, `act`, token exchange, scope and
//! time limits, revocation) and support-issued temporary access.

use openidconnect::{OAuth2TokenResponse, TokenResponse};
use serde_json::Value;

use crate::assisted::{Desk, activate, assisted_app, desk, pairs, printed_code, register_in_person, staff_events};
use crate::fakes::SmsFake;
use crate::flow::{Reached, WebClient, allow_to_client, browser, follow, hidden, location, start, web_client};
use crate::helpers::TestApp;

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const POA: &str = "urn:vhod:params:oauth:token-type:power_of_attorney";

/// The payload of a JWT.
fn payload(jwt: &str) -> Value {
    use base64::Engine;
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

async fn sign_in_citizen(
    app: &TestApp,
    b: &reqwest::Client,
    client: &WebClient,
    login: &str,
) -> openidconnect::core::CoreTokenResponse {
    crate::flow::code_flow_tokens(app, b, client, &["openid", "profile"], (login, crate::assisted::PASSWORD)).await
}

async fn record_power(app: &TestApp, mfc: &Desk, principal: &str, representative: &str, clients: &str) -> String {
    let fields = pairs(&[
        ("principal", principal),
        ("representative", representative),
        ("clients", clients),
        ("scopes", "openid profile"),
        ("valid_from", "2020-01-01"),
        ("valid_until", "2099-12-31"),
        ("document_ref", "77/123-н/77-2026-1-100"),
        ("reason", "нотариальная доверенность предъявлена"),
    ]);
    let (status, html, _) = mfc.post(app, "/staff/attorneys", &fields).await;
    assert_eq!(status, 201, "{html}");
    let marker = "номер ";
    let at = html.find(marker).unwrap() + marker.len();
    html[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

#[actix_web::test]
async fn a_representative_acts_for_the_principal_within_the_power_and_loses_it_on_revocation() {
    let sms = SmsFake::start();
    let app = assisted_app(&sms).await;
    let mfc = desk(&app, &sms, "mfc", &["mfc_operator"], "+79990000081").await;
    let (principal, code) = register_in_person(&app, &mfc, "Старикова", 81, "").await;
    assert_eq!(activate(&app, &crate::assisted::snils(81), &code).await.0, 200);
    let (representative, code) = register_in_person(&app, &mfc, "Внукова", 82, "+79161230082").await;
    assert_eq!(activate(&app, "+79161230082", &code).await.0, 200);
    let pension = web_client(&app, "pension", "pension.example", |s| {
        s.grant_types.push(EXCHANGE.into());
        s.scopes = vec!["openid profile email".into()];
    })
    .await;
    let other = web_client(&app, "other", "other.example", |_| {}).await;
    // Recording checks its input.
    let bad = pairs(&[
        ("principal", &principal),
        ("representative", &principal),
        ("clients", "pension"),
        ("scopes", "openid"),
        ("valid_from", "2020-01-01"),
        ("valid_until", "2099-12-31"),
        ("document_ref", "77/1"),
        ("reason", "x"),
    ]);
    let (status, html, _) = mfc.post(&app, "/staff/attorneys", &bad).await;
    assert_eq!(status, 400);
    assert!(html.contains("data-field=\"representative\""), "{html}");
    let power = record_power(&app, &mfc, &principal, "+79161230082", "pension").await;
    // The representative signs in as themselves and chooses to act.
    let b = browser();
    let own = sign_in_citizen(&app, &b, &pension, "+79161230082").await;
    let own_token = own.access_token().secret().to_owned();
    assert_eq!(payload(&own_token)["sub"], representative.as_str());
    let html = b.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Старикова"), "the power is listed: {html}");
    let acted = b
        .post(app.url("/account/act"))
        .form(&[("csrf", hidden(&html, "csrf").as_str()), ("power", power.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(acted.status(), 303);
    let html = b.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"acting\""));
    // Tokens now name the principal with the representative in `act`, within the scopes.
    let started = start(&pension.rp, &["openid", "profile", "email"], &[]);
    let (consent, params) = allow_to_client(&app, &b, started.url.clone(), &pension).await;
    assert!(consent.contains("id=\"on-behalf-of\"") && consent.contains("Старикова"), "{consent}");
    let tokens = crate::flow::exchange(&app, &pension, &params["code"], started.verifier).await;
    let access = tokens.access_token().secret().to_owned();
    let claims = payload(&access);
    assert_eq!(claims["sub"], principal.as_str());
    assert_eq!(claims["act"]["sub"], representative.as_str());
    assert_eq!(claims["scope"], "openid profile", "email is not delegated");
    assert!(tokens.refresh_token().is_none());
    let id_token = payload(&tokens.id_token().unwrap().to_string());
    assert_eq!(id_token["sub"], principal.as_str());
    assert_eq!(id_token["act"]["sub"], representative.as_str());
    let info = app.userinfo(&access).await;
    assert_eq!(info["family_name"], "Старикова");
    // Exceeded: an application the power does not cover.
    let started = start(&other.rp, &["openid"], &[]);
    let Reached::Client(params) = follow(&app, &b, started.url, &other.redirect_uri).await else {
        panic!("an error redirect")
    };
    assert_eq!(params["error"], "access_denied");
    // Token exchange: a client with the representative's token gets the same.
    let exchange = |scope: Option<&str>, subject: &str| {
        let mut form = vec![
            ("grant_type", EXCHANGE.to_owned()),
            ("subject_token", subject.to_owned()),
            ("subject_token_type", POA.to_owned()),
            ("actor_token", own_token.clone()),
            ("actor_token_type", "urn:ietf:params:oauth:token-type:access_token".to_owned()),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope.to_owned()));
        }
        app.http.post(app.url("/token")).basic_auth(&pension.id, Some(&pension.secret)).form(&form).send()
    };
    let exchanged = exchange(None, &power).await.unwrap();
    assert_eq!(exchanged.status(), 200);
    let body: Value = exchanged.json().await.unwrap();
    assert_eq!(body["issued_token_type"], "urn:ietf:params:oauth:token-type:access_token");
    let delegated = body["access_token"].as_str().unwrap().to_owned();
    let claims = payload(&delegated);
    assert_eq!(claims["sub"], principal.as_str());
    assert_eq!(claims["act"]["sub"], representative.as_str());
    assert_eq!(claims["poa"], power.as_str());
    let too_wide = exchange(Some("openid email"), &power).await.unwrap();
    assert_eq!(too_wide.status(), 400);
    assert_eq!(too_wide.json::<Value>().await.unwrap()["error"], "invalid_scope");
    let unknown = exchange(None, "no-such-power").await.unwrap();
    assert_eq!(unknown.json::<Value>().await.unwrap()["error"], "invalid_grant");
    // The representative's token must have been issued to the client asking: a token the
    // client merely received (say, as a resource server) does not let it act.
    let elsewhere = sign_in_citizen(&app, &browser(), &other, "+79161230082").await;
    let foreign = app
        .http
        .post(app.url("/token"))
        .basic_auth(&pension.id, Some(&pension.secret))
        .form(&[
            ("grant_type", EXCHANGE),
            ("subject_token", power.as_str()),
            ("subject_token_type", POA),
            ("actor_token", elsewhere.access_token().secret().as_str()),
            ("actor_token_type", "urn:ietf:params:oauth:token-type:access_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 400);
    assert_eq!(foreign.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let by_other = app
        .http
        .post(app.url("/token"))
        .basic_auth(&other.id, Some(&other.secret))
        .form(&[("grant_type", EXCHANGE), ("subject_token", power.as_str()), ("subject_token_type", POA)])
        .send()
        .await
        .unwrap();
    assert_eq!(by_other.json::<Value>().await.unwrap()["error"], "unauthorized_client");
    // Time: a power whose period ended stops working at once.
    let id = power.clone();
    app.services
        .db
        .run(move |c| {
            use diesel::prelude::*;
            diesel::sql_query(format!("UPDATE powers_of_attorney SET valid_until = 1000 WHERE id = '{id}'"))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let info = app.http.get(app.url("/userinfo")).bearer_auth(&delegated).send().await.unwrap();
    assert_eq!(info.status(), 401, "expired power");
    assert_eq!(exchange(None, &power).await.unwrap().status(), 400);
    // Revocation: a fresh power works, then its revocation ends it at once.
    let second = record_power(&app, &mfc, &principal, "+79161230082", "pension").await;
    let body: Value = exchange(None, &second).await.unwrap().json().await.unwrap();
    let delegated = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.http.get(app.url("/userinfo")).bearer_auth(&delegated).send().await.unwrap().status(), 200);
    let (status, _, _) =
        mfc.post(&app, "/staff/attorneys/revoke", &pairs(&[("id", &second), ("reason", "доверитель отозвал")])).await;
    assert_eq!(status, 200);
    assert_eq!(app.http.get(app.url("/userinfo")).bearer_auth(&delegated).send().await.unwrap().status(), 401);
    let introspected: Value = app
        .http
        .post(app.url("/introspect"))
        .basic_auth(&pension.id, Some(&pension.secret))
        .form(&[("token", delegated.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(introspected["active"], false);
    let events = staff_events(&app, "record_power_of_attorney").await;
    assert!(events.iter().any(|e| e.detail.contains("\"revoked\":true")));
    assert!(events.iter().all(|e| e.subject.as_deref() == Some(principal.as_str())));
    let (_, list) = mfc.get(&app, &format!("/staff/attorneys?q={principal}")).await;
    assert!(list.contains(&second) && list.contains("отозвана"), "{list}");
}

#[actix_web::test]
async fn support_grants_temporary_access_that_relying_parties_see_and_can_refuse() {
    let sms = SmsFake::start();
    let app = assisted_app(&sms).await;
    let mfc = desk(&app, &sms, "mfc", &["mfc_operator"], "+79990000091").await;
    let support = desk(&app, &sms, "help", &["support"], "+79990000092").await;
    let (citizen, _) = register_in_person(&app, &mfc, "Ткачёва", 91, "+79161230091").await;
    let (status, html, _) = support
        .post(&app, &format!("/staff/citizens/{citizen}/temporary"), &pairs(&[("hours", "100"), ("reason", "x")]))
        .await;
    assert_eq!(status, 400, "at most 72 hours: {html}");
    let (status, html, _) = support
        .post(
            &app,
            &format!("/staff/citizens/{citizen}/temporary"),
            &pairs(&[("hours", "2"), ("reason", "потерян телефон, личность установлена по вопросам")]),
        )
        .await;
    assert_eq!(status, 201, "{html}");
    let (code, _) = printed_code(&html);
    let portal =
        web_client(&app, "portal", "portal.example", |s| s.scopes = vec!["openid profile snils phone".into()]).await;
    // A relying party that accepts temporary access gets restricted scopes and the acr.
    let b = browser();
    let started = start(&portal.rp, &["openid", "profile", "snils"], &[("acr_values", "urn:vhod:acr:temporary")]);
    let Reached::Login { html } = follow(&app, &b, started.url.clone(), &portal.redirect_uri).await else {
        panic!("login")
    };
    let rid = hidden(&html, "rid");
    let page = b.get(app.url(&format!("/temporary?rid={rid}"))).send().await.unwrap().text().await.unwrap();
    let wrong = b
        .post(app.url("/temporary"))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("rid", rid.as_str()),
            ("username", "+79161230091"),
            ("code", "AAAA-AAAA-AAAA"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let signed = b
        .post(app.url("/temporary"))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("rid", rid.as_str()),
            ("username", "+79161230091"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let (_, params) = allow_to_client(&app, &b, location(&app, &signed), &portal).await;
    let tokens = crate::flow::exchange(&app, &portal, &params["code"], started.verifier).await;
    let claims = payload(tokens.access_token().secret());
    assert_eq!(claims["acr"], "urn:vhod:acr:temporary");
    assert_eq!(claims["amr"][0], "otp");
    assert_eq!(claims["scope"], "openid profile", "SNILS is not released to temporary access");
    assert!(claims["exp"].as_i64().unwrap() <= claims["iat"].as_i64().unwrap() + 900);
    // The session opens neither the profile nor any account management.
    let profile = b.get(app.url("/account")).send().await.unwrap().text().await.unwrap();
    assert!(!profile.contains("id=\"account-level\"") && !profile.contains("4591"), "{profile}");
    // A relying party that asks for a real level refuses it.
    let started = start(&portal.rp, &["openid"], &[("acr_values", "urn:vhod:acr:standard")]);
    let reached = follow(&app, &b, started.url, &portal.redirect_uri).await;
    assert!(matches!(reached, Reached::Login { .. }), "the citizen would have to sign in another way");
    let started = start(&portal.rp, &["openid"], &[("acr_values", "urn:vhod:acr:standard"), ("prompt", "none")]);
    let Reached::Client(params) = follow(&app, &b, started.url, &portal.redirect_uri).await else { panic!() };
    assert_eq!(params["error"], "unmet_authentication_requirements");
    // The code was single-use.
    let b2 = browser();
    let page = b2.get(app.url("/temporary")).send().await.unwrap().text().await.unwrap();
    let again = b2
        .post(app.url("/temporary"))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("rid", ""),
            ("username", "+79161230091"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
    let issued = staff_events(&app, "issue_temporary_access").await;
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].subject.as_deref(), Some(citizen.as_str()));
    assert!(issued[0].detail.contains("потерян телефон"));
}
