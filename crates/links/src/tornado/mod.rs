//! Demixing Tornado-Cash-style pools: which deposit did a withdrawal withdraw? The pool's zero-
//! knowledge proof hides it; users give it away (Tutela, Wu et al. 2022; Wang et al., WWW 2023;
//! methods.md §3.2). Each heuristic proposes (deposit, withdrawal) pairs with a confidence and a
//! one-line reason:
//!
//! - **address match**: the withdrawal pays (or, self-relayed, is sent by) the address that
//!   made the deposit;
//! - **unique fee settings**: the deposit's fee settings (EIP-1559 max fee and priority fee, or
//!   the legacy gas price) occur in no other deposit of the store, and a self-relayed withdrawal
//!   uses exactly them — the same wallet;
//! - **linked addresses**: the depositor and the withdrawal's recipient transacted directly,
//!   outside the pool;
//! - **multi-denomination**: an address that deposited a portfolio of notes across pools within
//!   a day, and a recipient that withdrew exactly that portfolio within a day after;
//! - **timing (anonymity set)**: a withdrawal minutes after deposits into its pool, paired with
//!   each at one over their number, times the share of the pool's withdrawals that are that
//!   quick beyond chance (`timing.rs`);
//! - **TORN mining**: anonymity points swapped for TORN, the pool's rate times the blocks a
//!   note stayed, paired with the notes that stayed exactly that long (`mining.rs`);
//! - **relayer behaviour**: a recipient's withdrawals through the relayer its withdrawals of a
//!   depositor's other notes used (`relayer.rs`);
//! - **bulk movers** (the laundering class, e.g. DPRK's Ronin and Harmony deposits): campaigns
//!   of commonly funded addresses that deposit many notes into a pool fund the withdrawals to
//!   fresh addresses whose first activity is receiving several withdrawals from it, as a batch:
//!   each withdrawal draws its note from the campaigns holding notes then, in proportion
//!   (`bulk.rs`). These links carry a low confidence and a share of their note.
//!
//! Address match, unique fee settings, linked addresses and relayer behaviour are worth what
//! they are on the store at hand: each evidence class's confidence is its precision measured
//! against chance (`chance.rs`), capped by what the heuristic is worth where chance is nil.
//!
//! Pairs of the same (deposit, withdrawal) combine as independent evidence (1 − Π(1 − c)).
//! A note is withdrawn once: the pairs are assigned greedily by confidence, each deposit and
//! each withdrawal at most once, a deposit always before its withdrawal, in the same pool; the
//! bulk batches' pieces keep what the pairs left.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

mod bulk;
mod chance;
pub mod mining;
mod portfolio;
mod relayer;
mod timing;

use chaintrail_core::{Address, Chain, TransferKind, TxHash};
use chaintrail_evm::events::{FeeSettings, MixerEvent, MixerEventKind};
use chaintrail_labels::Category;
use chaintrail_store::{ChainReader, TxId};

use crate::Services;
use crate::model::{Findings, Link};
use chance::{Control, PoolShares};
use mining::MiningClaim;

const DECODER: &str = "tornado";
/// Addresses with more counterparties than this are hubs (exchanges, routers): a transfer with
/// one says nothing about who owns a pool's notes.
const HUB_DEGREE: usize = 1_000;
/// A recipient with at most this many counterparties is a private wallet.
const PRIVATE_DEGREE: usize = 50;
/// What an address match is worth where chance is nil (a user may reuse an address for a
/// later note, a wallet may be shared).
const ADDRESS_MATCH_PRIOR: f64 = 0.95;
/// What unique fee settings are worth where chance is nil.
const UNIQUE_FEE_PRIOR: f64 = 0.9;

/// A heuristic of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Heuristic {
    /// The withdrawal pays (or is sent by) the depositor.
    AddressMatch,
    /// Deposit and self-relayed withdrawal share fee settings no other deposit has.
    UniqueFee,
    /// Depositor and recipient transacted directly.
    LinkedAddresses,
    /// A portfolio of notes deposited and withdrawn the same way.
    MultiDenomination,
    /// Bulk depositors matched to fresh bulk recipients, first in, first out.
    BulkMovers,
    /// A withdrawal minutes after deposits, among as few notes as were deposited then.
    Timing,
    /// A recipient's withdrawals through the same relayer as its others, which withdrew a
    /// depositor's notes.
    RelayerBehaviour,
    /// Anonymity points swapped for TORN: the pool's rate times the blocks a note stayed.
    TornMining,
}

