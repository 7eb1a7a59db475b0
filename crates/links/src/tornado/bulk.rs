//! Bulk movers: the laundering class (DPRK's Ronin and Harmony deposits). A *campaign* is a
//! group of addresses that each deposit several notes into a pool and share their funding
//! (paid by the same private wallets, up to two hops back — a service, hub or pool pays
//! everyone and joins nothing); its notes come out as withdrawals to fresh addresses that each
//! receive several of them.
//!
//! No single (deposit, withdrawal) pair is certain: any note of a campaign may fund any of its
//! withdrawals, so what a link establishes is the batch. When several campaigns hold notes in
//! the same pool at once, nothing on chain says which one a fresh recipient withdraws (the
//! same relayers, the same denominations), so each bulk withdrawal is one note's worth drawn
//! from every campaign then holding notes, in proportion to what each holds — within a
//! campaign oldest note first — and each piece is a link carrying its share of the note. A
//! trace thus splits the withdrawal between the campaigns (haircut at the batch level) rather
//! than handing it whole to whichever campaign deposited first.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chaintrail_core::{Address, TransferKind};
use chaintrail_store::ChainReader;

use super::{Candidate, Deposit, HUB_DEGREE, Heuristic, Pools, Withdrawal};
use crate::Services;

/// Deposits a bulk depositor makes, and withdrawals a bulk recipient receives, at least.
const BULK_DEPOSITS: usize = 3;
const BULK_WITHDRAWALS: usize = 2;
/// A batch piece's confidence: the campaigns holding notes fund the withdrawal.
const BULK_CONFIDENCE: f64 = 0.6;
/// A pair's confidence when a recipient withdraws exactly one campaign's notes.
const WHOLE_CAMPAIGN_CONFIDENCE: f64 = 0.7;
/// How many hops back a depositor's funding is followed.
const FUNDING_HOPS: usize = 2;

/// Who paid `address` before `before`, with the time of their last payment: private wallets
/// only, since a service, a hub or a pool pays everyone.
fn funders(
    reader: &ChainReader,
    services: &dyn Services,
    pools: &HashSet<u32>,
    address: u32,
    before: u64,
) -> BTreeMap<u32, u64> {
    let mut found: BTreeMap<u32, u64> = BTreeMap::new();
    for t in reader
        .incoming(address)
        .filter_map(|row| reader.transfer(row))
    {
        if !t.success
            || matches!(t.kind, TransferKind::Fee | TransferKind::Burn)
            || t.block.timestamp >= before
            || t.from == address
        {
            continue;
        }
        let last = found.entry(t.from).or_insert(0);
        *last = (*last).max(t.block.timestamp);
    }
    found.retain(|id, _| {
        !pools.contains(id)
            && reader.outgoing(*id).take(HUB_DEGREE + 1).count() <= HUB_DEGREE
            && reader
                .address(*id)
                .is_some_and(|a| services.service(reader.chain(), &a).is_none())
    });
    found
}

/// Union-find over address ids.
#[derive(Default)]
struct Groups(HashMap<u32, u32>);

impl Groups {
    fn root(&mut self, id: u32) -> u32 {
        let parent = *self.0.entry(id).or_insert(id);
        if parent == id {
            return id;
        }
        let root = self.root(parent);
        self.0.insert(id, root);
        root
    }

    fn join(&mut self, a: u32, b: u32) {
        let (a, b) = (self.root(a), self.root(b));
        if a != b {
            self.0.insert(a.max(b), a.min(b));
        }
    }
}

/// Campaigns of the bulk depositors: depositor → campaign (the smallest address id in it).
fn campaigns(
    reader: &ChainReader,
    services: &dyn Services,
    pools: &HashSet<u32>,
    first_deposit: &HashMap<&Address, u64>,
) -> HashMap<Address, u32> {
    let mut groups = Groups::default();
    let mut ids = Vec::new();
    for (depositor, first) in first_deposit {
        let Some(id) = reader.address_id(depositor) else {
            continue;
        };
        ids.push(((*depositor).clone(), id));
        groups.root(id);
        let mut frontier = BTreeMap::from([(id, *first)]);
        for _ in 0..FUNDING_HOPS {
            let mut next = BTreeMap::new();
            for (child, before) in frontier {
                for (funder, at) in funders(reader, services, pools, child, before) {
                    groups.join(id, funder);
                    next.insert(funder, at + 1);
                }
            }
            frontier = next;
        }
    }
    ids.into_iter()
        .map(|(address, id)| (address, groups.root(id)))
        .collect()
}

/// Whether nothing moved to or from `recipient` before `first`.
fn fresh(reader: &ChainReader, recipient: &Address, first: u64) -> bool {
    reader.address_id(recipient).is_none_or(|id| {
        !reader
            .incoming(id)
            .chain(reader.outgoing(id))
            .filter_map(|row| reader.transfer(row))
            .any(|t| t.success && t.block.timestamp < first)
    })
}

/// A campaign's notes in deposit order, drawn first in, first out in fractions.
struct Campaign<'a> {
    notes: Vec<&'a Deposit>,
    depositors: usize,
    /// Notes deposited so far.
    deposited: usize,
    /// Whole notes drawn, and how much of the next one.
    drawn: usize,
    drawn_part: f64,
}

impl Campaign<'_> {
    fn available(&self) -> f64 {
        self.deposited as f64 - self.drawn as f64 - self.drawn_part
    }
}

/// Below this a fraction of a note is rounding, not value.
const CRUMB: f64 = 1e-6;

