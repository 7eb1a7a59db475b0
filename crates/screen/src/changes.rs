//! What changed in the exposure walk's inputs between two moments: which addresses' labels,
//! which members of services' clusters, which known links. A follower re-derives links, derived
//! labels and clusters after every block; with the changes it hands
//! [`Screener::update_index`](crate::Screener::update_index), the index update recomputes only
//! the addresses those changes can reach instead of building in full.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chaintrail_core::Chain;
use chaintrail_labels::LabelStore;
use chaintrail_links::Link;
use chaintrail_store::Store;

use crate::ScreenError;
use crate::index::labels_fingerprint;
use crate::links::load_links;

/// The digests the exposure index records of its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprints {
    pub labels: u32,
    pub clusters: u32,
    pub links: u32,
}

/// Where the labels of one label key point: the chain as labelled and the address text.
type Places = BTreeSet<(Option<Chain>, String)>;

/// The walk's inputs at one moment, as far as an update needs to compare them.
pub struct Inputs {
    fingerprints: Fingerprints,
    /// Per label key (the normalised address): where the labels point and a digest of them.
    labels: BTreeMap<String, (Places, u32)>,
    /// Per chain: members of labelled clusters with a digest of their attribution.
    clusters: BTreeMap<Chain, HashMap<u32, u32>>,
    /// The known links, keyed by their JSON form.
    links: BTreeMap<String, Link>,
}

impl std::fmt::Debug for Inputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inputs")
            .field("fingerprints", &self.fingerprints)
            .field("label_keys", &self.labels.len())
            .field("links", &self.links.len())
            .finish_non_exhaustive()
    }
}

impl Inputs {
    /// Read the store's labels, clusters and derived links as the screener reads them.
    pub fn read(store: &Store) -> Result<Inputs, ScreenError> {
        let labels = LabelStore::open(store.dir())?;
        let clusters = chaintrail_cluster::Clusters::open(store)
            .map_err(|e| ScreenError::Clusters(e.to_string()))?;
        let links = load_links(store.dir(), None)?;
        let mut by_key: BTreeMap<String, (Places, Vec<String>)> = BTreeMap::new();
        for label in labels.labels() {
            let entry = by_key.entry(label.key()).or_default();
            entry.0.insert((label.chain, label.address.clone()));
            entry
                .1
                .push(serde_json::to_string(label).unwrap_or_else(|e| e.to_string()));
        }
        let labels_digest = by_key
            .into_iter()
            .map(|(key, (places, mut texts))| {
                texts.sort_unstable();
                let mut hasher = crc32fast::Hasher::new();
                for text in &texts {
                    hasher.update(text.as_bytes());
                }
                (key, (places, hasher.finalize()))
            })
            .collect();
        let mut cluster_members = BTreeMap::new();
        for chain in store.chains()? {
            cluster_members.insert(chain, clusters.labelled_members(chain));
        }
        Ok(Inputs {
            fingerprints: Fingerprints {
                labels: labels_fingerprint(&labels),
                clusters: clusters.labelled_fingerprint(),
                links: links.fingerprint(),
            },
            labels: labels_digest,
            clusters: cluster_members,
            links: links
                .converter()
                .links()
                .iter()
                .map(|l| (serde_json::to_string(l).unwrap_or_default(), l.clone()))
                .collect(),
        })
    }
}

/// The difference between two [`Inputs`]: what an index built on the first needs to learn to
/// answer for the second.
#[derive(Debug, Clone)]
pub struct InputChanges {
    pub(crate) before: Fingerprints,
    pub(crate) after: Fingerprints,
    /// Where labels were added, removed or changed (chain as labelled, address text).
    pub(crate) labels: Vec<(Option<Chain>, String)>,
    /// Address ids that joined, left or changed a labelled cluster, per chain.
    pub(crate) clusters: BTreeMap<Chain, Vec<u32>>,
    /// Links that appeared, disappeared or changed (either version).
    pub(crate) links: Vec<Link>,
}

impl InputChanges {
    /// What changed from `before` to `after`.
    pub fn between(before: &Inputs, after: &Inputs) -> InputChanges {
        let mut labels = Vec::new();
        for (key, (places, digest)) in &before.labels {
            if after.labels.get(key).is_none_or(|(_, d)| d != digest) {
                labels.extend(places.iter().cloned());
            }
        }
        for (key, (places, digest)) in &after.labels {
            if before.labels.get(key).is_none_or(|(_, d)| d != digest) {
                labels.extend(places.iter().cloned());
            }
        }
        labels.sort();
        labels.dedup();
        let mut clusters: BTreeMap<Chain, Vec<u32>> = BTreeMap::new();
        let empty = HashMap::new();
        let chains: BTreeSet<Chain> = before
            .clusters
            .keys()
            .chain(after.clusters.keys())
            .copied()
            .collect();
        for chain in chains {
            let old = before.clusters.get(&chain).unwrap_or(&empty);
            let new = after.clusters.get(&chain).unwrap_or(&empty);
            let mut ids: Vec<u32> = old
                .iter()
                .filter(|(id, digest)| new.get(id) != Some(digest))
                .map(|(&id, _)| id)
                .chain(new.keys().filter(|id| !old.contains_key(id)).copied())
                .collect();
            if !ids.is_empty() {
                ids.sort_unstable();
                clusters.insert(chain, ids);
            }
        }
        let links = before
            .links
            .iter()
            .filter(|(key, _)| !after.links.contains_key(*key))
            .chain(
                after
                    .links
                    .iter()
                    .filter(|(key, _)| !before.links.contains_key(*key)),
            )
            .map(|(_, link)| link.clone())
            .collect();
        InputChanges {
            before: before.fingerprints,
            after: after.fingerprints,
            labels,
            clusters,
            links,
        }
    }

    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.clusters.is_empty() && self.links.is_empty()
    }

    /// Label places, cluster members and links that changed, for logs and reports.
    pub fn counts(&self) -> (usize, usize, usize) {
        (
            self.labels.len(),
            self.clusters.values().map(Vec::len).sum(),
            self.links.len(),
        )
    }
}
