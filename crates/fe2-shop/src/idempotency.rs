//! One lock per idempotency key, so that a duplicate arriving while the first request still
//! runs waits for it and then finds its stored answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A key's scope: (e-mail, route, key).
type Scope = (String, String, String);

/// The locks of the keys currently in use.
#[derive(Default)]
pub struct KeyLocks {
    locks: Mutex<HashMap<Scope, Arc<tokio::sync::Mutex<()>>>>,
}

/// Holds a key's lock; dropping it releases the key and forgets unused locks.
pub struct KeyGuard<'a> {
    owner: &'a KeyLocks,
    scope: Scope,
    lock: Arc<tokio::sync::Mutex<()>>,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl KeyLocks {
    /// Waits until no other request holds this key, then holds it.
    pub async fn acquire(&self, email: &str, route: &str, key: &str) -> KeyGuard<'_> {
        let scope = (email.to_string(), route.to_string(), key.to_string());
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(scope.clone()).or_default().clone()
        };
        let guard = lock.clone().lock_owned().await;
        KeyGuard {
            owner: self,
            scope,
            lock,
            guard: Some(guard),
        }
    }
}

impl Drop for KeyGuard<'_> {
    fn drop(&mut self) {
        self.guard.take();
        let mut locks = self.owner.locks.lock().unwrap_or_else(|p| p.into_inner());
        // Two references left (the map's and ours): nobody else waits, forget the lock.
        if Arc::strong_count(&self.lock) == 2 {
            locks.remove(&self.scope);
        }
    }
}
