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
mod build;
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

use std::path::PathBuf;

use chaintrail_core::{Address, Chain};
use chaintrail_labels::Category;
use chaintrail_store::Store;

pub use build::{Builder, build};
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
    /// Whether the attributions differ from those the store held before.
    pub attributions_changed: bool,
    /// The decoders whose inputs had not changed since the [`Builder`]'s last build: their
    /// findings were taken over, not derived again.
    pub reused: Vec<&'static str>,
}

/// Rebuild the store's links from its chains and its labels, and store the derived
/// attributions as labels (source `derived`, one dataset per detector): what `chaintrail links
/// build` and every import run.
pub fn refresh(store: &Store) -> Result<Build, LinkError> {
    Builder::new().refresh(store)
}

impl Builder {
    /// [`refresh`] with this builder: only the decoders whose inputs changed since its last
    /// build run again. The derived labels are saved when the attributions changed (or on the
    /// builder's first build).
    pub fn refresh(&mut self, store: &Store) -> Result<Build, LinkError> {
        let mut labels = chaintrail_labels::LabelStore::open(store.dir())?;
        let first = self.is_new();
        let build = self.build(store, &LabelServices::new(&labels))?;
        if first || build.attributions_changed {
            apply_derived(&mut labels, &build.attributions);
            labels.save()?;
        }
        Ok(build)
    }
}
