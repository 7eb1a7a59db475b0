//! The clustering of one chain in memory: the union-find, first/last seen per cluster, the
//! evidence of each merge, conflicts and collapses, and the pass over a range of transactions
//! that extends them. Loading and saving are `layout.rs`'s job.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chaintrail_core::{ChainModel, TransferKind};
use chaintrail_links::deposits::Service;
use chaintrail_links::deposits::account::{DepositAddress, DepositScan, deposit_addresses};
use chaintrail_links::deposits::utxo::{CoSpend, co_spend, null_data_id, tx_sides, value_outputs};
use chaintrail_links::unionfind::{Union, UnionFind};
use chaintrail_store::{ChainReader, OutputView, TxId};
use serde::{Deserialize, Serialize};

use crate::airdrop::{self, AIRDROP_CONFIDENCE, Farm, TokenSenders};
use crate::change;
use crate::evidence::{
    DEPOSIT_REUSE_CONFIDENCE, Heuristic, MULTI_INPUT_CONFIDENCE, Record, percent,
};
use crate::settings::Settings;

/// The fingerprint heuristic skips transactions with more outputs than this: batch payouts,
/// whose change the other heuristics judge, and whose every spend would rescan them.
const FINGERPRINT_MAX_OUTPUTS: u64 = 16;

/// No merge joined this address yet (in the `joined` column).
pub const NOT_JOINED: u32 = u32::MAX;

/// When a cluster was first and last active (block timestamps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// First activity of any member.
    pub first: u64,
    /// Last activity of any member.
    pub last: u64,
}

/// A service label clusters can carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLabel {
    /// The entity's name.
    pub name: String,
    /// Its role.
    pub role: chaintrail_labels::Category,
}

/// A merge refused because it would have joined two differently labelled services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// The transaction that proposed it.
    pub tx: String,
    /// The heuristic that proposed it.
    pub heuristic: Heuristic,
    /// The two addresses it would have joined.
    pub a: String,
    /// See `a`.
    pub b: String,
    /// The label of `a`'s cluster.
    pub label_a: String,
    /// The label of `b`'s cluster.
    pub label_b: String,
}

/// A merge that made a component pass the collapse threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collapse {
    /// The transaction of the merge.
    pub tx: String,
    /// The heuristic of the merge.
    pub heuristic: Heuristic,
    /// The two addresses it joined.
    pub a: String,
    /// See `a`.
    pub b: String,
    /// The sizes of the two clusters before.
    pub sizes_before: [u32; 2],
    /// The size after.
    pub size: u32,
    /// The threshold it passed.
    pub threshold: u64,
}

/// The clustering of one chain.
pub struct State {
    /// The partition.
    pub sets: UnionFind,
    /// First/last seen of every cluster of two or more addresses, by root.
    pub seen: HashMap<u32, Seen>,
    /// Per address: the index of the first applied merge record that involved it.
    pub joined: Vec<u32>,
    /// Records already saved.
    pub evidence_base: u64,
    /// Records made since.
    pub evidence: Vec<Record>,
    /// Conflicts found since the last save.
    pub conflicts: Vec<Conflict>,
    /// Collapses found since the last save.
    pub collapses: Vec<Collapse>,
    /// The service labels, by label id.
    pub labels: Vec<ServiceLabel>,
    /// Labelled addresses: (address id, label id).
    pub seeds: Vec<(u32, u32)>,
    /// Address ids from here on have not appeared in a processed transaction.
    pub next_fresh: u32,
    /// Deposit addresses whose senders were merged (account chains).
    pub deposits: BTreeSet<u32>,
    /// Counters: applied merges per heuristic, CoinJoins per kind, change guesses, conflicts,
    /// collapses.
    pub counts: BTreeMap<String, u64>,
}

