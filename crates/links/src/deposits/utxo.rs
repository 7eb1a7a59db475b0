//! Service addresses on UTXO chains. Investigators know a service's hot wallet by a few labelled
//! addresses; the chain reveals the rest:
//!
//! - **co-spends** (the multi-input heuristic, restricted here to what touches labelled
//!   services): the inputs of a transaction that is not a CoinJoin belong to one owner, so every
//!   address co-spent with a labelled address, directly or through a chain of co-spends, is the
//!   service's — unless the merge would join two differently labelled services, which is refused
//!   and counted;
//! - **sweeps** (deposit addresses): a transaction whose every output pays the service's wallet
//!   and whose inputs are not yet the service's is a consolidation of customer deposit
//!   addresses: its input addresses are deposit addresses of the service. A deposit address is a
//!   leaf: what pays *it* is a customer, not the service. A transaction spending one address's
//!   coins whole into a *labelled* address is what a customer's own payment looks like (a
//!   wallet emptied into an OTC desk's published address), so a sweep of a single address counts
//!   only into the wallet addresses the service keeps to itself (found by co-spends).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chaintrail_core::{Address, BitcoinAddress};
use chaintrail_store::{ChainReader, Extent, OutputView, TxId, schema};

use super::Service;
use super::coinjoin::{self, CoinJoin};
use crate::model::Attribution;
use crate::unionfind::{Union, UnionFind};

/// Who owns a transaction's inputs, by the multi-input heuristic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoSpend {
    /// Fewer than two inputs with a known address: nothing to merge.
    Single,
    /// A CoinJoin: its inputs belong to many people and must not be merged.
    CoinJoin(CoinJoin),
    /// One owner holds these input addresses (distinct, first input's address first).
    Owner(Vec<u32>),
}

/// The multi-input heuristic on one transaction's sides (see [`tx_sides`]): the one place that
/// decides whether inputs are co-spent.
pub fn co_spend(inputs: &[u32], outputs: &[(u32, u64)]) -> CoSpend {
    if inputs.len() < 2 {
        return CoSpend::Single;
    }
    if let Some(kind) = coinjoin::classify(inputs, outputs) {
        return CoSpend::CoinJoin(kind);
    }
    let mut owner = Vec::with_capacity(inputs.len());
    for &address in inputs {
        if !owner.contains(&address) {
            owner.push(address);
        }
    }
    if owner.len() < 2 {
        return CoSpend::Single;
    }
    CoSpend::Owner(owner)
}

/// The id of the chain's OP_RETURN pseudo-address, if the store has one: its outputs carry no
/// value anyone can spend.
pub fn null_data_id(reader: &ChainReader) -> Option<u32> {
    reader.address_id(&Address::Bitcoin {
        network: match reader.chain() {
            chaintrail_core::Chain::Bitcoin(network) => network,
            _ => chaintrail_core::BitcoinNetwork::Mainnet,
        },
        kind: BitcoinAddress::NullData,
    })
}

/// The value-carrying outputs of a transaction (OP_RETURN and zero-value outputs left out).
pub fn value_outputs(
    reader: &ChainReader,
    tx: TxId,
    null_data: Option<u32>,
) -> impl Iterator<Item = OutputView> + '_ {
    reader
        .tx_outputs(tx)
        .filter_map(|row| reader.output(row))
        .filter(move |o| Some(o.address) != null_data && o.value > 0)
}

/// Address ids of a transaction's inputs (one per input whose address is known) and its
/// value-carrying outputs. Read from the columns directly: every co-spend pass calls it for
/// every transaction.
pub fn tx_sides(
    reader: &ChainReader,
    tx: TxId,
    null_data: Option<u32>,
) -> (Vec<u32>, Vec<(u32, u64)>) {
    let columns = reader.utxo_columns();
    let inputs = reader
        .tx_inputs(tx)
        .filter_map(
            |row| match columns.input_spent.get(usize::try_from(row).ok()?)? {
                schema::INPUT_COINBASE => None,
                // The source named the spent output's address, or did not.
                schema::INPUT_UNLINKED => reader.input(row)?.address,
                spent => columns.output_address.get(usize::try_from(spent).ok()?),
            },
        )
        .filter(|&address| address != schema::NO_ADDRESS)
        .collect();
    let outputs = reader
        .tx_outputs(tx)
        .filter_map(|row| {
            let row = usize::try_from(row).ok()?;
            let value = columns.output_value.get(row)?;
            let address = columns.output_address.get(row)?;
            (Some(address) != null_data && value > 0).then_some((address, value))
        })
        .collect();
    (inputs, outputs)
}

