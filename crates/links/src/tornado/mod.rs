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
//! - **bulk movers** (the laundering class, e.g. DPRK's Ronin and Harmony deposits): campaigns
//!   of commonly funded addresses that deposit many notes into a pool fund the withdrawals to
//!   fresh addresses whose first activity is receiving several withdrawals from it, as a batch:
//!   each withdrawal draws its note from the campaigns holding notes then, in proportion
//!   (`bulk.rs`). These links carry a low confidence and a share of their note.
//!
//! Pairs of the same (deposit, withdrawal) combine as independent evidence (1 − Π(1 − c)).
//! A note is withdrawn once: the pairs are assigned greedily by confidence, each deposit and
//! each withdrawal at most once, a deposit always before its withdrawal, in the same pool; the
//! bulk batches' pieces keep what the pairs left.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

mod bulk;

use chaintrail_core::{Address, Chain, TransferKind, TxHash};
use chaintrail_evm::events::{FeeSettings, MixerEvent, MixerEventKind};
use chaintrail_labels::Category;
use chaintrail_store::{ChainReader, TxId};

use crate::Services;
use crate::model::{Findings, Link};

const DECODER: &str = "tornado";
/// How long a multi-denomination portfolio takes to deposit, and to withdraw.
const PORTFOLIO_WINDOW: u64 = 86_400;
/// Addresses with more counterparties than this are hubs (exchanges, routers): a transfer with
/// one says nothing about who owns a pool's notes.
const HUB_DEGREE: usize = 1_000;
/// A recipient with at most this many counterparties is a private wallet.
const PRIVATE_DEGREE: usize = 50;

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
}

impl Heuristic {
    /// Every heuristic.
    pub const ALL: [Heuristic; 5] = [
        Heuristic::AddressMatch,
        Heuristic::UniqueFee,
        Heuristic::LinkedAddresses,
        Heuristic::MultiDenomination,
        Heuristic::BulkMovers,
    ];

    /// The heuristic's name (`address match`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Heuristic::AddressMatch => "address match",
            Heuristic::UniqueFee => "unique fee settings",
            Heuristic::LinkedAddresses => "linked addresses",
            Heuristic::MultiDenomination => "multi-denomination",
            Heuristic::BulkMovers => "bulk movers",
        }
    }
}

/// A deposit into a pool.
#[derive(Debug, Clone)]
struct Deposit {
    pool: Address,
    tx: TxHash,
    time: u64,
    depositor: Address,
    fee: FeeSettings,
}

/// A withdrawal from a pool.
#[derive(Debug, Clone)]
struct Withdrawal {
    pool: Address,
    tx: TxHash,
    time: u64,
    recipient: Address,
    /// Who sent the transaction: the recipient's own wallet when self-relayed.
    sender: Address,
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
                time: e.block.timestamp,
                depositor: e.tx_from.clone(),
                fee: e.fee_settings.clone(),
            }),
            MixerEventKind::Withdrawal { to, relayer, .. } => {
                let self_relayed = *relayer == Address::Evm([0; 20]) || *relayer == *to;
                pools.withdrawals.push(Withdrawal {
                    pool: e.pool.clone(),
                    tx: e.tx,
                    time: e.block.timestamp,
                    recipient: to.clone(),
                    sender: e.tx_from.clone(),
                    self_relayed,
                    fee: e.fee_settings.clone(),
                })
            }
        }
    }
    pools
}

fn address_match(p: &Pools, out: &mut Vec<Candidate>) {
    let mut by_depositor: HashMap<(&Address, &Address), Vec<&Deposit>> = HashMap::new();
    for d in &p.deposits {
        by_depositor
            .entry((&d.pool, &d.depositor))
            .or_default()
            .push(d);
    }
    for w in &p.withdrawals {
        let mut who = vec![&w.recipient];
        if w.self_relayed && w.sender != w.recipient {
            who.push(&w.sender);
        }
        for address in who {
            let Some(deposits) = by_depositor.get(&(&w.pool, address)) else {
                continue;
            };
            let earlier: Vec<&&Deposit> = deposits.iter().filter(|d| d.time < w.time).collect();
            for d in &earlier {
                out.push(Candidate {
                    chain: p.chain,
                    deposit: d.tx,
                    withdrawal: w.tx,
                    heuristic: Heuristic::AddressMatch,
                    confidence: 0.95 / earlier.len() as f64,
                    share: 1.0,
                    reason: format!("withdrawn to {address}, which made the deposit"),
                });
            }
        }
    }
}

