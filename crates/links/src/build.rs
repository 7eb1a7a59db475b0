//! Running the decoders over a store. [`build`] runs every decoder; a [`Builder`] kept from one
//! build to the next (the follower keeps one) runs again only what the new blocks can change:
//!
//! - each decoder is keyed by a digest of what it reads — the labels' services, the kept EVM
//!   logs, and the content of the chains it reads whole — and a decoder whose key did not change
//!   hands back what it found last time;
//! - exchange deposit addresses on account chains are kept by a [`DepositScan`] per chain, which
//!   evaluates again only the addresses the appended transfers touch.
//!
//! Either way the result is exactly what [`build`] finds on the same store (tested by splitting
//! a world's blocks into batches), so a follower's links never depend on how its blocks
//! arrived.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};

use chaintrail_core::{Chain, ChainModel};
use chaintrail_evm::events::{KeptLog, MixerEvent, SwapEvent};
use chaintrail_labels::Category;
use chaintrail_store::{ChainReader, Store};

use crate::deposits::account::DepositScan;
use crate::deposits::utxo::ServiceScan;
use crate::model::Findings;
use crate::set::LinkSet;
use crate::store::{self, DecoderStats, Manifest};
use crate::{
    Build, LinkError, Services, avalanche, custodial, deposits, multichain, protocols, thorchain,
    tornado,
};

/// What one decoder found, kept for the next build.
#[derive(Debug, Clone, Default)]
struct Outcome {
    findings: Findings,
    refused_merges: u64,
    coinjoins: u64,
}

impl From<Findings> for Outcome {
    fn from(findings: Findings) -> Outcome {
        Outcome {
            findings,
            ..Outcome::default()
        }
    }
}

/// Runs the decoders, keeping what each found so that the next build can reuse it.
#[derive(Debug, Default)]
pub struct Builder {
    /// Per decoder: the key of its inputs at its last run, and what it found.
    outcomes: HashMap<&'static str, (u64, Outcome)>,
    deposits: BTreeMap<Chain, DepositScan>,
    utxo_services: BTreeMap<Chain, ServiceScan>,
    custodial_flows: BTreeMap<Chain, custodial::FlowScan>,
    memos: BTreeMap<Chain, thorchain::MemoScan>,
    /// The decoders the current build took over unchanged.
    reused: Vec<&'static str>,
}

/// What every decoder reads, read once per build.
struct Inputs {
    readers: BTreeMap<Chain, ChainReader>,
    evm_logs: BTreeMap<Chain, Vec<KeptLog>>,
    swaps: BTreeMap<Chain, Vec<SwapEvent>>,
    mixers: BTreeMap<Chain, Vec<MixerEvent>>,
    /// Per chain: a digest of the services the labels name on it.
    services: BTreeMap<Chain, u64>,
    /// Per account chain: a digest of the kept logs.
    logs: BTreeMap<Chain, u64>,
}

impl Inputs {
    fn read(store: &Store, services: &dyn Services) -> Result<Inputs, LinkError> {
        let mut inputs = Inputs {
            readers: BTreeMap::new(),
            evm_logs: BTreeMap::new(),
            swaps: BTreeMap::new(),
            mixers: BTreeMap::new(),
            services: BTreeMap::new(),
            logs: BTreeMap::new(),
        };
        for chain in store.chains()? {
            let reader = store.reader(chain)?;
            let mut hasher = DefaultHasher::new();
            services.addresses(chain).hash(&mut hasher);
            inputs.services.insert(chain, hasher.finish());
            if reader.model() == ChainModel::Account {
                let logs = chaintrail_evm::events::read_kept_logs(store, chain)?;
                let mut hasher = DefaultHasher::new();
                for log in &logs {
                    (log.tx, log.block.height, log.log_index).hash(&mut hasher);
                }
                inputs.logs.insert(chain, hasher.finish());
                inputs.evm_logs.insert(chain, logs);
                inputs
                    .swaps
                    .insert(chain, chaintrail_evm::events::read_swaps(store, chain)?);
                inputs.mixers.insert(
                    chain,
                    chaintrail_evm::events::read_mixer_events(store, chain)?,
                );
            }
            inputs.readers.insert(chain, reader);
        }
        Ok(inputs)
    }

