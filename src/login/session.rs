//! Browser sessions: a random cookie value whose SHA-256 names a server-side record in
//! the state store, so neither a stolen state dump nor a log reveals a usable cookie.
//! Each account keeps an index of its sessions so the citizen can see and end them.

use std::time::Duration;

use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};

use crate::db::now;
use crate::domain::AccountLevel;
use crate::jose::{b64url, random_token};
use crate::state::{EphemeralStore, StateError, StateStore};

/// A signed-in browser.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    /// The account.
    pub user_id: String,
    /// Public session id (`sid` claim).
    pub sid: String,
    /// When the citizen last authenticated (Unix seconds).
    pub auth_time: i64,
    /// Methods used (RFC 8176).
    pub amr: Vec<String>,
    /// The account level, kept current by [`Session::relevel`] when it changes.
    #[serde(default = "simplified")]
    pub level: String,
    /// Acting for another citizen under a power of attorney.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting: Option<Acting>,
    /// A temporary access sign-in: restricted scopes until this Unix time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary_until: Option<i64>,
}

/// A representative's choice to act for a principal.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Acting {
    /// The principal's account.
    pub principal_id: String,
    /// The power of attorney.
    pub power_id: String,
    /// The principal's name, for pages.
    pub principal_name: String,
}

fn simplified() -> String {
    AccountLevel::Simplified.as_str().to_owned()
}

/// One entry of an account's session index.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionEntry {
    /// Public session id.
    pub sid: String,
    /// State key of the session record (a digest; never the cookie).
    key: String,
    /// Authentication time.
    pub auth_time: i64,
    /// Methods used.
    pub amr: Vec<String>,
}

fn key(cookie: &str) -> String {
    format!("session:{}", b64url(digest::digest(&digest::SHA256, cookie.as_bytes()).as_ref()))
}

fn index_key(user_id: &str) -> String {
    format!("usersessions:{user_id}")
}

async fn index(state: &StateStore, user_id: &str) -> Result<Vec<SessionEntry>, StateError> {
    Ok(state.get(&index_key(user_id)).await?.and_then(|raw| serde_json::from_slice(&raw).ok()).unwrap_or_default())
}

impl Session {
    /// A session for a citizen who authenticated just now.
    pub fn new(user_id: String, amr: Vec<String>, level: AccountLevel) -> Self {
        Self {
            user_id,
            sid: random_token(16),
            auth_time: now(),
            amr,
            level: level.as_str().to_owned(),
            acting: None,
            temporary_until: None,
        }
    }

    /// The session after `user_id` authenticated with `method`: a new one, or — when
    /// this browser's session belongs to the same account and used another method — the
    /// same session (same `sid`) with both methods and `mfa`.
    pub fn after(previous: Option<Session>, user_id: String, level: AccountLevel, method: &str) -> Self {
        match previous {
            Some(mut session)
                if session.user_id == user_id
                    && session.temporary_until.is_none()
                    && !session.amr.iter().any(|m| m == method) =>
            {
                session.amr.retain(|m| m != "mfa");
                session.amr.push(method.to_owned());
                session.amr.push("mfa".to_owned());
                session.auth_time = now();
                session.level = level.as_str().to_owned();
                session
            }
            _ => Self::new(user_id, vec![method.to_owned()], level),
        }
    }

    /// The account level the session carries.
    pub fn level(&self) -> AccountLevel {
        AccountLevel::parse(&self.level).unwrap_or(AccountLevel::Simplified)
    }

    /// Sets the level in every live session of an account (after a level change), so
    /// the next authorization sees it without reading the account.
    pub async fn relevel(
        state: &StateStore,
        user_id: &str,
        level: AccountLevel,
        ttl: Duration,
    ) -> Result<(), StateError> {
        for entry in index(state, user_id).await? {
            if let Some(mut session) = Self::load_key(state, &entry.key).await? {
                session.level = level.as_str().to_owned();
                let left = ttl.as_secs().saturating_sub(now().saturating_sub(session.auth_time).max(0) as u64).max(1);
                let value = serde_json::to_vec(&session).expect("a session always serializes");
                state.put(&entry.key, &value, Duration::from_secs(left)).await?;
            }
        }
        Ok(())
    }