fn unique_fee(p: &Pools, out: &mut Vec<Candidate>) {
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
    for w in p.withdrawals.iter().filter(|w| w.self_relayed) {
        if let Some(d) = unique.get(&w.fee)
            && d.pool == w.pool
            && d.time < w.time
        {
            out.push(Candidate {
                chain: p.chain,
                deposit: d.tx,
                withdrawal: w.tx,
                heuristic: Heuristic::UniqueFee,
                confidence: 0.9,
                share: 1.0,
                reason: "self-relayed with the fee settings of that deposit alone".to_string(),
            });
        }
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

fn linked_addresses(
    p: &Pools,
    reader: &ChainReader,
    services: &dyn Services,
    out: &mut Vec<Candidate>,
) {
    let mixer_txs: HashSet<TxId> = p
        .deposits
        .iter()
        .map(|d| d.tx)
        .chain(p.withdrawals.iter().map(|w| w.tx))
        .filter_map(|tx| reader.tx_id(&tx))
        .collect();
    let mut by_depositor: HashMap<(u32, &Address), Vec<&Deposit>> = HashMap::new();
    for d in &p.deposits {
        if let Some(id) = reader.address_id(&d.depositor) {
            by_depositor.entry((id, &d.pool)).or_default().push(d);
        }
    }
    let mut cache: HashMap<u32, Option<BTreeMap<u32, u32>>> = HashMap::new();
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
        // The recipient is a private wallet that transacted repeatedly with exactly one
        // depositor of this pool: chance meetings in a busy economy are single transfers.
        if known.len() > PRIVATE_DEGREE {
            continue;
        }
        let linked: Vec<(u32, u32)> = known
            .iter()
            .filter(|(other, count)| {
                **other != recipient
                    && **count >= 2
                    && by_depositor.contains_key(&(**other, &w.pool))
            })
            .map(|(other, count)| (*other, *count))
            .collect();
        let [(other, count)] = linked.as_slice() else {
            continue;
        };
        let earlier: Vec<&&Deposit> = by_depositor[&(*other, &w.pool)]
            .iter()
            .filter(|d| d.time < w.time)
            .collect();
        let base = if *count >= 3 { 0.85 } else { 0.75 };
        for d in &earlier {
            out.push(Candidate {
                chain: p.chain,
                deposit: d.tx,
                withdrawal: w.tx,
                heuristic: Heuristic::LinkedAddresses,
                confidence: base / earlier.len() as f64,
                share: 1.0,
                reason: format!(
                    "the recipient and the depositor {} made {count} transfers between them outside the pool",
                    d.depositor
                ),
            });
        }
    }
}

/// The pools' multisets of deposits per depositor within a day, matched to the same multiset of
/// withdrawals per recipient within a day after.
fn multi_denomination(p: &Pools, out: &mut Vec<Candidate>) {
    type Portfolio = BTreeMap<Address, usize>;
    let portfolios = |items: Vec<(&Address, u64, &Address, TxHash)>| {
        let mut by_owner: BTreeMap<&Address, Vec<(u64, &Address, TxHash)>> = BTreeMap::new();
        for (owner, time, pool, tx) in items {
            by_owner.entry(owner).or_default().push((time, pool, tx));
        }
        let mut found: Vec<(Portfolio, u64, u64, Vec<TxHash>)> = Vec::new();
        for (_, mut events) in by_owner {
            events.sort();
            let (first, last) = (events[0].0, events[events.len() - 1].0);
            if events.len() < 3 || last - first > PORTFOLIO_WINDOW {
                continue;
            }
            let mut portfolio = Portfolio::new();
            for (_, pool, _) in &events {
                *portfolio.entry((*pool).clone()).or_default() += 1;
            }
            if portfolio.len() < 2 {
                continue;
            }
            found.push((portfolio, first, last, events.iter().map(|e| e.2).collect()));
        }
        found
    };
    let deposits = portfolios(
        p.deposits
            .iter()
            .map(|d| (&d.depositor, d.time, &d.pool, d.tx))
            .collect(),
    );
    let withdrawals = portfolios(
        p.withdrawals
            .iter()
            .map(|w| (&w.recipient, w.time, &w.pool, w.tx))
            .collect(),
    );
    let pool_of: HashMap<TxHash, &Address> = p
        .deposits
        .iter()
        .map(|d| (d.tx, &d.pool))
        .chain(p.withdrawals.iter().map(|w| (w.tx, &w.pool)))
        .collect();
    for (portfolio, first, _, w_txs) in &withdrawals {
        let sources: Vec<&(Portfolio, u64, u64, Vec<TxHash>)> = deposits
            .iter()
            .filter(|(d_portfolio, _, d_last, _)| d_portfolio == portfolio && d_last < first)
            .collect();
        let confidence = 0.9 / sources.len().max(1) as f64;
        if sources.is_empty() || confidence < 0.2 {
            continue;
        }
        for (_, _, _, d_txs) in sources {
            // Within the portfolio, notes of one pool are interchangeable: pair them in order.
            let mut d_by_pool: BTreeMap<&Address, Vec<TxHash>> = BTreeMap::new();
            for tx in d_txs {
                d_by_pool.entry(pool_of[tx]).or_default().push(*tx);
            }
            let mut w_by_pool: BTreeMap<&Address, Vec<TxHash>> = BTreeMap::new();
            for tx in w_txs {
                w_by_pool.entry(pool_of[tx]).or_default().push(*tx);
            }
            for (pool, ws) in &w_by_pool {
                let ds = d_by_pool.get(pool).map_or(&[][..], |v| v.as_slice());
                for (d, w) in ds.iter().zip(ws) {
                    out.push(Candidate {
                        chain: p.chain,
                        deposit: *d,
                        withdrawal: *w,
                        heuristic: Heuristic::MultiDenomination,
                        confidence,
                        share: 1.0,
                        reason: format!(
                            "the same portfolio of {} notes across {} pools deposited and withdrawn within a day each",
                            portfolio.values().sum::<usize>(),
                            portfolio.len()
                        ),
                    });
                }
            }
        }
    }
}

/// Every heuristic's proposals on one chain (for scoring each heuristic alone).
pub fn candidates(
    reader: &ChainReader,
    events: &[MixerEvent],
    services: &dyn Services,
) -> Vec<Candidate> {
    let pools = pools_of(reader.chain(), events, services);
    let mut out = Vec::new();
    address_match(&pools, &mut out);
    unique_fee(&pools, &mut out);
    linked_addresses(&pools, reader, services, &mut out);
    multi_denomination(&pools, &mut out);
    bulk::bulk_movers(&pools, reader, services, &mut out);
    out
}

/// What the heuristics say about one (deposit, withdrawal) pair: combined confidence, which
/// heuristics, their reasons.
type Evidence = (f64, BTreeSet<Heuristic>, Vec<String>);

/// Combined, conflict-free links of one chain's pools: pairs first (a note is withdrawn once,
/// assigned greedily by confidence), then the bulk batches' shares of what the pairs left.
pub fn decode(reader: &ChainReader, events: &[MixerEvent], services: &dyn Services) -> Findings {
    let pools = pools_of(reader.chain(), events, services);
    let (batches, proposals): (Vec<Candidate>, Vec<Candidate>) =
        candidates(reader, events, services)
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
    for ((deposit, withdrawal), (confidence, _, reasons)) in ranked {
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
