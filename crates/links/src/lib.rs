//! Converter links derived from chain data, with evidence and a confidence — never copied from
//! anyone's ground truth.
//!
//! This crate owns
//! - the decoders that read the store (and what the importers keep for them: Bitcoin OP_RETURN
//!   payloads, EVM logs of bridge contracts) and join a bridge's inbound to its payouts:
//!   THORChain in both directions ([`thorchain`]: router `Deposit`/`TransferOut` events, vault
//!   memos, `OUT:`/`REFUND:` exact joins, pending inbounds), the Avalanche Bridge
//!   (`avalanche.rs`: `Mint` events naming their Bitcoin origin) and Multichain between EVM
//!   chains (`multichain.rs`: `LogAnySwapIn` naming its source transaction);
//! - demixing: Tornado-Cash-style pools ([`tornado`]: deposit ↔ withdrawal by the heuristics of
//!   Tutela and Wang et al.) and custodial Bitcoin mixers ([`custodial`]: deposit ↔ payouts by
//!   amount less a fee band and a delay window, both estimated from the chain);
//! - detection of service addresses the labels do not name (`deposits/`): exchange deposit
//!   addresses on account chains (sweeps to the hot wallet) and on UTXO chains (consolidations),
//!   and the co-spent wallet addresses of labelled services; DEX and mixer pools by the events
//!   they emit;
//! - the [`LinkSet`] tracing and screening cross (forward by input transaction, backward by
//!   output transaction, pending inbounds, a fingerprint);
//! - persistence under `<store dir>/links/` ([`store`]): versioned, fingerprinted, rebuilt by
//!   [`build`] after every import.

#![warn(missing_docs)]

mod avalanche;
pub mod custodial;
pub mod deposits;
mod labels;
mod model;
mod multichain;
mod protocols;
mod set;
mod show;
pub mod store;
pub mod thorchain;
pub mod tornado;
pub mod unionfind;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chaintrail_core::{Address, Chain, ChainModel};
use chaintrail_labels::Category;
use chaintrail_store::{ChainReader, Store};

pub use labels::{LabelServices, apply_derived, derived_labels};
pub use model::{Attribution, Findings, Link, Pending};
pub use set::{Incoming, LinkSet, rule};
pub use show::{Derived, derived_about};
pub use store::{DecoderStats, Manifest};

