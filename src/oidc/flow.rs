//! The authorization code flow between `/authorize` and the redirect back: pending
//! requests, the sign-in / consent / issue decision, consent records and codes.

use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::acr::{self, Acr, Outcome, Strength};
use super::authorize::{AuthorizationRequest, ErrorRedirect, ResponseMode};
use super::{ErrorCode, OAuthError, subject};
use crate::app::Services;
use crate::audit::{AuditEvent, AuditKind};
use crate::db::models::consent::{self as consent_db, ConsentRow};
use crate::db::models::user as user_db;
use crate::db::now;
use crate::domain::{Client, Scopes};
use crate::jose::{b64url, random_token};
use crate::login::Session;
use crate::state::EphemeralStore;

/// How long a citizen may take to sign in and consent.
const PENDING_TTL: Duration = Duration::from_secs(30 * 60);
/// Authorization codes live 60 seconds and are single-use.
pub const CODE_TTL: Duration = Duration::from_secs(60);

/// What the browser sees next.
#[derive(Debug)]
pub enum Step {
    /// Show the sign-in page for pending request `rid`.
    Login {
        /// Pending request id.
        rid: String,
        /// The request.
        request: Box<AuthorizationRequest>,
    },
    /// Ask for a second factor (`acr_values` needs one).
    StepUp {
        /// Pending request id.
        rid: String,
        /// The request.
        request: Box<AuthorizationRequest>,
    },
    /// Show the consent page.
    Consent {
        /// Pending request id.
        rid: String,
        /// The request.
        request: Box<AuthorizationRequest>,
        /// The client asking.
        client: Arc<Client>,
        /// The principal's name when a representative acts for them.
        on_behalf_of: Option<String>,
    },
    /// Send the browser back to the client.
    Respond(Response),
}

/// An authorization response for the client.
#[derive(Debug)]
pub enum Response {
    /// Success: a code.
    Code {
        /// Where to.
        redirect_uri: String,
        /// How.
        response_mode: ResponseMode,
        /// The code.
        code: String,
        /// The client's state.
        state: Option<String>,
    },
    /// Failure.
    Error(ErrorRedirect),
    /// A device grant was approved or denied (nothing to redirect; the device polls).
    Device {
        /// Whether the citizen approved.
        approved: bool,
    },
}

/// What a code stands for; kept in the state store under its digest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthCode {
    /// Client it was issued to.
    pub client_id: String,
    /// Redirect URI of the request.
    pub redirect_uri: String,
    /// The account.
    pub user_id: String,
    /// Granted scopes.
    pub scope: String,
    /// ID-token nonce.
    pub nonce: Option<String>,
    /// PKCE challenge.
    pub code_challenge: Option<String>,
    /// Authentication time.
    pub auth_time: i64,
    /// Methods.
    pub amr: Vec<String>,
    /// Context class.
    pub acr: String,
    /// Session id.
    pub sid: String,
    /// The representative, when one acts for `user_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<CodeActor>,
    /// The grant ends at this Unix time (temporary access, a power's end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
}

/// The representative behind a delegated code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeActor {
    /// The representative's account.
    pub user_id: String,
    /// The power of attorney.
    pub power_id: String,
}

/// Digest under which a code (or other bearer value) is stored.
pub fn digest_key(prefix: &str, value: &str) -> String {
    format!("{prefix}:{}", b64url(digest::digest(&digest::SHA256, value.as_bytes()).as_ref()))
}

/// Keeps a checked request while the citizen signs in; returns its id.
pub async fn save_pending(svc: &Services, request: &AuthorizationRequest) -> Result<String, OAuthError> {
    let rid = random_token(16);
    let value = serde_json::to_vec(request).expect("a request always serializes");
    svc.state.put(&format!("authreq:{rid}"), &value, PENDING_TTL).await?;
    Ok(rid)
}

/// A pending request by id.
pub async fn load_pending(svc: &Services, rid: &str) -> Result<Option<AuthorizationRequest>, OAuthError> {
    if rid.len() > 64 {
        return Ok(None);
    }
    let raw = svc.state.get(&format!("authreq:{rid}")).await?;
    Ok(raw.and_then(|r| serde_json::from_slice(&r).ok()))
}

/// Whether `session` was created by signing in during this very request.
fn signed_in_here(request: &AuthorizationRequest, session: &Session) -> bool {
    request.signed_in_sid.as_deref() == Some(session.sid.as_str())
}

