//! Which addresses a change in the record graph can reach within the walk's hop limit, in either
//! direction and across the known converter links: the addresses whose stored exposure an index
//! update must compute again.
//!
//! The exposure walk follows value: **outgoing** exposure walks forward from an address, so a
//! change at a node alters the outgoing exposure of everyone *upstream* of it; **incoming**
//! exposure walks backward, so it alters the incoming exposure of everyone *downstream*. Account
//! chains are walked address by address; UTXO chains transaction by transaction (an output's
//! value moves only into the transaction that spends it), which keeps a reused address from
//! pulling in its whole history. A link crossing costs no hop here, so the result is a superset
//! of what the walk can reach (it also ignores that walks stop at attributed addresses, at the
//! share floor and at the work budget).

use std::collections::{HashMap, HashSet};

use chaintrail_core::{ChainModel, TxHash};
use chaintrail_store::{ChainReader, TxId};

use crate::links::KnownLinks;

/// A bit per address id.
pub(crate) struct Bits(Vec<u64>);

impl Bits {
    pub(crate) fn new(len: usize) -> Bits {
        Bits(vec![0; len.div_ceil(64)])
    }

    pub(crate) fn get(&self, id: u32) -> bool {
        self.0
            .get(id as usize / 64)
            .is_some_and(|word| word >> (id % 64) & 1 == 1)
    }

    /// Set the bit; `true` when it was clear.
    pub(crate) fn set(&mut self, id: u32) -> bool {
        match self.0.get_mut(id as usize / 64) {
            Some(word) if *word >> (id % 64) & 1 == 0 => {
                *word |= 1 << (id % 64);
                true
            }
            _ => false,
        }
    }

    pub(crate) fn any(&self) -> bool {
        self.0.iter().any(|&word| word != 0)
    }
}

/// A place in one chain's record graph: an address on account chains, a transaction on UTXO
/// chains (a transaction on an account chain stands for its senders or recipients).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    Address(u32),
    Tx(TxId),
}

/// Which way a change spreads: to the upstream addresses (their outgoing exposure) or to the
/// downstream ones (their incoming exposure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Upstream,
    Downstream,
}

/// The changes to spread, per chain (in the order of the readers), and the result.
pub(crate) struct Reach<'a> {
    readers: &'a [&'a ChainReader],
    /// Addresses whose exposure changes, whether or not anything spreads from them.
    dirty: Vec<Bits>,
    upstream: Vec<(usize, Node)>,
    downstream: Vec<(usize, Node)>,
}