/// The transactions touching an address, found without a scan: the outputs paying it and
/// their spenders come from the address index; inputs naming an address that no output in the
/// store backs (an export starting mid-chain) are remembered here as transactions are read.
#[derive(Debug, Clone, Default)]
pub(crate) struct Touches {
    unlinked: HashMap<u32, Vec<TxId>>,
}

impl Touches {
    /// Remember the inputs of `tx` that name an address without a backing output.
    pub fn read(&mut self, reader: &ChainReader, tx: TxId) {
        let spent = reader.utxo_columns().input_spent;
        for row in reader.tx_inputs(tx) {
            let unlinked = usize::try_from(row).ok().and_then(|r| spent.get(r))
                == Some(schema::INPUT_UNLINKED);
            if let Some(address) = unlinked.then(|| reader.input(row)).flatten()
                && let Some(address) = address.address
            {
                self.unlinked.entry(address).or_default().push(tx);
            }
        }
    }

    /// Forget the transactions from `from` on (they are to be read again).
    pub fn forget_from(&mut self, from: TxId) {
        self.unlinked.retain(|_, txs| {
            txs.retain(|&tx| tx < from);
            !txs.is_empty()
        });
    }

    /// Every transaction paying `address` or spending from it, into `txs`.
    pub fn of(&self, reader: &ChainReader, address: u32, txs: &mut BTreeSet<TxId>) {
        for row in reader.incoming(address) {
            if let Some(output) = reader.output(row) {
                txs.insert(output.tx);
                txs.extend(output.spent_by);
            }
        }
        if let Some(spenders) = self.unlinked.get(&address) {
            txs.extend(spenders.iter().copied());
        }
    }
}

/// Where a co-spend or sweep attribution comes from, per address.
enum Evidence {
    CoSpent { tx: TxId },
    Swept { tx: TxId, inputs: usize },
}

pub(crate) struct UtxoServices {
    pub attributions: Vec<Attribution>,
    /// Co-spends refused because they would have merged two labelled services.
    pub conflicts: u64,
    pub coinjoins: u64,
}

/// A transaction sweeping deposit addresses into one service's wallet.
#[derive(Debug, Clone)]
struct Sweep {
    service: u32,
    /// Its inputs' addresses, one per input.
    inputs: Vec<u32>,
}

/// Co-spend members and deposit addresses of the labelled services on one UTXO chain, kept up to
/// date as blocks are appended (`chaintrail follow` keeps one per chain).
///
/// The co-spends are merged in transaction order, so appended transactions continue the merges
/// of the first scan exactly. A sweep is judged with the labels the sets carry after every
/// co-spend, and a set's label only ever appears (merges are refused between labels): so an
/// update judges the appended transactions, and again the earlier ones that touch an address
/// whose set gained a label — the rest keep their verdict. The result equals one scan of the
/// whole chain (tested by importing a world in batches).
#[derive(Debug, Clone)]
pub(crate) struct ServiceScan {
    extent: Extent,
    services: Vec<Service>,
    clusters: UnionFind,
    /// Per address, the next member of its set: each set is a circular list, so the members of
    /// a set that joins a labelled one are found without a scan.
    next: Vec<u32>,
    /// Whether the labels name the address.
    labelled: Vec<bool>,
    /// Labelled addresses not in the chain yet, with their service.
    unseen: Vec<(Address, u32)>,
    first_cospend: HashMap<u32, TxId>,
    conflicts: u64,
    coinjoins: u64,
    sweeps: BTreeMap<TxId, Sweep>,
    /// Per input address, the sweeps spending it.
    swept: BTreeMap<u32, BTreeSet<TxId>>,
    touches: Touches,
    /// Transactions judged for sweeps by the last scan or update.
    evaluated: u64,
}

