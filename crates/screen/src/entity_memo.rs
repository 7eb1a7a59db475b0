//! The entities of the addresses the exposure walks meet, each resolved once.
//!
//! Resolving a met address formats its text, parses it again and looks it up in the labels and
//! the clusters. On a 10M-record store that was more than half of an exposure walk's time, spent
//! on the same addresses walk after walk: the unattributed ones every path goes through and
//! the labelled hubs most paths end at. A memo is shared by the walks of one index build, or by
//! a screener's screenings at one date: one bit per address id says "no entity" (20 MB for 160M
//! addresses), and a map holds the entities found. Both are filled only from resolutions the
//! walks would make anyway, so the answers are the same; a memo holds for one set of labels and
//! clusters and one screening date.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use chaintrail_core::Chain;
use chaintrail_store::ChainReader;

use crate::exposure::Entity;

/// What the walks sharing it found each address they met to be.
pub struct EntityMemo {
    /// One bit per address id of each chain: set once a resolution found no entity.
    none: BTreeMap<Chain, Vec<AtomicU64>>,
    found: RwLock<HashMap<(Chain, u32), Arc<Entity>>>,
}

impl EntityMemo {
    /// Nothing known yet, with room for every address id of `readers`.
    pub fn new(readers: &BTreeMap<Chain, ChainReader>) -> EntityMemo {
        let none = readers
            .iter()
            .map(|(&chain, reader)| {
                let words = reader.address_count().div_ceil(64);
                (chain, (0..words).map(|_| AtomicU64::new(0)).collect())
            })
            .collect();
        EntityMemo {
            none,
            found: RwLock::new(HashMap::new()),
        }
    }

    /// What `id` of `chain` was found to be: `Some(None)` for no entity, `None` when it was not
    /// resolved yet.
    pub fn get(&self, chain: Chain, id: u32) -> Option<Option<Arc<Entity>>> {
        let (word, bit) = (id as usize / 64, id % 64);
        let none = self
            .none
            .get(&chain)
            .and_then(|words| words.get(word))
            .is_some_and(|w| w.load(Ordering::Relaxed) & (1 << bit) != 0);
        if none {
            return Some(None);
        }
        // A poisoned lock still holds complete entries: each is inserted whole.
        let found = self.found.read().unwrap_or_else(PoisonError::into_inner);
        found.get(&(chain, id)).map(|e| Some(e.clone()))
    }

    /// Remember what `id` of `chain` resolved to.
    pub fn insert(&self, chain: Chain, id: u32, entity: Option<&Arc<Entity>>) {
        match entity {
            Some(entity) => {
                let mut found = self.found.write().unwrap_or_else(PoisonError::into_inner);
                found.insert((chain, id), entity.clone());
            }
            None => {
                let (word, bit) = (id as usize / 64, id % 64);
                // Ids past the chain's addresses when the memo was made are not remembered.
                if let Some(w) = self.none.get(&chain).and_then(|words| words.get(word)) {
                    w.fetch_or(1 << bit, Ordering::Relaxed);
                }
            }
        }
    }
}
