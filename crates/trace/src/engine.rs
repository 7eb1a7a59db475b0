//! Forward propagation of taint over the store, in time order, across chains.
//!
//! The engine is a discrete-event simulation: every event (a tainted transfer arriving at an
//! account, the next outflow of a tainted account, a UTXO transaction spending a tainted output)
//! is keyed by (effective block time, chain, record row or transaction id), and events are
//! processed in that order. The effective time of a block is the latest timestamp up to it
//! ([`ChainReader::block_effective_time`]): it never decreases along a chain, so within a chain
//! events run in height and position order even where block timestamps go backwards (Bitcoin),
//! and across chains they interleave by time, the chain's store order breaking ties. Causality
//! follows that order, so an account's balance, lot queue or tainted fraction is always up to
//! date when one of its outflows is priced, and a UTXO transaction runs after every transaction
//! whose outputs it spends. Both chain models feed the same [`Holder`] state machine.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::time::Instant;

use chaintrail_core::{Address, Chain, TransferKind};
use chaintrail_store::{ChainReader, TxId, schema};

use crate::TraceError;
use crate::attribution::{Attribution, Entities, Entity, Role};
use crate::cancel::Cancel;
use crate::convert::{Chains, Conversion, Converter, Flow, TooLarge, Waiting};
use crate::policy::{Holder, Lots, Policy, spend_utxo};
use crate::report::{EndpointKind, TraceStats};

/// One tainted movement: a transfer row (account chains) or an output row (UTXO chains), or a
/// seed. Edges form a tree through `parent`, from which paths are read.
#[derive(Debug, Clone)]
pub(crate) struct Edge {
    pub chain: Chain,
    pub record: Record,
    pub asset: u32,
    pub taint: u128,
    pub hop: u32,
    pub parent: Option<usize>,
    pub rule: String,
    pub confidence: f64,
}

/// The record an edge stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Record {
    /// A seed that is not one record (an address's inflows).
    Seed,
    /// A transfer row of an account chain.
    Transfer(u64),
    /// An output row of a UTXO chain.
    Output(u64),
    /// The fee of a UTXO transaction.
    Fee(TxId),
}

/// Where tainted value ended, before aggregation.
#[derive(Debug, Clone)]
pub(crate) struct Arrival {
    pub kind: EndpointKind,
    pub entity: Option<Entity>,
    pub chain: Chain,
    pub address: Option<u32>,
    pub asset: u32,
    pub taint: u128,
    /// The edge that delivered it (its tx, time and path).
    pub edge: usize,
    /// What else the reader should know (a pending bridge inbound's request).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct AccountKey {
    chain: usize,
    address: u32,
    asset: u32,
}

/// How a transfer row touches the account whose events it is among.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    In,
    Out,
    /// The account paid itself: the units leave and come straight back, so the row is one
    /// event that neither adds to the balance nor sends taint anywhere else.
    Own,
}

struct AccountHolder {
    holder: Holder,
    /// The rows of this address in this asset, successful only, ascending.
    events: Vec<(u64, Side)>,
    pos: usize,
    pending: HashMap<u64, (Lots, usize)>,
    /// The tainted inflow that contributed most: the parent of this holder's outflows.
    parent: Option<(usize, u128)>,
    hop: u32,
    confidence: f64,
    scheduled: Option<u64>,
    /// Seed by address: inflows are tainted until this many units have been.
    seed_budget: Option<(u128, usize)>,
    /// The holder met an amount it cannot measure (above 2^128 base units, or a balance that
    /// would be): what it held was reported `too_large`, and so is every tainted inflow since.
    unmeasured: bool,
}

/// The evidence of a `too_large` endpoint.
pub(crate) const TOO_LARGE_EVIDENCE: &str =
    "amount above 2^128 base units (a spam token?); not traced";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum EventKind {
    /// A tainted transfer reaches an account: index into `inflows`.
    Inflow(usize),
    /// The next outflow of a tainted account.
    Outflow(AccountKey),
    /// A UTXO transaction spending at least one tainted output.
    UtxoTx { chain: usize, tx: TxId },
}