/// Records that the citizen signed in for pending request `rid`.
pub async fn mark_signed_in(
    svc: &Services,
    rid: &str,
    request: &mut AuthorizationRequest,
    session: &Session,
) -> Result<(), OAuthError> {
    request.signed_in_sid = Some(session.sid.clone());
    let value = serde_json::to_vec(request).expect("a request always serializes");
    svc.state.put(&format!("authreq:{rid}"), &value, PENDING_TTL).await?;
    Ok(())
}

async fn drop_pending(svc: &Services, rid: &str) -> Result<(), OAuthError> {
    svc.state.delete(&format!("authreq:{rid}")).await?;
    Ok(())
}

fn error(request: &AuthorizationRequest, code: ErrorCode, description: &'static str) -> Step {
    Step::Respond(Response::Error(ErrorRedirect::for_request(request, OAuthError::new(code, description))))
}

/// Decides what happens next for a checked request and the browser's session.
pub async fn advance(
    svc: &Services,
    rid: Option<String>,
    request: AuthorizationRequest,
    client: Arc<Client>,
    session: Option<&Session>,
) -> Result<Step, OAuthError> {
    let at = now();
    let usable = session.filter(|s| {
        let fresh_enough = !request.force_login || signed_in_here(&request, s);
        let young_enough = request.max_age.is_none_or(|max| at - s.auth_time <= max);
        let same_person =
            request.hinted_subject.as_ref().is_none_or(|sub| *sub == subject::for_client(svc, &client, &s.user_id));
        let temporary_live = s.temporary_until.is_none_or(|until| until > at);
        fresh_enough && young_enough && same_person && temporary_live
    });
    let Some(session) = usable else {
        if request.no_prompt {
            return Ok(error(&request, ErrorCode::LoginRequired, "the citizen must sign in"));
        }
        let rid = match rid {
            Some(rid) => rid,
            None => save_pending(svc, &request).await?,
        };
        return Ok(Step::Login { rid, request: Box::new(request) });
    };
    let mut request = request;
    let limits = match limits(svc, &mut request, &client, session).await? {
        Ok(limits) => limits,
        Err(description) => return Ok(error(&request, ErrorCode::AccessDenied, description)),
    };
    let just_signed_in = signed_in_here(&request, session);
    let outcome = assurance(&request, session);
    let acr = match outcome {
        Outcome::Met(acr) => acr,
        Outcome::StepUp if !request.no_prompt => {
            if let Some(second) = second_factor(svc, session).await? {
                let rid = match rid {
                    Some(rid) => rid,
                    None => save_pending(svc, &request).await?,
                };
                return Ok(match second {
                    SecondFactor::Sms => Step::StepUp { rid, request: Box::new(request) },
                    SecondFactor::Password => Step::Login { rid, request: Box::new(request) },
                });
            }
            return Ok(error(
                &request,
                ErrorCode::UnmetAuthenticationRequirements,
                "the account has no second sign-in method",
            ));
        }
        Outcome::LevelTooLow if !request.no_prompt && !just_signed_in => {
            // Perhaps another account of the citizen's reaches the level.
            let rid = match rid {
                Some(rid) => rid,
                None => save_pending(svc, &request).await?,
            };
            return Ok(Step::Login { rid, request: Box::new(request) });
        }
        Outcome::StepUp | Outcome::LevelTooLow => {
            return Ok(error(
                &request,
                ErrorCode::UnmetAuthenticationRequirements,
                "the requested authentication level cannot be reached with the available methods",
            ));
        }
    };
    if needs_consent(svc, &request, &client, session).await? {
        if request.no_prompt {
            return Ok(error(&request, ErrorCode::ConsentRequired, "the citizen must consent"));
        }
        let rid = match rid {
            Some(rid) => rid,
            None => save_pending(svc, &request).await?,
        };
        let on_behalf_of = session.acting.as_ref().map(|a| a.principal_name.clone());
        return Ok(Step::Consent { rid, request: Box::new(request), client, on_behalf_of });
    }
    if let Some(rid) = rid {
        drop_pending(svc, &rid).await?;
    }
    Ok(Step::Respond(issue_code(svc, &request, session, acr, limits).await?))
}

/// Whom a grant names and until when: the principal when a representative acts, a
/// deadline for temporary access and powers of attorney.
struct Limits {
    user_id: String,
    actor: Option<CodeActor>,
    until: Option<i64>,
}

