//! Exchange deposit addresses on account chains (Victor, FC 2020): a custodial service gives each
//! customer an address and sweeps what arrives there to its hot wallet. An address is one when
//!
//! - every value it ever sent went to the service's labelled wallets (gas aside),
//! - each of those sweeps emptied its balance in that asset to within a small tolerance
//!   (0.01 of the native coin, 1 % of the sweep for tokens) — the hot wallet's gas top-ups before
//!   a token sweep are not deposits and are allowed,
//! - within a bounded delay of the deposit it forwards (10,000 blocks, etherclust's bound),
//! - and at least one deposit came from someone other than the service.

use std::collections::{BTreeMap, HashMap, HashSet};

use chaintrail_core::{Chain, TransferKind};
use chaintrail_store::{ChainReader, Extent, TxId};

use super::Service;
use crate::model::Attribution;

/// Deepest delay between a deposit and the sweep that forwards it, in blocks.
pub const MAX_DELAY_BLOCKS: u64 = 10_000;
/// Native balance a sweep may leave behind (0.01 of an 18-decimal coin).
const NATIVE_TOLERANCE: u128 = 10_000_000_000_000_000;

struct Sweep {
    tx: TxId,
    block: u64,
    delay: u64,
    /// The service wallet it swept to.
    to: u32,
}

/// Why an address is (or is not) a deposit address of `service`.
fn evaluate(
    reader: &ChainReader,
    address: u32,
    owner: &HashMap<u32, usize>,
    service: usize,
) -> Option<Vec<Sweep>> {
    let outgoing: Vec<_> = reader
        .outgoing(address)
        .filter_map(|row| reader.transfer(row))
        .filter(|t| t.success)
        .collect();
    let value_out: Vec<_> = outgoing
        .iter()
        .filter(|t| !matches!(t.kind, TransferKind::Fee | TransferKind::Burn))
        .collect();
    if value_out.is_empty() || value_out.iter().any(|t| owner.get(&t.to) != Some(&service)) {
        return None;
    }
    let incoming: Vec<_> = reader
        .incoming(address)
        .filter_map(|row| reader.transfer(row))
        .filter(|t| t.success && t.kind != TransferKind::Fee)
        .collect();
    if !incoming
        .iter()
        .any(|t| owner.get(&t.from) != Some(&service))
    {
        return None;
    }
    // Replay the address's balance per asset, in row order, to check each sweep.
    let mut events: Vec<(u64, bool, &chaintrail_store::TransferView)> = incoming
        .iter()
        .map(|t| (t.row, false, t))
        .chain(outgoing.iter().map(|t| (t.row, true, t)))
        .collect();
    events.sort_by_key(|(row, out, _)| (*row, *out));
    let mut balance: HashMap<u32, u128> = HashMap::new();
    let mut unswept_since: HashMap<u32, u64> = HashMap::new();
    let mut sweeps = Vec::new();
    for (_, out, t) in events {
        let amount = t.amount.to_u128().unwrap_or(u128::MAX);
        let held = balance.entry(t.asset).or_insert(0);
        if !out {
            *held = held.saturating_add(amount);
            if owner.get(&t.from) != Some(&service) {
                unswept_since.entry(t.asset).or_insert(t.block.height);
            }
            continue;
        }
        *held = held.saturating_sub(amount);
        if matches!(t.kind, TransferKind::Fee | TransferKind::Burn) {
            continue;
        }
        let tolerance = if t.asset == 0 {
            NATIVE_TOLERANCE
        } else {
            amount / 100
        };
        if *held > tolerance {
            return None;
        }
        let since = unswept_since.remove(&t.asset).unwrap_or(t.block.height);
        let delay = t.block.height.saturating_sub(since);
        if delay > MAX_DELAY_BLOCKS {
            return None;
        }
        sweeps.push(Sweep {
            tx: t.tx,
            block: t.block.height,
            delay,
            to: t.to,
        });
    }
    (!sweeps.is_empty()).then_some(sweeps)
}

/// Confidence grows with the number of sweeps that fit the pattern and shrinks with the delay.
fn confidence(sweeps: &[Sweep]) -> f64 {
    let base: f64 = match sweeps.len() {
        1 => 0.9,
        2 => 0.95,
        _ => 0.98,
    };
    let slowest = sweeps.iter().map(|s| s.delay).max().unwrap_or(0);
    let penalty = 0.1 * slowest as f64 / MAX_DELAY_BLOCKS as f64;
    ((base - penalty) * 100.0).round() / 100.0
}

/// A deposit address found on an account chain.
#[derive(Debug, Clone, PartialEq)]
pub struct DepositAddress {
    /// Its address id.
    pub address: u32,
    /// The service (an index into the services searched) it belongs to.
    pub service: usize,
    /// The service wallet its first sweep paid.
    pub swept_to: u32,
    /// Its first sweep.
    pub first_sweep: TxId,
    /// The block of the first sweep.
    pub first_sweep_block: u64,
    /// How many sweeps fit the pattern.
    pub sweeps: usize,
    /// 0..=1: grows with the sweeps that fit, shrinks with the delay.
    pub confidence: f64,
}

/// Which service each labelled address belongs to, and the addresses of custodial services.
struct Owners {
    owner: HashMap<u32, usize>,
    /// The labelled addresses of custodial services.
    custodial: HashSet<u32>,
    /// Per service: whether it is custodial.
    keeps_deposits: Vec<bool>,
}

impl Owners {
    fn of(reader: &ChainReader, services: &[Service]) -> Owners {
        let mut owners = Owners {
            owner: HashMap::new(),
            custodial: HashSet::new(),
            keeps_deposits: services.iter().map(|s| s.custodial).collect(),
        };
        for (i, service) in services.iter().enumerate() {
            for address in &service.addresses {
                if let Some(id) = reader.address_id(address) {
                    owners.owner.insert(id, i);
                    if service.custodial {
                        owners.custodial.insert(id);
                    }
                }
            }
        }
        owners
    }

