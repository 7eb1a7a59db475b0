//! Provenance: where did the value of a seed come from?
//!
//! The same holders and policies as the forward trace, read the other way. Every inflow of a
//! holder gets a tag of its own; replaying the holder's history under the policy tells which
//! inflows each outflow consists of (FIFO and LIFO exactly, haircut and TIHO by their rule). The
//! seed's units are then explained by those inflows, and each inflow — an outflow of its sender,
//! or a UTXO output — is explained in turn, latest first, until the value is traced to where it
//! was created (coinbase, mint), to a service it came out of, or to the start of the store's
//! history.

use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::time::Instant;

use chaintrail_core::{Chain, TransferKind};
use chaintrail_store::{ChainReader, schema};

use crate::attribution::{Attribution, Entities, Role};
use crate::cancel::Cancel;
use crate::engine::{Arrival, Edge, Record, TOO_LARGE_EVIDENCE};
use crate::policy::{Holder, Lots, Policy, spend_utxo};
use crate::report::{EndpointKind, TraceStats};

/// A movement to explain: `units` of transfer row (account) or output row (UTXO) `record`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Movement {
    Transfer(u64),
    Output(u64),
}

/// An account holder's history replayed with one tag per inflow: the composition of each of its
/// outflows by inflow row.
struct Replay {
    /// Tag k (1-based) = inflow row `tags[k - 1]`.
    tags: Vec<u64>,
    outflows: HashMap<u64, Lots>,
}

pub(crate) struct Backward<'a> {
    readers: &'a BTreeMap<Chain, ChainReader>,
    entities: Entities<'a>,
    policy: Policy,
    max_hops: u32,
    is_dust: &'a dyn Fn(Chain, u32, u128) -> bool,
    budget: u64,
    cancel: &'a Cancel,
    /// (effective time, chain, row) latest first.
    queue: BinaryHeap<(u64, Chain, Movement, usize)>,
    replays: HashMap<(Chain, u32, u32), Replay>,
    pub edges: Vec<Edge>,
    pub arrivals: Vec<Arrival>,
    events: u64,
}