impl State {
    /// An empty clustering of `addresses` ids with these labels seeded. Two labels on one
    /// address: the first keeps it.
    pub fn new(addresses: usize, labels: Vec<ServiceLabel>, seeds: Vec<(u32, u32)>) -> State {
        let mut sets = UnionFind::new(addresses);
        let mut kept = Vec::with_capacity(seeds.len());
        for (address, label) in seeds {
            if (address as usize) < addresses && sets.set_label(address, label).is_ok() {
                kept.push((address, label));
            }
        }
        State {
            sets,
            seen: HashMap::new(),
            joined: vec![NOT_JOINED; addresses],
            evidence_base: 0,
            evidence: Vec::new(),
            conflicts: Vec::new(),
            collapses: Vec::new(),
            labels,
            seeds: kept,
            next_fresh: 1,
            deposits: BTreeSet::new(),
            counts: BTreeMap::new(),
        }
    }

    /// Grow to `addresses` ids and seed labelled addresses that no processed transaction has
    /// touched yet (ids past those clustered): what [`State::new`] would have seeded.
    pub fn seed_new(&mut self, addresses: usize, seeds: Vec<(u32, u32)>) {
        self.sets.grow(addresses);
        if self.joined.len() < addresses {
            self.joined.resize(addresses, NOT_JOINED);
        }
        for (address, label) in seeds {
            if (address as usize) < addresses && self.sets.set_label(address, label).is_ok() {
                self.seeds.push((address, label));
            }
        }
    }

    fn count(&mut self, key: &str) {
        *self.counts.entry(key.to_string()).or_insert(0) += 1;
    }

    fn label_name(&self, label: u32) -> String {
        self.labels
            .get(label as usize)
            .map_or_else(|| format!("label {label}"), |l| l.name.clone())
    }
}

/// The text of a transaction id as the chain writes it.
pub fn tx_text(reader: &ChainReader, tx: TxId) -> String {
    let hash = reader.tx_hash(tx);
    match reader.model() {
        ChainModel::Account => hash.to_hex_prefixed(),
        ChainModel::Utxo => hash.to_hex(),
    }
}

fn address_text(reader: &ChainReader, id: u32) -> String {
    reader
        .address(id)
        .map_or_else(|| format!("address #{id}"), |a| a.to_string())
}

/// When an address first appears on the chain (its first receipt, or first transfer either
/// way on an account chain).
fn first_seen(reader: &ChainReader, id: u32) -> Option<u64> {
    match reader.model() {
        ChainModel::Utxo => {
            let row = reader.incoming(id).next()?;
            Some(reader.tx_block(reader.output(row)?.tx).timestamp)
        }
        ChainModel::Account => {
            let time = |row: Option<u64>| Some(reader.transfer(row?)?.block.timestamp);
            match (
                time(reader.incoming(id).next()),
                time(reader.outgoing(id).next()),
            ) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }
    }
}

/// One proposed merge.
struct Proposal {
    tx: TxId,
    a: u32,
    b: u32,
    heuristic: Heuristic,
    detail: u8,
    confidence: f64,
    apply: bool,
    time: u64,
}

/// A pass of the heuristics over part of a chain.
pub struct Pass<'a> {
    reader: &'a ChainReader,
    settings: &'a Settings,
    /// The chain's deposit addresses as a follower keeps them, if it does.
    deposits: Option<&'a DepositScan>,
    /// The chain's token senders as a follower keeps them, if it does.
    senders: Option<&'a mut TokenSenders>,
    /// The state extended.
    pub state: &'a mut State,
}

