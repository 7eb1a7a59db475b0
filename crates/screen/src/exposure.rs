//! The exposure walk (docs/exposure.md): from each transfer of the screened address, follow the
//! value backward (incoming: where did it come from?) or forward (outgoing: where did it go?)
//! through unattributed addresses only, splitting it in proportion to amounts (haircut), until
//! it reaches an attributed address (any category: services and illicit actors alike are
//! stopping points), the hop limit, the share floor or the work budget.
//!
//! Account chains: a node is an address; its value before a transfer is the same asset it
//! received in earlier rows (rows are in time order). UTXO chains: a node is a transaction; its
//! inputs fund its outputs in proportion.
//!
//! An attributed address counts, for a transfer on a given day, under its role (what it does:
//! exchange, mixer, …) and under each of its flags in force that day (what it is marked as:
//! sanctioned, hack, …): a Tornado Cash pool is mixer exposure always and sanctioned exposure for
//! transfers while OFAC listed it. An address with nothing in force that day is walked through.
//!
//! Converters (bridges, mixers, DEXes: role `Convert`) are stopping points like every attributed
//! address, but when a known link applies (`links.jsonl`: a bridge's memo join, a mixer's
//! deposit ↔ withdrawal link) the walk also continues on the other side of it — possibly on
//! another chain — with the link's confidence, and the path step names the link's evidence.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chaintrail_core::{Amount, Asset, Chain, ChainModel, TransferKind};
use chaintrail_labels::{Category, Date, LabelStore, UnknownStart, Validity, validity};
use chaintrail_store::schema::unpack_meta;
use chaintrail_store::{ChainReader, InputSource, TxId};
use chaintrail_trace::convert::Chains;
use chaintrail_trace::{Cancel, Converter, Flow, Prices, Role};
use serde::{Deserialize, Serialize};

use crate::entity_memo::EntityMemo;
use crate::links::{self, KnownLinks};

use crate::model::{
    ChainExposure, Direction, ExcludedDust, Exposure, ExposurePath, ExposureType, HopValue,
    NativeValue, PathStep, Volume,
};
use crate::rules::{self, RuleTable};

/// Knobs of the walk. The defaults are documented in docs/exposure.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Hops followed from the address (1 = its direct counterparties only).
    pub max_hops: u32,
    /// Branches carrying less than this fraction of the address's transfer are not followed.
    pub min_share: f64,
    /// Inbound transfers worth less than this (USD) are dust; unsolicited dust is not scored.
    pub dust_usd: f64,
    /// Work budget per address, in transfers/inputs/outputs examined.
    pub budget: u64,
    /// Paths kept per exposure (0 = none).
    pub max_paths: usize,
    /// Derived links below this confidence are not crossed. The default, 0.7, leaves out bulk
    /// mixer batches (0.6): they say which campaigns fund a withdrawal as a whole, evidence for
    /// an investigation but not enough to rate the addresses downstream of every withdrawal the
    /// batch shares (the pool's own exposure is reported).
    #[serde(default = "default_min_link_confidence")]
    pub min_link_confidence: f64,
}

fn default_min_link_confidence() -> f64 {
    0.7
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_hops: 5,
            min_share: 1e-4,
            dust_usd: 50.0,
            budget: 50_000,
            max_paths: 0,
            min_link_confidence: default_min_link_confidence(),
        }
    }
}

/// An attributed entity as the walk sees it: its role at the screening date and its flags with
/// the days they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    /// The entity's name, as the labels give it (the key exposures are grouped by).
    pub name: String,
    /// What the entity is at the screening date (exchange, mixer, …); `None` when no role holds
    /// then (it has flags only).
    pub role: Option<Category>,
    /// Its flags (sanctioned, …) with the days each holds, judged per transfer day.
    pub flags: Vec<DatedFlag>,
    /// Set when the role comes from the address's cluster, not its labels: why.
    pub via_cluster: Option<String>,
}

/// A flag and the days it holds (`valid_from <= day < valid_to`; before `valid_from`, unknown
/// when its start is unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatedFlag {
    /// The flag's category.
    pub flag: Category,
    /// First day the flag holds, if known.
    pub valid_from: Option<Date>,
    /// First day it no longer holds (exclusive); `None` while it still holds.
    pub valid_to: Option<Date>,
    /// Set when the start is unknown: `valid_from` is then the first evidence (the first OFAC
    /// snapshot listing the address) and the days before it are of unknown status.
    pub unknown_start: Option<UnknownStart>,
}

/// The exposure categories of an entity for a transfer on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayCategories {
    /// The role, then the flags in force or possibly in force that day (riskiest first).
    pub all: Vec<Category>,
    /// The flags of `all` whose status that day is unknown (an OFAC listing before the first
    /// snapshot holding the address, its designation date unknown): counted, out of caution,
    /// and marked.
    pub unknown: Vec<Category>,
}

