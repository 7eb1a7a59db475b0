//! Address clustering: which addresses one entity controls, with the evidence of every merge.
//!
//! This crate owns
//! - the heuristics: the Bitcoin multi-input (common-input-ownership) heuristic, never across a
//!   CoinJoin (the structural detector and the co-spend decision are `chaintrail-links`'s, shared
//!   with its service detection); the change-address heuristics ([`change`]); Ethereum
//!   deposit-address reuse (Victor, FC 2020) over the deposit addresses `chaintrail-links`
//!   detects; airdrop multi-participation ([`airdrop`]);
//! - the persistent union-find under `<store dir>/clusters/<chain>/` ([`layout`]): a mapped
//!   column of cluster id per address id, a cluster table (size, first/last seen), the labels
//!   clusters carry and the merge-evidence log ([`evidence`]); updated incrementally from the
//!   last checkpoint after every import ([`update`]), rebuilt on demand;
//! - the guards: a merge of two differently labelled services is refused and recorded as a
//!   conflict; a component passing the collapse threshold is reported with the merge that did it;
//! - label propagation and lookups ([`Clusters::cluster_of`], [`Clusters::partition`]).
//!
//! Algorithms, confidences, layout and limitations: docs/clustering.md.

#![warn(missing_docs)]

pub mod airdrop;
pub mod change;
mod engine;
pub mod evidence;
pub mod inputs;
pub mod layout;
mod lookup;
mod plain;
mod settings;

use std::collections::BTreeMap;
use std::path::PathBuf;

use airdrop::TokenSenders;
use chaintrail_core::Chain;
use chaintrail_links::Services;
use chaintrail_links::deposits::account::DepositScan;
use chaintrail_links::deposits::{Service, services_on};
use chaintrail_store::{ChainReader, Store};
use serde::Serialize;

pub use engine::{Collapse, Conflict, Seen, ServiceLabel, State};
pub use evidence::{Heuristic, Record};
pub use layout::Manifest;
pub use lookup::{ClusterInfo, ClusterLabel, Clusters, Merge};
pub use settings::{AirdropSettings, ChangeSettings, Settings};

use engine::Pass;
use layout::Checkpoint;

/// Why clustering failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] chaintrail_store::StoreError),
    /// Reading the labels failed.
    #[error(transparent)]
    Labels(#[from] chaintrail_labels::LabelError),
    /// A cluster file cannot be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A cluster file that does not hold what its manifest says.
    #[error("{0}")]
    Corrupt(String),
    /// Settings that make no sense.
    #[error("{0}")]
    Settings(String),
}

/// Whether an update extends the saved clusters or rebuilds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Process only the transactions appended since the checkpoint (a full build when nothing
    /// usable is saved).
    Incremental,
    /// Rebuild from the first transaction.
    Rebuild,
}

/// What an update did on one chain.
#[derive(Debug, Clone, Serialize)]
pub struct ChainReport {
    /// The chain.
    pub chain: Chain,
    /// Why it was rebuilt from scratch, if it was.
    pub rebuilt: Option<String>,
    /// The transactions processed.
    pub txs: u64,
    /// Seconds it took.
    pub seconds: f64,
    /// The manifest saved.
    pub manifest: Manifest,
    /// Conflicts found by this update.
    pub new_conflicts: Vec<Conflict>,
    /// Collapses found by this update.
    pub new_collapses: Vec<Collapse>,
}

/// The labels of one chain as clusters carry them: one label per entity name, and the
/// labelled addresses present on the chain.
fn chain_labels(
    reader: &ChainReader,
    services: &[Service],
) -> (Vec<ServiceLabel>, Vec<(u32, u32)>) {
    let mut labels: Vec<ServiceLabel> = Vec::new();
    let mut seeds = Vec::new();
    for service in services {
        let label = match labels.iter().position(|l| l.name == service.name) {
            Some(i) => i,
            None => {
                labels.push(ServiceLabel {
                    name: service.name.clone(),
                    role: service.role,
                });
                labels.len() - 1
            }
        } as u32;
        for address in &service.addresses {
            if let Some(id) = reader.address_id(address) {
                seeds.push((id, label));
            }
        }
    }
    seeds.sort_unstable();
    seeds.dedup_by_key(|s| s.0);
    (labels, seeds)
}

