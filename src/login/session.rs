//! Browser sessions: a random cookie value whose SHA-256 names a server-side record in
//! the state store, so neither a stolen state dump nor a log reveals a usable cookie.

use std::time::Duration;

use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};

use crate::db::now;
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
    /// Authentication context class reached.
    pub acr: String,
}

fn key(cookie: &str) -> String {
    format!("session:{}", b64url(digest::digest(&digest::SHA256, cookie.as_bytes()).as_ref()))
}

impl Session {
    /// A session for a citizen who authenticated just now.
    pub fn new(user_id: String, amr: Vec<String>, acr: String) -> Self {
        Self { user_id, sid: random_token(16), auth_time: now(), amr, acr }
    }

    /// Stores the session; returns the cookie value.
    pub async fn save(&self, state: &StateStore, ttl: Duration) -> Result<String, StateError> {
        let cookie = random_token(32);
        let value = serde_json::to_vec(self).expect("a session always serializes");
        state.put(&key(&cookie), &value, ttl).await?;
        Ok(cookie)
    }

    /// The session a cookie names, if it is live.
    pub async fn load(state: &StateStore, cookie: &str) -> Result<Option<Self>, StateError> {
        if cookie.len() != 43 {
            return Ok(None);
        }
        Ok(state.get(&key(cookie)).await?.and_then(|raw| serde_json::from_slice(&raw).ok()))
    }

    /// Ends the session a cookie names.
    pub async fn destroy(state: &StateStore, cookie: &str) -> Result<(), StateError> {
        state.delete(&key(cookie)).await.map(drop)
    }
}