impl Entity {
    /// The exposure categories of a transfer on `day`: the role, then the flags in force then
    /// or of unknown status then (riskiest first). Empty when nothing holds or may hold.
    pub fn categories_on(&self, day: Date) -> DayCategories {
        let mut on_day = DayCategories {
            all: self.role.into_iter().collect(),
            unknown: Vec::new(),
        };
        let mut held: Vec<Category> = Vec::new();
        for f in &self.flags {
            match validity(f.valid_from, f.valid_to, f.unknown_start, day) {
                Validity::Holds => held.push(f.flag),
                Validity::Unknown => on_day.unknown.push(f.flag),
                Validity::DoesNotHold => continue,
            }
            if !on_day.all.contains(&f.flag) {
                on_day.all.push(f.flag);
            }
        }
        on_day.unknown.retain(|flag| !held.contains(flag));
        on_day.unknown.dedup();
        on_day
    }

    /// Does value change asset or chain here (a mixer, bridge or DEX)?
    pub fn converts(&self) -> bool {
        self.role
            .is_some_and(|r| chaintrail_trace::role(r) == Role::Convert)
    }
}

/// The labels as the walk sees them: roles at the screening date, flags over time.
pub struct Attributor<'a> {
    /// The label store entities are resolved from.
    pub labels: &'a LabelStore,
    /// The store's clusters: an address without a role label whose cluster is a service's
    /// counts as that service.
    pub clusters: Option<&'a chaintrail_cluster::Clusters>,
    /// The screening date: roles are taken as they stand on it.
    pub at: Date,
}

impl Attributor<'_> {
    /// The resolved entity of `text` on `chain` ([`LabelStore::resolve_over_time`]): its role at
    /// the screening date and every flag with its validity. `None` when it has neither.
    pub fn entity(&self, chain: Chain, text: &str) -> Option<Entity> {
        let resolved = self.labels.resolve_over_time(chain, text, Some(self.at));
        if resolved
            .as_ref()
            .is_none_or(|r| r.role_category().is_none())
            && let Some(entity) = self.cluster_entity(chain, text, resolved.as_ref())
        {
            return Some(entity);
        }
        let resolved = resolved?;
        let flags = Self::flags(&resolved);
        let role = resolved.role_category();
        if role.is_none() && flags.is_empty() {
            return None;
        }
        Some(Entity {
            name: resolved.name,
            role,
            flags,
            via_cluster: None,
        })
    }

    /// The service of `text`'s cluster, when it has one, with the flags its own labels carry.
    fn cluster_entity(
        &self,
        chain: Chain,
        text: &str,
        resolved: Option<&chaintrail_labels::Resolved>,
    ) -> Option<Entity> {
        let address = chaintrail_core::Address::parse(chain, text).ok()?;
        let info = self.clusters?.cluster_of(chain, &address)?;
        let label = info.label?;
        let how = info.joined_by.map_or_else(String::new, |j| {
            format!(" via {} in tx {}", j.heuristic.name(), j.tx)
        });
        Some(Entity {
            via_cluster: Some(format!(
                "cluster of {} (labelled address {}){how}",
                label.name, label.labelled_address
            )),
            name: label.name,
            role: Some(label.role),
            flags: resolved.map(Self::flags).unwrap_or_default(),
        })
    }

    fn flags(resolved: &chaintrail_labels::Resolved) -> Vec<DatedFlag> {
        let mut flags: Vec<DatedFlag> = Vec::with_capacity(resolved.flags.len());
        for claim in &resolved.flags {
            let flag = DatedFlag {
                flag: claim.flag,
                valid_from: claim.valid_from,
                valid_to: claim.valid_to,
                unknown_start: claim.unknown_start,
            };
            if !flags.contains(&flag) {
                flags.push(flag);
            }
        }
        flags
    }
}

/// The last Unix second a screening at `date` sees: the end of the day (23:59:59 UTC); 0 for a
/// day before 1970, when no block exists.
pub fn end_of_day(date: Date) -> u64 {
    u64::try_from(date.end_unix_seconds()).unwrap_or(0)
}

fn amount_f64(amount: Amount) -> f64 {
    amount
        .to_u128()
        .map_or_else(|| amount.to_f64_units(0), |v| v as f64)
}

/// One step on the walk's stack, materialised into a [`PathStep`] only when a path is kept.
#[derive(Debug, Clone)]
struct StepRef {
    chain: Chain,
    tx: TxId,
    from: Option<u32>,
    to: Option<u32>,
    share: f64,
    /// The link crossed by this step (converter, evidence, confidence), if any.
    rule: Option<Arc<str>>,
}

struct Hit {
    entity: Arc<Entity>,
    /// The role and the flags in force (or of unknown status) on the day of the transfer that
    /// reached the entity.
    categories: DayCategories,
    /// That day.
    day: Date,
    hops: u32,
    share: f64,
    path: Vec<StepRef>,
}

#[derive(Default)]
struct Agg {
    usd: f64,
    units: BTreeMap<String, f64>,
    by_hop: BTreeMap<u32, f64>,
    min_hops: u32,
    paths: Vec<ExposurePath>,
    listing_unknown: bool,
    /// Why unlabelled addresses counted as the entity (the first cluster membership met).
    via_cluster: Option<String>,
    /// Some of it reached the entity under a flag that still holds at the screening date.
    in_force: bool,
    days: Option<(Date, Date)>,
}

type Key = (Category, String, Direction, ExposureType);

/// An attributed address as a transfer on `day` found it: the entity and what it counts as
/// that day.
struct Attributed {
    entity: Arc<Entity>,
    categories: DayCategories,
    day: Date,
}