    fn chains(&self, model: Option<ChainModel>) -> impl Iterator<Item = (&Chain, &ChainReader)> {
        self.readers
            .iter()
            .filter(move |(_, r)| model.is_none_or(|m| r.model() == m))
    }

    /// A digest of the services on every chain, the kept EVM logs when `logs`, and the whole
    /// content of the chains of `model` (every chain for `None`).
    fn key(&self, logs: bool, content_of: Option<ChainModel>) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.services.hash(&mut hasher);
        if logs {
            self.logs.hash(&mut hasher);
        }
        for (chain, reader) in self.chains(content_of) {
            (chain, reader.content_checksum(), reader.tx_count()).hash(&mut hasher);
        }
        hasher.finish()
    }
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

impl Builder {
    /// A builder that has not run yet: its first build runs every decoder.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The deposit-address scan of an account chain as the last build left it (the clusters
    /// read it rather than scan the chain again).
    pub fn deposit_scan(&self, chain: Chain) -> Option<&DepositScan> {
        self.deposits.get(&chain)
    }

    /// Whether this builder has not built yet.
    pub(crate) fn is_new(&self) -> bool {
        self.outcomes.is_empty()
    }

    /// What `run` finds, or what it found last time when `key` is the same.
    fn outcome(&mut self, name: &'static str, key: u64, run: impl FnOnce() -> Outcome) -> Outcome {
        if let Some((last, outcome)) = self.outcomes.get(name)
            && *last == key
        {
            tracing::debug!(decoder = name, "inputs unchanged: reused");
            self.reused.push(name);
            return outcome.clone();
        }
        let started = std::time::Instant::now();
        let outcome = run();
        tracing::debug!(
            decoder = name,
            seconds = started.elapsed().as_secs_f64(),
            "ran"
        );
        self.outcomes.insert(name, (key, outcome.clone()));
        outcome
    }