impl Heuristic {
    /// Every heuristic.
    pub const ALL: [Heuristic; 8] = [
        Heuristic::AddressMatch,
        Heuristic::UniqueFee,
        Heuristic::LinkedAddresses,
        Heuristic::MultiDenomination,
        Heuristic::Timing,
        Heuristic::RelayerBehaviour,
        Heuristic::TornMining,
        Heuristic::BulkMovers,
    ];

    /// Whether the heuristic only corroborates others: it links no pair alone. Timing pairs a
    /// quick withdrawal with every note of its anonymity set, so alone it would hand notes to
    /// withdrawals at a few per cent each and keep them from the batches.
    pub fn corroborates_only(self) -> bool {
        self == Heuristic::Timing
    }

    /// The heuristic's name (`address match`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Heuristic::AddressMatch => "address match",
            Heuristic::UniqueFee => "unique fee settings",
            Heuristic::LinkedAddresses => "linked addresses",
            Heuristic::MultiDenomination => "multi-denomination",
            Heuristic::BulkMovers => "bulk movers",
            Heuristic::Timing => "timing (anonymity set)",
            Heuristic::RelayerBehaviour => "relayer behaviour",
            Heuristic::TornMining => "TORN mining",
        }
    }
}

/// A deposit into a pool.
#[derive(Debug, Clone)]
struct Deposit {
    pool: Address,
    tx: TxHash,
    block: u64,
    time: u64,
    depositor: Address,
    fee: FeeSettings,
}

/// A withdrawal from a pool.
#[derive(Debug, Clone)]
struct Withdrawal {
    pool: Address,
    tx: TxHash,
    block: u64,
    time: u64,
    recipient: Address,
    /// Who sent the transaction: the recipient's own wallet when self-relayed.
    sender: Address,
    /// The relayer the event names (the zero address when self-relayed).
    relayer: Address,
    self_relayed: bool,
    fee: FeeSettings,
}

/// One heuristic's proposal that withdrawal `withdrawal` withdrew deposit `deposit`.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The chain.
    pub chain: Chain,
    /// The deposit transaction.
    pub deposit: TxHash,
    /// The withdrawal transaction.
    pub withdrawal: TxHash,
    /// Which heuristic proposes it.
    pub heuristic: Heuristic,
    /// 0..=1.
    pub confidence: f64,
    /// The fraction of the deposit's note the withdrawal carries: 1, less for a batch's pairs.
    pub share: f64,
    /// Why, in one line.
    pub reason: String,
}

struct Pools {
    chain: Chain,
    deposits: Vec<Deposit>,
    withdrawals: Vec<Withdrawal>,
    names: HashMap<Address, String>,
}

fn pools_of(chain: Chain, events: &[MixerEvent], services: &dyn Services) -> Pools {
    let mut pools = Pools {
        chain,
        deposits: Vec::new(),
        withdrawals: Vec::new(),
        names: HashMap::new(),
    };
    for e in events {
        pools.names.entry(e.pool.clone()).or_insert_with(|| {
            match services.service(chain, &e.pool) {
                Some((_, name)) => name,
                None => "Tornado Cash-style pool".to_string(),
            }
        });
        match &e.kind {
            MixerEventKind::Deposit { .. } => pools.deposits.push(Deposit {
                pool: e.pool.clone(),
                tx: e.tx,
                block: e.block.height,
                time: e.block.timestamp,
                depositor: e.tx_from.clone(),
                fee: e.fee_settings.clone(),
            }),
            MixerEventKind::Withdrawal { to, relayer, .. } => {
                let self_relayed = *relayer == Address::Evm([0; 20]) || *relayer == *to;
                pools.withdrawals.push(Withdrawal {
                    pool: e.pool.clone(),
                    tx: e.tx,
                    block: e.block.height,
                    time: e.block.timestamp,
                    recipient: to.clone(),
                    sender: e.tx_from.clone(),
                    relayer: relayer.clone(),
                    self_relayed,
                    fee: e.fee_settings.clone(),
                })
            }
        }
    }
    pools
}