    /// Stores the session and lists it in the account's index; returns the cookie
    /// value. (The index is read-modify-write: two sign-ins of one account at the same
    /// instant may leave one session unlisted, never unprotected.)
    pub async fn save(&self, state: &StateStore, ttl: Duration) -> Result<String, StateError> {
        let cookie = random_token(32);
        let value = serde_json::to_vec(self).expect("a session always serializes");
        state.put(&key(&cookie), &value, ttl).await?;
        let mut entries = index(state, &self.user_id).await?;
        entries.retain(|e| e.sid != self.sid);
        entries.push(SessionEntry {
            sid: self.sid.clone(),
            key: key(&cookie),
            auth_time: self.auth_time,
            amr: self.amr.clone(),
        });
        entries.sort_by_key(|e| std::cmp::Reverse(e.auth_time));
        entries.truncate(50);
        let value = serde_json::to_vec(&entries).expect("an index always serializes");
        state.put(&index_key(&self.user_id), &value, ttl).await?;
        Ok(cookie)
    }

    /// Rewrites the session a cookie names (acting for a principal, or stopping),
    /// keeping its expiry.
    pub async fn update(&self, state: &StateStore, cookie: &str, ttl: Duration) -> Result<(), StateError> {
        if state.get(&key(cookie)).await?.is_none() {
            // Ended meanwhile (signed out elsewhere): never bring it back.
            return Ok(());
        }
        let left = ttl.as_secs().saturating_sub(now().saturating_sub(self.auth_time).max(0) as u64).max(1);
        let value = serde_json::to_vec(self).expect("a session always serializes");
        state.put(&key(cookie), &value, Duration::from_secs(left)).await
    }

    /// The session a cookie names, if it is live.
    pub async fn load(state: &StateStore, cookie: &str) -> Result<Option<Self>, StateError> {
        if cookie.len() != 43 {
            return Ok(None);
        }
        Self::load_key(state, &key(cookie)).await
    }

    async fn load_key(state: &StateStore, key: &str) -> Result<Option<Self>, StateError> {
        let session: Option<Self> = state.get(key).await?.and_then(|raw| serde_json::from_slice(&raw).ok());
        // Temporary access ends with its grant, whatever the record's own expiry.
        Ok(session.filter(|s| s.temporary_until.is_none_or(|until| until > now())))
    }

    /// Whether this is a temporary-access session (restricted scopes, no account
    /// management, cannot vouch for other devices).
    pub fn is_temporary(&self) -> bool {
        self.temporary_until.is_some()
    }

    /// How long the record should live: the session lifetime, or less when a
    /// temporary grant ends sooner.
    pub fn lifetime(&self, ttl: Duration) -> Duration {
        match self.temporary_until {
            Some(until) => ttl.min(Duration::from_secs((until - now()).max(1) as u64)),
            None => ttl,
        }
    }

    /// Ends the session a cookie names.
    pub async fn destroy(state: &StateStore, cookie: &str) -> Result<(), StateError> {
        state.delete(&key(cookie)).await.map(drop)
    }

    /// The account's live sessions, newest first.
    pub async fn list(state: &StateStore, user_id: &str) -> Result<Vec<SessionEntry>, StateError> {
        let mut live = Vec::new();
        for entry in index(state, user_id).await? {
            if Self::load_key(state, &entry.key).await?.is_some_and(|s| s.sid == entry.sid) {
                live.push(entry);
            }
        }
        Ok(live)
    }

    /// Ends the account's session `sid` (from another browser); returns it if it was live.
    pub async fn end_by_sid(
        state: &StateStore,
        user_id: &str,
        sid: &str,
        ttl: Duration,
    ) -> Result<Option<Self>, StateError> {
        let mut entries = index(state, user_id).await?;
        let Some(position) = entries.iter().position(|e| e.sid == sid) else { return Ok(None) };
        let entry = entries.remove(position);
        let session = Self::load_key(state, &entry.key).await?.filter(|s| s.user_id == user_id);
        state.delete(&entry.key).await?;
        let value = serde_json::to_vec(&entries).expect("an index always serializes");
        state.put(&index_key(user_id), &value, ttl).await?;
        Ok(session)
    }
}