impl<'a> Backward<'a> {
    pub fn new(
        readers: &'a BTreeMap<Chain, ChainReader>,
        attribution: &'a dyn Attribution,
        policy: Policy,
        max_hops: u32,
        is_dust: &'a dyn Fn(Chain, u32, u128) -> bool,
        budget: u64,
        cancel: &'a Cancel,
    ) -> Backward<'a> {
        Backward {
            readers,
            entities: Entities::new(attribution),
            policy,
            max_hops,
            is_dust,
            budget,
            cancel,
            queue: BinaryHeap::new(),
            replays: HashMap::new(),
            edges: Vec::new(),
            arrivals: Vec::new(),
            events: 0,
        }
    }

    /// The time a movement is ordered by: its block's effective time, which never decreases
    /// along a chain (see the forward engine), so a chain's movements are explained latest
    /// first by height and position.
    fn time(&self, chain: Chain, movement: Movement) -> u64 {
        let reader = &self.readers[&chain];
        match movement {
            Movement::Transfer(row) => reader.transfer_effective_time(row),
            Movement::Output(row) => reader
                .output(row)
                .map_or(0, |o| reader.tx_effective_time(o.tx)),
        }
    }

    fn edge(
        &mut self,
        chain: Chain,
        movement: Movement,
        asset: u32,
        units: u128,
        parent: Option<usize>,
        rule: String,
    ) -> usize {
        let hop = parent.map_or(0, |p| self.edges[p].hop + 1);
        self.edges.push(Edge {
            chain,
            record: match movement {
                Movement::Transfer(row) => Record::Transfer(row),
                Movement::Output(row) => Record::Output(row),
            },
            asset,
            taint: units,
            hop,
            parent,
            rule,
            confidence: 1.0,
        });
        self.edges.len() - 1
    }

    fn arrive(
        &mut self,
        kind: EndpointKind,
        chain: Chain,
        address: Option<u32>,
        asset: u32,
        units: u128,
        edge: usize,
    ) {
        if units == 0 {
            return;
        }
        let entity = match (kind, address) {
            (EndpointKind::Service | EndpointKind::Entered, Some(a)) => {
                self.entities.get(chain, &self.readers[&chain], a)
            }
            _ => None,
        };
        self.arrivals.push(Arrival {
            kind,
            entity,
            chain,
            address,
            asset,
            taint: units,
            edge,
            note: (kind == EndpointKind::TooLarge).then(|| TOO_LARGE_EVIDENCE.to_string()),
        });
    }

    /// Explain `units` of a seed movement.
    fn seed(&mut self, chain: Chain, movement: Movement, asset: u32, units: u128) {
        let edge = self.edge(chain, movement, asset, units, None, "seed".to_string());
        let time = self.time(chain, movement);
        self.queue.push((time, chain, movement, edge));
    }

    pub fn seed_transfer(&mut self, chain: Chain, row: u64, asset: u32, units: u128) {
        self.seed(chain, Movement::Transfer(row), asset, units);
    }

    pub fn seed_output(&mut self, chain: Chain, row: u64, units: u128) {
        self.seed(chain, Movement::Output(row), 0, units);
    }

    pub fn run(&mut self) -> TraceStats {
        let started = Instant::now();
        let mut exhausted = false;
        while let Some((time, chain, movement, edge)) = self.queue.pop() {
            if self.cancel.is_cancelled() {
                break;
            }
            if self.events >= self.budget {
                exhausted = true;
                self.queue.push((time, chain, movement, edge));
                break;
            }
            self.events += 1;
            match movement {
                Movement::Transfer(row) => self.explain_transfer(chain, row, edge),
                Movement::Output(row) => self.explain_output(chain, row, edge),
            }
        }
        for (_, chain, _, edge) in std::mem::take(&mut self.queue).into_vec() {
            let (asset, units) = (self.edges[edge].asset, self.edges[edge].taint);
            self.arrive(EndpointKind::Unexplored, chain, None, asset, units, edge);
        }
        TraceStats {
            events: self.events,
            holders: self.replays.len() as u64,
            edges: self.edges.len() as u64,
            elapsed_ms: started.elapsed().as_millis() as u64,
            budget_exhausted: exhausted,
        }
    }

    /// Where the sender of transfer `row` got the units it carried.
    fn explain_transfer(&mut self, chain: Chain, row: u64, edge: usize) {
        let reader = &self.readers[&chain];
        let Some(t) = reader.transfer(row) else {
            return;
        };
        let units = self.edges[edge].taint;
        if t.from == schema::NO_ADDRESS || t.kind == TransferKind::Mint {
            return self.arrive(EndpointKind::Minted, chain, None, t.asset, units, edge);
        }
        if let Some(entity) = self.entities.get(chain, reader, t.from) {
            let kind = match entity.role() {
                Role::Stop => Some(EndpointKind::Service),
                Role::Convert => Some(EndpointKind::Entered),
                Role::Continue => None,
            };
            if let Some(kind) = kind {
                return self.arrive(kind, chain, Some(t.from), t.asset, units, edge);
            }
        }
        if self.edges[edge].hop >= self.max_hops {
            return self.arrive(
                EndpointKind::HopLimit,
                chain,
                Some(t.from),
                t.asset,
                units,
                edge,
            );
        }
        let too_large = EndpointKind::TooLarge;
        let Some(amount) = t.amount.to_u128().map(|a| a.max(1)) else {
            return self.arrive(too_large, chain, Some(t.from), t.asset, units, edge);
        };
        let key = (chain, t.from, t.asset);
        if !self
            .replays
            .get(&key)
            .is_some_and(|r| r.outflows.contains_key(&row))
        {
            let Some(replay) = replay_account(reader, self.policy, t.from, t.asset, row) else {
                // The sender's history up to here has an amount its balance cannot measure.
                return self.arrive(too_large, chain, Some(t.from), t.asset, units, edge);
            };
            self.replays.insert(key, replay);
        }
        let Some(replay) = self.replays.get(&key) else {
            return;
        };
        let Some(composition) = replay.outflows.get(&row) else {
            return;
        };
        let mut sources: Vec<(u64, u128)> = Vec::new();
        let mut explained = 0;
        for (tag, part) in composition.by_tag() {
            let share = crate::seeding::proportional(&[part, amount - part], units)[0];
            if let Some(&inflow) = replay.tags.get(tag as usize - 1) {
                sources.push((inflow, share));
                explained += share;
            }
        }
        self.arrive(
            EndpointKind::Untracked,
            chain,
            Some(t.from),
            t.asset,
            units - explained.min(units),
            edge,
        );
        let rule = self.policy.to_string();
        for (inflow, share) in sources {
            if (self.is_dust)(chain, t.asset, share) {
                self.arrive(
                    EndpointKind::Dust,
                    chain,
                    Some(t.from),
                    t.asset,
                    share,
                    edge,
                );
                continue;
            }
            let next = self.edge(
                chain,
                Movement::Transfer(inflow),
                t.asset,
                share,
                Some(edge),
                rule.clone(),
            );
            let time = self.time(chain, Movement::Transfer(inflow));
            self.queue
                .push((time, chain, Movement::Transfer(inflow), next));
        }
    }

    /// Where the inputs of the transaction that created output `row` came from.
    fn explain_output(&mut self, chain: Chain, row: u64, edge: usize) {
        let reader = &self.readers[&chain];
        let Some(output) = reader.output(row) else {
            return;
        };
        let units = self.edges[edge].taint;
        let inputs: Vec<_> = reader
            .tx_inputs(output.tx)
            .filter_map(|r| reader.input(r))
            .collect();
        if inputs.iter().any(|i| i.coinbase) {
            return self.arrive(
                EndpointKind::Minted,
                chain,
                Some(output.address),
                0,
                units,
                edge,
            );
        }
        if self.edges[edge].hop >= self.max_hops {
            return self.arrive(
                EndpointKind::HopLimit,
                chain,
                Some(output.address),
                0,
                units,
                edge,
            );
        }
        let tagged: Vec<Lots> = inputs
            .iter()
            .enumerate()
            .map(|(k, i)| Lots::tagged(u128::from(i.value.unwrap_or(0)), k as u32 + 1))
            .collect();
        let values: Vec<u128> = reader
            .tx_outputs(output.tx)
            .map(|r| u128::from(reader.output_value(r).unwrap_or(0)))
            .collect();
        let (filled, _fee) = spend_utxo(self.policy, &tagged, &values);
        let Some(composition) = filled.get(output.vout as usize) else {
            return;
        };
        let value = u128::from(output.value).max(1);
        let mut explained = 0;
        let rule = self.policy.to_string();
        for (tag, part) in composition.by_tag() {
            let share = crate::seeding::proportional(&[part, value - part.min(value)], units)[0];
            let Some(input) = inputs.get(tag as usize - 1) else {
                continue;
            };
            explained += share;
            match input.spent_output {
                Some(spent) => {
                    let holder = reader.output(spent).map(|o| o.address);
                    if let Some(address) = holder
                        && let Some(entity) = self.entities.get(chain, reader, address)
                        && entity.role() != Role::Continue
                    {
                        let kind = if entity.role() == Role::Stop {
                            EndpointKind::Service
                        } else {
                            EndpointKind::Entered
                        };
                        let next = self.edge(
                            chain,
                            Movement::Output(spent),
                            0,
                            share,
                            Some(edge),
                            rule.clone(),
                        );
                        self.arrive(kind, chain, Some(address), 0, share, next);
                        continue;
                    }
                    if (self.is_dust)(chain, 0, share) {
                        self.arrive(EndpointKind::Dust, chain, holder, 0, share, edge);
                        continue;
                    }
                    let next = self.edge(
                        chain,
                        Movement::Output(spent),
                        0,
                        share,
                        Some(edge),
                        rule.clone(),
                    );
                    let time = self.time(chain, Movement::Output(spent));
                    self.queue
                        .push((time, chain, Movement::Output(spent), next));
                }
                None => self.arrive(
                    EndpointKind::Untracked,
                    chain,
                    input.address,
                    0,
                    share,
                    edge,
                ),
            }
        }
        self.arrive(
            EndpointKind::Untracked,
            chain,
            None,
            0,
            units - explained.min(units),
            edge,
        );
    }
}