/// The walk for one address. It starts on the address's chain (`home`) and moves to another
/// chain only across a known link; `reader`/`chain` are the chain it is on.
struct Walk<'a> {
    readers: &'a BTreeMap<Chain, ChainReader>,
    links: &'a KnownLinks,
    reader: &'a ChainReader,
    chain: Chain,
    home: Chain,
    attr: &'a Attributor<'a>,
    /// The entities of the addresses met, by this walk and the others sharing the memo.
    entity_memo: &'a EntityMemo,
    params: &'a Params,
    cancel: &'a Cancel,
    subject: u32,
    work: u64,
    truncated: bool,
    /// A known link was not crossed because an amount is above 2^128 base units: the walk
    /// goes on, but its answer is a lower bound (reported as `truncated`).
    unmeasured: bool,
    stack: Vec<StepRef>,
    hits: Vec<Hit>,
}

impl<'a> Walk<'a> {
    fn entity(&mut self, id: u32) -> Option<Arc<Entity>> {
        if let Some(known) = self.entity_memo.get(self.chain, id) {
            return known;
        }
        let entity = self
            .reader
            .address(id)
            .and_then(|a| self.attr.entity(self.chain, &a.to_string()))
            .map(Arc::new);
        self.entity_memo.insert(self.chain, id, entity.as_ref());
        entity
    }

    /// The entity at `id` and its exposure categories for a transfer at `time` (Unix seconds:
    /// its role and the flags in force that day), or `None` when nothing of it holds then: the
    /// walk goes through it.
    fn attributed(
        &mut self,
        id: u32,
        time: impl FnOnce(&ChainReader) -> Option<u64>,
    ) -> Option<Attributed> {
        let entity = self.entity(id)?;
        let day = time(self.reader)
            .and_then(Date::from_unix_seconds)
            .unwrap_or(self.attr.at);
        let categories = entity.categories_on(day);
        (!categories.all.is_empty()).then_some(Attributed {
            entity,
            categories,
            day,
        })
    }

    fn is_subject(&self, id: u32) -> bool {
        self.chain == self.home && id == self.subject
    }

    /// Does the walk look for a link behind this attributed address?
    fn crosses(&self, entity: &Entity, hop: u32) -> bool {
        !self.links.is_empty() && hop < self.params.max_hops && !self.truncated && entity.converts()
    }

    fn spend(&mut self) -> bool {
        self.work += 1;
        if self.work > self.params.budget || self.cancel.is_cancelled() {
            self.truncated = true;
            return false;
        }
        true
    }

    fn record(&mut self, found: Attributed, hops: u32, share: f64) {
        let path = if self.params.max_paths > 0 {
            self.stack.clone()
        } else {
            Vec::new()
        };
        self.hits.push(Hit {
            entity: found.entity,
            categories: found.categories,
            day: found.day,
            hops,
            share,
            path,
        });
    }

    /// Run `f` on `chain` (its reader in place of the current one), then come back.
    fn on_chain(&mut self, chain: Chain, f: impl FnOnce(&mut Self)) {
        let Some(reader) = self.readers.get(&chain) else {
            return;
        };
        let saved = (self.reader, self.chain);
        self.reader = reader;
        self.chain = chain;
        f(self);
        (self.reader, self.chain) = saved;
    }

    fn step(&self, tx: TxId, from: Option<u32>, to: Option<u32>, share: f64) -> StepRef {
        StepRef {
            chain: self.chain,
            tx,
            from,
            to,
            share,
            rule: None,
        }
    }

    /// Account chain, backward: `node` sent `share` of the address's transfer in row
    /// `before_row`; where did `node`'s `asset` come from?
    fn back_account(&mut self, node: u32, before_row: u64, asset: u32, share: f64, hop: u32) {
        let sent_at = |r: &ChainReader| r.transfer(before_row).map(|t| t.block.timestamp);
        if let Some(found) = self.attributed(node, sent_at) {
            let crosses = self.crosses(&found.entity, hop);
            self.record(found, hop, share);
            if crosses {
                let columns = self.reader.transfer_columns();
                let via = columns.to.at(before_row);
                let tx = self.reader.transfer(before_row).map(|t| t.tx);
                if let Some(tx) = tx {
                    self.cross_backward(tx, Some(via), share, hop);
                }
            }
            return;
        }
        if hop >= self.params.max_hops || node == 0 {
            return;
        }
        let columns = self.reader.transfer_columns();
        let mut inflows = Vec::new();
        let mut total = 0.0;
        for row in self.reader.incoming(node) {
            if row >= before_row || !self.spend() {
                break;
            }
            let i = row as usize;
            let (a, kind, success) = unpack_meta(columns.meta.at(i as u64));
            let from = columns.from.at(i as u64);
            if a != asset || !success || from == node || matches!(kind, TransferKind::Fee) {
                continue;
            }
            let value = amount_f64(self.reader.transfer_amount(row));
            total += value;
            inflows.push((row, from, value));
        }
        if total <= 0.0 {
            return;
        }
        for (row, from, value) in inflows {
            let child = share * value / total;
            if child < self.params.min_share || self.truncated {
                continue;
            }
            self.stack.push(self.account_step(row, child));
            self.back_account(from, row, asset, child, hop + 1);
            self.stack.pop();
        }
    }