/// Keeps only `allowed` of the requested scopes; `None` when `openid` does not survive.
fn narrow(request: &mut AuthorizationRequest, allowed: &Scopes) -> Option<()> {
    let kept: Vec<&str> = request.scope.split(' ').filter(|s| allowed.contains(s)).collect();
    if !kept.contains(&"openid") {
        return None;
    }
    request.scope = kept.join(" ");
    Some(())
}

/// Applies what the session may release: temporary access keeps its restricted
/// scopes; a representative acts for the principal within the power of attorney
/// (its applications, scopes and period), re-read on every use.
async fn limits(
    svc: &Services,
    request: &mut AuthorizationRequest,
    client: &Client,
    session: &Session,
) -> Result<Result<Limits, &'static str>, OAuthError> {
    if let Some(until) = session.temporary_until {
        if until <= crate::db::now() {
            return Ok(Err("temporary access has ended"));
        }
        if request.device.is_some() {
            return Ok(Err("temporary access cannot approve devices"));
        }
        let allowed = Scopes::parse(&crate::staff::codes::TEMPORARY_SCOPES.join(" ")).unwrap_or_default();
        if narrow(request, &allowed).is_none() {
            return Ok(Err("temporary access does not cover the requested data"));
        }
        return Ok(Ok(Limits { user_id: session.user_id.clone(), actor: None, until: Some(until) }));
    }
    let Some(acting) = &session.acting else {
        return Ok(Ok(Limits { user_id: session.user_id.clone(), actor: None, until: None }));
    };
    if request.device.is_some() {
        return Ok(Err("a representative cannot approve devices for the principal"));
    }
    let power = crate::staff::attorney::live(svc, &acting.power_id).await?;
    let Some(power) = power.filter(|p| p.representative_id == session.user_id && p.principal_id == acting.principal_id)
    else {
        return Ok(Err("the power of attorney is no longer in force"));
    };
    if !power.clients.split(' ').any(|c| c == client.id.as_str()) {
        return Ok(Err("the power of attorney does not cover this application"));
    }
    let allowed = Scopes::parse(&power.scopes).unwrap_or_default();
    if narrow(request, &allowed).is_none() {
        return Ok(Err("the power of attorney does not cover the requested data"));
    }
    Ok(Ok(Limits {
        user_id: power.principal_id,
        actor: Some(CodeActor { user_id: session.user_id.clone(), power_id: power.id }),
        until: Some(power.valid_until),
    }))
}

/// What `acr_values` mean for the session (its level and its methods).
fn assurance(request: &AuthorizationRequest, session: &Session) -> Outcome {
    if session.temporary_until.is_some() {
        return acr::evaluate_temporary(&request.acr_values);
    }
    let have = Acr { level: session.level(), strength: Strength::of(&session.amr) };
    acr::evaluate(have, &request.acr_values)
}

/// A method that would add a second factor to the session.
enum SecondFactor {
    /// A code to the account's verified phone.
    Sms,
    /// The account's password.
    Password,
}

async fn second_factor(svc: &Services, session: &Session) -> Result<Option<SecondFactor>, OAuthError> {
    let user_id = session.user_id.clone();
    let Some(user) = svc.db.run(move |conn| user_db::find_by_id(conn, &user_id)).await? else { return Ok(None) };
    let used = |m: &str| session.amr.iter().any(|a| a == m);
    Ok(if !used("sms") && user.phone_number_verified {
        Some(SecondFactor::Sms)
    } else if !used("pwd") && user.password_hash.is_some() {
        Some(SecondFactor::Password)
    } else {
        None
    })
}

async fn needs_consent(
    svc: &Services,
    request: &AuthorizationRequest,
    client: &Client,
    session: &Session,
) -> Result<bool, OAuthError> {
    if request.device.is_some() || session.acting.is_some() {
        // Against consent phishing: a device grant always shows who is asking; a
        // representative confirms each release of the principal's data.
        return Ok(true);
    }
    if client.first_party {
        return Ok(false);
    }
    if request.force_consent {
        return Ok(true);
    }
    let (user, id) = (session.user_id.clone(), client.id.to_string());
    let stored = svc.db.run(move |conn| consent_db::find(conn, &user, &id)).await?;
    let Some(stored) = stored else { return Ok(true) };
    let allowed = Scopes::parse(&stored.scopes).unwrap_or_default();
    Ok(request.scopes().not_in(&allowed).next().is_some())
}