/// A digest of the service labels (in label-id order: the saved clusters refer to them by it)
/// and of the labelled addresses `seeds`.
fn fingerprint<'a>(
    labels: &[ServiceLabel],
    seeds: impl IntoIterator<Item = &'a (u32, u32)>,
) -> String {
    let mut hasher = crc32fast::Hasher::new();
    for label in labels {
        hasher.update(label.name.as_bytes());
        hasher.update(format!("\0{:?}\0", label.role).as_bytes());
    }
    hasher.update(&[0xff]);
    for &(address, label) in seeds {
        hasher.update(&address.to_le_bytes());
        if let Some(l) = labels.get(label as usize) {
            hasher.update(l.name.as_bytes());
            hasher.update(&[0]);
        }
    }
    format!("{:08x}", hasher.finalize())
}

/// Why a saved clustering cannot be extended, if it cannot.
fn stale(
    manifest: &Manifest,
    reader: &ChainReader,
    settings: &Settings,
    labels_fingerprint: &str,
) -> Option<String> {
    if &manifest.settings != settings {
        return Some("the settings changed".to_string());
    }
    if manifest.labels_fingerprint != labels_fingerprint {
        return Some("the labelled service addresses changed".to_string());
    }
    if reader.tx_count() < manifest.next_tx || (reader.address_count() as u64) < manifest.addresses
    {
        return Some("the store holds less than was clustered".to_string());
    }
    if let Some(last) = &manifest.last_tx
        && last_tx(reader, manifest.next_tx).as_ref() != Some(last)
    {
        return Some("the chain was rolled back past the clustered transactions".to_string());
    }
    None
}

/// The hash of the transaction before `next_tx`, as the checkpoint keeps it.
fn last_tx(reader: &ChainReader, next_tx: u64) -> Option<String> {
    next_tx.checked_sub(1).map(|tx| reader.tx_hash(tx).to_hex())
}

/// Cluster one chain: extend its saved clustering with the transactions appended since the
/// checkpoint, or rebuild it. `settings` `None` keeps the saved settings (the defaults for a
/// first build).
pub fn update_chain(
    store: &Store,
    chain: Chain,
    services: &dyn Services,
    settings: Option<&Settings>,
    mode: Mode,
) -> Result<ChainReport, ClusterError> {
    update_chain_with(store, chain, services, settings, mode, (None, None))
}

/// [`update_chain`], taking an account chain's deposit addresses from `deposits` when that scan
/// is of the chain as it is now, and counting its token senders on from `senders`.
fn update_chain_with(
    store: &Store,
    chain: Chain,
    services: &dyn Services,
    settings: Option<&Settings>,
    mode: Mode,
    (deposits, senders): (Option<&DepositScan>, Option<&mut TokenSenders>),
) -> Result<ChainReport, ClusterError> {
    let started = std::time::Instant::now();
    let reader = store.reader(chain)?;
    let dir = layout::chain_dir(store.dir(), chain);
    let saved = layout::manifest(&dir)?;
    let settings = settings
        .cloned()
        .or_else(|| saved.as_ref().map(|m| m.settings.clone()))
        .unwrap_or_default();
    settings.check().map_err(ClusterError::Settings)?;
    let services = services_on(services, chain);
    let (labels, seeds) = if settings.label_guard {
        chain_labels(&reader, &services)
    } else {
        (Vec::new(), Vec::new())
    };
    let labels_fingerprint = fingerprint(&labels, &seeds);
    let rebuilt = match (&saved, mode) {
        (_, Mode::Rebuild) => Some("asked for".to_string()),
        (None, _) => Some("first build".to_string()),
        (Some(m), Mode::Incremental) => {
            // A labelled address that first appears in the new blocks is seeded as the pass
            // extends the clusters; only a label change on an address already clustered needs a
            // rebuild.
            let known = seeds.iter().filter(|s| u64::from(s.0) < m.addresses);
            stale(m, &reader, &settings, &fingerprint(&labels, known))
        }
    };
    let previous = match (&rebuilt, &saved) {
        (None, Some(m)) => Some(m),
        _ => None,
    };
    let from = previous.map_or(0, |m| m.next_tx);
    let to = reader.tx_count();
    if let Some(m) = previous
        && from == to
        && (reader.address_count() as u64) == m.addresses
    {
        // Nothing appended since the checkpoint: the saved clusters stand.
        return Ok(ChainReport {
            chain,
            rebuilt: None,
            txs: 0,
            seconds: started.elapsed().as_secs_f64(),
            manifest: m.clone(),
            new_conflicts: Vec::new(),
            new_collapses: Vec::new(),
        });
    }
    let mut state = match previous {
        Some(m) => {
            let mut state = layout::load(&dir, m)?;
            let new: Vec<_> = seeds
                .into_iter()
                .filter(|s| u64::from(s.0) >= m.addresses)
                .collect();
            state.seed_new(reader.address_count(), new);
            state
        }
        None => State::new(reader.address_count(), labels, seeds),
    };
    Pass::new(&reader, &settings, &mut state)
        .with_deposits(deposits)
        .with_senders(senders)
        .run(from, to, &services);
    // Reads from a damaged store segment return nothing: save no clusters derived from them.
    reader.ensure_intact()?;
    let (new_conflicts, new_collapses) = (state.conflicts.clone(), state.collapses.clone());
    let manifest = layout::save(
        &dir,
        &mut state,
        Checkpoint {
            chain,
            next_tx: to,
            last_tx: last_tx(&reader, to),
            settings: &settings,
            labels_fingerprint,
            previous,
        },
    )?;
    Ok(ChainReport {
        chain,
        rebuilt,
        txs: to - from,
        seconds: started.elapsed().as_secs_f64(),
        manifest,
        new_conflicts,
        new_collapses,
    })
}