    /// Run the decoders whose inputs changed since this builder's last build (every one the first
    /// time), and save the result with the store: what [`build`] saves.
    pub fn build(&mut self, store: &Store, services: &dyn Services) -> Result<Build, LinkError> {
        let inputs = Inputs::read(store, services)?;
        self.reused.clear();
        let mut decoders: BTreeMap<String, DecoderStats> = BTreeMap::new();
        let mut all = Findings::default();
        let mut add = |name: &str, outcome: &Outcome, all: &mut Findings| {
            decoders.insert(name.to_string(), stats(&outcome.findings));
            all.extend(outcome.findings.clone());
        };
        // THORChain reads the kept logs and the memos of UTXO chains; the other bridges look
        // their source transactions up on any chain.
        let bridges = inputs.key(true, Some(ChainModel::Utxo));
        let everything = inputs.key(true, None);
        let mut memos = std::mem::take(&mut self.memos);
        let thorchain = self.outcome("thorchain", bridges, || {
            memos.retain(|chain, _| inputs.readers.contains_key(chain));
            for (&chain, reader) in inputs.chains(Some(ChainModel::Utxo)) {
                kept(
                    &mut memos,
                    chain,
                    |scan| scan.update(reader),
                    || thorchain::MemoScan::new(reader),
                );
            }
            thorchain::decode_with(&inputs.readers, &inputs.evm_logs, &memos, services).into()
        });
        self.memos = memos;
        add("thorchain", &thorchain, &mut all);
        let avalanche = self.outcome("avalanche-bridge", everything, || {
            avalanche::decode(&inputs.readers, &inputs.evm_logs, services).into()
        });
        add("avalanche-bridge", &avalanche, &mut all);
        let multichain = self.outcome("multichain", everything, || {
            multichain::decode(&inputs.readers, &inputs.evm_logs, services).into()
        });
        add("multichain", &multichain, &mut all);
        let accounts = inputs.key(true, Some(ChainModel::Account));
        let demixed = self.outcome("tornado", accounts, || {
            demix_pools(&inputs, services).into()
        });
        add("tornado", &demixed, &mut all);
        let protocols = self.outcome("protocol-events", accounts, || {
            protocols::detect(&inputs.swaps, &inputs.mixers, services).into()
        });
        add("protocol-events", &protocols, &mut all);
        let deposit_account = self.deposit_addresses(&inputs, services);
        add("deposit-account", &deposit_account.into(), &mut all);
        let utxo = inputs.key(false, Some(ChainModel::Utxo));
        let services_utxo = self.utxo_services(&inputs, services);
        let (mut deposit_utxo, mut cospend_utxo) = (Findings::default(), Findings::default());
        for a in &services_utxo.findings.attributions {
            let bucket = if a.detector == "deposit-utxo" {
                &mut deposit_utxo
            } else {
                &mut cospend_utxo
            };
            bucket.decoded += 1;
            bucket.attributions.push(a.clone());
        }
        add("deposit-utxo", &deposit_utxo.into(), &mut all);
        add("cospend-utxo", &cospend_utxo.into(), &mut all);
        // Custodial mixers are matched over the addresses just derived for them.
        let mut hasher = DefaultHasher::new();
        utxo.hash(&mut hasher);
        for a in all
            .attributions
            .iter()
            .filter(|a| a.role == Category::Mixer)
        {
            (a.chain, &a.address, &a.name).hash(&mut hasher);
        }
        let mut flows = std::mem::take(&mut self.custodial_flows);
        let custodial = self.outcome(custodial::DECODER, hasher.finish(), || {
            demix_custodial(&inputs, services, &all.attributions, &mut flows).into()
        });
        self.custodial_flows = flows;
        add(custodial::DECODER, &custodial, &mut all);
        // Reads from a damaged store segment return nothing: save no links derived from them.
        for reader in inputs.readers.values() {
            reader.ensure_intact()?;
        }
        let set = LinkSet::new(all.links.clone(), all.pending.clone());
        let saved = store::save(
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
                refused_merges: services_utxo.refused_merges,
                coinjoins: services_utxo.coinjoins,
            },
        )?;
        Ok(Build {
            set,
            attributions: all.attributions,
            manifest: saved.manifest,
            attributions_changed: saved.attributions_changed,
            reused: self.reused.clone(),
        })
    }

    /// Co-spent wallet addresses and swept deposit addresses of the labelled services on every
    /// UTXO chain, each chain's scan brought up to date.
    fn utxo_services(&mut self, inputs: &Inputs, services: &dyn Services) -> Outcome {
        let mut outcome = Outcome::default();
        let mut read = false;
        self.utxo_services
            .retain(|chain, _| inputs.readers.contains_key(chain));
        for (&chain, reader) in inputs.chains(Some(ChainModel::Utxo)) {
            let services_here = deposits::services_on(services, chain);
            let started = std::time::Instant::now();
            // A new scan reads the chain; a kept one says whether it read anything.
            let mut scanned = true;
            let scan = kept(
                &mut self.utxo_services,
                chain,
                |scan| scanned = scan.update(reader, &services_here),
                || ServiceScan::new(reader, &services_here),
            );
            read |= scanned;
            tracing::debug!(
                %chain,
                evaluated = scan.evaluated(),
                seconds = started.elapsed().as_secs_f64(),
                "UTXO service addresses brought up to date"
            );
            let found = scan.found(reader);
            outcome.refused_merges += found.conflicts;
            outcome.coinjoins += found.coinjoins;
            outcome.findings.attributions.extend(found.attributions);
        }
        if !read {
            self.reused.push("services-utxo");
        }
        outcome
    }

    /// Deposit addresses on every account chain, each chain's scan brought up to date.
    fn deposit_addresses(&mut self, inputs: &Inputs, services: &dyn Services) -> Findings {
        let mut findings = Findings::default();
        self.deposits
            .retain(|chain, _| inputs.readers.contains_key(chain));
        for (&chain, reader) in inputs.chains(Some(ChainModel::Account)) {
            let services_here = deposits::services_on(services, chain);
            let started = std::time::Instant::now();
            let scan = kept(
                &mut self.deposits,
                chain,
                |scan| scan.update(reader, &services_here),
                || DepositScan::new(reader, &services_here),
            );
            tracing::debug!(
                %chain,
                evaluated = scan.evaluated(),
                seconds = started.elapsed().as_secs_f64(),
                "deposit addresses brought up to date"
            );
            let found = deposits::account::attributions(reader, &services_here, scan);
            findings.decoded += found.len() as u64;
            findings.attributions.extend(found);
        }
        findings
    }
}