    /// Account chain, forward: `node` received `share` in row `after_row`; where did it go?
    fn fwd_account(&mut self, node: u32, after_row: u64, asset: u32, share: f64, hop: u32) {
        let received_at = |r: &ChainReader| r.transfer(after_row).map(|t| t.block.timestamp);
        if let Some(found) = self.attributed(node, received_at) {
            let crosses = self.crosses(&found.entity, hop);
            self.record(found, hop, share);
            if crosses {
                self.cross_forward(Flow::Transfer(after_row), share, hop);
            }
            return;
        }
        if hop >= self.params.max_hops || node == 0 {
            return;
        }
        let columns = self.reader.transfer_columns();
        let mut outflows = Vec::new();
        let mut total = 0.0;
        for row in self.reader.outgoing(node) {
            if row <= after_row {
                continue;
            }
            if !self.spend() {
                break;
            }
            let i = row as usize;
            let (a, kind, success) = unpack_meta(columns.meta.at(i as u64));
            let to = columns.to.at(i as u64);
            if a != asset
                || !success
                || to == node
                || to == 0
                || matches!(kind, TransferKind::Fee | TransferKind::Burn)
            {
                continue;
            }
            let value = amount_f64(self.reader.transfer_amount(row));
            total += value;
            outflows.push((row, to, value));
        }
        if total <= 0.0 {
            return;
        }
        for (row, to, value) in outflows {
            let child = share * value / total;
            if child < self.params.min_share || self.truncated {
                continue;
            }
            self.stack.push(self.account_step(row, child));
            self.fwd_account(to, row, asset, child, hop + 1);
            self.stack.pop();
        }
    }

    fn account_step(&self, row: u64, share: f64) -> StepRef {
        let columns = self.reader.transfer_columns();
        let i = row as usize;
        let tx = self.reader.transfer(row).map_or(0, |t| t.tx);
        self.step(
            tx,
            Some(columns.from.at(i as u64)),
            Some(columns.to.at(i as u64)),
            share,
        )
    }

    /// UTXO chain, backward: `share` of the address's output is funded by `tx`'s inputs; `via`
    /// is the recipient of the output the walk arrived by.
    fn back_utxo(&mut self, tx: TxId, via: Option<u32>, share: f64, hop: u32) {
        let mut inputs = Vec::new();
        let mut total = 0.0;
        for row in self.reader.tx_inputs(tx) {
            if !self.spend() {
                return;
            }
            let (address, value, spent) = match self.reader.input_source(row) {
                None => continue,
                Some(InputSource::Coinbase) => return,
                Some(InputSource::Output(spent)) => match self.reader.output_funds(spent) {
                    Some(funds) => (funds.address, funds.value, Some(spent)),
                    None => continue,
                },
                Some(InputSource::Unlinked {
                    value: Some(value),
                    address: Some(address),
                    ..
                }) => (address, value, None),
                Some(InputSource::Unlinked { .. }) => continue,
            };
            total += value as f64;
            inputs.push((address, value as f64, spent));
        }
        if total <= 0.0 {
            return;
        }
        // Inputs of converters that a link may see through: (share, first such input).
        let mut converted: Option<(f64, u32)> = None;
        for (address, value, spent) in inputs {
            let child = share * value / total;
            if self.is_subject(address) || child < self.params.min_share || self.truncated {
                continue;
            }
            self.stack.push(self.step(tx, Some(address), via, child));
            let spent_at = |r: &ChainReader| Some(r.tx_block(tx).timestamp);
            if let Some(found) = self.attributed(address, spent_at) {
                if self.crosses(&found.entity, hop) {
                    converted.get_or_insert((0.0, address)).0 += child;
                }
                self.record(found, hop, child);
            } else if hop < self.params.max_hops
                && let Some(row) = spent
            {
                self.back_utxo(self.reader.output_tx(row), Some(address), child, hop + 1);
            }
            self.stack.pop();
        }
        if let Some((sum, first)) = converted {
            self.stack.push(self.step(tx, Some(first), via, sum));
            self.cross_backward(tx, via, sum, hop);
            self.stack.pop();
        }
    }

    /// UTXO chain, forward: `share` of the address's spend enters `tx`; which outputs got it?
    fn fwd_utxo(&mut self, tx: TxId, share: f64, hop: u32) {
        let mut outputs = Vec::new();
        let mut total = 0.0;
        for row in self.reader.tx_outputs(tx) {
            if !self.spend() {
                return;
            }
            let Some(output) = self.reader.output_funds(row) else {
                continue;
            };
            if self.is_subject(output.address) || output.value == 0 {
                continue;
            }
            total += output.value as f64;
            outputs.push((row, output.address, output.value as f64, output.spent_by));
        }
        if total <= 0.0 {
            return;
        }
        for (row, address, value, spent_by) in outputs {
            let child = share * value / total;
            if child < self.params.min_share || self.truncated {
                continue;
            }
            self.stack.push(self.step(tx, None, Some(address), child));
            self.fwd_output(row, address, spent_by, child, hop);
            self.stack.pop();
        }
    }