/// The whole trace state.
pub(crate) struct Engine<'a> {
    pub chains: Vec<(Chain, &'a ChainReader)>,
    readers: &'a BTreeMap<Chain, ChainReader>,
    converters: &'a [&'a dyn Converter],
    policy: Policy,
    max_hops: u32,
    /// Per chain and asset, in base units.
    is_dust: &'a dyn Fn(Chain, u32, u128) -> bool,
    until: Option<u64>,
    budget: u64,
    cancel: &'a Cancel,
    queue: BinaryHeap<Reverse<(u64, usize, u64, EventKind)>>,
    inflows: Vec<Option<(AccountKey, u64, Lots, usize)>>,
    /// The inflow of each (chain, transfer row) delivered so far.
    inflow_of: HashMap<(usize, u64), usize>,
    accounts: HashMap<AccountKey, AccountHolder>,
    utxo_tainted: HashMap<(usize, u64), (Lots, usize)>,
    utxo_scheduled: HashSet<(usize, TxId)>,
    entities: Entities<'a>,
    pub edges: Vec<Edge>,
    pub arrivals: Vec<Arrival>,
    events: u64,
}

pub(crate) struct EngineConfig<'a> {
    pub attribution: &'a dyn Attribution,
    pub converters: &'a [&'a dyn Converter],
    pub policy: Policy,
    pub max_hops: u32,
    pub is_dust: &'a dyn Fn(Chain, u32, u128) -> bool,
    pub until: Option<u64>,
    pub budget: u64,
    pub cancel: &'a Cancel,
}