/// Earlier deposits of `address`: into `pool`, and whether it deposited elsewhere before.
fn earlier_deposits<'a>(
    by_depositor: &HashMap<&Address, Vec<&'a Deposit>>,
    address: &Address,
    pool: &Address,
    before: u64,
) -> (Vec<&'a Deposit>, bool) {
    let Some(deposits) = by_depositor.get(address) else {
        return (Vec::new(), false);
    };
    let earlier = deposits.iter().filter(|d| d.time < before);
    let (here, elsewhere): (Vec<&Deposit>, Vec<&Deposit>) = earlier.partition(|d| d.pool == *pool);
    (here, !elsewhere.is_empty())
}

fn deposits_by_depositor(p: &Pools) -> HashMap<&Address, Vec<&Deposit>> {
    let mut by_depositor: HashMap<&Address, Vec<&Deposit>> = HashMap::new();
    for d in &p.deposits {
        by_depositor.entry(&d.depositor).or_default().push(d);
    }
    by_depositor
}

/// Address match, in two classes: a withdrawal self-relayed *by* the depositor's address (its
/// key signed the withdrawal, so whoever withdrew holds it) and one paid *to* it through a
/// relayer (anyone can pay a depositor). Each class's confidence is its precision measured
/// against chance (`chance.rs`), at most 0.95, shared among the address's earlier deposits.
fn address_match(p: &Pools, shares: &PoolShares, out: &mut Vec<Candidate>) {
    let by_depositor = deposits_by_depositor(p);
    let mut found: Vec<(&Withdrawal, &Address, bool, Vec<&Deposit>)> = Vec::new();
    let mut controls = [Control::default(); 2];
    for w in &p.withdrawals {
        let signed_by = w.self_relayed.then_some(&w.sender);
        let mut who = vec![(&w.recipient, signed_by == Some(&w.recipient))];
        if let Some(sender) = signed_by.filter(|s| **s != w.recipient) {
            who.push((sender, true));
        }
        for (address, signed) in who {
            let (here, elsewhere) = earlier_deposits(&by_depositor, address, &w.pool, w.time);
            if here.is_empty() && !elsewhere {
                continue;
            }
            controls[usize::from(signed)].observe(shares, &w.pool, !here.is_empty());
            if !here.is_empty() {
                found.push((w, address, signed, here));
            }
        }
    }
    for (w, address, signed, earlier) in found {
        let control = &controls[usize::from(signed)];
        let confidence = control.confidence(ADDRESS_MATCH_PRIOR) / earlier.len() as f64;
        let how = if signed {
            "self-relayed by"
        } else {
            "withdrawn to"
        };
        for d in &earlier {
            out.push(Candidate {
                chain: p.chain,
                deposit: d.tx,
                withdrawal: w.tx,
                heuristic: Heuristic::AddressMatch,
                confidence,
                share: 1.0,
                reason: format!(
                    "{how} {address}, which made the deposit ({})",
                    control.describe()
                ),
            });
        }
    }
}

/// Unique fee settings: a self-relayed withdrawal with the fee settings of one deposit alone,
/// the same wallet. Calibrated against chance like address match: a withdrawal whose settings
/// are those of a deposit into another pool only is a coincidence of wallets.
fn unique_fee(p: &Pools, shares: &PoolShares, out: &mut Vec<Candidate>) {
    let mut counts: HashMap<&FeeSettings, usize> = HashMap::new();
    for d in &p.deposits {
        *counts.entry(&d.fee).or_default() += 1;
    }
    let unique: HashMap<&FeeSettings, &Deposit> = p
        .deposits
        .iter()
        .filter(|d| !d.fee.is_empty() && counts[&d.fee] == 1)
        .map(|d| (&d.fee, d))
        .collect();
    let mut control = Control::default();
    let mut found = Vec::new();
    for w in p.withdrawals.iter().filter(|w| w.self_relayed) {
        if let Some(d) = unique.get(&w.fee)
            && d.time < w.time
        {
            control.observe(shares, &w.pool, d.pool == w.pool);
            if d.pool == w.pool {
                found.push((*d, w));
            }
        }
    }
    for (d, w) in found {
        out.push(Candidate {
            chain: p.chain,
            deposit: d.tx,
            withdrawal: w.tx,
            heuristic: Heuristic::UniqueFee,
            confidence: control.confidence(UNIQUE_FEE_PRIOR),
            share: 1.0,
            reason: format!(
                "self-relayed with the fee settings of that deposit alone ({})",
                control.describe()
            ),
        });
    }
}