/// The scan kept for `chain` in `scans` brought up to date by `update`, or made by `new`.
fn kept<S>(
    scans: &mut BTreeMap<Chain, S>,
    chain: Chain,
    update: impl FnOnce(&mut S),
    new: impl FnOnce() -> S,
) -> &mut S {
    match scans.entry(chain) {
        std::collections::btree_map::Entry::Occupied(entry) => {
            let scan = entry.into_mut();
            update(scan);
            scan
        }
        std::collections::btree_map::Entry::Vacant(entry) => entry.insert(new()),
    }
}

/// Tornado-style pools on every account chain: labelled mixers and unlabelled emitters of the
/// events.
fn demix_pools(inputs: &Inputs, services: &dyn Services) -> Findings {
    let mut demixed = Findings::default();
    for (chain, events) in &inputs.mixers {
        let pooled: Vec<_> = events
            .iter()
            .filter(|e| tornado::is_mixer(services, *chain, &e.pool))
            .cloned()
            .collect();
        let claims = inputs
            .evm_logs
            .get(chain)
            .map(|logs| tornado::mining::claims(logs))
            .unwrap_or_default();
        demixed.extend(tornado::decode(
            &inputs.readers[chain],
            &pooled,
            &claims,
            services,
        ));
    }
    demixed
}

/// Custodial mixers on every UTXO chain, over the labelled and the derived mixer addresses, each
/// chain's flows brought up to date in `flows`.
fn demix_custodial(
    inputs: &Inputs,
    services: &dyn Services,
    attributions: &[crate::Attribution],
    flows: &mut BTreeMap<Chain, custodial::FlowScan>,
) -> Findings {
    let mut custodial = Findings::default();
    flows.retain(|chain, _| inputs.readers.contains_key(chain));
    for (&chain, reader) in inputs.chains(Some(ChainModel::Utxo)) {
        let mixers = custodial::mixers_on(services, chain, attributions);
        let started = std::time::Instant::now();
        let scan = kept(
            flows,
            chain,
            |scan| scan.update(reader, &mixers),
            || custodial::FlowScan::new(reader, &mixers),
        );
        tracing::debug!(
            %chain,
            seconds = started.elapsed().as_secs_f64(),
            "custodial mixer flows brought up to date"
        );
        let settings = custodial::Settings::default();
        custodial.extend(custodial::demix_flows(reader, &mixers, scan.flows(), &settings).findings);
    }
    custodial
}

/// Run every decoder over the whole store and save the result with the store. The links are
/// rebuilt from what the store holds, so running it after each import extends them with what
/// the new blocks settle (a pending inbound becomes a link when its payout arrives).
pub fn build(store: &Store, services: &dyn Services) -> Result<Build, LinkError> {
    Builder::new().build(store, services)
}
