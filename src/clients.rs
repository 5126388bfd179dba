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

/// Cached client lookups.
pub struct ClientRegistry {
    db: DbPool,
    ttl: Duration,
    cache: Mutex<HashMap<ClientId, Entry>>,
}

impl ClientRegistry {
    /// A registry caching for `ttl` (zero disables the cache).
    pub fn new(db: DbPool, ttl: Duration) -> Self {
        Self { db, ttl, cache: Mutex::new(HashMap::new()) }
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