    /// UTXO chain, forward: output `row` paying `address` carries `share` at `hop`.
    fn fwd_output(&mut self, row: u64, address: u32, spent_by: Option<TxId>, share: f64, hop: u32) {
        let paid_at = |r: &ChainReader| r.output(row).map(|o| r.tx_block(o.tx).timestamp);
        if let Some(found) = self.attributed(address, paid_at) {
            let crosses = self.crosses(&found.entity, hop);
            self.record(found, hop, share);
            if crosses {
                self.cross_forward(Flow::Output(row), share, hop);
            }
        } else if hop < self.params.max_hops
            && let Some(next) = spent_by
        {
            self.fwd_utxo(next, share, hop + 1);
        }
    }

    /// Forward through a converter: `share` entered it on the current chain by `flow` at
    /// `hop`; the known links say which records (maybe on another chain) paid it out. The share
    /// is split over them in proportion to what each carries, times the link's confidence.
    fn cross_forward(&mut self, flow: Flow, share: f64, hop: u32) {
        let amount_in = match flow {
            Flow::Transfer(row) => self.reader.transfer_amount(row).to_u128(),
            Flow::Output(row) => self.reader.output(row).map(|o| u128::from(o.value)),
        };
        let amount_in = match amount_in {
            Some(0) => return,
            Some(amount) => amount,
            // Above 2^128 base units (a spam token?): the links cannot be measured across, and
            // the screening says it is incomplete rather than stop quietly.
            None => {
                self.unmeasured = true;
                return;
            }
        };
        let chains = Chains {
            readers: self.readers,
        };
        let conversions = match self
            .links
            .converter()
            .convert(&chains, self.chain, flow, amount_in)
        {
            Ok(conversions) => conversions,
            Err(_) => {
                self.unmeasured = true;
                return;
            }
        };
        let conversions: Vec<_> = conversions
            .into_iter()
            .filter(|c| c.confidence >= self.params.min_link_confidence)
            .collect();
        if conversions.is_empty() || !self.spend() {
            return;
        }
        let total: f64 = conversions.iter().map(|c| c.taint as f64).sum();
        if total <= 0.0 {
            return;
        }
        // What no payout draws (part of a bulk mixer note) stays in the converter.
        let drawn = 1.0 - self.links.converter().undrawn(&chains, self.chain, flow);
        for c in conversions {
            let child = share * drawn * (c.taint as f64 / total) * c.confidence;
            if child < self.params.min_share || self.truncated {
                continue;
            }
            let rule: Arc<str> = Arc::from(c.rule.as_str());
            self.on_chain(c.chain, |walk| match c.flow {
                Flow::Transfer(row) => {
                    let Some(t) = walk.reader.transfer(row) else {
                        return;
                    };
                    let mut step = walk.step(t.tx, Some(t.from), Some(t.to), child);
                    step.rule = Some(rule);
                    walk.stack.push(step);
                    if !walk.is_subject(t.to) {
                        walk.fwd_account(t.to, row, t.asset, child, hop + 1);
                    }
                    walk.stack.pop();
                }
                Flow::Output(row) => {
                    let Some(o) = walk.reader.output(row) else {
                        return;
                    };
                    let mut step = walk.step(o.tx, None, Some(o.address), child);
                    step.rule = Some(rule);
                    walk.stack.push(step);
                    if !walk.is_subject(o.address) {
                        walk.fwd_output(row, o.address, o.spent_by, child, hop + 1);
                    }
                    walk.stack.pop();
                }
            });
        }
    }

    /// Backward through a converter: `share` left it on the current chain in transaction `tx`
    /// (to `via`, when known) at `hop`; the known links say which input transaction it pays
    /// out, and the walk goes on from that transaction's senders with the link's confidence
    /// (several links into `tx` share it by the share of its inbound each carries).
    fn cross_backward(&mut self, tx: TxId, via: Option<u32>, share: f64, hop: u32) {
        let hash = self.reader.tx_hash(tx);
        let via_address = via.and_then(|id| self.reader.address(id));
        let links: &'a KnownLinks = self.links;
        let applicable: Vec<&links::Incoming> = links
            .paying_out(self.chain, &hash)
            .iter()
            .filter(|l| l.link.confidence >= self.params.min_link_confidence)
            .filter(|l| {
                l.link.to_address.is_none()
                    || via_address.is_none()
                    || (l.to_address.is_some() && l.to_address == via_address)
            })
            .collect();
        if applicable.is_empty() || !self.spend() {
            return;
        }
        // Links into one payout share it by what each carries of its inbound (a bulk mixer
        // withdrawal drawn from several notes); whole links equally.
        let weights: f64 = applicable.iter().map(|l| l.link.share).sum();
        for incoming in applicable {
            let link = &incoming.link;
            let part = share * (link.share / weights) * link.confidence;
            if part < self.params.min_share || self.truncated {
                continue;
            }
            let rule: Arc<str> = Arc::from(links::rule(link).as_str());
            self.on_chain(link.from_chain, |walk| {
                let Some(from_tx) = walk.reader.tx_id(&link.from_tx) else {
                    return;
                };
                match walk.reader.model() {
                    ChainModel::Account => walk.back_deposit(from_tx, part, hop, rule),
                    ChainModel::Utxo => {
                        let mut step = walk.step(from_tx, None, None, part);
                        step.rule = Some(rule);
                        walk.stack.push(step);
                        walk.back_utxo(from_tx, None, part, hop + 1);
                        walk.stack.pop();
                    }
                }
            });
        }
    }