impl ServiceScan {
    /// Scan the whole chain of `reader`.
    pub fn new(reader: &ChainReader, services: &[Service]) -> ServiceScan {
        let mut unseen = Vec::new();
        for (i, service) in services.iter().enumerate() {
            unseen.extend(service.addresses.iter().map(|a| (a.clone(), i as u32)));
        }
        let mut scan = ServiceScan {
            extent: Extent {
                txs: 0,
                records: 0,
                last_tx: None,
            },
            services: services.to_vec(),
            clusters: UnionFind::new(0),
            next: Vec::new(),
            labelled: Vec::new(),
            unseen,
            first_cospend: HashMap::new(),
            conflicts: 0,
            coinjoins: 0,
            sweeps: BTreeMap::new(),
            swept: BTreeMap::new(),
            touches: Touches::default(),
            evaluated: 0,
        };
        scan.extend(reader);
        scan
    }

    /// Bring the scan to the chain `reader` holds now: only the appended transactions are
    /// merged, unless the labels changed or the chain is not the one scanned with blocks
    /// appended (a rollback), which scan it whole. Returns whether anything was read.
    pub fn update(&mut self, reader: &ChainReader, services: &[Service]) -> bool {
        if self.services != services || !reader.extends(&self.extent) {
            *self = ServiceScan::new(reader, services);
            return true;
        }
        if reader.extent() == self.extent {
            self.evaluated = 0;
            return false;
        }
        self.extend(reader);
        true
    }

    /// Transactions judged for sweeps by the last scan or update.
    pub fn evaluated(&self) -> u64 {
        self.evaluated
    }

    /// Merge the co-spends of the transactions appended since the scan's extent, then judge
    /// them, and the earlier ones touching an address that joined a labelled set, for sweeps.
    fn extend(&mut self, reader: &ChainReader) {
        let n = reader.address_count();
        let from = self.extent.txs;
        self.clusters.grow(n);
        self.next.extend(self.next.len() as u32..n as u32);
        self.labelled.resize(n, false);
        let mut gained = Vec::new();
        self.unseen.retain(|(address, service)| {
            let Some(id) = reader.address_id(address) else {
                return true;
            };
            // Two labels on one address: the first service keeps it.
            if self.clusters.label(id).is_none() {
                gained.push(id);
            }
            let _ = self.clusters.set_label(id, *service);
            self.labelled[id as usize] = true;
            false
        });
        let null_data = null_data_id(reader);
        for tx in from..reader.tx_count() {
            self.touches.read(reader, tx);
            let (inputs, outputs) = tx_sides(reader, tx, null_data);
            let owner = match co_spend(&inputs, &outputs) {
                CoSpend::Single => continue,
                CoSpend::CoinJoin(_) => {
                    self.coinjoins += 1;
                    continue;
                }
                CoSpend::Owner(owner) => owner,
            };
            let first = owner[0];
            for &other in &owner[1..] {
                self.merge(first, other, tx, from > 0, &mut gained);
            }
        }
        let mut again: BTreeSet<TxId> = BTreeSet::new();
        if from > 0 {
            for address in gained {
                self.touches.of(reader, address, &mut again);
            }
        }
        again.retain(|&tx| tx < from);
        self.evaluated = again.len() as u64 + (reader.tx_count() - from);
        for tx in again.into_iter().chain(from..reader.tx_count()) {
            self.judge(reader, tx, null_data);
        }
        self.extent = reader.extent();
    }

    /// Merge the sets of `first` and `other`, co-spent in `tx`; with `track`, the members of a
    /// set that joins a labelled one go to `gained`.
    fn merge(&mut self, first: u32, other: u32, tx: TxId, track: bool, gained: &mut Vec<u32>) {
        let (a, b) = (self.clusters.find(first), self.clusters.find(other));
        let labels = (self.clusters.label(a), self.clusters.label(b));
        match self.clusters.union(a, b) {
            Union::Same(_) => {}
            Union::Merged { .. } => {
                self.first_cospend.entry(first).or_insert(tx);
                self.first_cospend.entry(other).or_insert(tx);
                let joining = match labels {
                    (Some(_), None) => Some(b),
                    (None, Some(_)) => Some(a),
                    _ => None,
                };
                if let Some(start) = joining.filter(|_| track) {
                    let mut member = start;
                    loop {
                        gained.push(member);
                        member = self.next[member as usize];
                        if member == start {
                            break;
                        }
                    }
                }
                self.next.swap(a as usize, b as usize);
            }
            Union::Refused(..) => self.conflicts += 1,
        }
    }