pub(super) fn bulk_movers(
    p: &Pools,
    reader: &ChainReader,
    services: &dyn Services,
    out: &mut Vec<Candidate>,
) {
    let pools: BTreeSet<&Address> = p.deposits.iter().map(|d| &d.pool).collect();
    let pool_ids: HashSet<u32> = pools.iter().filter_map(|a| reader.address_id(a)).collect();
    for pool in pools {
        let mut per_depositor: HashMap<&Address, Vec<&Deposit>> = HashMap::new();
        for d in p.deposits.iter().filter(|d| &d.pool == pool) {
            per_depositor.entry(&d.depositor).or_default().push(d);
        }
        per_depositor.retain(|_, ds| ds.len() >= BULK_DEPOSITS);
        let first_deposit: HashMap<&Address, u64> = per_depositor
            .iter()
            .map(|(a, ds)| (*a, ds.iter().map(|d| d.time).min().unwrap_or(0)))
            .collect();
        let campaign_of = campaigns(reader, services, &pool_ids, &first_deposit);
        let mut by_campaign: BTreeMap<u32, Campaign> = BTreeMap::new();
        for (depositor, ds) in &per_depositor {
            if let Some(c) = campaign_of.get(*depositor) {
                let campaign = by_campaign.entry(*c).or_insert(Campaign {
                    notes: Vec::new(),
                    depositors: 0,
                    deposited: 0,
                    drawn: 0,
                    drawn_part: 0.0,
                });
                campaign.notes.extend(ds.iter().copied());
                campaign.depositors += 1;
            }
        }
        let mut campaigns: Vec<Campaign> = by_campaign.into_values().collect();
        for c in &mut campaigns {
            c.notes.sort_by_key(|d| (d.time, d.tx));
        }

        let mut per_recipient: HashMap<&Address, Vec<&Withdrawal>> = HashMap::new();
        for w in p.withdrawals.iter().filter(|w| &w.pool == pool) {
            per_recipient.entry(&w.recipient).or_default().push(w);
        }
        let mut recipients: Vec<Vec<&Withdrawal>> = per_recipient
            .into_iter()
            .filter(|(recipient, ws)| {
                ws.len() >= BULK_WITHDRAWALS
                    && ws
                        .iter()
                        .map(|w| w.time)
                        .min()
                        .is_some_and(|first| fresh(reader, recipient, first))
            })
            .map(|(_, mut ws)| {
                ws.sort_by_key(|w| (w.time, w.tx));
                ws
            })
            .collect();
        recipients.sort_by_key(|ws| (ws[0].time, ws[0].tx));

        // A recipient that withdraws exactly as many notes as one campaign deposited, all before
        // it started, when no other campaign of that size could be it: one owner moving its
        // notes through the pool, matched whole and kept out of the shared draw.
        let mut whole: Vec<bool> = vec![false; campaigns.len()];
        let mut withdrawals: Vec<&Withdrawal> = Vec::new();
        for ws in recipients {
            let fits: Vec<usize> = campaigns
                .iter()
                .enumerate()
                .filter(|(i, c)| {
                    !whole[*i]
                        && c.notes.len() == ws.len()
                        && c.notes.iter().all(|d| d.time < ws[0].time)
                })
                .map(|(i, _)| i)
                .collect();
            let [only] = fits.as_slice() else {
                withdrawals.extend(ws);
                continue;
            };
            whole[*only] = true;
            let c = &campaigns[*only];
            for (d, w) in c.notes.iter().zip(&ws) {
                out.push(Candidate {
                    chain: p.chain,
                    deposit: d.tx,
                    withdrawal: w.tx,
                    heuristic: Heuristic::BulkMovers,
                    confidence: WHOLE_CAMPAIGN_CONFIDENCE,
                    share: 1.0,
                    reason: format!(
                        "a fresh recipient withdrew {} notes, as many as a campaign of {} commonly funded addresses deposited before it started, and no other campaign of that size could be it",
                        ws.len(),
                        c.depositors,
                    ),
                });
            }
        }
        let mut campaigns: Vec<Campaign> = campaigns
            .into_iter()
            .zip(whole)
            .filter(|(_, whole)| !whole)
            .map(|(c, _)| c)
            .collect();
        withdrawals.sort_by_key(|w| (w.time, w.tx));

        // Each withdrawal is one note's worth, drawn from the campaigns holding notes at the
        // time in proportion to what they hold (within a campaign, oldest note first).
        for w in withdrawals {
            for c in &mut campaigns {
                while c.notes.get(c.deposited).is_some_and(|d| d.time < w.time) {
                    c.deposited += 1;
                }
            }
            let held: f64 = campaigns.iter().map(Campaign::available).sum();
            if held < CRUMB {
                continue;
            }
            let wanted = held.min(1.0);
            let open = campaigns.iter().filter(|c| c.available() > CRUMB).count();
            for c in &mut campaigns {
                let proportion = c.available() / held;
                let mut take = wanted * proportion;
                while take > CRUMB && c.drawn < c.deposited {
                    let piece = take.min(1.0 - c.drawn_part);
                    out.push(Candidate {
                        chain: p.chain,
                        deposit: c.notes[c.drawn].tx,
                        withdrawal: w.tx,
                        heuristic: Heuristic::BulkMovers,
                        confidence: BULK_CONFIDENCE,
                        share: piece,
                        reason: format!(
                            "{:.0}% of this withdrawal to a fresh recipient of {BULK_WITHDRAWALS} or more withdrawals is drawn from a campaign of {} notes deposited by {} commonly funded addresses ({open} campaign(s) held notes then)",
                            proportion * 100.0,
                            c.notes.len(),
                            c.depositors,
                        ),
                    });
                    take -= piece;
                    c.drawn_part += piece;
                    if c.drawn_part >= 1.0 - CRUMB {
                        c.drawn += 1;
                        c.drawn_part = 0.0;
                    }
                }
            }
        }
    }
}