impl<'a> Pass<'a> {
    /// A pass over `reader` extending `state`, grown to the chain's addresses.
    pub fn new(reader: &'a ChainReader, settings: &'a Settings, state: &'a mut State) -> Pass<'a> {
        let addresses = reader.address_count();
        state.sets.grow(addresses);
        if state.joined.len() < addresses {
            state.joined.resize(addresses, NOT_JOINED);
        }
        Pass {
            reader,
            settings,
            deposits: None,
            senders: None,
            state,
        }
    }

    /// Take the deposit addresses from `scan` when it is of this chain as it is now, instead of
    /// scanning the chain for them.
    pub fn with_deposits(mut self, scan: Option<&'a DepositScan>) -> Pass<'a> {
        self.deposits = scan;
        self
    }

    /// Count the token senders (for airdrop distributors) on from `senders` when it counted this
    /// chain up to the range's start, instead of counting the chain from its start.
    pub fn with_senders(mut self, senders: Option<&'a mut TokenSenders>) -> Pass<'a> {
        self.senders = senders;
        self
    }

    /// The first and last activity of the cluster rooted at `root`, as of `time`.
    fn seen_of(&self, root: u32, time: u64) -> Seen {
        self.state.seen.get(&root).copied().unwrap_or_else(|| Seen {
            first: first_seen(self.reader, root).unwrap_or(time).min(time),
            last: time,
        })
    }

    /// Note that `address` was active at `time`.
    fn touch(&mut self, address: u32, time: u64) {
        let root = self.state.sets.find(address);
        if let Some(seen) = self.state.seen.get_mut(&root) {
            seen.last = seen.last.max(time);
        }
    }

    fn merge(&mut self, p: Proposal) {
        let mut record = Record {
            tx: p.tx,
            a: p.a,
            b: p.b,
            heuristic: p.heuristic,
            detail: p.detail,
            applied: false,
            confidence: percent(p.confidence),
        };
        if !p.apply {
            self.state.evidence.push(record);
            return;
        }
        let state = &mut *self.state;
        let (ra, rb) = (state.sets.find(p.a), state.sets.find(p.b));
        let sizes_before = [state.sets.size(ra), state.sets.size(rb)];
        let (seen_a, seen_b) = (self.seen_of(ra, p.time), self.seen_of(rb, p.time));
        let state = &mut *self.state;
        // Without the label guard no labels are seeded, so nothing is refused.
        match state.sets.union(p.a, p.b) {
            Union::Same(_) => {
                if p.heuristic == Heuristic::Change {
                    record.applied = true;
                    state.evidence.push(record);
                }
            }
            Union::Merged {
                root,
                absorbed,
                size,
            } => {
                record.applied = true;
                let index = state.evidence_base + state.evidence.len() as u64;
                let index = u32::try_from(index).unwrap_or(NOT_JOINED - 1);
                state.evidence.push(record);
                for x in [p.a, p.b] {
                    if state.joined[x as usize] == NOT_JOINED {
                        state.joined[x as usize] = index;
                    }
                }
                state.seen.remove(&absorbed);
                state.seen.insert(
                    root,
                    Seen {
                        first: seen_a.first.min(seen_b.first),
                        last: seen_a.last.max(seen_b.last).max(p.time),
                    },
                );
                state.count(p.heuristic.name());
                let threshold = self
                    .settings
                    .collapse_threshold(u64::from(state.next_fresh));
                let before = u64::from(sizes_before[0].max(sizes_before[1]));
                // A service's cluster is meant to hold every deposit address it sweeps.
                let expected = p.heuristic == Heuristic::DepositOfService;
                if !expected && before < threshold && u64::from(size) >= threshold {
                    state.count("collapses");
                    let collapse = Collapse {
                        tx: tx_text(self.reader, p.tx),
                        heuristic: p.heuristic,
                        a: address_text(self.reader, p.a),
                        b: address_text(self.reader, p.b),
                        sizes_before,
                        size,
                        threshold,
                    };
                    self.state.collapses.push(collapse);
                }
            }
            Union::Refused(la, lb) => {
                state.count("conflicts");
                let conflict = Conflict {
                    tx: tx_text(self.reader, p.tx),
                    heuristic: p.heuristic,
                    a: address_text(self.reader, p.a),
                    b: address_text(self.reader, p.b),
                    label_a: state.label_name(la),
                    label_b: state.label_name(lb),
                };
                state.conflicts.push(conflict);
            }
        }
    }

    /// Run the heuristics over transactions `from..to` (every transaction before `from` was
    /// processed by earlier passes).
    pub fn run(&mut self, from: TxId, to: TxId, services: &[Service]) {
        match self.reader.model() {
            ChainModel::Utxo => {
                let null_data = null_data_id(self.reader);
                for tx in from..to {
                    self.utxo_tx(tx, null_data);
                }
            }
            ChainModel::Account => self.account_range(from, to, services),
        }
    }

    fn utxo_tx(&mut self, tx: TxId, null_data: Option<u32>) {
        let reader = self.reader;
        let (inputs, outputs) = tx_sides(reader, tx, null_data);
        let time = reader.tx_block(tx).timestamp;
        let fresh_from = self.state.next_fresh;
        for &a in inputs.iter().chain(outputs.iter().map(|(a, _)| a)) {
            self.state.next_fresh = self.state.next_fresh.max(a.saturating_add(1));
            self.touch(a, time);
        }
        if self.settings.change.fingerprint {
            self.fingerprint_parents(tx, time, null_data);
        }
        let proposal = |a: u32, b: u32, heuristic, detail, confidence, apply| Proposal {
            tx,
            a,
            b,
            heuristic,
            detail,
            confidence,
            apply,
            time,
        };
        match co_spend(&inputs, &outputs) {
            CoSpend::Single => {}
            CoSpend::CoinJoin(kind) => {
                self.state.count(&format!("coinjoin-{}", kind.name()));
                return;
            }
            CoSpend::Owner(owner) => {
                for &other in &owner[1..] {
                    self.merge(proposal(
                        owner[0],
                        other,
                        Heuristic::MultiInput,
                        0,
                        MULTI_INPUT_CONFIDENCE,
                        true,
                    ));
                }
            }
        }
        let change = &self.settings.change;
        if !change.any() || inputs.is_empty() || outputs.len() < 2 {
            return;
        }
        let Some(ins) = change_inputs(reader, tx) else {
            return;
        };
        let outs: Vec<change::Output> = outputs
            .iter()
            .map(|&(address, value)| change::Output {
                address,
                value,
                kind: kind_of(reader, address),
                fresh: address >= fresh_from,
            })
            .collect();
        let continues_peel = change.peel_chain && continues_peel(reader, tx, null_data);
        if let Some(guess) = change::guess(change, &ins, &outs, continues_peel) {
            self.state.count("change-guesses");
            let apply = change.apply_at.is_some_and(|t| guess.confidence >= t);
            self.merge(proposal(
                ins[0].address,
                outs[guess.output].address,
                Heuristic::Change,
                guess.detail,
                guess.confidence,
                apply,
            ));
        }
    }

    /// The fingerprint heuristic for every parent of `tx` whose value outputs `tx` is the
    /// last to spend: only then do all their spenders' fingerprints exist, and as they are all
    /// at or before `tx`, the guess is the same however the chain is split into updates.
    fn fingerprint_parents(&mut self, tx: TxId, time: u64, null_data: Option<u32>) {
        let reader = self.reader;
        let mut parents: Vec<TxId> = reader
            .tx_inputs(tx)
            .filter_map(|row| reader.output(reader.input(row)?.spent_output?))
            .map(|o| o.tx)
            .collect();
        parents.sort_unstable();
        parents.dedup();
        for parent in parents {
            let Some((first_input, change_address, guess)) =
                self.fingerprint_guess(parent, tx, null_data)
            else {
                continue;
            };
            self.state.count("change-guesses-fingerprint");
            let change = &self.settings.change;
            self.merge(Proposal {
                tx: parent,
                a: first_input,
                b: change_address,
                heuristic: Heuristic::Change,
                detail: guess.detail,
                confidence: guess.confidence,
                apply: change.apply_at.is_some_and(|t| guess.confidence >= t),
                time,
            });
        }
    }

    /// The change guess of `parent` with the fingerprint heuristic, when `spender` spent the
    /// last of its value outputs: (its first input's address, the change address, the guess).
    fn fingerprint_guess(
        &self,
        parent: TxId,
        spender: TxId,
        null_data: Option<u32>,
    ) -> Option<(u32, u32, change::Guess)> {
        let reader = self.reader;
        let rows = reader.tx_outputs(parent);
        if rows.end - rows.start > FINGERPRINT_MAX_OUTPUTS {
            return None;
        }
        let outputs: Vec<OutputView> = value_outputs(reader, parent, null_data).collect();
        let spenders = outputs
            .iter()
            .map(|o| o.spent_by.filter(|&s| s <= spender))
            .collect::<Option<Vec<TxId>>>()?;
        if spenders.iter().max() != Some(&spender) {
            return None;
        }
        let fingerprint_of = |tx: TxId| {
            let f = reader.tx_fingerprint(tx)?;
            Some(change::Fingerprint::at(&f, reader.tx_block(tx).height))
        };
        let creator = fingerprint_of(parent)?;
        let spent_by = spenders
            .iter()
            .map(|&s| fingerprint_of(s))
            .collect::<Option<Vec<change::Fingerprint>>>()?;
        let named = change::fingerprint_vote(creator, &spent_by)?;
        // Checked only now: most transactions have no vote, and this reads every input.
        let (inputs, sides) = tx_sides(reader, parent, null_data);
        if let CoSpend::CoinJoin(_) = co_spend(&inputs, &sides) {
            return None;
        }
        let ins = change_inputs(reader, parent)?;
        let outs: Vec<change::Output> = outputs
            .iter()
            .map(|o| change::Output {
                address: o.address,
                value: o.value,
                kind: kind_of(reader, o.address),
                fresh: first_paid_by(reader, o.address) == Some(parent),
            })
            .collect();
        let change = &self.settings.change;
        let continues_peel = change.peel_chain && continues_peel(reader, parent, null_data);
        let guess = change::guess_with_fingerprint(change, &ins, &outs, continues_peel, named)?;
        Some((ins[0].address, outs[guess.output].address, guess))
    }

    fn account_range(&mut self, from: TxId, to: TxId, services: &[Service]) {
        let reader = self.reader;
        let columns = reader.transfer_columns();
        let mut paid = HashSet::new();
        for tx in from..to {
            let time = reader.tx_block(tx).timestamp;
            for row in reader.tx_transfers(tx) {
                let Ok(row) = usize::try_from(row) else {
                    continue;
                };
                paid.extend(columns.to.get(row));
                for a in [columns.from.get(row), columns.to.get(row)]
                    .into_iter()
                    .flatten()
                {
                    self.state.next_fresh = self.state.next_fresh.max(a.saturating_add(1));
                    self.touch(a, time);
                }
            }
        }
        if !self.settings.deposit_reuse && !self.settings.airdrop.detect {
            return;
        }
        // Sorted by address either way.
        let deposits: Vec<DepositAddress> = match self.deposits {
            Some(scan) if scan.is_of(reader, services) => scan.deposits().cloned().collect(),
            _ => deposit_addresses(reader, services),
        };
        let mut owned: HashSet<u32> = deposits.iter().map(|d| d.address).collect();
        owned.extend(self.state.seeds.iter().map(|s| s.0));
        owned.insert(0);
        if self.settings.airdrop.detect {
            self.airdrop_farms(from, to, &owned);
        }
        if !self.settings.deposit_reuse {
            return;
        }
        let time_of = |tx: TxId| reader.tx_block(tx).timestamp;
        for d in deposits {
            let new = self.state.deposits.insert(d.address);
            if new {
                self.merge(Proposal {
                    tx: d.first_sweep,
                    a: d.swept_to,
                    b: d.address,
                    heuristic: Heuristic::DepositOfService,
                    detail: 0,
                    confidence: d.confidence,
                    apply: true,
                    time: time_of(d.first_sweep),
                });
            }
            // A deposit address known before merges only over transfers appended since: one
            // that none paid adds nothing.
            if !new && !paid.contains(&d.address) {
                continue;
            }
            let mut anchor = None;
            for row in reader.incoming(d.address) {
                let Some(t) = reader.transfer(row) else {
                    continue;
                };
                if !t.success || owned.contains(&t.from) || !sent_by_signer(reader, &t) {
                    continue;
                }
                let Some(first) = anchor else {
                    anchor = Some(t.from);
                    continue;
                };
                if t.from != first && (new || t.tx >= from) {
                    self.merge(Proposal {
                        tx: t.tx,
                        a: first,
                        b: t.from,
                        heuristic: Heuristic::DepositReuse,
                        detail: 0,
                        confidence: DEPOSIT_REUSE_CONFIDENCE,
                        apply: true,
                        time: t.block.timestamp,
                    });
                }
            }
        }
    }

    /// Merge each airdrop recipient with the farm it forwarded to: every forward of a farm
    /// found only now, the appended forwards of a farm known before `from`.
    fn airdrop_farms(&mut self, from: TxId, to: TxId, owned: &HashSet<u32>) {
        let (reader, settings) = (self.reader, &self.settings.airdrop);
        let mut fresh = TokenSenders::default();
        let senders = self.senders.as_deref_mut().unwrap_or(&mut fresh);
        let rows = (
            airdrop::row_limit(reader, from),
            airdrop::row_limit(reader, to),
        );
        let (before, after) = senders.distributors(reader, settings, owned, rows);
        let known: HashSet<(u32, u32, u32)> = if from == 0 {
            HashSet::new()
        } else {
            airdrop::farms(reader, settings, owned, from, &before)
                .iter()
                .map(Farm::key)
                .collect()
        };
        let apply = settings.apply;
        for farm in airdrop::farms(reader, settings, owned, to, &after) {
            let new = !known.contains(&farm.key());
            for forward in farm.forwards.iter().filter(|f| new || f.tx >= from) {
                self.merge(Proposal {
                    tx: forward.tx,
                    a: farm.aggregator,
                    b: forward.recipient,
                    heuristic: Heuristic::Airdrop,
                    detail: 0,
                    confidence: AIRDROP_CONFIDENCE,
                    apply,
                    time: forward.time,
                });
            }
        }
    }
}

/// Was `t` sent by its transaction's signer — an EOA, a customer — rather than by a contract
/// the transaction called (a router or aggregator paying many people's deposit addresses would
/// merge them all)? A top-level value transfer is the signer's; a token transfer is when its
/// sender paid the transaction's gas.
fn sent_by_signer(reader: &ChainReader, t: &chaintrail_store::TransferView) -> bool {
    match t.kind {
        TransferKind::Native => true,
        TransferKind::Token => reader.tx_transfers(t.tx).any(|row| {
            reader
                .transfer(row)
                .is_some_and(|f| f.kind == TransferKind::Fee && f.from == t.from)
        }),
        _ => false,
    }
}

/// Does `tx` spend the large leg (the remainder) of a parent transaction shaped like a peel
/// step? Only parents are looked at, so the answer is the same whenever the chain is clustered.
fn continues_peel(reader: &ChainReader, tx: TxId, null_data: Option<u32>) -> bool {
    reader.tx_inputs(tx).any(|row| {
        let Some(spent) = reader.input(row).and_then(|i| i.spent_output) else {
            return false;
        };
        let Some(output) = reader.output(spent) else {
            return false;
        };
        let parent: Vec<OutputView> = value_outputs(reader, output.tx, null_data).collect();
        let values: Vec<u64> = parent.iter().map(|o| o.value).collect();
        // A coinbase counts as no input: mining pays out, it does not peel.
        let parent_inputs = reader
            .tx_inputs(output.tx)
            .filter(|&r| reader.input(r).is_some_and(|i| !i.coinbase))
            .count();
        change::peel_leg(parent_inputs, &values).is_some_and(|leg| parent[leg].row == spent)
    })
}

/// The transaction that first paid `address`: where it appeared for the first time, so the
/// fresh-address heuristic gives when asked later what it gave when the transaction was new.
fn first_paid_by(reader: &ChainReader, address: u32) -> Option<TxId> {
    let row = reader.incoming(address).next()?;
    Some(reader.output(row)?.tx)
}

/// The script type of an address id.
fn kind_of(reader: &ChainReader, id: u32) -> &'static str {
    reader.address(id).map_or("unknown", |a| a.type_name())
}

/// The inputs of `tx` for the change heuristics; `None` when one has no known address.
fn change_inputs(reader: &ChainReader, tx: TxId) -> Option<Vec<change::Input>> {
    reader
        .tx_inputs(tx)
        .map(|row| {
            let input = reader.input(row)?;
            let address = input.address?;
            Some(change::Input {
                address,
                value: input.value,
                kind: kind_of(reader, address),
            })
        })
        .collect()
}