/// Direct transfers between two addresses outside the mixer transactions, by address id.
fn counterparties(
    reader: &ChainReader,
    address: u32,
    skip: &HashSet<TxId>,
) -> Option<BTreeMap<u32, u32>> {
    let mut seen: BTreeMap<u32, u32> = BTreeMap::new();
    let rows = reader.outgoing(address).chain(reader.incoming(address));
    for row in rows {
        let Some(t) = reader.transfer(row) else {
            continue;
        };
        if !t.success
            || matches!(t.kind, TransferKind::Fee | TransferKind::Burn)
            || skip.contains(&t.tx)
        {
            continue;
        }
        let other = if t.from == address { t.to } else { t.from };
        *seen.entry(other).or_default() += 1;
        if seen.len() > HUB_DEGREE {
            return None;
        }
    }
    Some(seen)
}

/// Linked addresses: the recipient is a private wallet that made repeated direct transfers,
/// outside the pools, with exactly one depositor of the withdrawal's pool. Two classes (two
/// transfers, three or more), each calibrated against chance like address match.
fn linked_addresses(
    p: &Pools,
    reader: &ChainReader,
    services: &dyn Services,
    shares: &PoolShares,
    out: &mut Vec<Candidate>,
) {
    let mixer_txs: HashSet<TxId> = p
        .deposits
        .iter()
        .map(|d| d.tx)
        .chain(p.withdrawals.iter().map(|w| w.tx))
        .filter_map(|tx| reader.tx_id(&tx))
        .collect();
    let by_depositor = deposits_by_depositor(p);
    let depositor_ids: HashMap<u32, &Address> = by_depositor
        .keys()
        .filter_map(|a| Some((reader.address_id(a)?, *a)))
        .collect();
    let mut cache: HashMap<u32, Option<BTreeMap<u32, u32>>> = HashMap::new();
    let mut found: Vec<(&Withdrawal, &Address, bool, u32, Vec<&Deposit>)> = Vec::new();
    let mut controls = [Control::default(); 2];
    for w in &p.withdrawals {
        let Some(recipient) = reader.address_id(&w.recipient) else {
            continue;
        };
        if services.service(p.chain, &w.recipient).is_some() {
            continue;
        }
        let known = cache
            .entry(recipient)
            .or_insert_with(|| counterparties(reader, recipient, &mixer_txs));
        let Some(known) = known else { continue };
        // A private wallet: chance meetings in a busy economy are single transfers.
        if known.len() > PRIVATE_DEGREE {
            continue;
        }
        let mut linked_here = Vec::new();
        for (other, count) in known {
            let Some(depositor) = depositor_ids.get(other) else {
                continue;
            };
            if *other == recipient || *count < 2 {
                continue;
            }
            let (here, elsewhere) = earlier_deposits(&by_depositor, depositor, &w.pool, w.time);
            if here.is_empty() && !elsewhere {
                continue;
            }
            let repeated = *count >= 3;
            controls[usize::from(repeated)].observe(shares, &w.pool, !here.is_empty());
            if !here.is_empty() {
                linked_here.push((*depositor, repeated, *count, here));
            }
        }
        if let [(depositor, repeated, count, here)] = linked_here.as_slice() {
            found.push((w, depositor, *repeated, *count, here.clone()));
        }
    }
    for (w, depositor, repeated, count, earlier) in found {
        let control = &controls[usize::from(repeated)];
        let prior = if repeated { 0.85 } else { 0.75 };
        let confidence = control.confidence(prior) / earlier.len() as f64;
        for d in &earlier {
            out.push(Candidate {
                chain: p.chain,
                deposit: d.tx,
                withdrawal: w.tx,
                heuristic: Heuristic::LinkedAddresses,
                confidence,
                share: 1.0,
                reason: format!(
                    "the recipient and the depositor {depositor} made {count} transfers between them outside the pool ({})",
                    control.describe()
                ),
            });
        }
    }
}