    /// Account chain, backward from a converter's input transaction `tx`: its value-carrying
    /// transfers into a converter from outside it (all of them when there are none) share `share`
    /// in proportion to amounts; each sender is reached at `hop + 1`.
    fn back_deposit(&mut self, tx: TxId, share: f64, hop: u32, rule: Arc<str>) {
        let mut deposits: Vec<(u64, u32, u32, u32, f64, bool)> = Vec::new();
        for row in self.reader.tx_transfers(tx) {
            let Some(t) = self.reader.transfer(row) else {
                continue;
            };
            if !t.success || matches!(t.kind, TransferKind::Fee | TransferKind::Burn) {
                continue;
            }
            let value = amount_f64(t.amount);
            if value <= 0.0 {
                continue;
            }
            let mut is_converter = |id| self.entity(id).is_some_and(|e| e.converts());
            // A deposit: into a converter from outside it (not its own internal movements).
            let deposit = is_converter(t.to) && !is_converter(t.from);
            deposits.push((row, t.from, t.to, t.asset, value, deposit));
        }
        if deposits.iter().any(|d| d.5) {
            deposits.retain(|d| d.5);
        }
        let total: f64 = deposits.iter().map(|d| d.4).sum();
        if total <= 0.0 {
            return;
        }
        for (row, from, to, asset, value, _) in deposits {
            let child = share * value / total;
            if child < self.params.min_share || self.truncated || self.is_subject(from) {
                continue;
            }
            let mut step = self.step(tx, Some(from), Some(to), child);
            step.rule = Some(rule.clone());
            self.stack.push(step);
            self.back_account(from, row, asset, child, hop + 1);
            self.stack.pop();
        }
    }

    fn materialise(&self, path: &[StepRef]) -> Vec<PathStep> {
        path.iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let reader = self.readers.get(&s.chain)?;
                let text =
                    |id: Option<u32>| id.and_then(|id| reader.address(id)).map(|a| a.to_string());
                Some(PathStep {
                    hop: i as u32 + 1,
                    chain: s.chain,
                    tx: reader.tx_hash(s.tx).to_string(),
                    time: reader.tx_block(s.tx).timestamp,
                    from: text(s.from),
                    to: text(s.to),
                    share: s.share,
                    rule: s.rule.as_deref().map(str::to_string),
                })
            })
            .collect()
    }
}

/// One transfer of the address, as the walk starts from it.
struct Base {
    direction: Direction,
    tx: TxId,
    counterparty: Option<u32>,
    symbol: String,
    units: f64,
    usd: Option<f64>,
    dust: bool,
}

/// Accumulates the hits of each base transfer into exposures.
struct Collector<'a> {
    chain: Chain,
    /// The screening date: a flag of a hit that no longer holds then is historical.
    at: Date,
    rules: &'a RuleTable,
    main: HashMap<Key, Agg>,
    volume: Volume,
    dust: Vec<ExcludedDust>,
}

