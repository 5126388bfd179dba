//! The client registry the protocol endpoints read: clients from the database behind a
//! short-lived in-process cache, so issuing a token does not wait for a query.
//!
//! A change made on this node (admin API) invalidates its entry at once; a change made
//! elsewhere (another node, the CLI) is seen within `clients.cache_ttl_secs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::db::models::client as client_db;
use crate::db::{DbError, DbPool};
use crate::domain::{Client, ClientId};

/// Entries beyond this are dropped wholesale, so random unknown ids cannot grow memory.
const MAX_ENTRIES: usize = 10_000;

type Entry = (Instant, Option<Arc<Client>>);

/// How long a fetched `jwks_uri` document is reused.
const REMOTE_JWKS_TTL: Duration = Duration::from_secs(300);
/// Largest `jwks_uri` document accepted.
const MAX_JWKS_BYTES: usize = 64 * 1024;

/// Cached client lookups.
pub struct ClientRegistry {
    db: DbPool,
    ttl: Duration,
    cache: Mutex<HashMap<ClientId, Entry>>,
    remote_jwks: Mutex<HashMap<String, (Instant, jsonwebtoken::jwk::JwkSet)>>,
}

impl ClientRegistry {
    /// A registry caching for `ttl` (zero disables the cache).
    pub fn new(db: DbPool, ttl: Duration) -> Self {
        Self { db, ttl, cache: Mutex::new(HashMap::new()), remote_jwks: Mutex::new(HashMap::new()) }
    }

    /// The client `id`, or `None` when it is not registered.
    pub async fn get(&self, id: &ClientId) -> Result<Option<Arc<Client>>, DbError> {
        if !self.ttl.is_zero() {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, client)) = cache.get(id)
                && at.elapsed() < self.ttl
            {
                return Ok(client.clone());
            }
        }
        let lookup = id.clone();
        let client = self.db.run(move |conn| client_db::find(conn, &lookup)).await?.map(Arc::new);
        if !self.ttl.is_zero() {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if cache.len() >= MAX_ENTRIES {
                cache.clear();
            }
            cache.insert(id.clone(), (Instant::now(), client.clone()));
        }
        Ok(client)
    }

    /// A client's JWK Set from its `jwks_uri`, cached for five minutes. The fetch has
    /// the outbound client's timeouts, follows no redirects and reads at most 64 KiB.
    pub async fn remote_jwks(&self, http: &reqwest::Client, uri: &str) -> Option<jsonwebtoken::jwk::JwkSet> {
        if let Some((at, set)) = self.remote_jwks.lock().unwrap_or_else(|p| p.into_inner()).get(uri)
            && at.elapsed() < REMOTE_JWKS_TTL
        {
            return Some(set.clone());
        }
        let response = http.get(uri).send().await.ok()?.error_for_status().ok()?;
        if response.content_length().is_some_and(|n| n as usize > MAX_JWKS_BYTES) {
            return None;
        }
        let body = response.bytes().await.ok()?;
        if body.len() > MAX_JWKS_BYTES {
            return None;
        }
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_slice(&body).ok()?;
        let mut cache = self.remote_jwks.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= 1000 {
            cache.clear();
        }
        cache.insert(uri.to_owned(), (Instant::now(), set.clone()));
        Some(set)
    }

    /// Forgets the client named `id` (unparsed), if it is cached.
    pub fn invalidate_str(&self, id: &str) {
        if let Ok(id) = ClientId::parse(id) {
            self.invalidate(&id);
        }
    }

    /// Forgets `id` so the next lookup reads the database.
    pub fn invalidate(&self, id: &ClientId) {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }
}