/// Every heuristic's proposals on one chain (for scoring each heuristic alone).
pub fn candidates(
    reader: &ChainReader,
    events: &[MixerEvent],
    claims: &[MiningClaim],
    services: &dyn Services,
) -> Vec<Candidate> {
    let pools = pools_of(reader.chain(), events, services);
    let mut out = Vec::new();
    let shares = PoolShares::of(&pools);
    address_match(&pools, &shares, &mut out);
    unique_fee(&pools, &shares, &mut out);
    linked_addresses(&pools, reader, services, &shares, &mut out);
    portfolio::multi_denomination(&pools, &mut out);
    timing::timing(&pools, &mut out);
    mining::torn_mining(&pools, claims, &mut out);
    let by_relayer = relayer::relayer_behaviour(&pools, &shares, &out);
    out.extend(by_relayer);
    bulk::bulk_movers(&pools, reader, services, &mut out);
    out
}

/// What the heuristics say about one (deposit, withdrawal) pair: combined confidence, which
/// heuristics, their reasons.
type Evidence = (f64, BTreeSet<Heuristic>, Vec<String>);

/// Combined, conflict-free links of one chain's pools: pairs first (a note is withdrawn once,
/// assigned greedily by confidence), then the bulk batches' shares of what the pairs left.
pub fn decode(
    reader: &ChainReader,
    events: &[MixerEvent],
    claims: &[MiningClaim],
    services: &dyn Services,
) -> Findings {
    let pools = pools_of(reader.chain(), events, services);
    let (batches, proposals): (Vec<Candidate>, Vec<Candidate>) =
        candidates(reader, events, claims, services)
            .into_iter()
            .partition(|c| c.heuristic == Heuristic::BulkMovers);
    let mut findings = Findings {
        decoded: events.len() as u64,
        ..Findings::default()
    };
    let mut combined: BTreeMap<(TxHash, TxHash), Evidence> = BTreeMap::new();
    for c in &proposals {
        let slot =
            combined
                .entry((c.deposit, c.withdrawal))
                .or_insert((0.0, BTreeSet::new(), Vec::new()));
        slot.0 = 1.0 - (1.0 - slot.0) * (1.0 - c.confidence);
        if slot.1.insert(c.heuristic) {
            slot.2
                .push(format!("{}: {}", c.heuristic.as_str(), c.reason));
        }
    }
    let mut ranked: Vec<_> = combined.into_iter().collect();
    ranked.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then(a.0.cmp(&b.0)));
    let withdrawals: HashMap<TxHash, &Withdrawal> =
        pools.withdrawals.iter().map(|w| (w.tx, w)).collect();
    let link =
        |deposit: TxHash, w: &Withdrawal, confidence: f64, evidence: String, share: f64| Link {
            kind: "mixer".to_string(),
            via: pools.names.get(&w.pool).cloned().unwrap_or_default(),
            decoder: DECODER.to_string(),
            from_chain: pools.chain,
            from_tx: deposit,
            to_chain: pools.chain,
            to_tx: w.tx,
            to_address: Some(w.recipient.to_string()),
            confidence: (confidence * 100.0).round() / 100.0,
            evidence,
            share,
        };
    let (mut used_deposits, mut used_withdrawals) = (HashSet::new(), HashSet::new());
    for ((deposit, withdrawal), (confidence, heuristics, reasons)) in ranked {
        if confidence <= 0.0 || heuristics.iter().all(|h| h.corroborates_only()) {
            continue;
        }
        if used_deposits.contains(&deposit) || used_withdrawals.contains(&withdrawal) {
            findings.unmatched += 1;
            continue;
        }
        let Some(w) = withdrawals.get(&withdrawal) else {
            continue;
        };
        used_deposits.insert(deposit);
        used_withdrawals.insert(withdrawal);
        let evidence = format!("heuristic {}", reasons.join("; "));
        findings
            .links
            .push(link(deposit, w, confidence, evidence, 1.0));
    }
    for c in batches {
        if used_deposits.contains(&c.deposit) || used_withdrawals.contains(&c.withdrawal) {
            findings.unmatched += 1;
            continue;
        }
        let Some(w) = withdrawals.get(&c.withdrawal) else {
            continue;
        };
        let evidence = format!("heuristic {}: {}", c.heuristic.as_str(), c.reason);
        findings
            .links
            .push(link(c.deposit, w, c.confidence, evidence, c.share));
    }
    findings
}

/// Contracts whose events are demixed: labelled mixers, and unlabelled emitters of the events
/// (which `protocol-events` derives as mixers); not contracts labelled as something else.
pub fn is_mixer(services: &dyn Services, chain: Chain, pool: &Address) -> bool {
    matches!(
        services.service(chain, pool),
        Some((Category::Mixer, _)) | None
    )
}