impl Collector<'_> {
    fn add(&mut self, walk: &mut Walk<'_>, base: &Base, max_paths: usize) {
        let hits = std::mem::take(&mut walk.hits);
        if base.dust {
            let mut categories: Vec<Category> = hits
                .iter()
                .flat_map(|h| h.categories.all.iter().copied())
                .filter(|c| rules::severity(*c) > rules::Severity::Service)
                .collect();
            categories.sort();
            categories.dedup();
            self.dust.push(ExcludedDust {
                chain: self.chain,
                tx: walk.reader.tx_hash(base.tx).to_string(),
                counterparty: base
                    .counterparty
                    .and_then(|id| walk.reader.address(id))
                    .map(|a| a.to_string()),
                asset: base.symbol.clone(),
                units: base.units,
                usd: base.usd,
                categories,
                reason: "unsolicited inbound dust: below the dust threshold and never answered \
                         (no transfer back to the sender / the output was never spent)"
                    .to_string(),
            });
            return;
        }
        let usd = base.usd.unwrap_or(0.0);
        match base.direction {
            Direction::Incoming => self.volume.incoming_usd += usd,
            Direction::Outgoing => self.volume.outgoing_usd += usd,
        }
        for hit in hits {
            let kind = if hit.hops <= 1 {
                ExposureType::Direct
            } else {
                ExposureType::Indirect
            };
            let value_usd = hit.share * usd;
            let steps = (max_paths > 0).then(|| walk.materialise(&hit.path));
            let now = hit.entity.categories_on(self.at);
            for &category in &hit.categories.all {
                let key = (category, hit.entity.name.clone(), base.direction, kind);
                let agg = self.main.entry(key).or_default();
                agg.listing_unknown |= hit.categories.unknown.contains(&category);
                if agg.via_cluster.is_none() {
                    agg.via_cluster.clone_from(&hit.entity.via_cluster);
                }
                agg.in_force |= now.all.contains(&category);
                agg.days = Some(agg.days.map_or((hit.day, hit.day), |(first, last)| {
                    (first.min(hit.day), last.max(hit.day))
                }));
                agg.usd += value_usd;
                *agg.units.entry(base.symbol.clone()).or_default() += hit.share * base.units;
                *agg.by_hop.entry(hit.hops).or_default() += value_usd;
                agg.min_hops = if agg.min_hops == 0 {
                    hit.hops
                } else {
                    agg.min_hops.min(hit.hops)
                };
                if let Some(steps) = &steps {
                    agg.paths.push(ExposurePath {
                        usd: value_usd,
                        steps: steps.clone(),
                    });
                    agg.paths.sort_by(|a, b| {
                        b.usd
                            .partial_cmp(&a.usd)
                            .unwrap_or(std::cmp::Ordering::Equal)
                    });
                    agg.paths.truncate(max_paths);
                }
            }
        }
    }

    fn finish(self, truncated: bool) -> ChainExposure {
        let (chain, volume, rules) = (self.chain, self.volume, self.rules);
        let mut exposures: Vec<Exposure> = self
            .main
            .into_iter()
            .map(|((category, entity, direction, exposure_type), agg)| {
                let direction_volume = match direction {
                    Direction::Incoming => volume.incoming_usd,
                    Direction::Outgoing => volume.outgoing_usd,
                };
                let share = if direction_volume > 0.0 {
                    agg.usd / direction_volume
                } else {
                    0.0
                };
                let mut exposure = Exposure {
                    category,
                    entity,
                    direction,
                    exposure_type,
                    min_hops: agg.min_hops,
                    usd: agg.usd,
                    values: agg
                        .units
                        .into_iter()
                        .map(|(asset, units)| NativeValue {
                            chain,
                            asset,
                            units,
                        })
                        .collect(),
                    by_hop: agg
                        .by_hop
                        .into_iter()
                        .map(|(hops, usd)| HopValue { hops, usd })
                        .collect(),
                    share,
                    level: rules::RiskLevel::Low,
                    rule: None,
                    alert: false,
                    listing_unknown: agg.listing_unknown,
                    lapsed: !agg.in_force,
                    first_day: agg.days.map(|(first, _)| first),
                    last_day: agg.days.map(|(_, last)| last),
                    paths: agg.paths,
                    via_cluster: agg.via_cluster,
                };
                let verdict = rules.judge_exposure(&exposure);
                exposure.level = verdict.level;
                exposure.rule = verdict.rule;
                exposure.alert = verdict.alert;
                exposure
            })
            .collect();
        exposures.sort_by(|a, b| {
            b.level
                .cmp(&a.level)
                .then(
                    b.usd
                        .partial_cmp(&a.usd)
                        .unwrap_or(std::cmp::Ordering::Equal),
                )
                .then(a.entity.cmp(&b.entity))
                .then(a.direction.cmp(&b.direction))
        });
        ChainExposure {
            exposures,
            volume,
            excluded_dust: self.dust,
            truncated,
        }
    }
}

/// What an exposure walk needs besides the address: the chains (a link may lead to another),
/// the known links, the labels at the screening date, prices, parameters and the cutoff.
pub struct Context<'a> {
    /// A reader of every chain of the store: a link may lead the walk onto another chain.
    pub readers: &'a BTreeMap<Chain, ChainReader>,
    /// The converter links the walk crosses at bridges and mixers.
    pub links: &'a KnownLinks,
    /// Who the addresses met belong to.
    pub attr: Attributor<'a>,
    /// What the addresses met resolve to under `attr`, filled as the walk meets them: shared by
    /// the walks of an index build, or of a screener's screenings at one date, so that each
    /// address is resolved once ([`EntityMemo`]).
    pub entity_memo: &'a EntityMemo,
    /// USD prices at the time of each transfer (unpriced assets count 0 USD).
    pub prices: &'a Prices,
    /// Hop limit, share floor, dust threshold, work budget, path count, link confidence floor.
    pub params: &'a Params,
    /// The rule table that rates each exposure.
    pub rules: &'a RuleTable,
    /// Raised by the caller to stop the walk early (it then ends as if its budget ran out).
    pub cancel: &'a Cancel,
    /// Only transfers of the address up to this time (seconds since the epoch) count: those in
    /// blocks whose effective time ([`ChainReader::block_effective_time`]) is not later, a
    /// prefix of the chain.
    pub cutoff: u64,
}