/// Replay an account's history in one asset up to `upto`, each inflow tagged by its position,
/// and keep the composition of every outflow. `None` when an amount on the way, or the balance,
/// is above 2^128 base units: the history cannot be measured.
fn replay_account(
    reader: &ChainReader,
    policy: Policy,
    address: u32,
    asset: u32,
    upto: u64,
) -> Option<Replay> {
    let columns = reader.transfer_columns();
    let keep = |row: u64| {
        let (a, _, success) = schema::unpack_meta(columns.meta.at(row));
        success && a == asset && row <= upto
    };
    let incoming: Vec<u64> = reader.incoming(address).filter(|&r| keep(r)).collect();
    let outgoing: Vec<u64> = reader.outgoing(address).filter(|&r| keep(r)).collect();
    let mut holder = Holder::new(policy);
    let mut tags = Vec::new();
    let mut outflows = HashMap::new();
    let (mut i, mut o) = (0, 0);
    while i < incoming.len() || o < outgoing.len() {
        let amount = |row: u64| reader.transfer_amount(row).to_u128();
        if o >= outgoing.len() || (i < incoming.len() && incoming[i] <= outgoing[o]) {
            let row = incoming[i];
            i += 1;
            tags.push(row);
            let units = amount(row).filter(|&a| holder.balance().checked_add(a).is_some())?;
            holder.inflow(&Lots::tagged(units, tags.len() as u32));
        } else {
            let row = outgoing[o];
            o += 1;
            outflows.insert(row, holder.outflow(amount(row)?));
        }
    }
    Some(Replay { tags, outflows })
}