/// [`update_chain`] for every chain of the store.
pub fn update(
    store: &Store,
    services: &dyn Services,
    settings: Option<&Settings>,
    mode: Mode,
) -> Result<Vec<ChainReport>, ClusterError> {
    store
        .chains()?
        .into_iter()
        .map(|chain| update_chain(store, chain, services, settings, mode))
        .collect()
}

/// Update every chain's clusters with the labels an investigator imported into the store: what
/// `chaintrail cluster build` and every import run.
pub fn refresh(
    store: &Store,
    settings: Option<&Settings>,
    mode: Mode,
) -> Result<Vec<ChainReport>, ClusterError> {
    let labels = chaintrail_labels::LabelStore::open(store.dir())?;
    update(
        store,
        &chaintrail_links::LabelServices::new(&labels),
        settings,
        mode,
    )
}

/// What a follower keeps from one cluster update to the next, per chain: the token senders
/// counted for airdrop distributors.
#[derive(Debug, Default)]
pub struct Kept {
    token_senders: BTreeMap<Chain, TokenSenders>,
}

/// [`refresh`] (incremental, saved settings) for a follower that keeps the links with `links`
/// and `kept` from one update to the next: [`update_with`] with the labels an investigator
/// imported into the store.
pub fn refresh_with(
    store: &Store,
    links: &chaintrail_links::Builder,
    kept: &mut Kept,
) -> Result<Vec<ChainReport>, ClusterError> {
    let labels = chaintrail_labels::LabelStore::open(store.dir())?;
    let services = chaintrail_links::LabelServices::new(&labels);
    update_with(store, &services, Some(links), kept)
}

/// [`update`] (incremental, saved settings) keeping `kept` from one update to the next: an
/// account chain's token senders are counted on from the last update, and its deposit addresses
/// come from the scan `links` keeps, instead of reading the whole chain for either; the result
/// is the same.
pub fn update_with(
    store: &Store,
    services: &dyn Services,
    links: Option<&chaintrail_links::Builder>,
    kept: &mut Kept,
) -> Result<Vec<ChainReport>, ClusterError> {
    let chains = store.chains()?;
    kept.token_senders.retain(|chain, _| chains.contains(chain));
    chains
        .into_iter()
        .map(|chain| {
            let deposits = links.and_then(|l| l.deposit_scan(chain));
            let senders = kept.token_senders.entry(chain).or_default();
            let kept = (deposits, Some(senders));
            update_chain_with(store, chain, services, None, Mode::Incremental, kept)
        })
        .collect()
}

/// The plain multi-input partition of a UTXO chain (CoinJoins excluded; no labels, change or
/// deposit merges), in memory: per address id, the smallest address id of its cluster — what
/// GraphSense's and BlockSci's clusterings compute. The union of [`inputs::for_each_input_set`],
/// the sets `chaintrail cluster export-inputs` writes. Nothing is saved.
pub fn multi_input_partition(reader: &ChainReader) -> Vec<u32> {
    let mut sets = plain::MinRootSets::new(reader.address_count());
    inputs::for_each_input_set(reader, |set| sets.join(set));
    sets.into_column()
}
