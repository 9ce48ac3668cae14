//! The state of every account and region, one lock per (account, region) and one per
//! account for its global datastores (they span regions). A request holds its region's lock
//! (and then its account's globals lock) only while it changes state: node work runs after
//! both are released (`jobs`), so a slow snapshot in one region never delays another.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::elasticache::state::{GlobalDatastoreRecord, Region};

/// (account, region).
pub type Key = (String, String);

/// Global datastores of one account, by id.
pub type Globals = BTreeMap<String, GlobalDatastoreRecord>;

pub type Shared<T> = Arc<Mutex<T>>;

#[derive(Default)]
pub struct Store {
    regions: Mutex<HashMap<Key, Shared<Region>>>,
    globals: Mutex<HashMap<String, Shared<Globals>>>,
    /// The emulator is stopping: node starts still in flight are stopped, not recorded
    /// (recorded after the shutdown took the nodes, they would outlive the emulator).
    closing: AtomicBool,
}

/// Locks `m`; a panic elsewhere while it was held leaves the state as it was written.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Store {
    pub fn from_parts(regions: HashMap<Key, Region>, globals: HashMap<String, Globals>) -> Self {
        Self {
            regions: Mutex::new(
                regions
                    .into_iter()
                    .map(|(k, r)| (k, Arc::new(Mutex::new(r))))
                    .collect(),
            ),
            globals: Mutex::new(
                globals
                    .into_iter()
                    .map(|(k, g)| (k, Arc::new(Mutex::new(g))))
                    .collect(),
            ),
            closing: AtomicBool::new(false),
        }
    }

    /// From now on no started node is recorded (`jobs::attach` stops it instead).
    pub fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }

    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// The region's state, created empty on first use.
    pub fn region(&self, key: &Key) -> Shared<Region> {
        lock(&self.regions).entry(key.clone()).or_default().clone()
    }

    /// The region's state if it has any.
    pub fn existing(&self, key: &Key) -> Option<Shared<Region>> {
        lock(&self.regions).get(key).cloned()
    }

    /// Every region, in key order (the list is copied: no region lock is taken here).
    pub fn regions(&self) -> Vec<(Key, Shared<Region>)> {
        let mut all: Vec<_> = lock(&self.regions)
            .iter()
            .map(|(k, r)| (k.clone(), r.clone()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    pub fn globals(&self, account: &str) -> Shared<Globals> {
        lock(&self.globals)
            .entry(account.to_string())
            .or_default()
            .clone()
    }

    /// Every account's global datastores, copied (for saving).
    pub fn all_globals(&self) -> HashMap<String, Globals> {
        let list: Vec<(String, Shared<Globals>)> = lock(&self.globals)
            .iter()
            .map(|(k, g)| (k.clone(), g.clone()))
            .collect();
        list.into_iter()
            .map(|(k, g)| (k, lock(&g).clone()))
            .collect()
    }

    /// Takes out the state of one account (or of all): its regions and global datastores.
    pub fn remove(&self, account: Option<&str>) -> Vec<Region> {
        lock(&self.globals).retain(|a, _| account.is_some_and(|acc| acc != a));
        let taken: Vec<Shared<Region>> = {
            let mut regions = lock(&self.regions);
            let keys: Vec<Key> = regions
                .keys()
                .filter(|(a, _)| account.is_none_or(|acc| acc == a))
                .cloned()
                .collect();
            keys.into_iter()
                .filter_map(|k| regions.remove(&k))
                .collect()
        };
        taken
            .into_iter()
            .map(|r| std::mem::take(&mut *lock(&r)))
            .collect()
    }
}