/// Exposures of address id `subject` on `chain`, counting only transfers up to `ctx.cutoff`
/// and labels valid at `ctx.attr.at` (an empty answer when the store has no such chain).
pub fn chain_exposure(ctx: &Context<'_>, chain: Chain, subject: u32) -> ChainExposure {
    let Some(reader) = ctx.readers.get(&chain) else {
        return ChainExposure::default();
    };
    let (attr, prices, params, cutoff) = (&ctx.attr, ctx.prices, ctx.params, ctx.cutoff);
    let mut walk = Walk {
        readers: ctx.readers,
        links: ctx.links,
        reader,
        chain,
        home: chain,
        attr,
        entity_memo: ctx.entity_memo,
        params,
        cancel: ctx.cancel,
        subject,
        work: 0,
        truncated: false,
        unmeasured: false,
        stack: Vec::new(),
        hits: Vec::new(),
    };
    let mut collector = Collector {
        chain,
        at: attr.at,
        rules: ctx.rules,
        main: HashMap::new(),
        volume: Volume::default(),
        dust: Vec::new(),
    };
    let price = |asset: &Asset, units: f64, time: u64| prices.usd(asset, units, time);
    let is_dust = |units: f64, usd: Option<f64>| match usd {
        Some(usd) => usd < params.dust_usd,
        None => units == 0.0,
    };
    match reader.model() {
        ChainModel::Account => {
            let columns = reader.transfer_columns();
            let answered: HashSet<u32> = reader
                .outgoing(subject)
                .take(params.budget as usize)
                .map(|row| columns.to.at(row))
                .collect();
            let rows: Vec<u64> = reader.incoming(subject).collect();
            for row in rows {
                let Some(t) = reader.transfer(row) else {
                    continue;
                };
                if reader.transfer_effective_time(row) > cutoff || walk.truncated {
                    break;
                }
                if !t.success || matches!(t.kind, TransferKind::Fee) || t.from == subject {
                    continue;
                }
                let Some(asset) = reader.asset(t.asset) else {
                    continue;
                };
                let units = t.amount.to_f64_units(asset.decimals);
                let usd = price(asset, units, t.block.timestamp);
                let dust = is_dust(units, usd) && !answered.contains(&t.from);
                walk.stack.push(walk.account_step(row, 1.0));
                walk.back_account(t.from, row, t.asset, 1.0, 1);
                walk.stack.pop();
                let base = Base {
                    direction: Direction::Incoming,
                    tx: t.tx,
                    counterparty: Some(t.from),
                    symbol: asset.symbol.clone(),
                    units,
                    usd,
                    dust,
                };
                collector.add(&mut walk, &base, params.max_paths);
            }
            let rows: Vec<u64> = reader.outgoing(subject).collect();
            for row in rows {
                let Some(t) = reader.transfer(row) else {
                    continue;
                };
                if reader.transfer_effective_time(row) > cutoff || walk.truncated {
                    break;
                }
                if !t.success
                    || matches!(t.kind, TransferKind::Fee | TransferKind::Burn)
                    || t.to == subject
                    || t.to == 0
                {
                    continue;
                }
                let Some(asset) = reader.asset(t.asset) else {
                    continue;
                };
                let units = t.amount.to_f64_units(asset.decimals);
                let usd = price(asset, units, t.block.timestamp);
                walk.stack.push(walk.account_step(row, 1.0));
                walk.fwd_account(t.to, row, t.asset, 1.0, 1);
                walk.stack.pop();
                let base = Base {
                    direction: Direction::Outgoing,
                    tx: t.tx,
                    counterparty: Some(t.to),
                    symbol: asset.symbol.clone(),
                    units,
                    usd,
                    dust: false,
                };
                collector.add(&mut walk, &base, params.max_paths);
            }
        }
        ChainModel::Utxo => {
            let native = Asset::native(chain);
            let (symbol, decimals) = (native.symbol.clone(), native.decimals);
            let mut spends: BTreeMap<TxId, u64> = BTreeMap::new();
            let rows: Vec<u64> = reader.incoming(subject).collect();
            for row in rows {
                let Some(output) = reader.output(row) else {
                    continue;
                };
                let time = reader.tx_block(output.tx).timestamp;
                if reader.tx_effective_time(output.tx) > cutoff || walk.truncated {
                    break;
                }
                let spent_in_time = output
                    .spent_by
                    .filter(|&tx| reader.tx_effective_time(tx) <= cutoff);
                if let Some(tx) = spent_in_time {
                    *spends.entry(tx).or_default() += output.value;
                }
                let units = Amount::from_u64(output.value).to_f64_units(decimals);
                let usd = price(&native, units, time);
                let dust = is_dust(units, usd) && spent_in_time.is_none();
                walk.back_utxo(output.tx, Some(subject), 1.0, 1);
                let base = Base {
                    direction: Direction::Incoming,
                    tx: output.tx,
                    counterparty: None,
                    symbol: symbol.clone(),
                    units,
                    usd,
                    dust,
                };
                collector.add(&mut walk, &base, params.max_paths);
            }
            for (tx, value) in spends {
                if walk.truncated {
                    break;
                }
                let time = reader.tx_block(tx).timestamp;
                let units = Amount::from_u64(value).to_f64_units(decimals);
                walk.fwd_utxo(tx, 1.0, 1);
                let base = Base {
                    direction: Direction::Outgoing,
                    tx,
                    counterparty: None,
                    symbol: symbol.clone(),
                    units,
                    usd: price(&native, units, time),
                    dust: false,
                };
                collector.add(&mut walk, &base, params.max_paths);
            }
        }
    }
    collector.finish(walk.truncated || walk.unmeasured)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_is_the_last_second_of_the_day() {
        assert_eq!(end_of_day("1970-01-01".parse().unwrap()), 86_399);
        assert_eq!(end_of_day("2022-04-14".parse().unwrap()), 1_649_980_799);
        assert_eq!(end_of_day("1969-12-31".parse().unwrap()), 0);
    }
}