/// Why building or reading links failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] chaintrail_store::StoreError),
    /// Reading the EVM events kept for the decoders failed.
    #[error(transparent)]
    Evm(#[from] chaintrail_evm::EvmError),
    /// Reading the labels failed.
    #[error(transparent)]
    Labels(#[from] chaintrail_labels::LabelError),
    /// A links file cannot be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A links file that does not parse (naming file and line).
    #[error("{0}")]
    Corrupt(String),
}

/// What the labels an investigator supplied say about services: the decoders use it to name
/// routers and to know which hot wallets deposit addresses sweep into. Derived attributions
/// are never fed back in.
pub trait Services {
    /// The role and entity name of `address` on `chain`, if labelled with a role.
    fn service(&self, chain: Chain, address: &Address) -> Option<(Category, String)>;
    /// Every labelled address with a role on `chain`: (address, role, entity name).
    fn addresses(&self, chain: Chain) -> Vec<(Address, Category, String)>;
}

/// The result of [`build`].
pub struct Build {
    /// The links and pending inbounds.
    pub set: LinkSet,
    /// Addresses attributed from chain data.
    pub attributions: Vec<Attribution>,
    /// What the build wrote, per decoder.
    pub manifest: Manifest,
}

/// Open every chain of a store for reading.
fn readers(store: &Store) -> Result<BTreeMap<Chain, ChainReader>, LinkError> {
    let mut readers = BTreeMap::new();
    for chain in store.chains()? {
        readers.insert(chain, store.reader(chain)?);
    }
    Ok(readers)
}

fn stats(findings: &Findings) -> DecoderStats {
    DecoderStats {
        decoded: findings.decoded,
        links: findings.links.len() as u64,
        pending: findings.pending.len() as u64,
        attributions: findings.attributions.len() as u64,
        unmatched: findings.unmatched,
    }
}

/// Run every decoder over the whole store and save the result with the store. The links are
/// rebuilt from what the store holds, so running it after each import extends them with what
/// the new blocks settle (a pending inbound becomes a link when its payout arrives).
pub fn build(store: &Store, services: &dyn Services) -> Result<Build, LinkError> {
    let readers = readers(store)?;
    let (mut evm_logs, mut swaps, mut mixers) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for (&chain, reader) in &readers {
        if reader.model() == ChainModel::Account {
            evm_logs.insert(chain, chaintrail_evm::events::read_kept_logs(store, chain)?);
            swaps.insert(chain, chaintrail_evm::events::read_swaps(store, chain)?);
            mixers.insert(
                chain,
                chaintrail_evm::events::read_mixer_events(store, chain)?,
            );
        }
    }
    let mut decoders: BTreeMap<String, DecoderStats> = BTreeMap::new();
    let mut all = Findings::default();
    let thorchain = thorchain::decode(&readers, &evm_logs, services);
    decoders.insert("thorchain".to_string(), stats(&thorchain));
    all.extend(thorchain);
    let avalanche = avalanche::decode(&readers, &evm_logs, services);
    decoders.insert("avalanche-bridge".to_string(), stats(&avalanche));
    all.extend(avalanche);
    let multichain = multichain::decode(&readers, &evm_logs, services);
    decoders.insert("multichain".to_string(), stats(&multichain));
    all.extend(multichain);
    let mut demixed = Findings::default();
    for (chain, events) in &mixers {
        let pooled: Vec<_> = events
            .iter()
            .filter(|e| tornado::is_mixer(services, *chain, &e.pool))
            .cloned()
            .collect();
        let claims = evm_logs
            .get(chain)
            .map(|logs| tornado::mining::claims(logs))
            .unwrap_or_default();
        demixed.extend(tornado::decode(&readers[chain], &pooled, &claims, services));
    }
    decoders.insert("tornado".to_string(), stats(&demixed));
    all.extend(demixed);
    let protocols = protocols::detect(&swaps, &mixers, services);
    decoders.insert("protocol-events".to_string(), stats(&protocols));
    all.extend(protocols);
    let (mut refused_merges, mut coinjoins) = (0, 0);
    let mut deposit_account = Findings::default();
    let mut cospend_utxo = Findings::default();
    let mut deposit_utxo = Findings::default();
    for (&chain, reader) in &readers {
        let services_here = deposits::services_on(services, chain);
        match reader.model() {
            ChainModel::Account => {
                let found = deposits::account::detect(reader, &services_here);
                deposit_account.decoded += found.len() as u64;
                deposit_account.attributions.extend(found);
            }
            ChainModel::Utxo => {
                let found = deposits::utxo::detect(reader, &services_here);
                refused_merges += found.conflicts;
                coinjoins += found.coinjoins;
                for a in found.attributions {
                    let bucket = if a.detector == "deposit-utxo" {
                        &mut deposit_utxo
                    } else {
                        &mut cospend_utxo
                    };
                    bucket.decoded += 1;
                    bucket.attributions.push(a);
                }
            }
        }
    }
    for (name, findings) in [
        ("deposit-account", deposit_account),
        ("deposit-utxo", deposit_utxo),
        ("cospend-utxo", cospend_utxo),
    ] {
        decoders.insert(name.to_string(), stats(&findings));
        all.extend(findings);
    }
    // Custodial mixers are matched over the addresses just derived for them.
    let mut custodial = Findings::default();
    for (&chain, reader) in &readers {
        if reader.model() == ChainModel::Utxo {
            let mixers = custodial::mixers_on(services, chain, &all.attributions);
            let settings = custodial::Settings::default();
            custodial.extend(custodial::decode(reader, &mixers, &settings).findings);
        }
    }
    decoders.insert(custodial::DECODER.to_string(), stats(&custodial));
    all.extend(custodial);
    // Reads from a damaged store segment return nothing: save no links derived from them.
    for reader in readers.values() {
        reader.ensure_intact()?;
    }
    let set = LinkSet::new(all.links.clone(), all.pending.clone());
    let manifest = store::save(
        store.dir(),
        &all.links,
        &all.pending,
        &all.attributions,
        Manifest {
            format: String::new(),
            version: 0,
            fingerprint: format!("{:08x}", set.fingerprint()),
            built_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            decoders,
            refused_merges,
            coinjoins,
        },
    )?;
    Ok(Build {
        set,
        attributions: all.attributions,
        manifest,
    })
}

/// Rebuild the store's links from its chains and its labels, and store the derived
/// attributions as labels (source `derived`, one dataset per detector): what `chaintrail links
/// build` and every import run.
pub fn refresh(store: &Store) -> Result<Build, LinkError> {
    let mut labels = chaintrail_labels::LabelStore::open(store.dir())?;
    let build = build(store, &LabelServices::new(&labels))?;
    apply_derived(&mut labels, &build.attributions);
    labels.save()?;
    Ok(build)
}