impl<'a> Reach<'a> {
    pub(crate) fn new(readers: &'a [&'a ChainReader]) -> Reach<'a> {
        Reach {
            readers,
            dirty: readers
                .iter()
                .map(|r| Bits::new(r.address_count()))
                .collect(),
            upstream: Vec::new(),
            downstream: Vec::new(),
        }
    }

    /// Address `id`'s own exposure changes (it received something new).
    pub(crate) fn mark(&mut self, chain: usize, id: u32) {
        self.dirty[chain].set(id);
    }

    /// Address `id`'s attribution changed: every walk that reaches it changes.
    pub(crate) fn address_changed(&mut self, chain: usize, id: u32) {
        self.mark(chain, id);
        match self.readers[chain].model() {
            ChainModel::Account => {
                self.upstream.push((chain, Node::Address(id)));
                self.downstream.push((chain, Node::Address(id)));
            }
            ChainModel::Utxo => {
                let reader = self.readers[chain];
                for row in reader.incoming(id) {
                    let Some(output) = reader.output(row) else {
                        continue;
                    };
                    self.upstream.push((chain, Node::Tx(output.tx)));
                    if let Some(spender) = output.spent_by {
                        self.downstream.push((chain, Node::Tx(spender)));
                    }
                }
            }
        }
    }

    /// Value moved anew out of transaction `tx`'s senders (a new transaction, or a link from it
    /// that appeared or changed): their outgoing exposure, and that of everyone upstream.
    pub(crate) fn spent_in(&mut self, chain: usize, tx: TxId) {
        for node in self.step(Way::Upstream, chain, Node::Tx(tx)) {
            self.upstream.push((chain, node));
        }
    }

    /// Value arrives anew at transaction `tx`'s recipients (a link to it that appeared or
    /// changed): their incoming exposure, and that of everyone downstream.
    pub(crate) fn paid_in(&mut self, chain: usize, tx: TxId) {
        for node in self.step(Way::Downstream, chain, Node::Tx(tx)) {
            self.downstream.push((chain, node));
        }
    }

    /// Spread every change `max_hops` steps through the records, crossing `links`, and return
    /// the addresses to recompute per chain.
    pub(crate) fn spread(mut self, links: &KnownLinks, max_hops: u32) -> Vec<Bits> {
        let crossings = Crossings::new(self.readers, links);
        let upstream = std::mem::take(&mut self.upstream);
        let downstream = std::mem::take(&mut self.downstream);
        self.walk(Way::Upstream, upstream, &crossings, max_hops);
        self.walk(Way::Downstream, downstream, &crossings, max_hops);
        self.dirty
    }

    /// Breadth first from `frontier`, whose addresses are marked already: each round takes one
    /// step along the records; a link crossing costs no step.
    fn walk(
        &mut self,
        way: Way,
        mut frontier: Vec<(usize, Node)>,
        crossings: &Crossings,
        max_hops: u32,
    ) {
        let mut seen: HashSet<(usize, Node)> = frontier.iter().copied().collect();
        for _ in 0..max_hops {
            let mut next = Vec::new();
            while let Some((chain, node)) = frontier.pop() {
                for &target in crossings.from(way, chain, node) {
                    if seen.insert(target) {
                        frontier.push(target);
                    }
                }
                for neighbour in self.step(way, chain, node) {
                    if seen.insert((chain, neighbour)) {
                        next.push((chain, neighbour));
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
    }

    /// The nodes one step from `node` in direction `way`, marking the addresses reached.
    fn step(&mut self, way: Way, chain: usize, node: Node) -> Vec<Node> {
        let reader = self.readers[chain];
        let dirty = &mut self.dirty[chain];
        let mut out = Vec::new();
        match (reader.model(), node) {
            // An account transaction leads to its senders (upstream) or recipients.
            (ChainModel::Account, Node::Tx(tx)) => {
                let columns = reader.transfer_columns();
                for row in reader.tx_transfers(tx) {
                    let id = match way {
                        Way::Upstream => columns.from.at(row),
                        Way::Downstream => columns.to.at(row),
                    };
                    dirty.set(id);
                    out.push(Node::Address(id));
                }
            }
            (ChainModel::Account, Node::Address(id)) => {
                let columns = reader.transfer_columns();
                let (rows, end) = match way {
                    Way::Upstream => (reader.incoming(id), &columns.from),
                    Way::Downstream => (reader.outgoing(id), &columns.to),
                };
                for row in rows {
                    let other = end.at(row);
                    dirty.set(other);
                    out.push(Node::Address(other));
                }
            }
            // Upstream of a UTXO transaction: the owners of what it spends, and the
            // transactions that paid them.
            (ChainModel::Utxo, Node::Tx(tx)) if way == Way::Upstream => {
                for row in reader.tx_inputs(tx) {
                    let spent = reader.input(row).and_then(|i| i.spent_output);
                    if let Some(output) = spent.and_then(|o| reader.output(o)) {
                        dirty.set(output.address);
                        out.push(Node::Tx(output.tx));
                    }
                }
            }
            // Downstream: the owners of its outputs, and the transactions spending them.
            (ChainModel::Utxo, Node::Tx(tx)) => {
                for row in reader.tx_outputs(tx) {
                    if let Some(output) = reader.output(row) {
                        dirty.set(output.address);
                        out.extend(output.spent_by.map(Node::Tx));
                    }
                }
            }
            (ChainModel::Utxo, Node::Address(_)) => {}
        }
        out
    }
}

/// The known links as edges of the record graph: where a walk that reaches one end continues.
struct Crossings {
    /// Per chain: from a node where value enters a converter to where it leaves.
    forward: Vec<HashMap<Node, Vec<(usize, Node)>>>,
    /// Per chain: from a node where value leaves a converter back to where it entered.
    backward: Vec<HashMap<Node, Vec<(usize, Node)>>>,
}

impl Crossings {
    fn new(readers: &[&ChainReader], links: &KnownLinks) -> Crossings {
        let mut crossings = Crossings {
            forward: readers.iter().map(|_| HashMap::new()).collect(),
            backward: readers.iter().map(|_| HashMap::new()).collect(),
        };
        let find = |chain, hash: &TxHash| {
            let index = readers.iter().position(|r| r.chain() == chain)?;
            Some((index, readers[index].tx_id(hash)?))
        };
        for link in links.converter().links() {
            let (Some((from_chain, from_tx)), Some((to_chain, to_tx))) = (
                find(link.from_chain, &link.from_tx),
                find(link.to_chain, &link.to_tx),
            ) else {
                continue;
            };
            // Value crosses from the inbound's senders to the payout; walks coming back reach
            // the payout through its recipients.
            for node in ends(readers[from_chain], from_tx, Way::Upstream) {
                crossings.forward[from_chain]
                    .entry(node)
                    .or_default()
                    .push((to_chain, Node::Tx(to_tx)));
            }
            for node in ends(readers[to_chain], to_tx, Way::Downstream) {
                crossings.backward[to_chain]
                    .entry(node)
                    .or_default()
                    .push((from_chain, Node::Tx(from_tx)));
            }
        }
        crossings
    }

    /// Where a walk going `way` that reaches `node` continues across a link.
    fn from(&self, way: Way, chain: usize, node: Node) -> &[(usize, Node)] {
        let map = match way {
            // Going upstream, a walk reaching a payout continues before the inbound.
            Way::Upstream => &self.backward[chain],
            Way::Downstream => &self.forward[chain],
        };
        map.get(&node).map_or(&[], Vec::as_slice)
    }
}

/// The nodes a walk passes when it reaches a link's end at `tx`: on UTXO chains the transaction
/// itself; on account chains its senders (`Upstream`: the inbound side) or recipients.
fn ends(reader: &ChainReader, tx: TxId, side: Way) -> Vec<Node> {
    match reader.model() {
        ChainModel::Utxo => vec![Node::Tx(tx)],
        ChainModel::Account => {
            let columns = reader.transfer_columns();
            reader
                .tx_transfers(tx)
                .map(|row| match side {
                    Way::Upstream => columns.from.at(row),
                    Way::Downstream => columns.to.at(row),
                })
                .map(Node::Address)
                .collect()
        }
    }
}