/// Applies the citizen's consent decision for pending request `rid`.
pub async fn decide_consent(
    svc: &Services,
    rid: &str,
    request: &AuthorizationRequest,
    client: &Client,
    session: &Session,
    allow: bool,
) -> Result<Response, OAuthError> {
    drop_pending(svc, rid).await?;
    svc.audit
        .record(
            AuditEvent::success(AuditKind::ConsentDecided)
                .client(client.id.as_str())
                .subject(session.user_id.clone())
                .detail(json!({ "allow": allow, "scope": request.scope })),
        )
        .await;
    if !allow && let Some(key) = &request.device {
        super::device::decide(svc, key, session, None).await?;
        return Ok(Response::Device { approved: false });
    }
    if !allow {
        return Ok(Response::Error(ErrorRedirect::for_request(
            request,
            OAuthError::new(ErrorCode::AccessDenied, "the citizen denied the request"),
        )));
    }
    if session.acting.is_none() && session.temporary_until.is_none() {
        let row = ConsentRow {
            user_id: session.user_id.clone(),
            client_id: client.id.to_string(),
            scopes: request.scope.clone(),
            granted_at: now(),
        };
        svc.db.run(move |conn| consent_db::upsert(conn, &row)).await?;
    }
    // The pending request was stored before the session's limits narrowed it.
    let mut request = request.clone();
    let limits = match limits(svc, &mut request, client, session).await? {
        Ok(limits) => limits,
        Err(description) => {
            let error = OAuthError::new(ErrorCode::AccessDenied, description);
            return Ok(Response::Error(ErrorRedirect::for_request(&request, error)));
        }
    };
    let request = &request;
    match assurance(request, session) {
        Outcome::Met(acr) => issue_code(svc, request, session, acr, limits).await,
        _ => Ok(Response::Error(ErrorRedirect::for_request(
            request,
            OAuthError::new(ErrorCode::UnmetAuthenticationRequirements, "the session no longer meets the request"),
        ))),
    }
}

/// Issues the code for a request already narrowed by the session's `limits`.
async fn issue_code(
    svc: &Services,
    request: &AuthorizationRequest,
    session: &Session,
    acr: String,
    limits: Limits,
) -> Result<Response, OAuthError> {
    super::logout::remember_client(svc, &session.sid, &request.client_id).await?;
    if let Some(key) = &request.device {
        let approved = super::device::decide(svc, key, session, Some(acr)).await?;
        return Ok(Response::Device { approved });
    }
    let code = random_token(32);
    let record = AuthCode {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        user_id: limits.user_id,
        scope: request.scope.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: session.auth_time,
        amr: session.amr.clone(),
        acr,
        sid: session.sid.clone(),
        actor: limits.actor,
        until: limits.until,
    };
    let value = serde_json::to_vec(&record).expect("a code always serializes");
    svc.state.put(&digest_key("code", &code), &value, CODE_TTL).await?;
    Ok(Response::Code {
        redirect_uri: request.redirect_uri.clone(),
        response_mode: request.response_mode,
        code,
        state: request.state.clone(),
    })
}

/// Consents a citizen has given, for the account page.
pub async fn consents(svc: &Services, user_id: &str) -> Result<Vec<ConsentRow>, OAuthError> {
    let user = user_id.to_owned();
    Ok(svc.db.run(move |conn| consent_db::list_for_user(conn, &user)).await?)
}

/// Revokes a consent and the client's refresh tokens for the account; the client
/// must ask again next time.
pub async fn revoke_consent(svc: &Services, user_id: &str, client_id: &str) -> Result<bool, OAuthError> {
    let (user, client) = (user_id.to_owned(), client_id.to_owned());
    let (removed, tokens) = svc
        .db
        .run(move |conn| {
            let removed = consent_db::delete(conn, &user, &client)?;
            let tokens = crate::db::models::refresh_token::revoke_for_user(conn, &user, &client, now())?;
            Ok((removed, tokens))
        })
        .await?;
    if removed || tokens > 0 {
        svc.audit
            .record(
                AuditEvent::success(AuditKind::ConsentRevoked)
                    .client(client_id)
                    .subject(user_id.to_owned())
                    .detail(json!({ "refresh_tokens_revoked": tokens })),
            )
            .await;
    }
    Ok(removed)
}