    /// Whether a transfer from `from` to `to` makes `from` a candidate deposit address.
    fn pays_custodial(&self, from: u32, to: u32) -> bool {
        self.custodial.contains(&to) && !self.owner.contains_key(&from)
    }

    /// Whether `address`'s history makes it a deposit address: evaluated against the service
    /// its first value-carrying payment went to (any other would fail the every-payment rule).
    fn evaluate(&self, reader: &ChainReader, address: u32) -> Option<DepositAddress> {
        let service = reader
            .outgoing(address)
            .filter_map(|row| reader.transfer(row))
            .find(|t| t.success && !matches!(t.kind, TransferKind::Fee | TransferKind::Burn))
            .and_then(|t| self.owner.get(&t.to).copied())
            .filter(|&s| self.keeps_deposits[s])?;
        let sweeps = evaluate(reader, address, &self.owner, service)?;
        let first = &sweeps[0];
        Some(DepositAddress {
            address,
            service,
            swept_to: first.to,
            first_sweep: first.tx,
            first_sweep_block: first.block,
            sweeps: sweeps.len(),
            confidence: confidence(&sweeps),
        })
    }
}

/// The deposit addresses of one account chain, kept up to date as the chain grows: after new
/// blocks only the addresses their transfers touch are evaluated again, since whether an
/// address is a deposit address depends on its own transfers and the labels alone. After any
/// sequence of updates it holds what a scan of the whole chain finds (tested).
#[derive(Debug, Clone)]
pub struct DepositScan {
    extent: Extent,
    services: Vec<Service>,
    /// Addresses that ever sent to a custodial service's labelled wallet: the candidates.
    candidates: HashSet<u32>,
    found: BTreeMap<u32, DepositAddress>,
    /// Addresses evaluated by the last scan or update.
    evaluated: usize,
}

impl DepositScan {
    /// Scan the whole chain.
    pub fn new(reader: &ChainReader, services: &[Service]) -> DepositScan {
        let owners = Owners::of(reader, services);
        let mut candidates = HashSet::new();
        for &wallet in &owners.custodial {
            for row in reader.incoming(wallet) {
                if let Some(t) = reader.transfer(row)
                    && owners.pays_custodial(t.from, t.to)
                {
                    candidates.insert(t.from);
                }
            }
        }
        let found = candidates
            .iter()
            .filter_map(|&a| owners.evaluate(reader, a).map(|d| (a, d)))
            .collect();
        DepositScan {
            extent: reader.extent(),
            services: services.to_vec(),
            evaluated: candidates.len(),
            candidates,
            found,
        }
    }

    /// Bring the scan to the chain `reader` holds now: only the transfers appended since are
    /// read, unless the labels changed or the chain is not the one scanned with blocks
    /// appended (a rollback), which scan it whole.
    pub fn update(&mut self, reader: &ChainReader, services: &[Service]) {
        if self.services != services || !reader.extends(&self.extent) {
            *self = DepositScan::new(reader, services);
            return;
        }
        let owners = Owners::of(reader, services);
        let columns = reader.transfer_columns();
        let mut touched = HashSet::new();
        for row in self.extent.records..reader.transfer_count() {
            let (from, to) = (columns.from.at(row), columns.to.at(row));
            if owners.pays_custodial(from, to) {
                self.candidates.insert(from);
            }
            touched.extend([from, to]);
        }
        touched.retain(|a| self.candidates.contains(a));
        for &address in &touched {
            match owners.evaluate(reader, address) {
                Some(d) => self.found.insert(address, d),
                None => self.found.remove(&address),
            };
        }
        self.evaluated = touched.len();
        self.extent = reader.extent();
    }

    /// The deposit addresses found, by address id.
    pub fn deposits(&self) -> impl Iterator<Item = &DepositAddress> + '_ {
        self.found.values()
    }

    /// Whether this scan is of the chain `reader` holds now, with these services: then its
    /// deposit addresses are what a scan of the whole chain finds.
    pub fn is_of(&self, reader: &ChainReader, services: &[Service]) -> bool {
        self.services == services && reader.extent() == self.extent
    }

    /// How many addresses the last scan or update evaluated.
    pub fn evaluated(&self) -> usize {
        self.evaluated
    }
}

/// Deposit addresses of the custodial services among `services` on one account chain, by
/// address id.
pub fn deposit_addresses(reader: &ChainReader, services: &[Service]) -> Vec<DepositAddress> {
    DepositScan::new(reader, services)
        .deposits()
        .cloned()
        .collect()
}

/// A scan's deposit addresses as attributions with their evidence in words.
pub(crate) fn attributions(
    reader: &ChainReader,
    services: &[Service],
    scan: &DepositScan,
) -> Vec<Attribution> {
    let chain: Chain = reader.chain();
    scan.deposits()
        .filter_map(|d| {
            let address = reader.address(d.address)?;
            let service = &services[d.service];
            Some(Attribution {
                chain,
                address: address.to_string(),
                role: service.role,
                name: service.name.clone(),
                detector: "deposit-account".to_string(),
                confidence: d.confidence,
                evidence: format!(
                    "deposit address of {}: swept its whole balance to {} in {} sweep(s), first in tx {} (block {})",
                    service.name,
                    reader
                        .address(d.swept_to)
                        .map_or_else(String::new, |a| a.to_string()),
                    d.sweeps,
                    reader.tx_hash(d.first_sweep).to_hex_prefixed(),
                    d.first_sweep_block
                ),
            })
        })
        .collect()
}
