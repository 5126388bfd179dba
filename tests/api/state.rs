//! Both ephemeral-state implementations honour the same contract.

use std::sync::Arc;
use std::time::Duration;

use vhod::config::StateUrl;
use vhod::state::{EphemeralStore, StateStore};

use crate::helpers::{random_suffix, test_redis_url};

/// The in-process store and, when `VHOD_TEST_REDIS_URL` is set, Redis.
async fn stores() -> Vec<StateStore> {
    let mut out = vec![StateStore::open(&StateUrl::Memory, "", 1).await.unwrap()];
    if let Some(url) = test_redis_url() {
        let url = StateUrl::parse(&url).unwrap();
        let prefix = format!("vhodtest:{}:", random_suffix());
        out.push(
            StateStore::open(&url, &prefix, 8).await.expect("VHOD_TEST_REDIS_URL is set but Redis is unreachable"),
        );
    }
    out
}

#[actix_web::test]
async fn values_expire_and_take_is_single_use() {
    for store in stores().await {
        let kind = store.kind();
        store.put("a", b"1", Duration::from_secs(60)).await.unwrap();
        assert_eq!(store.get("a").await.unwrap().as_deref(), Some(&b"1"[..]), "{kind}");
        assert_eq!(store.take("a").await.unwrap().as_deref(), Some(&b"1"[..]), "{kind}");
        assert_eq!(store.take("a").await.unwrap(), None, "{kind}: second take finds nothing");

        store.put("short", b"x", Duration::from_millis(100)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(store.get("short").await.unwrap(), None, "{kind}: expired");
        assert!(!store.delete("short").await.unwrap(), "{kind}");
    }
}

#[actix_web::test]
async fn put_new_and_counters_are_atomic_with_a_window() {
    for store in stores().await {
        let kind = store.kind();
        assert!(store.put_new("jti", b"1", Duration::from_secs(60)).await.unwrap(), "{kind}");
        assert!(!store.put_new("jti", b"2", Duration::from_secs(60)).await.unwrap(), "{kind}");
        assert_eq!(store.get("jti").await.unwrap().as_deref(), Some(&b"1"[..]));

        for expected in 1..=3 {
            assert_eq!(store.incr("count", Duration::from_millis(300)).await.unwrap(), expected, "{kind}");
        }
        tokio::time::sleep(Duration::from_millis(450)).await;
        assert_eq!(store.incr("count", Duration::from_millis(300)).await.unwrap(), 1, "{kind}: window restarted");
        assert!(store.delete("count").await.unwrap());
        store.ping().await.unwrap();
    }
}

#[actix_web::test]
async fn concurrent_takes_redeem_a_value_exactly_once() {
    for store in stores().await {
        let store = Arc::new(store);
        for round in 0..20 {
            let key = format!("code-{round}");
            store.put(&key, b"v", Duration::from_secs(60)).await.unwrap();
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let (store, key) = (store.clone(), key.clone());
                    tokio::spawn(async move { store.take(&key).await.unwrap().is_some() })
                })
                .collect();
            let mut winners = 0;
            for task in tasks {
                winners += usize::from(task.await.unwrap());
            }
            assert_eq!(winners, 1, "{}: exactly one redeemer", store.kind());
        }
    }
}
