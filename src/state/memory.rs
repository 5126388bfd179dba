//! In-process store: a mutex-guarded map with lazy expiry and a periodic sweep.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{EphemeralStore, StateError};

struct Entry {
    value: Vec<u8>,
    expires: Instant,
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, Entry>,
    next_sweep_at_len: usize,
}

/// The single-node store. Cloning shares the map.
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the map half-updated: every
        // operation is a single HashMap call.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Number of entries, live or not yet swept.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Inner {
    fn live(&mut self, key: &str, now: Instant) -> Option<&mut Entry> {
        if self.map.get(key).is_some_and(|e| e.expires <= now) {
            self.map.remove(key);
        }
        self.map.get_mut(key)
    }

    /// Drops expired entries once the map has doubled since the last sweep, so memory
    /// stays bounded by live entries without a background task.
    fn insert(&mut self, key: &str, entry: Entry, now: Instant) {
        self.map.insert(key.to_owned(), entry);
        if self.map.len() >= self.next_sweep_at_len {
            self.map.retain(|_, e| e.expires > now);
            self.next_sweep_at_len = (self.map.len() * 2).max(1024);
        }
    }
}

impl EphemeralStore for MemoryStore {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StateError> {
        let now = Instant::now();
        self.lock().insert(key, Entry { value: value.to_vec(), expires: now + ttl }, now);
        Ok(())
    }

    async fn put_new(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StateError> {
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.live(key, now).is_some() {
            return Ok(false);
        }
        inner.insert(key, Entry { value: value.to_vec(), expires: now + ttl }, now);
        Ok(true)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.lock().live(key, Instant::now()).map(|e| e.value.clone()))
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        let now = Instant::now();
        let mut inner = self.lock();
        Ok(inner.map.remove(key).filter(|e| e.expires > now).map(|e| e.value))
    }

    async fn delete(&self, key: &str) -> Result<bool, StateError> {
        let now = Instant::now();
        Ok(self.lock().map.remove(key).is_some_and(|e| e.expires > now))
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<u64, StateError> {
        let now = Instant::now();
        let mut inner = self.lock();
        if let Some(entry) = inner.live(key, now) {
            let count = parse_count(&entry.value) + 1;
            entry.value = count.to_string().into_bytes();
            return Ok(count);
        }
        inner.insert(key, Entry { value: b"1".to_vec(), expires: now + ttl }, now);
        Ok(1)
    }

    async fn ping(&self) -> Result<(), StateError> {
        Ok(())
    }
}

fn parse_count(raw: &[u8]) -> u64 {
    std::str::from_utf8(raw).ok().and_then(|s| s.parse().ok()).unwrap_or(0)
}