impl<'a> Engine<'a> {
    pub fn new(readers: &'a BTreeMap<Chain, ChainReader>, config: EngineConfig<'a>) -> Engine<'a> {
        Engine {
            chains: readers.iter().map(|(c, r)| (*c, r)).collect(),
            readers,
            converters: config.converters,
            policy: config.policy,
            max_hops: config.max_hops,
            is_dust: config.is_dust,
            until: config.until,
            budget: config.budget,
            cancel: config.cancel,
            queue: BinaryHeap::new(),
            inflows: Vec::new(),
            inflow_of: HashMap::new(),
            accounts: HashMap::new(),
            utxo_tainted: HashMap::new(),
            utxo_scheduled: HashSet::new(),
            entities: Entities::new(config.attribution),
            edges: Vec::new(),
            arrivals: Vec::new(),
            events: 0,
        }
    }

    pub fn chain_index(&self, chain: Chain) -> Result<usize, TraceError> {
        self.chains
            .iter()
            .position(|(c, _)| *c == chain)
            .ok_or(TraceError::UnknownChain(chain))
    }

    fn reader(&self, chain: usize) -> &'a ChainReader {
        self.chains[chain].1
    }

    pub fn add_edge(&mut self, edge: Edge) -> usize {
        self.edges.push(edge);
        self.edges.len() - 1
    }

    fn entity(&mut self, chain: usize, address: u32) -> Option<Entity> {
        let (c, reader) = self.chains[chain];
        self.entities.get(c, reader, address)
    }

    fn arrive(
        &mut self,
        kind: EndpointKind,
        chain: usize,
        address: Option<u32>,
        asset: u32,
        taint: u128,
        edge: usize,
    ) {
        self.arrive_noted(kind, chain, address, asset, taint, edge, None);
    }

    #[allow(clippy::too_many_arguments)]
    fn arrive_noted(
        &mut self,
        kind: EndpointKind,
        chain: usize,
        address: Option<u32>,
        asset: u32,
        taint: u128,
        edge: usize,
        note: Option<String>,
    ) {
        if taint == 0 {
            return;
        }
        let entity = match (kind, address) {
            (
                EndpointKind::Service | EndpointKind::Entered | EndpointKind::BridgePending,
                Some(a),
            ) => self.entity(chain, a),
            _ => None,
        };
        self.arrivals.push(Arrival {
            kind,
            entity,
            chain: self.chains[chain].0,
            address,
            asset,
            taint,
            edge,
            note,
        });
    }

    /// The time transfer `row` is ordered by (its block's effective time).
    fn transfer_time(&self, chain: usize, row: u64) -> u64 {
        self.reader(chain).transfer_effective_time(row)
    }

    fn push(&mut self, time: u64, chain: usize, seq: u64, kind: EventKind) {
        self.queue.push(Reverse((time, chain, seq, kind)));
    }

    // ---- seeds ----

    /// Taint `lots` arriving at the recipient of transfer `row` (a seed transfer).
    pub fn seed_transfer(&mut self, chain: usize, row: u64, lots: Lots) -> Result<(), TraceError> {
        let t = self
            .reader(chain)
            .transfer(row)
            .ok_or(TraceError::Internal("seed transfer row out of range"))?;
        let edge = self.add_edge(Edge {
            chain: self.chains[chain].0,
            record: Record::Transfer(row),
            asset: t.asset,
            taint: lots.taint(),
            hop: 0,
            parent: None,
            rule: "seed".to_string(),
            confidence: 1.0,
        });
        self.deliver_transfer(chain, row, lots, edge);
        Ok(())
    }

    /// Every inflow of `address` in `asset` is tainted until `amount` units have been.
    pub fn seed_account(&mut self, chain: usize, address: u32, asset: u32, amount: u128) {
        let edge = self.add_edge(Edge {
            chain: self.chains[chain].0,
            record: Record::Seed,
            asset,
            taint: amount,
            hop: 0,
            parent: None,
            rule: "seed".to_string(),
            confidence: 1.0,
        });
        let key = AccountKey {
            chain,
            address,
            asset,
        };
        let mut holder = self.open_account(key);
        holder.seed_budget = Some((amount, edge));
        self.accounts.insert(key, holder);
        // The seed address's inflows are the tainted ones, from its first on.
        let first_inflow = self.accounts[&key]
            .events
            .iter()
            .find(|(_, side)| *side == Side::In)
            .map(|(row, _)| *row);
        if let Some(row) = first_inflow {
            self.advance(key, row);
            self.schedule(key);
        }
    }

    /// Taint output `row` of a UTXO chain with `lots`.
    pub fn seed_output(&mut self, chain: usize, row: u64, lots: Lots) -> Result<(), TraceError> {
        let reader = self.reader(chain);
        let output = reader
            .output(row)
            .ok_or(TraceError::Internal("seed output row out of range"))?;
        let edge = self.add_edge(Edge {
            chain: self.chains[chain].0,
            record: Record::Output(row),
            asset: 0,
            taint: lots.taint(),
            hop: 0,
            parent: None,
            rule: "seed".to_string(),
            confidence: 1.0,
        });
        self.place_output(chain, row, output.address, output.spent_by, lots, edge);
        Ok(())
    }

    // ---- account chains ----

    fn open_account(&self, key: AccountKey) -> AccountHolder {
        let reader = self.reader(key.chain);
        let columns = reader.transfer_columns();
        let keep = |row: u64| {
            let (asset, _, success) = schema::unpack_meta(columns.meta.at(row));
            success && asset == key.asset
        };
        let incoming: Vec<u64> = reader.incoming(key.address).filter(|&r| keep(r)).collect();
        let outgoing: Vec<u64> = reader.outgoing(key.address).filter(|&r| keep(r)).collect();
        let mut events = Vec::with_capacity(incoming.len() + outgoing.len());
        let (mut i, mut o) = (0, 0);
        while i < incoming.len() || o < outgoing.len() {
            if i < incoming.len() && o < outgoing.len() && incoming[i] == outgoing[o] {
                events.push((incoming[i], Side::Own));
                i += 1;
                o += 1;
            } else if o >= outgoing.len() || (i < incoming.len() && incoming[i] < outgoing[o]) {
                events.push((incoming[i], Side::In));
                i += 1;
            } else {
                events.push((outgoing[o], Side::Out));
                o += 1;
            }
        }
        AccountHolder {
            holder: Holder::new(self.policy),
            events,
            pos: 0,
            pending: HashMap::new(),
            parent: None,
            hop: 0,
            confidence: 1.0,
            scheduled: None,
            seed_budget: None,
            unmeasured: false,
        }
    }

    /// A tainted transfer `row` carries `lots`: deliver them to its recipient.
    fn deliver_transfer(&mut self, chain: usize, row: u64, lots: Lots, edge: usize) {
        let reader = self.reader(chain);
        let columns = reader.transfer_columns();
        let i = row as usize;
        let (asset, kind, _) = schema::unpack_meta(columns.meta.at(i as u64));
        let to = columns.to.at(i as u64);
        let taint = lots.taint();
        if kind == TransferKind::Fee {
            return self.arrive(EndpointKind::Fee, chain, Some(to), asset, taint, edge);
        }
        if to == schema::NO_ADDRESS || kind == TransferKind::Burn {
            // Tokens burnt on one chain may be a bridge's inbound, minted again on another.
            if asset != 0 && self.cross_burn(chain, row, taint, edge) {
                return;
            }
            return self.arrive(EndpointKind::Burnt, chain, None, asset, taint, edge);
        }
        if self.stop_convert_or_cut(chain, to, asset, Flow::Transfer(row), taint, edge) {
            return;
        }
        if reader.transfer_amount(row).to_u128().is_none() {
            // No holder can take it in: its balance would not fit 128 bits.
            return self.too_large(chain, Some(to), asset, taint, edge);
        }
        let key = AccountKey {
            chain,
            address: to,
            asset,
        };
        // Several converter payouts may land in one transfer (the shares of a bulk mixer
        // withdrawal): while it waits, they add up and the larger one's path stands for them.
        if let Some(&index) = self.inflow_of.get(&(chain, row))
            && let Some((_, _, waiting, waiting_edge)) = &mut self.inflows[index]
        {
            if lots.taint() > waiting.taint() {
                *waiting_edge = edge;
            }
            for lot in lots.0 {
                waiting.push(lot.amount, lot.tag);
            }
            return;
        }
        let time = self.transfer_time(chain, row);
        self.inflows.push(Some((key, row, lots, edge)));
        let index = self.inflows.len() - 1;
        self.inflow_of.insert((chain, row), index);
        self.push(time, chain, row, EventKind::Inflow(index));
    }

    /// Tainted value reached `address` through `flow`: stop at a service, pass through a
    /// converter (or report that it entered one), or cut at the hop limit. Returns whether the
    /// value was dealt with here.
    fn stop_convert_or_cut(
        &mut self,
        chain: usize,
        address: u32,
        asset: u32,
        flow: Flow,
        taint: u128,
        edge: usize,
    ) -> bool {
        let kind = match self.entity(chain, address).map(|e| e.role()) {
            Some(Role::Stop) => EndpointKind::Service,
            Some(Role::Convert) => {
                let Ok(conversions) = self.convert(chain, flow, taint) else {
                    self.too_large(chain, Some(address), asset, taint, edge);
                    return true;
                };
                let pending = self.pending(chain, flow);
                if conversions.is_empty() && pending.is_none() {
                    return self.entered(chain, address, asset, taint, edge);
                }
                // What the payouts settle goes on; the rest waits at the bridge.
                let waiting = match (&pending, conversions.is_empty()) {
                    (_, true) => taint,
                    (Some(w), false) => (taint as f64 * w.share).round() as u128,
                    (None, false) => 0,
                };
                // A share of a mixer note no withdrawal draws stays in the mixer.
                let undrawn = if pending.is_none() {
                    self.undrawn(chain, flow)
                } else {
                    0.0
                };
                for conversion in conversions {
                    self.follow_conversion(edge, conversion);
                }
                if undrawn > 0.0 {
                    let left = (taint as f64 * undrawn).round() as u128;
                    self.entered(chain, address, asset, left.min(taint), edge);
                }
                if let Some(w) = pending {
                    self.arrive_noted(
                        w.kind,
                        chain,
                        Some(address),
                        asset,
                        waiting.min(taint),
                        edge,
                        Some(w.note),
                    );
                }
                return true;
            }
            Some(Role::Continue) | None => {
                let e = &self.edges[edge];
                if e.hop < self.max_hops || e.rule == "seed" {
                    return false;
                }
                EndpointKind::HopLimit
            }
        };
        self.arrive(kind, chain, Some(address), asset, taint, edge);
        true
    }

    /// Value entered a converter nothing sees through.
    fn entered(
        &mut self,
        chain: usize,
        address: u32,
        asset: u32,
        taint: u128,
        edge: usize,
    ) -> bool {
        self.arrive(
            EndpointKind::Entered,
            chain,
            Some(address),
            asset,
            taint,
            edge,
        );
        true
    }

    /// The conversions of the first converter that applies (empty when none does).
    fn convert(&self, chain: usize, flow: Flow, taint: u128) -> Result<Vec<Conversion>, TooLarge> {
        let chains = Chains {
            readers: self.readers,
        };
        for converter in self.converters {
            let found = converter.convert(&chains, self.chains[chain].0, flow, taint)?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
        Ok(Vec::new())
    }

    /// Tainted value met an amount the tracing path cannot measure.
    fn too_large(
        &mut self,
        chain: usize,
        address: Option<u32>,
        asset: u32,
        taint: u128,
        edge: usize,
    ) {
        self.arrive_noted(
            EndpointKind::TooLarge,
            chain,
            address,
            asset,
            taint,
            edge,
            Some(TOO_LARGE_EVIDENCE.to_string()),
        );
    }

    /// A token burn that a link says was a bridge inbound: follow the payouts.
    fn cross_burn(&mut self, chain: usize, row: u64, taint: u128, edge: usize) -> bool {
        let chains = Chains {
            readers: self.readers,
        };
        let found = self
            .converters
            .iter()
            .filter(|c| c.sees_burns())
            .map(|c| c.convert(&chains, self.chains[chain].0, Flow::Transfer(row), taint))
            .find(|found| found.as_ref().is_ok_and(|c| !c.is_empty()) || found.is_err());
        let conversions = match found {
            None => return false,
            Some(Ok(conversions)) => conversions,
            Some(Err(TooLarge)) => {
                let asset = self.reader(chain).transfer(row).map_or(0, |t| t.asset);
                self.too_large(chain, None, asset, taint, edge);
                return true;
            }
        };
        for conversion in conversions {
            self.follow_conversion(edge, conversion);
        }
        true
    }

    /// Is value entering a converter through `flow` known to wait for a payout?
    fn pending(&self, chain: usize, flow: Flow) -> Option<Waiting> {
        let chains = Chains {
            readers: self.readers,
        };
        self.converters
            .iter()
            .find_map(|c| c.pending(&chains, self.chains[chain].0, flow))
    }

    /// How much of value entering a converter through `flow` no payout draws.
    fn undrawn(&self, chain: usize, flow: Flow) -> f64 {
        let chains = Chains {
            readers: self.readers,
        };
        self.converters
            .iter()
            .map(|c| c.undrawn(&chains, self.chains[chain].0, flow))
            .find(|share| *share > 0.0)
            .unwrap_or(0.0)
    }

    fn follow_conversion(&mut self, parent: usize, conversion: Conversion) {
        let Ok(chain) = self.chain_index(conversion.chain) else {
            return;
        };
        let parent_edge = &self.edges[parent];
        let (hop, confidence) = (
            parent_edge.hop,
            parent_edge.confidence * conversion.confidence,
        );
        let lots = Lots::tainted(conversion.taint);
        match conversion.flow {
            Flow::Transfer(row) => {
                let Some(t) = self.reader(chain).transfer(row) else {
                    return;
                };
                let edge = self.add_edge(Edge {
                    chain: conversion.chain,
                    record: Record::Transfer(row),
                    asset: t.asset,
                    taint: conversion.taint,
                    hop,
                    parent: Some(parent),
                    rule: conversion.rule,
                    confidence,
                });
                self.deliver_transfer(chain, row, lots, edge);
            }
            Flow::Output(row) => {
                let Some(output) = self.reader(chain).output(row) else {
                    return;
                };
                let edge = self.add_edge(Edge {
                    chain: conversion.chain,
                    record: Record::Output(row),
                    asset: 0,
                    taint: conversion.taint,
                    hop,
                    parent: Some(parent),
                    rule: conversion.rule,
                    confidence,
                });
                // The output's own value: the linked payout may carry clean value too.
                let value = u128::from(output.value);
                let lots = Lots::split(value, conversion.taint);
                self.place_output(chain, row, output.address, output.spent_by, lots, edge);
            }
        }
    }

    fn on_inflow(&mut self, index: usize) {
        let Some((key, row, lots, edge)) = self.inflows[index].take() else {
            return;
        };
        let mut holder = match self.accounts.remove(&key) {
            Some(holder) => holder,
            None => self.open_account(key),
        };
        holder.pending.insert(row, (lots, edge));
        self.accounts.insert(key, holder);
        self.advance(key, row);
        self.schedule(key);
    }

    fn on_outflow(&mut self, key: AccountKey, row: u64) {
        if let Some(holder) = self.accounts.get_mut(&key) {
            holder.scheduled = None;
        }
        self.advance(key, row);
        self.schedule(key);
    }

    /// Apply the account's events up to and including `upto`.
    fn advance(&mut self, key: AccountKey, upto: u64) {
        let Some(mut holder) = self.accounts.remove(&key) else {
            return;
        };
        let reader = self.reader(key.chain);
        while let Some(&(row, side)) = holder.events.get(holder.pos) {
            if row > upto {
                break;
            }
            holder.pos += 1;
            if holder.unmeasured {
                if let Some((lots, edge)) = holder.pending.remove(&row) {
                    self.too_large(key.chain, Some(key.address), key.asset, lots.taint(), edge);
                }
                continue;
            }
            let amount = reader.transfer_amount(row).to_u128();
            match side {
                Side::Own => {
                    let Some(amount) = amount else {
                        self.close_unmeasured(key, &mut holder, row);
                        continue;
                    };
                    // The units that leave come back: whatever taint they carried stays, and a
                    // seed of this very transfer taints them as it would the recipient's.
                    let left = holder.holder.outflow(amount);
                    let back = match holder.pending.remove(&row) {
                        Some((lots, edge)) => {
                            self.adopt_parent(&mut holder, &lots, edge);
                            Lots::split(amount, lots.taint().max(left.taint()))
                        }
                        None => left,
                    };
                    holder.holder.inflow(&back);
                }
                Side::In => {
                    let fits = amount.filter(|&a| holder.holder.balance().checked_add(a).is_some());
                    let Some(amount) = fits else {
                        self.close_unmeasured(key, &mut holder, row);
                        continue;
                    };
                    let lots = match holder.pending.remove(&row) {
                        Some((lots, edge)) => {
                            self.adopt_parent(&mut holder, &lots, edge);
                            lots
                        }
                        None => match &mut holder.seed_budget {
                            Some((left, edge)) if *left > 0 => {
                                let taint = amount.min(*left);
                                *left -= taint;
                                holder.parent =
                                    Some((*edge, taint.max(holder.parent.map_or(0, |p| p.1))));
                                Lots::split(amount, taint)
                            }
                            _ => Lots::clean(amount),
                        },
                    };
                    holder.holder.inflow(&lots);
                }
                Side::Out => {
                    // More than 128 bits is more than the holder is known to hold: it takes it all.
                    let amount = amount.unwrap_or_else(|| holder.holder.balance());
                    let out = holder.holder.outflow(amount);
                    let taint = out.taint();
                    if taint > 0 {
                        let (parent, _) = holder.parent.unwrap_or((0, 0));
                        let edge = self.add_edge(Edge {
                            chain: self.chains[key.chain].0,
                            record: Record::Transfer(row),
                            asset: key.asset,
                            taint,
                            hop: holder.hop + 1,
                            parent: Some(parent),
                            rule: self.policy.to_string(),
                            confidence: holder.confidence,
                        });
                        if (self.is_dust)(self.chains[key.chain].0, key.asset, taint) {
                            let to = reader.transfer_columns().to.at(row);
                            self.arrive(
                                EndpointKind::Dust,
                                key.chain,
                                Some(to),
                                key.asset,
                                taint,
                                edge,
                            );
                        } else {
                            self.deliver_transfer(key.chain, row, out, edge);
                        }
                    }
                }
            }
        }
        self.accounts.insert(key, holder);
    }

    /// A tainted inflow's edge becomes the parent of the holder's outflows when it brought the
    /// most taint so far; the holder's hop count and confidence follow from it.
    fn adopt_parent(&self, holder: &mut AccountHolder, lots: &Lots, edge: usize) {
        let taint = lots.taint();
        let e = &self.edges[edge];
        holder.hop = holder.hop.max(e.hop);
        if holder.parent.is_none_or(|(_, best)| taint > best) {
            holder.parent = Some((edge, taint));
            holder.confidence = e.confidence;
        }
    }

    /// Inflow `row` makes the account's balance unmeasurable (its amount, or the balance with
    /// it, is above 2^128 base units): report what it holds — and the inflow's taint, and what
    /// an address seed had still to taint — as `too_large`, and stop tracing it.
    fn close_unmeasured(&mut self, key: AccountKey, holder: &mut AccountHolder, row: u64) {
        let (chain, address, asset) = (key.chain, Some(key.address), key.asset);
        let (parent, _) = holder.parent.unwrap_or((0, 0));
        self.too_large(chain, address, asset, holder.holder.tainted(), parent);
        if let Some((lots, edge)) = holder.pending.remove(&row) {
            self.too_large(chain, address, asset, lots.taint(), edge);
        }
        if let Some((left, edge)) = holder.seed_budget.take() {
            self.too_large(chain, address, asset, left, edge);
        }
        holder.holder = Holder::new(self.policy);
        holder.unmeasured = true;
    }

    /// Queue the account's next outflow if it holds taint.
    fn schedule(&mut self, key: AccountKey) {
        let Some(holder) = self.accounts.get(&key) else {
            return;
        };
        if holder.unmeasured {
            return;
        }
        if holder.holder.tainted() == 0 && holder.seed_budget.is_none_or(|(left, _)| left == 0) {
            return;
        }
        let next = holder.events[holder.pos..]
            .iter()
            .find(|(_, side)| *side == Side::Out)
            .map(|(row, _)| *row);
        // A seeded address also needs its later inflows applied; they are consumed on the way.
        let Some(row) = next else { return };
        if holder.scheduled == Some(row) {
            return;
        }
        let time = self.transfer_time(key.chain, row);
        if self.until.is_some_and(|until| time > until) {
            return;
        }
        if let Some(holder) = self.accounts.get_mut(&key) {
            holder.scheduled = Some(row);
        }
        self.push(time, key.chain, row, EventKind::Outflow(key));
    }

    // ---- UTXO chains ----

    /// A tainted output: stop at services, otherwise wait for its spender.
    fn place_output(
        &mut self,
        chain: usize,
        row: u64,
        address: u32,
        spent_by: Option<TxId>,
        lots: Lots,
        edge: usize,
    ) {
        let taint = lots.taint();
        let reader = self.reader(chain);
        let unspendable = reader.address(address).is_some_and(|a| {
            matches!(
                a,
                Address::Bitcoin {
                    kind: chaintrail_core::BitcoinAddress::NullData,
                    ..
                }
            )
        });
        if unspendable {
            return self.arrive(EndpointKind::Burnt, chain, Some(address), 0, taint, edge);
        }
        if self.stop_convert_or_cut(chain, address, 0, Flow::Output(row), taint, edge) {
            return;
        }
        let Some(spender) = spent_by else {
            return self.arrive(EndpointKind::Unspent, chain, Some(address), 0, taint, edge);
        };
        let time = reader.tx_effective_time(spender);
        if self.until.is_some_and(|until| time > until) {
            return self.arrive(EndpointKind::Unspent, chain, Some(address), 0, taint, edge);
        }
        // Several converter payouts may land in one output (shares of one payout): their
        // taint adds up, within the output's value, and the larger one's path stands for them.
        let (lots, edge) = match self.utxo_tainted.remove(&(chain, row)) {
            Some((earlier, earlier_edge)) => {
                let value = earlier.total().max(lots.total());
                let edge = if earlier.taint() >= taint {
                    earlier_edge
                } else {
                    edge
                };
                let sum = earlier.taint().saturating_add(taint);
                (Lots::split(value, sum), edge)
            }
            None => (lots, edge),
        };
        self.utxo_tainted.insert((chain, row), (lots, edge));
        if self.utxo_scheduled.insert((chain, spender)) {
            self.push(
                time,
                chain,
                spender,
                EventKind::UtxoTx { chain, tx: spender },
            );
        }
    }

    fn on_utxo_tx(&mut self, chain: usize, tx: TxId) {
        let reader = self.reader(chain);
        let mut inputs = Vec::new();
        let mut parent: Option<(usize, u128)> = None;
        for row in reader.tx_inputs(tx) {
            let Some(input) = reader.input(row) else {
                continue;
            };
            let lots = match input
                .spent_output
                .and_then(|o| self.utxo_tainted.remove(&(chain, o)))
            {
                Some((lots, edge)) => {
                    if parent.is_none_or(|(_, best)| lots.taint() > best) {
                        parent = Some((edge, lots.taint()));
                    }
                    lots
                }
                // An unlinked input of unknown value adds nothing: the outputs it funded are
                // topped up with clean units, as for any history before the store.
                None => Lots::clean(input.value.map_or(0, u128::from)),
            };
            inputs.push(lots);
        }
        let Some((parent, _)) = parent else { return };
        let outputs: Vec<_> = reader
            .tx_outputs(tx)
            .filter_map(|row| reader.output(row))
            .collect();
        let values: Vec<u128> = outputs.iter().map(|o| u128::from(o.value)).collect();
        let (filled, fee) = spend_utxo(self.policy, &inputs, &values);
        let parent_edge = self.edges[parent].clone();
        let chain_id = self.chains[chain].0;
        let fee_taint = fee.taint();
        if fee_taint > 0 {
            let edge = self.add_edge(Edge {
                chain: chain_id,
                record: Record::Fee(tx),
                asset: 0,
                taint: fee_taint,
                hop: parent_edge.hop + 1,
                parent: Some(parent),
                rule: format!("{} (fee)", self.policy),
                confidence: parent_edge.confidence,
            });
            self.arrive(EndpointKind::Fee, chain, None, 0, fee_taint, edge);
        }
        for (output, lots) in outputs.into_iter().zip(filled) {
            let taint = lots.taint();
            if taint == 0 {
                continue;
            }
            let edge = self.add_edge(Edge {
                chain: chain_id,
                record: Record::Output(output.row),
                asset: 0,
                taint,
                hop: parent_edge.hop + 1,
                parent: Some(parent),
                rule: self.policy.to_string(),
                confidence: parent_edge.confidence,
            });
            if (self.is_dust)(chain_id, 0, taint) {
                self.arrive(
                    EndpointKind::Dust,
                    chain,
                    Some(output.address),
                    0,
                    taint,
                    edge,
                );
                continue;
            }
            self.place_output(
                chain,
                output.row,
                output.address,
                output.spent_by,
                lots,
                edge,
            );
        }
    }

    // ---- the loop ----

    pub fn run(&mut self) -> TraceStats {
        let started = Instant::now();
        let mut budget_exhausted = false;
        while let Some(Reverse((time, chain, seq, kind))) = self.queue.pop() {
            if self.cancel.is_cancelled() {
                // The caller gave up: stop without building endpoints nobody will read.
                return TraceStats {
                    events: self.events,
                    holders: 0,
                    edges: self.edges.len() as u64,
                    elapsed_ms: started.elapsed().as_millis() as u64,
                    budget_exhausted: false,
                };
            }
            if self.events >= self.budget {
                budget_exhausted = true;
                self.queue.push(Reverse((time, chain, seq, kind)));
                break;
            }
            self.events += 1;
            match kind {
                EventKind::Inflow(index) => self.on_inflow(index),
                EventKind::Outflow(key) => self.on_outflow(key, seq),
                EventKind::UtxoTx { chain, tx } => self.on_utxo_tx(chain, tx),
            }
        }
        self.finish(budget_exhausted);
        TraceStats {
            events: self.events,
            holders: (self.accounts.len() + self.utxo_scheduled.len()) as u64,
            edges: self.edges.len() as u64,
            elapsed_ms: started.elapsed().as_millis() as u64,
            budget_exhausted,
        }
    }

    /// Whatever is still held, queued or waiting for a spender becomes an endpoint.
    fn finish(&mut self, budget_exhausted: bool) {
        let left: Vec<_> = std::mem::take(&mut self.queue).into_vec();
        for Reverse((_, _, _, kind)) in left {
            if let EventKind::Inflow(index) = kind
                && let Some((key, _, lots, edge)) = self.inflows[index].take()
            {
                self.arrive(
                    EndpointKind::Unexplored,
                    key.chain,
                    Some(key.address),
                    key.asset,
                    lots.taint(),
                    edge,
                );
            }
        }
        let waiting: Vec<_> = self.utxo_tainted.drain().collect();
        for ((chain, row), (lots, edge)) in waiting {
            let address = self.reader(chain).output(row).map(|o| o.address);
            let kind = if budget_exhausted {
                EndpointKind::Unexplored
            } else {
                EndpointKind::Unspent
            };
            self.arrive(kind, chain, address, 0, lots.taint(), edge);
        }
        let mut keys: Vec<AccountKey> = self.accounts.keys().copied().collect();
        keys.sort();
        for &key in &keys {
            // Inflows after an account's last outflow still add to what it holds.
            let only_inflows_left = self.accounts[&key].events[self.accounts[&key].pos..]
                .iter()
                .all(|(_, side)| *side != Side::Out);
            if only_inflows_left && !budget_exhausted {
                self.advance(key, self.until_row(key));
            }
        }
        for key in keys {
            let Some(holder) = self.accounts.get(&key) else {
                continue;
            };
            let taint = holder.holder.tainted();
            if taint == 0 {
                continue;
            }
            let kind = if holder.scheduled.is_some() && budget_exhausted {
                EndpointKind::Unexplored
            } else {
                EndpointKind::Unspent
            };
            let (parent, _) = holder.parent.unwrap_or((0, 0));
            self.arrive(kind, key.chain, Some(key.address), key.asset, taint, parent);
        }
    }

    /// The last row an account may still apply: everything, or up to `--until`.
    fn until_row(&self, key: AccountKey) -> u64 {
        let Some(until) = self.until else {
            return u64::MAX;
        };
        let holder = &self.accounts[&key];
        holder.events[holder.pos..]
            .iter()
            .take_while(|(row, _)| self.transfer_time(key.chain, *row) <= until)
            .last()
            .map_or(0, |(row, _)| *row)
    }
}
