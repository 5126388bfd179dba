//! Signing-key management: the key-encryption key, first-start generation, rotation with
//! pre-publication, retirement after the longest token lifetime, and the in-memory key
//! set every node re-reads from the database so several nodes agree on the active key.
//!
//! Timeline of a key: *pending* (published in JWKS, not yet signing) → *active* (the
//! newest activated key signs) → *retiring* (superseded, still published until every
//! token it signed has expired) → *retired* (no longer published).

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use secrecy::SecretString;
use serde::Serialize;

use crate::config::Config;
use crate::db::models::signing_key::{self, SigningKeyRow};
use crate::db::{DbError, DbPool, now};
use crate::jose::{GeneratedKey, Jwk, JwkSet, Kek, KekError, SigningKey, Verified, Verifier};

/// Slack added to the retirement time for clocks that disagree a little.
const CLOCK_SKEW_SECS: i64 = 60;

/// Key-management errors.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The KEK could not be loaded.
    #[error("keys.kek / keys.kek_file: {0}")]
    Kek(String),
    /// A stored key could not be decrypted or parsed.
    #[error("signing key {kid}: {message}")]
    Stored {
        /// Which key.
        kid: String,
        /// What went wrong.
        message: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Generating a key failed.
    #[error("key generation failed: {0}")]
    Generate(String),
}

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// Published, not yet signing.
    Pending,
    /// Signing.
    Active,
    /// Superseded, still published.
    Retiring,
    /// No longer published.
    Retired,
}

/// A key as listed by `vhod keys list`.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    /// RFC 7638 thumbprint.
    pub kid: String,
    /// `RS256`.
    pub alg: String,
    /// Lifecycle state now.
    pub status: KeyStatus,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds from which it signs (or signed).
    pub activates_at: i64,
    /// Unix seconds until which it stays published, once superseded.
    pub published_until: Option<i64>,
}

/// The keys one node uses right now.
pub struct KeySet {
    active: Arc<SigningKey>,
    jwks: Arc<[u8]>,
    etag: String,
    verifier: Verifier,
}

impl KeySet {
    /// The key that signs.
    pub fn active(&self) -> &SigningKey {
        &self.active
    }

    /// Serialized JWKS (public keys only).
    pub fn jwks_json(&self) -> Arc<[u8]> {
        self.jwks.clone()
    }

    /// Verifies a token signed by any published key (signature and header only).
    pub fn verify(&self, jws: &str) -> Result<Verified, crate::jose::JoseError> {
        self.verifier.verify(jws)
    }

    /// Strong validator for the JWKS document.
    pub fn etag(&self) -> &str {
        &self.etag
    }
}