    /// Whether `tx` sweeps deposit addresses into a service's wallet, recorded.
    fn judge(&mut self, reader: &ChainReader, tx: TxId, null_data: Option<u32>) {
        let (inputs, outputs) = tx_sides(reader, tx, null_data);
        let sweep = self.sweep_of(&inputs, &outputs);
        let was = self.sweeps.remove(&tx);
        for &address in was.iter().flat_map(|w| &w.inputs) {
            if let Some(txs) = self.swept.get_mut(&address) {
                txs.remove(&tx);
                if txs.is_empty() {
                    self.swept.remove(&address);
                }
            }
        }
        if let Some(service) = sweep {
            for &address in &inputs {
                self.swept.entry(address).or_default().insert(tx);
            }
            self.sweeps.insert(tx, Sweep { service, inputs });
        }
    }

    /// The service a transaction with these sides sweeps into, if it is a sweep.
    fn sweep_of(&mut self, inputs: &[u32], outputs: &[(u32, u64)]) -> Option<u32> {
        if inputs.is_empty() || outputs.is_empty() {
            return None;
        }
        let service = self.clusters.label(outputs[0].0)?;
        let all_to_service = outputs[1..]
            .iter()
            .all(|(a, _)| self.clusters.label(*a) == Some(service));
        if !all_to_service || !self.services[service as usize].custodial {
            return None;
        }
        if inputs.iter().any(|&a| self.clusters.label(a).is_some()) {
            return None;
        }
        let mut spenders = inputs.to_vec();
        spenders.sort_unstable();
        spenders.dedup();
        if spenders.len() == 1 && outputs.iter().any(|(a, _)| self.labelled[*a as usize]) {
            return None;
        }
        Some(service)
    }

    /// The co-spent and swept addresses as attributions with their evidence.
    pub fn found(&mut self, reader: &ChainReader) -> UtxoServices {
        let services = &self.services;
        let mut attributions = Vec::new();
        let mut push = |id: u32, service: u32, evidence: Evidence| {
            let Some(address) = reader.address(id) else {
                return;
            };
            let service = &services[service as usize];
            let (detector, confidence, text) = match evidence {
                Evidence::CoSpent { tx } => (
                    "cospend-utxo",
                    0.95,
                    format!(
                        "co-spent with {}'s labelled wallet (multi-input, tx {})",
                        service.name,
                        reader.tx_hash(tx)
                    ),
                ),
                Evidence::Swept { tx, inputs } => (
                    "deposit-utxo",
                    if inputs > 1 { 0.9 } else { 0.85 },
                    format!(
                        "deposit address of {}: swept into its wallet in tx {} ({inputs} input(s), every output to {})",
                        service.name,
                        reader.tx_hash(tx),
                        service.name
                    ),
                ),
            };
            attributions.push(Attribution {
                chain: reader.chain(),
                address: address.to_string(),
                role: service.role,
                name: service.name.clone(),
                detector: detector.to_string(),
                confidence,
                evidence: text,
            });
        };
        // By address id, so that every build writes the same file.
        let mut cospent: Vec<(u32, TxId)> =
            self.first_cospend.iter().map(|(&a, &tx)| (a, tx)).collect();
        cospent.sort_unstable();
        for (id, tx) in cospent {
            if self.labelled[id as usize] {
                continue;
            }
            if let Some(service) = self.clusters.label(id) {
                push(id, service, Evidence::CoSpent { tx });
            }
        }
        // A deposit address's evidence is the first sweep spending it.
        for (&id, txs) in &self.swept {
            let Some((tx, sweep)) = txs.first().and_then(|tx| Some((*tx, self.sweeps.get(tx)?)))
            else {
                continue;
            };
            let evidence = Evidence::Swept {
                tx,
                inputs: sweep.inputs.len(),
            };
            push(id, sweep.service, evidence);
        }
        UtxoServices {
            attributions,
            conflicts: self.conflicts,
            coinjoins: self.coinjoins,
        }
    }
}