/// Loads the key-encryption key: inline `keys.kek`, else `keys.kek_file`, else (when
/// allowed) a new one written to `keys.kek_file` with a loud warning.
pub fn load_kek(config: &Config) -> Result<Kek, KeyError> {
    if let Some(inline) = &config.kek {
        return Kek::from_base64(inline).map_err(|e| KeyError::Kek(e.to_string()));
    }
    let path = &config.kek_file;
    match std::fs::read_to_string(path) {
        Ok(text) => {
            Kek::from_base64(&SecretString::from(text)).map_err(|e| KeyError::Kek(format!("{}: {e}", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && config.generate_kek => generate_kek_file(path),
        Err(e) => Err(KeyError::Kek(format!("cannot read {}: {e}", path.display()))),
    }
}

fn generate_kek_file(path: &Path) -> Result<Kek, KeyError> {
    let encoded = Kek::generate();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| KeyError::Kek(format!("cannot create {}: {e}", dir.display())))?;
    }
    write_private_file(path, secrecy::ExposeSecret::expose_secret(&encoded))
        .map_err(|e| KeyError::Kek(format!("cannot write {}: {e}", path.display())))?;
    tracing::warn!(
        path = %path.display(),
        "GENERATED A NEW KEY-ENCRYPTION KEY. This is for development only: in production set \
         keys.kek or provide keys.kek_file from a secret store and set keys.generate_kek = false. \
         Losing this file makes every stored signing key unreadable."
    );
    Kek::from_base64(&encoded).map_err(|e| KeyError::Kek(e.to_string()))
}

#[cfg(unix)]
fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// Creates, rotates, lists and serves signing keys.
pub struct KeyService {
    db: DbPool,
    kek: Kek,
    prepublish: Duration,
    retain: i64,
    current: RwLock<Arc<KeySet>>,
}

impl KeyService {
    /// Makes sure a signing key exists (generating one on first start) and loads the set.
    pub async fn start(db: DbPool, kek: Kek, config: &Config) -> Result<Arc<Self>, KeyError> {
        let retain = config.max_token_lifetime().as_secs() as i64 + CLOCK_SKEW_SECS;
        let rows = list_rows(&db).await?;
        let rows = if rows.is_empty() {
            insert_new_key(&db, &kek, now()).await?;
            list_rows(&db).await?
        } else {
            rows
        };
        let set = build_set(&rows, &kek, retain, None)?;
        Ok(Arc::new(Self { db, kek, prepublish: config.key_prepublish, retain, current: RwLock::new(Arc::new(set)) }))
    }

    /// The key set in use.
    pub fn current(&self) -> Arc<KeySet> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Re-reads the keys from the database; the active key is re-parsed only if it changed.
    pub async fn reload(&self) -> Result<(), KeyError> {
        let rows = list_rows(&self.db).await?;
        let previous = self.current();
        let set = build_set(&rows, &self.kek, self.retain, Some(&previous.active))?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
        Ok(())
    }

    /// Every `period` until the process ends: rotates when the newest key is older than
    /// `rotation` (non-zero), then reloads the key set.
    pub fn spawn_refresh(
        self: &Arc<Self>,
        period: Duration,
        rotation: Duration,
        audit: crate::audit::Audit,
    ) -> tokio::task::JoinHandle<()> {
        let this = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(service) = this.upgrade() else { break };
                if !rotation.is_zero()
                    && let Err(e) = service.rotate_if_due(rotation, &audit).await
                {
                    tracing::warn!(error = %e, "scheduled key rotation failed; will retry");
                }
                if let Err(e) = service.reload().await {
                    tracing::warn!(error = %e, "could not refresh signing keys; keeping the current set");
                }
            }
        })
    }

    /// Adds a pre-published key when the newest key is older than `rotation` and none is
    /// pending. Two nodes racing may both add one; the later simply signs later.
    async fn rotate_if_due(&self, rotation: Duration, audit: &crate::audit::Audit) -> Result<(), KeyError> {
        let rows = list_rows(&self.db).await?;
        let at = now();
        let newest = rows.iter().map(|r| r.created_at).max().unwrap_or(0);
        let pending = rows.iter().any(|r| r.activates_at > at);
        if pending || at - newest < rotation.as_secs() as i64 {
            return Ok(());
        }
        let key = self.rotate(false).await?;
        tracing::info!(kid = %key.kid, activates_at = key.activates_at, "scheduled key rotation");
        audit
            .record(
                crate::audit::AuditEvent::success(crate::audit::AuditKind::KeyRotated)
                    .actor("scheduler")
                    .detail(serde_json::json!({ "kid": key.kid, "activates_at": key.activates_at })),
            )
            .await;
        Ok(())
    }

    /// Generates the next key. It is published at once and signs after the configured
    /// pre-publication period (or at once when `immediately`).
    pub async fn rotate(&self, immediately: bool) -> Result<KeyInfo, KeyError> {
        let activates_at = if immediately { now() } else { now() + self.prepublish.as_secs() as i64 };
        let kid = insert_new_key(&self.db, &self.kek, activates_at).await?;
        self.reload().await?;
        let keys = self.list().await?;
        keys.into_iter().find(|k| k.kid == kid).ok_or_else(|| KeyError::Generate("new key not found".into()))
    }

    /// Every stored key with its status now.
    pub async fn list(&self) -> Result<Vec<KeyInfo>, KeyError> {
        let rows = list_rows(&self.db).await?;
        Ok(classify(&rows, now(), self.retain))
    }
}

async fn list_rows(db: &DbPool) -> Result<Vec<SigningKeyRow>, KeyError> {
    Ok(db.run(signing_key::list).await?)
}

async fn insert_new_key(db: &DbPool, kek: &Kek, activates_at: i64) -> Result<String, KeyError> {
    let generated =
        tokio::task::spawn_blocking(GeneratedKey::rsa2048).await.map_err(|e| KeyError::Generate(e.to_string()))?;
    let generated = generated.map_err(|e| KeyError::Generate(e.to_string()))?;
    let kid = generated.jwk.kid.clone();
    let row = SigningKeyRow {
        kid: kid.clone(),
        alg: "RS256".into(),
        public_jwk: serde_json::to_string(&generated.jwk).expect("a JWK always serializes"),
        private_key: kek.seal(&kid, &generated.pkcs8),
        kek_id: kek.id().to_owned(),
        created_at: now(),
        activates_at,
    };
    db.run(move |conn| signing_key::insert(conn, &row)).await?;
    tracing::info!(kid = %kid, activates_at, "generated signing key");
    Ok(kid)
}

/// Lifecycle of each row at `at`, given rows ordered by activation.
fn classify(rows: &[SigningKeyRow], at: i64, retain: i64) -> Vec<KeyInfo> {
    let activated: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].activates_at <= at).collect();
    // With nothing activated yet (clock moved back), the earliest key signs.
    let active = activated.last().copied().unwrap_or(0);
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let (status, published_until) = if i == active {
                (KeyStatus::Active, None)
            } else if row.activates_at > at {
                (KeyStatus::Pending, None)
            } else {
                let superseded_at = activated.iter().copied().find(|&j| j > i).map_or(at, |j| rows[j].activates_at);
                let until = superseded_at + retain;
                (if until > at { KeyStatus::Retiring } else { KeyStatus::Retired }, Some(until))
            };
            KeyInfo {
                kid: row.kid.clone(),
                alg: row.alg.clone(),
                status,
                created_at: row.created_at,
                activates_at: row.activates_at,
                published_until,
            }
        })
        .collect()
}

fn build_set(
    rows: &[SigningKeyRow],
    kek: &Kek,
    retain: i64,
    previous: Option<&Arc<SigningKey>>,
) -> Result<KeySet, KeyError> {
    let infos = classify(rows, now(), retain);
    let mut published: Vec<(KeyStatus, Jwk)> = Vec::new();
    let mut active = None;
    for (row, info) in rows.iter().zip(&infos) {
        if info.status == KeyStatus::Retired {
            continue;
        }
        let jwk: Jwk = serde_json::from_str(&row.public_jwk)
            .map_err(|e| KeyError::Stored { kid: row.kid.clone(), message: format!("bad public JWK: {e}") })?;
        if info.status == KeyStatus::Active {
            active = Some(match previous.filter(|p| p.kid() == row.kid) {
                Some(same) => same.clone(),
                None => Arc::new(open_key(row, &jwk, kek)?),
            });
        }
        published.push((info.status, jwk));
    }
    let active = active.ok_or_else(|| KeyError::Generate("no signing key stored".into()))?;
    // The signing key first, then keys about to sign, then keys on their way out.
    published.sort_by_key(|(status, _)| match status {
        KeyStatus::Active => 0,
        KeyStatus::Pending => 1,
        KeyStatus::Retiring | KeyStatus::Retired => 2,
    });
    let set = JwkSet { keys: published.into_iter().map(|(_, jwk)| jwk).collect() };
    let verifier = Verifier::new(&set.keys)
        .map_err(|e| KeyError::Stored { kid: "(published set)".into(), message: e.to_string() })?;
    let jwks: Arc<[u8]> = serde_json::to_vec(&set).expect("a JWKS always serializes").into();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &jwks);
    let etag = format!("\"{}\"", crate::jose::b64url(&digest.as_ref()[..12]));
    Ok(KeySet { active, jwks, etag, verifier })
}

fn open_key(row: &SigningKeyRow, jwk: &Jwk, kek: &Kek) -> Result<SigningKey, KeyError> {
    let stored = |message: String| KeyError::Stored { kid: row.kid.clone(), message };
    if row.kek_id != kek.id() {
        return Err(stored(format!(
            "was sealed with key-encryption key {} but the configured one is {} (keys.kek / keys.kek_file)",
            row.kek_id,
            kek.id()
        )));
    }
    let pkcs8 = kek.open(&row.kid, &row.private_key).map_err(|e: KekError| stored(e.to_string()))?;
    SigningKey::from_pkcs8(&pkcs8, jwk).map_err(|e| stored(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kid: &str, activates_at: i64) -> SigningKeyRow {
        SigningKeyRow {
            kid: kid.into(),
            alg: "RS256".into(),
            public_jwk: String::new(),
            private_key: Vec::new(),
            kek_id: String::new(),
            created_at: 0,
            activates_at,
        }
    }

    fn statuses(rows: &[SigningKeyRow], at: i64) -> Vec<KeyStatus> {
        classify(rows, at, 100).into_iter().map(|k| k.status).collect()
    }

    #[test]
    fn keys_move_from_pending_to_active_to_retiring_to_retired() {
        use KeyStatus::*;
        let rows = [row("a", 0), row("b", 1000)];
        assert_eq!(statuses(&rows, 500), [Active, Pending]);
        assert_eq!(statuses(&rows, 1000), [Retiring, Active]);
        assert_eq!(statuses(&rows, 1099), [Retiring, Active]);
        assert_eq!(statuses(&rows, 1100), [Retired, Active]);
    }

    #[test]
    fn the_newest_activated_key_signs() {
        use KeyStatus::*;
        let rows = [row("a", 0), row("b", 10), row("c", 20)];
        assert_eq!(statuses(&rows, 25), [Retiring, Retiring, Active]);
        assert_eq!(classify(&rows, 25, 100)[0].published_until, Some(110));
    }
}
